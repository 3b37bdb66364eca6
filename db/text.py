"""Text helpers shared by reads and validation: Vietnamese-aware folding for search."""

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
_TOKENS = re.compile(r"\d+|\s+|.", re.DOTALL)

# Primary elements are (class, weight): spaces and punctuation, then numbers, then letters.
_SPACE, _SYMBOL, _NUMBER, _LETTER = 0, 1, 2, 3

CollationKey = tuple[tuple[tuple[int, int], ...], tuple[int, ...], tuple[int, ...], str]


def _letter(base: str, marks: str) -> tuple[tuple[int, int], int, int]:
    """Primary weight, tone and case of one letter given as a base character and its combining marks."""
    lower = base.lower()
    case = 0 if base == lower else 1
    tone = 0
    for mark in marks:
        if (lower, mark) in _LETTER_MARKS:
            lower = _LETTER_MARKS[(lower, mark)]
        else:
            tone = max(tone, _TONE_RANK.get(mark, _OTHER_MARK))
    rank = _LETTER_RANK.get(lower)
    # Letters outside the alphabet (other scripts) follow it, in code-point order.
    weight = rank if rank is not None else len(_ALPHABET) + ord(lower[0])
    return (_LETTER, weight), tone, case


def collation_key(text: str) -> CollationKey:
    """A sort key in Vietnamese dictionary order: letters, then tones, then case; digit runs as numbers."""
    decomposed = unicodedata.normalize("NFD", text)
    primary: list[tuple[int, int]] = []
    tones: list[int] = []
    cases: list[int] = []
    for match in _TOKENS.finditer(decomposed):
        token = match.group()
        if token[0].isspace():
            primary.append((_SPACE, 0))  # any run of spaces weighs as one space
            tones.append(0)
            cases.append(0)
        elif token[0].isdecimal():
            primary.append((_NUMBER, int(token)))
            tones.append(0)
            cases.append(len(token))  # "02" after "2": leading zeros only break a tie
        elif unicodedata.category(token) == "Mn":
            continue  # consumed with its base below, or a stray mark with no base: ignored
        elif token.isalpha():
            end = match.end()
            while end < len(decomposed) and unicodedata.category(decomposed[end]) == "Mn":
                end += 1
            weight, tone, case = _letter(token, decomposed[match.end():end])
            primary.append(weight)
            tones.append(tone)
            cases.append(case)
        else:
            primary.append((_SYMBOL, ord(token)))
            tones.append(0)
            cases.append(0)
    # The whole primary level decides first, then the tones, then the case; the NFC text last keeps the
    # order total (two different strings never tie) and NFC/NFD spellings of one string equal.
    return tuple(primary), tuple(tones), tuple(cases), unicodedata.normalize("NFC", text)


def sorted_names(names: Iterable[str]) -> list[str]:
    """Names in Vietnamese dictionary order."""
    return sorted(names, key=collation_key)


def _cell_key(value: object) -> tuple[int, CollationKey | None]:
    """A cell's collation key; empty cells (None, NaN) after every name."""
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return 1, None
    return 0, collation_key(str(value))


def sort_frame(df: pd.DataFrame, *columns: Hashable) -> pd.DataFrame:
    """The rows ordered by the columns' text in Vietnamese dictionary order (stable), with a fresh index."""
    keys = [[_cell_key(v) for v in df[c]] for c in columns]
    order = sorted(range(len(df)), key=lambda i: [k[i] for k in keys])
    return df.iloc[order].reset_index(drop=True)
