"""Text helpers shared by reads and validation: Vietnamese-aware folding for search."""

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lower-case, strip diacritics (đ → d included) and collapse spaces, for search keys."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return _SPACES.sub(" ", stripped).strip().lower()


def clean(text: str | None) -> str:
    """Trim a user-typed string and normalise it to NFC with single spaces."""
    if text is None:
        return ""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()
