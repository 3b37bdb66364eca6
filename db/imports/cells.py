"""Pure cell parsers of the Excel import: what an officer typed in a cell, as a value the import can check.

Dates in every shape Excel and officers give them, years of birth, phones that lost their leading zero, the
organisation behind "Đoàn TN xã", a decision number with its date in the same cell, the kind written in front
of a unit's name ("TT. Phú Thịnh", "KP.3"), and the folded forms names are compared in. No database here: every
function takes a value and returns one (or raises ValueError), so they are tested with plain tables
(tests/db/imports/test_cells.py).
"""

import re
import unicodedata
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from db import vocab
from db.text import clean, fold

# ---- folded forms -------------------------------------------------------------------------------

_PUNCTUATION = re.compile(r"[,;:/\\.()\[\]\-–—_*+'\"“”‘’#\s]+")


@lru_cache(maxsize=200_000)
def fold_cached(text: str) -> str:
    """db.text.fold, remembered: the same commune, role or organisation comes back on every row."""
    return fold(text)


@lru_cache(maxsize=200_000)
def normalise(text: str) -> str:
    """Folded, punctuation as spaces, single spaces: the form header and unit names are compared in."""
    return _PUNCTUATION.sub(" ", fold(text)).strip()


# A tone written on the first vowel of a final "oa", "oe", "uy" (the older "hòa") or on the second ("hoà").
_TONE_PLACE = re.compile("([oOuU])([aAeEyY])([\u0300\u0301\u0303\u0309\u0323])(?=[^\\w]|$)")


@lru_cache(maxsize=200_000)
def exact_spelling(text: str) -> str:
    """Like normalise but keeping diacritics, the tone placed one way: "Tam Dân" ≠ "Tam Đàn", "Hoà" = "Hòa"."""
    decomposed = unicodedata.normalize("NFD", clean(text).lower())
    placed = unicodedata.normalize("NFC", _TONE_PLACE.sub(r"\1\3\2", decomposed))
    return _PUNCTUATION.sub(" ", placed).strip()


def has_marks(text: str) -> bool:
    """True when the text carries Vietnamese diacritics (đ included)."""
    return fold(text) != clean(text).lower()


def is_empty(value: Any) -> bool:
    """True for a cell with nothing in it (None, or only spaces)."""
    return value is None or (isinstance(value, str) and not value.strip())


# ---- words and kinds ----------------------------------------------------------------------------

# Kinds written in front of a unit's name, folded, with their abbreviations.
COMMUNE_KINDS = {"xa": "Xã", "x": "Xã", "phuong": "Phường", "p": "Phường", "thi tran": "Thị trấn", "tt": "Thị trấn",
                 "dac khu": "Đặc khu"}
DISTRICT_KINDS = {"huyen": "Huyện", "h": "Huyện", "quan": "Quận", "q": "Quận", "thi xa": "Thị xã", "tx": "Thị xã",
                  "thanh pho": "Thành phố", "tp": "Thành phố"}
PROVINCE_KINDS = {"tinh": "Tỉnh", "t": "Tỉnh", "thanh pho": "Thành phố", "tp": "Thành phố"}
VILLAGE_KIND_ALIASES = {fold(k): k for k in vocab.VILLAGE_KINDS} | {
    "kp": "Khối phố", "khoi": "Khối phố", "tdp": "Tổ dân phố", "to dp": "Tổ dân phố",
}
DEFAULT_VILLAGE_KIND = "Thôn"

ROLE_WORDS = {
    "to truong": "leader", "truong to": "leader", "to truong to cnscd": "leader",
    "to pho": "deputy", "pho to": "deputy", "pho to truong": "deputy", "to pho to cnscd": "deputy",
    "thanh vien": "member", "tv": "member", "uy vien": "member", "thanh vien to": "member",
}
GENDER_WORDS = {"nam": "male", "male": "male", "m": "male", "trai": "male",
                "nu": "female", "female": "female", "f": "female", "gai": "female"}
MARKS = {"x", "v", "✓", "✔", "1"}  # a tick under "Nam" or "Nữ" instead of the year
# Words found in what officers write under "Tổ chức": first match wins, whole words only.
ORG_KEYWORDS: list[tuple[str, tuple[str, ...]]] = [
    ("telecom_post", ("vnpt", "viettel", "mobifone", "vinaphone", "buu dien", "buu chinh", "vien thong", "vnpost", "fpt")),
    ("youth_union", ("doan thanh nien", "doan tn", "dtn", "chi doan", "tncs", "thanh nien", "doan vien")),
    ("women_union", ("phu nu", "lhpn", "hoi pn", "pn")),
    ("farmers_union", ("nong dan", "hnd")),
    ("veterans", ("cuu chien binh", "ccb")),
    ("police", ("cong an", "ca xa", "ca")),
    ("village_head", ("truong thon", "bi thu chi bo", "truong khoi", "truong ap", "truong ban", "bi thu", "thon",
                      "khoi pho", "to dan pho")),
    ("teacher", ("giao vien", "gv", "truong hoc", "nha truong")),
    ("commune_staff", ("ubnd", "cong chuc", "vien chuc", "uy ban", "hdnd", "dang uy", "can bo xa", "xa")),
    ("other", ("khac",)),
]


