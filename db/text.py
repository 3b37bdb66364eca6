"""Text helpers shared by reads and validation: Vietnamese-aware folding for search."""

import functools
import numbers
import re
import unicodedata
from collections.abc import Hashable, Iterable

import pandas as pd

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


# ---- Vietnamese collation -----------------------------------------------------------------------
# The alphabet in dictionary order; f j w z (loan words) sit where the Latin alphabet puts them.
_ALPHABET = tuple("aăâbcdđeêfghijklmnoôơpqrstuưvwxyz")
_LETTER_RANK = {letter: rank for rank, letter in enumerate(_ALPHABET)}
# Marks that make a letter of its own (ă â ê ô ơ ư): part of the primary key, not of the tone.
_BREVE, _CIRCUMFLEX, _HORN = "\u0306", "\u0302", "\u031b"
_LETTER_MARKS = {("a", _BREVE): "ă", ("a", _CIRCUMFLEX): "â", ("e", _CIRCUMFLEX): "ê",
                 ("o", _CIRCUMFLEX): "ô", ("o", _HORN): "ơ", ("u", _HORN): "ư"}
# Tones in dictionary order after the bare letter: huyền, hỏi, ngã, sắc, nặng.
_TONE_RANK = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}
_OTHER_MARK = 6  # any other accent (ü, ç…): after the five tones
# Tokens of NFC text: a digit run, a space run, or one character with the combining marks NFC left on it.
_TOKENS = re.compile(r"\d+|\s+|.[\u0300-\u036f]*", re.DOTALL)

# Primary elements are (class, weight): spaces and punctuation, then numbers, then letters.
_SPACE, _SYMBOL, _NUMBER, _LETTER = 0, 1, 2, 3

CollationKey = tuple[tuple[tuple[int, int], ...], tuple[int, ...], tuple[int, ...], str]


@functools.lru_cache(maxsize=4096)
def _character(cluster: str) -> tuple[tuple[int, int], int, int] | None:
    """Primary weight, tone and case of one character with its marks (None for a mark without a base)."""
    decomposed = unicodedata.normalize("NFD", cluster)
    base, marks = decomposed[0], decomposed[1:]
    if unicodedata.category(base) == "Mn":
        return None
    if not base.isalpha():
        return (_SYMBOL, ord(base)), 0, 0
    lower = base.lower()
    case = 0 if base == lower else 1
    tone = 0
    for mark in marks:
        if (lower, mark) in _LETTER_MARKS:
            lower = _LETTER_MARKS[(lower, mark)]
        elif unicodedata.category(mark) == "Mn":
            tone = max(tone, _TONE_RANK.get(mark, _OTHER_MARK))
    rank = _LETTER_RANK.get(lower)
    # Letters outside the alphabet (other scripts) follow it, in code-point order.
    weight = rank if rank is not None else len(_ALPHABET) + ord(lower[0])
    return (_LETTER, weight), tone, case


@functools.lru_cache(maxsize=1 << 16)  # unit names repeat down a list (its communes, districts): key each once
def collation_key(text: str) -> CollationKey:
    """A sort key in Vietnamese dictionary order: letters, then tones, then case; digit runs as numbers."""
    nfc = unicodedata.normalize("NFC", text)  # one spelling of each string: NFC and NFD input key alike
    primary: list[tuple[int, int]] = []
    tones: list[int] = []
    cases: list[int] = []
    for token in _TOKENS.findall(nfc):
        if token[0].isspace():
            primary.append((_SPACE, 0))  # any run of spaces weighs as one space
            tones.append(0)
            cases.append(0)
        elif token[0].isdecimal():
            primary.append((_NUMBER, int(token)))
            tones.append(0)
            cases.append(len(token))  # "02" after "2": leading zeros only break a tie
        else:
            character = _character(token)
            if character is not None:
                primary.append(character[0])
                tones.append(character[1])
                cases.append(character[2])
    # The whole primary level decides first, then the tones, then the case; the NFC text last keeps the
    # order total: two different strings never tie.
    return tuple(primary), tuple(tones), tuple(cases), nfc


def sorted_names(names: Iterable[str]) -> list[str]:
    """Names in Vietnamese dictionary order."""
    return sorted(names, key=collation_key)


def _cell_key(value: object) -> tuple[int, CollationKey | float | None]:
    """A cell's sort key: text by collation_key, numbers by value, empty cells (None, NaN) last."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return 1, None
    if isinstance(value, numbers.Real) and not isinstance(value, bool):  # numpy's int64 included
        return 0, float(value)
    return 0, collation_key(str(value))


def sort_frame(df: pd.DataFrame, *columns: Hashable) -> pd.DataFrame:
    """The rows ordered by the columns (text in Vietnamese dictionary order, numbers by value; stable), with a fresh index.

    Each column holds one kind of value: text, or numbers.
    """
    keys = [[_cell_key(v) for v in df[c]] for c in columns]
    order = sorted(range(len(df)), key=lambda i: [k[i] for k in keys])
    return df.iloc[order].reset_index(drop=True)