# ---- cell values ---------------------------------------------------------------------------------


def cell_text(value: Any) -> str | None:
    """A cell as trimmed text (whole numbers without ".0", dates as dd/mm/yyyy), None when empty."""
    if value is None or isinstance(value, bool):
        return None if value is None else str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, datetime):
        return f"{value:%d/%m/%Y}"
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    text = clean(str(value))
    return text or None


_DMY = re.compile(r"^(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{2}|\d{4})$")
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$")


def parse_date(value: Any) -> date | None:
    """A date from a real Excel date, a serial number, or text dd/mm/yyyy (also - and .) or yyyy-mm-dd.

    Raises ValueError for anything else; None for an empty cell.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 20000 <= value <= 80000:  # a date whose cell lost its date format: Excel's day number
            from openpyxl.utils.datetime import from_excel

            return from_excel(value).date()
        raise ValueError(str(value))
    text = clean(str(value))
    m = _DMY.match(text)
    try:
        if m:
            day, month, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
            return date(year + 2000 if year < 100 else year, month, day)
        m = _YMD.match(text)
        if m:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        pass
    raise ValueError(text)


def parse_birth_year(value: Any) -> int | None:
    """A year of birth from a number, "1990", or a date of birth; ValueError otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, (datetime, date)):
        return value.year
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if float(value).is_integer() and 1000 <= value <= 9999:
            return int(value)
        raise ValueError(str(value))
    text = clean(str(value))
    if re.fullmatch(r"\d{4}", text):
        return int(text)
    return parse_date(text).year  # type: ignore[union-attr]


def phone_text(value: Any) -> str | None:
    """A phone cell as text; a number cell lost its leading zero (905123456 → 0905123456)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        digits = str(int(value)) if float(value).is_integer() else str(value)
        return "0" + digits if len(digits) == 9 else digits
    return cell_text(value)


@lru_cache(maxsize=4096)
def organisation_code(value: str) -> tuple[str, bool]:
    """The organisation code for what an officer wrote, and whether it was recognised (else "other")."""
    folded = normalise(value)
    for code, label in vocab.ORGANISATIONS.items():
        if folded == normalise(label):
            return code, True
    for code, words in ORG_KEYWORDS:
        for word in words:
            if re.search(rf"\b{re.escape(word)}\b", folded):
                return code, True
    return "other", False


# "Số 125/QĐ-UBND ngày 01/7/2022", "125/QĐ-UBND, ngày 01.07.2022", "125/QĐ-UBND - 01/07/2022": number then date.
_DECISION_AND_DATE = re.compile(
    r"^(?:số\s*:?\s*)?(?P<no>.*?)[\s,;–-]*(?:ngày\s*:?\s*)?(?P<day>\d{1,2}\s*[/.-]\s*\d{1,2}\s*[/.-]\s*\d{4})\s*\.?$",
    re.IGNORECASE,
)


def split_decision(text: str) -> tuple[str | None, date | None]:
    """A decision cell that also holds its date, as (number, date); otherwise the text as it is and no date."""
    found = _DECISION_AND_DATE.match(text.strip())
    if found is None:
        return text, None
    try:
        day = parse_date(re.sub(r"\s+", "", found["day"]))
    except ValueError:
        return text, None
    return found["no"].strip() or None, day


# ---- unit names and their kinds ------------------------------------------------------------------


def name_parts(text: str, kinds: dict[str, str]) -> tuple[str, str | None, str]:
    """(folded name, canonical kind or None, folded name without its kind): "TT. Phú Thịnh" → ("tt phu thinh", "Thị trấn", "phu thinh")."""
    key, kind, rest, _ = kind_prefix(text, kinds)
    return key, kind, rest


def kind_prefix(text: str, kinds: dict[str, str]) -> tuple[str, str | None, str, int]:
    """name_parts and how many words the kind took ("KP.3" → 1, "Tổ dân phố 5" → 3)."""
    key = normalise(text)
    for alias in sorted(kinds, key=len, reverse=True):
        if key.startswith(alias + " ") and len(key) > len(alias) + 1:
            return key, kinds[alias], key[len(alias) + 1:], len(alias.split())
    return key, None, key, 0


def strip_words(text: str, count: int) -> str:
    """The text without its first `count` words (a kind such as "Khối phố" or "KP.")."""
    rest = text
    for _ in range(count):
        m = re.match(r"\s*[^\s.]+[\s.]+", rest)
        if not m:
            return rest.strip()
        rest = rest[m.end():]
    return rest.strip()
