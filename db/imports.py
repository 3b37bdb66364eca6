"""Excel import of villages, teams and members: read the workbook, plan and preview, then write in one transaction.

The spreadsheets officers keep are messy: a title above the header, headers typed any way, the village and
team cells merged down over a team's members, dates as text, phones with spaces or +84, signatures under the
table. `read_workbook` turns such a file into plain rows (pure, no database); `plan_import` matches the rows
against the database in the actor's scope and lists, per row, what would be created or updated and every
problem; `apply_import` plans again inside the write transaction and, only when there is no problem, writes
everything in bulk with the audit rows and one data-version bump. Importing the same file twice creates
nothing new: villages match by folded name under their commune, teams by their unit's open team, members by
folded full name within the team.

Rules enforced the same way as the forms (db.services): scope, village kinds and names, one open team per
unit and no overlap with an earlier one, dates not in the future, member names, phones, birth years and
joining dates, one active Tổ trưởng per team.
"""

import io
import re
import unicodedata
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any

import pandas as pd
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from db import vocab
from db.access import WRITER_ROLES, Actor
from db.counts import refresh_units
from db.errors import PermissionDenied, UserError
from db.members import MemberInput
from db.members import validated_member as _validated_member  # the name this module's body uses
from db.models import AuditEntry, Member, Team, Unit, UnitPath
from db.text import clean, fold
from db.validation import optional_text, require_past_date, require_text
from db.versions import bump_data_version

MAX_BYTES = 10 * 1024 * 1024  # the upload limit (.streamlit/config.toml says the same)
MAX_ROWS = 50_000  # non-empty rows in the whole workbook
MAX_UNPACKED = 400 * 1024 * 1024  # a 10 MB zip that unpacks to more than this is not a list of members
MAX_COLUMNS = 80
HEADER_SCAN_ROWS = 25
CHUNK = 900  # ids per IN (...) list: SQLite's variable limit stays far away

Progress = Callable[[float, str], None]


# ---- the columns a sheet may have ---------------------------------------------------------------

# Each key with the header texts that name it, folded (no diacritics, lower case) with punctuation
# turned into spaces: "Xã, phường, thị trấn" → "xa phuong thi tran".
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "seq": ("stt", "tt", "so tt", "so thu tu"),
    "province": ("tinh", "tinh thanh pho", "tinh tp", "ten tinh", "tinh thanh"),
    "district": ("huyen", "huyen quan", "huyen quan thi xa", "huyen quan thi xa thanh pho", "huyen thi xa thanh pho",
                 "huyen thi xa", "huyen tx tp", "ten huyen", "quan huyen", "huyen thanh pho"),
    "commune": ("xa", "xa phuong", "xa phuong thi tran", "xa phuong tt", "xa thi tran", "xa tt", "ten xa",
                "phuong xa", "xa phuong dac khu", "xa phuong thi tran dac khu"),
    "village": ("thon", "thon khoi pho", "thon to dan pho", "thon khoi pho to dan pho", "thon ap", "thon ban", "thon xom",
                "thon lang", "thon ap ban", "thon ban ap", "thon buon", "ten thon", "ten thon khoi pho", "thon khoi",
                "khoi pho", "dia ban thon", "thon ban to dan pho", "ten thon to dan pho", "thon to dan pho khoi pho"),
    "village_kind": ("loai", "loai dia ban", "loai thon", "loai don vi"),
    "team_name": ("ten to", "to cnscd", "ten to cnscd", "to cong nghe so cong dong", "ten to cong nghe so cong dong"),
    "decision_no": ("so quyet dinh", "so qd", "quyet dinh", "quyet dinh thanh lap", "so quyet dinh thanh lap",
                    "so qd thanh lap", "qd thanh lap", "so quyet dinh thanh lap to",
                    # one column for both: "Số 125/QĐ-UBND ngày 01/07/2022" (split by _split_decision)
                    "so ngay quyet dinh", "so va ngay quyet dinh", "so ngay qd", "so ngay quyet dinh thanh lap",
                    "quyet dinh so ngay", "so ngay quyet dinh thanh lap to", "so va ngay qd"),
    "established_on": ("ngay thanh lap", "ngay quyet dinh", "ngay qd", "ngay thanh lap to", "ngay ban hanh",
                       "ngay ky quyet dinh", "ngay ban hanh quyet dinh"),
    "full_name": ("ho va ten", "ho ten", "ho va ten thanh vien", "ho ten thanh vien", "ten thanh vien",
                  "ho va ten thanh vien to"),
    "family_name": ("ho", "ho va dem", "ho va ten dem", "ho dem", "ho va chu dem", "ho chu dem", "ho lot"),
    "given_name": ("ten",),  # with "Họ và đệm" beside it: the name in two columns
    "gender": ("gioi tinh", "gioi", "nam nu", "gioi tinh nam nu"),
    "birth_year": ("nam sinh", "ngay sinh", "ngay thang nam sinh", "sinh nam"),
    "birth_male": ("nam",),  # "Năm sinh" split into "Nam" and "Nữ" columns, the year under one of them
    "birth_female": ("nu",),
    "phone": ("so dien thoai", "dien thoai", "sdt", "so dt", "dt", "dien thoai di dong", "so di dong", "di dong",
              "so dien thoai di dong", "dien thoai lien he", "dien thoai lien lac"),
    "role": ("vai tro", "chuc danh trong to", "vai tro trong to", "chuc danh", "nhiem vu trong to", "chuc vu trong to",
             "nhiem vu"),
    "organisation": ("to chuc", "don vi", "to chuc don vi", "don vi cong tac", "co quan don vi", "co quan", "thanh phan",
                     "noi cong tac", "co quan don vi cong tac", "to chuc doan the"),
    "position": ("chuc vu", "chuc vu hien tai", "chuc vu dang dam nhiem", "chuc vu chinh quyen doan the"),
    "joined_on": ("ngay tham gia", "ngay vao to"),
    "note": ("ghi chu",),
}
_ALIAS_TO_KEY = {alias: key for key, aliases in HEADER_ALIASES.items() for alias in aliases}
# How a problem names a column the sheet does not have.
KEY_LABELS = {
    "seq": "STT", "province": "Tỉnh", "district": "Huyện", "commune": "Xã", "village": "Thôn", "village_kind": "Loại",
    "team_name": "Tên tổ", "decision_no": "Số quyết định", "established_on": "Ngày thành lập", "full_name": "Họ và tên",
    "gender": "Giới tính", "birth_year": "Năm sinh", "birth_male": "Nam", "birth_female": "Nữ", "phone": "Số điện thoại",
    "role": "Vai trò", "organisation": "Tổ chức", "position": "Chức vụ", "joined_on": "Ngày tham gia", "note": "Ghi chú",
    "family_name": "Họ và đệm", "given_name": "Tên",
}
NAME_KEYS = {"full_name", "family_name", "village", "commune"}  # a header names at least one of these
UNIT_KEYS = ("province", "district", "commune", "village")
TEAM_KEYS = ("team_name", "decision_no", "established_on")
MEMBER_KEYS = ("gender", "birth_year", "birth_male", "birth_female", "phone", "role", "organisation", "position",
               "joined_on")

# The headers of the downloadable templates (report/templates.py); each maps to a key above.
MEMBER_TEMPLATE = ["STT", "Tỉnh", "Huyện", "Xã", "Thôn", "Tên tổ", "Số quyết định", "Ngày thành lập", "Họ và tên",
                   "Giới tính", "Năm sinh", "Số điện thoại", "Vai trò", "Tổ chức", "Chức vụ"]
TEAM_TEMPLATE = ["STT", "Tỉnh", "Huyện", "Xã", "Thôn", "Tên tổ", "Số quyết định", "Ngày thành lập"]
VILLAGE_TEMPLATE = ["STT", "Tỉnh", "Huyện", "Xã", "Loại", "Tên thôn"]

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

# A row is a footer (signatures, totals, notes) when one of its cells reads like this: the table ends there.
_FOOTER = re.compile(
    r"^(nguoi lap|can bo lap|nguoi tong hop|xac nhan|noi nhan|tong cong|tong so|cong:?$|ky ten|\(ky|ky, ghi ro"
    r"|ghi chu\s*:"
    # "TM. UBND XÃ", "KT. CHỦ TỊCH", "T/M BAN CHỈ ĐẠO"; not a position such as "KT viên" on a member's row
    r"|(?:tm|t/m|kt)(?:\s*\.|\s+(?:ubnd|uy ban|chu tich|ban|dang uy|hdnd|giam doc|truong|pho|bi thu)\b))"
)
# "Tam Phước, ngày 15 tháng 8 năm 2022" or "Ngày … tháng … năm …": the whole cell is the date line.
_DATE_LINE = re.compile(r"^([^,]{0,60},\s*)?ngay\W*[\d.…_ ]*\W*thang\W*[\d.…_ ]*\W*nam\W*[\d.…_ ]*$")
_NUMBERING = re.compile(r"^\(?\d{1,2}\)?$")
# "I. Xã Tam Phước", "1. Thôn Phú Mỹ", "Tổ CNSCĐ thôn Phú Mỹ" in the name column: a group heading, not a person.
# Matched with diacritics: "Phường" is a heading, "Phương" may be a name; bare "Tổ" is not ("Tô" is a family name).
_HEADING = re.compile(r"^(?:[ivxlc]+|[a-z]|\d+)?[.)]?\s*(?:xã|phường|thị trấn|thôn|khối phố|tổ dân phố|tổ cnscđ"
                      r"|tổ công nghệ|huyện|tỉnh|thị xã|thành phố)\s")
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')
_DMY = re.compile(r"^(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{2}|\d{4})$")
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$")


# "Số 125/QĐ-UBND ngày 01/7/2022", "125/QĐ-UBND, ngày 01.07.2022", "125/QĐ-UBND - 01/07/2022": number then date.
_DECISION_AND_DATE = re.compile(
    r"^(?:số\s*:?\s*)?(?P<no>.*?)[\s,;–-]*(?:ngày\s*:?\s*)?(?P<day>\d{1,2}\s*[/.-]\s*\d{1,2}\s*[/.-]\s*\d{4})\s*\.?$",
    re.IGNORECASE,
)


def _split_decision(text: str) -> tuple[str | None, date | None]:
    """A decision cell that also holds its date, as (number, date); otherwise the text as it is and no date."""
    found = _DECISION_AND_DATE.match(text.strip())
    if found is None:
        return text, None
    try:
        day = parse_date(re.sub(r"\s+", "", found["day"]))
    except ValueError:
        return text, None
    return found["no"].strip() or None, day


def header_key(text: object) -> str | None:
    """The column key a header cell names ("Họ và tên", "HO TEN", "Số ĐT (*)" …), or None."""
    if text is None:
        return None
    folded = _norm(str(text))
    if folded in _ALIAS_TO_KEY:
        return _ALIAS_TO_KEY[folded]
    bare = _norm(re.sub(r"\(.*?\)|\[.*?\]", " ", fold(str(text))))  # "Họ và tên (ghi đầy đủ)"
    return _ALIAS_TO_KEY.get(bare)


_PUNCTUATION = re.compile(r"[,;:/\\.()\[\]\-–—_*+'\"“”‘’#\s]+")


@lru_cache(maxsize=200_000)
def _fold(text: str) -> str:
    """db.text.fold, remembered: the same commune, role or organisation comes back on every row."""
    return fold(text)


@lru_cache(maxsize=200_000)
def _norm(text: str) -> str:
    """Folded, punctuation as spaces, single spaces: the form header and unit names are compared in."""
    return _PUNCTUATION.sub(" ", fold(text)).strip()


# A tone written on the first vowel of a final "oa", "oe", "uy" (the older "hòa") or on the second ("hoà").
_TONE_PLACE = re.compile("([oOuU])([aAeEyY])([\u0300\u0301\u0303\u0309\u0323])(?=[^\\w]|$)")


@lru_cache(maxsize=200_000)
def _exact(text: str) -> str:
    """Like _norm but keeping diacritics, the tone placed one way: "Tam Dân" ≠ "Tam Đàn", "Hoà" = "Hòa"."""
    decomposed = unicodedata.normalize("NFD", clean(text).lower())
    placed = unicodedata.normalize("NFC", _TONE_PLACE.sub(r"\1\3\2", decomposed))
    return _PUNCTUATION.sub(" ", placed).strip()


def _has_marks(text: str) -> bool:
    """True when the text carries Vietnamese diacritics (đ included)."""
    return fold(text) != clean(text).lower()


# ---- reading the workbook (no database) -------------------------------------------------------------


@dataclass
class SheetTable:
    """One sheet's table: where the header is, which column holds which key, the data rows below it."""

    title: str
    header_row: int
    columns: dict[str, int]  # key → 0-based column index
    labels: dict[str, str]  # key → the header as written in the file
    rows: list[tuple[int, tuple[Any, ...]]]  # (row number as Excel shows it, cell values)
    banners: set[int] = field(default_factory=set)  # rows merged across 3+ columns: headings, not data

    def label(self, key: str) -> str:
        """The column's header as the officer wrote it, for messages."""
        return self.labels.get(key) or KEY_LABELS.get(key, key)

    @property
    def has_members(self) -> bool:
        """True for a sheet listing people (it has a name column)."""
        return "full_name" in self.columns or "given_name" in self.columns


@dataclass
class ParsedWorkbook:
    """The tables found in an uploaded workbook; pure data, safe to keep between reruns."""

    sheets: list[SheetTable]
    skipped: list[str]  # sheets without a recognisable header (instructions, lists of codes)

    @property
    def row_count(self) -> int:
        """Data rows in all tables."""
        return sum(len(s.rows) for s in self.sheets)


def check_xlsx(data: bytes) -> None:
    """Refuse what is not an .xlsx workbook, whatever its name says: size, zip, xl/workbook.xml, unpacked size."""
    if len(data) > MAX_BYTES:
        raise UserError(f"Tệp lớn hơn {MAX_BYTES // (1024 * 1024)} MB; hãy chia thành nhiều tệp nhỏ hơn.")
    if not data:
        raise UserError("Tệp trống, không có dữ liệu.")
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":  # OLE2: Excel 97–2003 .xls, or an encrypted workbook
        raise UserError("Đây là tệp Excel cũ (.xls) hoặc tệp có đặt mật khẩu. Hãy mở bằng Excel, bỏ mật khẩu nếu có, "
                        "rồi “Lưu thành” Excel Workbook (.xlsx) và tải lên lại.")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        names, unpacked = set(), 0
    if "xl/workbook.xml" not in names:
        raise UserError("Tệp không phải bảng tính Excel .xlsx (dù tên tệp ghi gì). Hãy mở bằng Excel và lưu dưới dạng "
                        "Excel Workbook (.xlsx), hoặc dùng mẫu nhập dữ liệu.")
    if unpacked > MAX_UNPACKED:
        raise UserError("Tệp Excel quá lớn khi giải nén; hãy chia thành nhiều tệp nhỏ hơn.")


def _column_index(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n - 1


def _merged_ranges(ws: Any) -> list[tuple[int, int, int, int]]:
    """The merged ranges of a read-only sheet (0-based r1, c1, r2, c2), read from its XML.

    openpyxl's read-only mode streams cells fast but does not expose merged cells; they sit in
    <mergeCells> after the cell data, so a pattern over the sheet's XML finds them.
    """
    try:
        xml = ws.parent._archive.read(ws._worksheet_path)  # noqa: SLF001 - openpyxl 3.1 (pinned)
    except (AttributeError, KeyError, OSError):
        return []
    out = []
    for m in _MERGE.finditer(xml):
        c1, r1 = _column_index(m.group(1)), int(m.group(2)) - 1
        c2 = _column_index(m.group(3)) if m.group(3) else c1
        r2 = int(m.group(4)) - 1 if m.group(4) else r1
        out.append((r1, c1, r2, c2))
    return out


def _fill(grid: list[list[Any]], merged: list[tuple[int, int, int, int]], *, down_only: bool) -> None:
    """Give the cells of merged ranges their top-left value (only the first column's, with down_only)."""
    for r1, c1, r2, c2 in merged:
        if r1 >= len(grid):
            continue
        top = grid[r1][c1] if c1 < len(grid[r1]) else None
        last = c1 if down_only else min(c2, MAX_COLUMNS - 1)
        for r in range(r1, min(r2, len(grid) - 1) + 1):
            row = grid[r]
            if len(row) <= last:
                row.extend([None] * (last + 1 - len(row)))
            for c in range(c1, last + 1):
                row[c] = top


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _find_header(grid: list[list[Any]]) -> tuple[int, dict[str, int], dict[str, str]] | None:
    """The header row among the first rows: the one naming most known columns, with a name or unit column."""
    best: tuple[int, int] | None = None  # (score, row index)
    keyed: list[dict[int, str]] = []
    for r, row in enumerate(grid[:HEADER_SCAN_ROWS]):
        keys = {c: k for c, v in enumerate(row) if isinstance(v, str) and (k := header_key(v)) is not None}
        keyed.append(keys)
        found = set(keys.values())
        score = len(found)
        if not found & NAME_KEYS:  # a lone "Tên thôn" column is enough
            continue
        # Ties go to the lower row of a two-row header (merged cells repeat the upper row's words).
        if best is None or score > best[0] or (score == best[0] and r == best[1] + 1):
            best = (score, r)
    if best is None:
        return None
    r = best[1]
    columns: dict[str, int] = {}
    labels: dict[str, str] = {}
    for source in (r, r - 1):  # the row above fills columns a two-row header names only there
        if source < 0:
            continue
        for c, key in sorted(keyed[source].items()):
            if key in columns or c in columns.values():
                continue
            columns[key] = c
            labels[key] = clean(str(grid[source][c]))
    if "birth_male" in columns and "birth_female" not in columns:  # a lone "Nam" is not the split year column
        columns.pop("birth_male")
    if not {"family_name", "given_name"} <= columns.keys() or "full_name" in columns:  # "Tên" alone is not a name
        columns.pop("family_name", None)
        columns.pop("given_name", None)
    if not columns.keys() & NAME_KEYS:
        return None
    return r, columns, labels


def read_workbook(data: bytes, *, progress: Progress | None = None) -> ParsedWorkbook:
    """Read every visible sheet's table from an .xlsx file's bytes; a UserError when it is not one we can read."""
    from openpyxl import load_workbook

    check_xlsx(data)
    if progress:
        progress(0.02, "Đang đọc tệp Excel…")
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as err:  # noqa: BLE001 - openpyxl raises many types for a damaged file
        raise UserError("Không đọc được tệp Excel (tệp hỏng hoặc không đúng định dạng .xlsx).") from err
    sheets: list[SheetTable] = []
    skipped: list[str] = []
    total = 0
    try:
        worksheets = [ws for ws in wb.worksheets if getattr(ws, "sheet_state", "visible") == "visible"]
        for i, ws in enumerate(worksheets):
            if not hasattr(ws, "iter_rows"):
                continue
            ws.reset_dimensions()  # some programs write a wrong <dimension>; read every row there is
            grid: list[list[Any]] = []
            for values in ws.iter_rows(values_only=True):
                row = list(values[:MAX_COLUMNS])
                if any(not _is_empty(v) for v in row):
                    total += 1
                    if total > MAX_ROWS:
                        raise UserError(f"Tệp có hơn {MAX_ROWS:,} dòng dữ liệu; hãy chia thành nhiều tệp nhỏ hơn.".replace(",", "."))
                grid.append(row)
            merged = [m for m in _merged_ranges(ws) if m[0] < len(grid) and m[1] < MAX_COLUMNS]
            # The header rows get the whole merged rectangle ("Năm sinh" over "Nam" and "Nữ")…
            head = [list(row) for row in grid[:HEADER_SCAN_ROWS]]
            _fill(head, merged, down_only=False)
            found = _find_header(head)
            if found is None:
                skipped.append(ws.title)
                continue
            header_row, columns, labels = found
            # …the data rows only its first column, downwards: the village or team over its members. A range
            # across three or more columns below the header is a heading ("I. XÃ TAM PHƯỚC"), not a row.
            _fill(grid, [m for m in merged if m[2] > header_row], down_only=True)
            banners = {r + 1 for r1, c1, r2, c2 in merged if r1 > header_row and c2 - c1 >= 2 for r in range(r1, r2 + 1)}
            rows = [(r + 1, tuple(grid[r])) for r in range(header_row + 1, len(grid))]
            sheets.append(SheetTable(ws.title, header_row + 1, columns, labels, rows, banners))
            if progress:
                progress(0.02 + 0.25 * (i + 1) / len(worksheets), "Đang đọc tệp Excel…")
    finally:
        wb.close()
    if not sheets:
        raise UserError(
            "Không tìm thấy dòng tiêu đề của bảng. Bảng cần có các cột như “Họ và tên”, “Thôn”, “Xã” "
            "(có dấu hoặc không dấu); hãy dùng mẫu nhập dữ liệu."
        )
    return ParsedWorkbook(sheets, skipped)


# ---- cell values ---------------------------------------------------------------------------------


def _text(value: Any) -> str | None:
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


def _birth_year(value: Any) -> int | None:
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


def _phone_text(value: Any) -> str | None:
    """A phone cell as text; a number cell lost its leading zero (905123456 → 0905123456)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        digits = str(int(value)) if float(value).is_integer() else str(value)
        return "0" + digits if len(digits) == 9 else digits
    return _text(value)


@lru_cache(maxsize=4096)
def organisation_code(value: str) -> tuple[str, bool]:
    """The organisation code for what an officer wrote, and whether it was recognised (else "other")."""
    folded = _norm(value)
    for code, label in vocab.ORGANISATIONS.items():
        if folded == _norm(label):
            return code, True
    for code, words in ORG_KEYWORDS:
        for word in words:
            if re.search(rf"\b{re.escape(word)}\b", folded):
                return code, True
    return "other", False


# ---- the plan --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """Something that stops the import, located as an officer finds it in Excel."""

    sheet: str
    row: int | None
    column: str | None
    message: str


@dataclass
class PreviewRow:
    """What the import does with one row of the file."""

    sheet: str
    row: int
    place: str = ""
    village: str = ""  # "Tạo mới" | "Đã có" | "" (a commune team)
    team: str = ""
    team_action: str = ""
    member: str = ""
    member_action: str = ""
    status: str = "Hợp lệ"  # "Có lỗi" when a problem names this row or its team


UnitRef = int | tuple[str, int, str]  # an existing unit's id, or ("new", commune id, folded village name)
TeamKey = tuple[str, Any]  # ("team", id) for an open team, ("new", UnitRef) for one the import creates


@dataclass
class _NewVillage:
    commune_id: int
    kind: str
    short: str
    name: str


@dataclass
class _NewTeam:
    unit: UnitRef
    name: str
    established_on: date
    decision_no: str | None


@dataclass
class _Ops:
    villages: dict[tuple[int, str], _NewVillage] = field(default_factory=dict)
    teams: dict[TeamKey, _NewTeam] = field(default_factory=dict)
    team_updates: dict[int, tuple[dict, dict]] = field(default_factory=dict)  # id → (before, changes)
    members: list[tuple[TeamKey, dict]] = field(default_factory=list)
    member_updates: list[tuple[int, dict, dict]] = field(default_factory=list)  # (id, before, changes)
    units: dict[int, Any] = field(default_factory=dict)  # commune id → its row (level, structure)


PREVIEW_COLUMNS = {
    "sheet": "Trang tính", "row": "Dòng", "place": "Địa bàn", "village": "Thôn", "team": "Tổ",
    "team_action": "Tổ: xử lý", "member": "Thành viên", "member_action": "Thành viên: xử lý", "status": "Kiểm tra",
}
PROBLEM_COLUMNS = {"sheet": "Trang tính", "row": "Dòng", "column": "Cột", "message": "Lỗi"}


@dataclass
class ImportPlan:
    """The preview: per row what will be created or updated, every problem, and the counts."""

    rows: list[PreviewRow]
    problems: list[Problem]
    villages_created: int = 0
    teams_created: int = 0
    teams_updated: int = 0
    members_created: int = 0
    members_updated: int = 0
    skipped_sheets: list[str] = field(default_factory=list)
    ops: _Ops = field(default_factory=_Ops, repr=False)

    @property
    def ok(self) -> bool:
        """True when nothing stops the import."""
        return not self.problems

    @property
    def changes(self) -> int:
        """How many records the import would create or change."""
        return (self.villages_created + self.teams_created + self.teams_updated + self.members_created
                + self.members_updated)

    def summary(self) -> str:
        """One Vietnamese sentence: rows read and what will change."""
        n = _num
        text = (f"{n(len(self.rows))} dòng: thêm {n(self.villages_created)} thôn, {n(self.teams_created)} tổ, "
                f"{n(self.members_created)} thành viên; cập nhật {n(self.teams_updated)} tổ, "
                f"{n(self.members_updated)} thành viên.")
        if self.changes == 0 and self.ok:
            text += " Dữ liệu trong tệp đã có đủ, không có gì mới."
        return text

    def preview_frame(self) -> pd.DataFrame:
        """The per-row preview with Vietnamese headers."""
        frame = pd.DataFrame([r.__dict__ for r in self.rows], columns=list(PREVIEW_COLUMNS))
        return frame.rename(columns=PREVIEW_COLUMNS)

    def problems_frame(self) -> pd.DataFrame:
        """The problems as (sheet, row, column, message) with Vietnamese headers."""
        frame = pd.DataFrame([p.__dict__ for p in self.problems], columns=list(PROBLEM_COLUMNS))
        frame["row"] = frame["row"].astype("Int64")
        return frame.rename(columns=PROBLEM_COLUMNS)


def _num(value: int) -> str:
    return f"{value:,}".replace(",", ".")


@dataclass
class _Row:
    """One data row's values, converted; cell problems are recorded as they are found."""

    sheet: SheetTable
    row: int
    province: str | None = None
    district: str | None = None
    commune: str | None = None
    village: str | None = None
    village_kind: str | None = None
    team_name: str | None = None
    decision_no: str | None = None
    established_on: date | None = None
    full_name: str | None = None
    gender: str | None = None
    birth_year: int | None = None
    phone: str | None = None
    role: str | None = None
    organisation: str | None = None
    organisation_known: bool = False
    position: str | None = None
    joined_on: date | None = None
    has_member_data: bool = False
    bad: bool = False  # a cell could not be read: the row is not planned further


def _name_parts(text: str, kinds: dict[str, str]) -> tuple[str, str | None, str]:
    """(folded name, canonical kind or None, folded name without its kind): "TT. Phú Thịnh" → ("tt phu thinh", "Thị trấn", "phu thinh")."""
    key, kind, rest, _ = _kind_prefix(text, kinds)
    return key, kind, rest


def _kind_prefix(text: str, kinds: dict[str, str]) -> tuple[str, str | None, str, int]:
    """_name_parts and how many words the kind took ("KP.3" → 1, "Tổ dân phố 5" → 3)."""
    key = _norm(text)
    for alias in sorted(kinds, key=len, reverse=True):
        if key.startswith(alias + " ") and len(key) > len(alias) + 1:
            return key, kinds[alias], key[len(alias) + 1:], len(alias.split())
    return key, None, key, 0


def _strip_words(text: str, count: int) -> str:
    """The text without its first `count` words (a kind such as "Khối phố" or "KP.")."""
    rest = text
    for _ in range(count):
        m = re.match(r"\s*[^\s.]+[\s.]+", rest)
        if not m:
            return rest.strip()
        rest = rest[m.end():]
    return rest.strip()


@dataclass
class _UnitRow:
    id: int
    parent_id: int | None
    tier: str
    name: str
    short_name: str
    level: int
    structure: str
    in_scope: bool


class _Units:
    """The actor's units above village level, indexed by folded full and short names."""

    def __init__(self, session: Session, actor: Actor) -> None:
        cols = (Unit.id, Unit.parent_id, Unit.tier, Unit.name, Unit.short_name, Unit.level, Unit.structure)
        stmt = select(*cols).where(Unit.tier != "village")
        if actor.unit_id is not None:
            stmt = stmt.join(UnitPath, (UnitPath.descendant_id == Unit.id) & (UnitPath.ancestor_id == actor.unit_id))
        self.rows: dict[int, _UnitRow] = {r[0]: _UnitRow(*r, in_scope=True) for r in session.execute(stmt)}
        if actor.unit_id is not None:  # the ancestors, so "Huyện" and "Tỉnh" columns can be checked
            above = select(*cols).join(UnitPath, UnitPath.ancestor_id == Unit.id).where(
                UnitPath.descendant_id == actor.unit_id, UnitPath.depth > 0)
            for r in session.execute(above):
                self.rows[r[0]] = _UnitRow(*r, in_scope=False)
        self.by_full: dict[str, list[int]] = defaultdict(list)
        self.by_short: dict[str, list[int]] = defaultdict(list)
        for u in self.rows.values():
            if u.tier == "commune" and u.in_scope:
                self.by_full[_norm(u.name)].append(u.id)
                self.by_short[_norm(u.short_name)].append(u.id)

    def matches(self, unit: _UnitRow, text: str, kinds: dict[str, str]) -> bool:
        """True when `text` names the unit, with or without its kind."""
        key, kind, rest = _name_parts(text, kinds)
        full, short = _norm(unit.name), _norm(unit.short_name)
        return key in (full, short) or rest == short or (kind is not None and _norm(f"{kind} {rest}") == full)

    def written_as(self, unit_id: int, text: str, kinds: dict[str, str]) -> bool:
        """True when `text` names the unit with its very diacritics (with or without its kind)."""
        unit = self.rows[unit_id]
        words = _kind_prefix(text, kinds)[3]
        written = {_exact(text), _exact(_strip_words(text, words))}
        return bool(written & {_exact(unit.name), _exact(unit.short_name)})

    def ancestor(self, unit_id: int, tier: str) -> _UnitRow | None:
        """The unit's ancestor of a tier, if loaded."""
        seen = 0
        current = self.rows.get(unit_id)
        while current is not None and seen < 10:
            if current.tier == tier:
                return current
            current = self.rows.get(current.parent_id) if current.parent_id is not None else None
            seen += 1
        return None

    def communes(self, text: str) -> list[int]:
        """In-scope communes the text names: by full name, then by the name without its kind."""
        key, kind, rest = _name_parts(text, COMMUNE_KINDS)
        found = list(self.by_full.get(key, []))
        if not found and kind is not None:
            found = list(self.by_full.get(_norm(f"{kind} {rest}"), []))
        if not found:
            found = list(self.by_short.get(rest, [])) or list(self.by_short.get(key, []))
        return found

    def describe(self, unit_id: int) -> str:
        """"Xã Lương Điền (Huyện Vĩnh Tường, Tỉnh Vĩnh Phúc)"."""
        unit = self.rows[unit_id]
        above = [a.name for t in ("district", "province") if (a := self.ancestor(unit_id, t)) is not None]
        return f"{unit.name} ({', '.join(above)})" if above else unit.name


class _Planner:
    """Builds an ImportPlan from a parsed workbook, reading the database but never writing to it."""

    def __init__(self, session: Session, actor: Actor, *, today: date, default_commune_id: int | None,
                 progress: Progress | None) -> None:
        self.session, self.actor, self.today, self.progress = session, actor, today, progress
        self.problems: list[Problem] = []
        self.units = _Units(session, actor)
        self.default_commune = self._default_commune(default_commune_id)
        self.ops = _Ops()
        self._commune_cache: dict[tuple[str, str, str], int | str] = {}
        self.spellings: dict[tuple[int, str], set[str]] = defaultdict(set)  # (commune, folded) → "Phú Mỹ"…

    # -- problems
    def problem(self, row: _Row, key: str | None, message: str) -> None:
        """Record a problem at a row and column (the column as the file names it); the row is not planned further."""
        self.problems.append(Problem(row.sheet.title, row.row, row.sheet.label(key) if key else None, message))
        row.bad = True

    def _default_commune(self, commune_id: int | None) -> int | None:
        """The commune to use when a row names none: the page's chosen commune, or the officer's own."""
        for candidate in (commune_id, self.actor.unit_id):
            unit = self.units.rows.get(candidate) if candidate is not None else None
            if unit is not None and unit.tier == "commune" and unit.in_scope:
                return unit.id
        return None

    # -- step 1: cells
    def read_rows(self, sheet: SheetTable) -> Iterable[_Row]:
        """The sheet's data rows as _Row, skipping blank and numbering rows, stopping at the footer."""
        cols = sheet.columns
        unit_and_team = [cols[k] for k in (*UNIT_KEYS, *TEAM_KEYS, "village_kind") if k in cols]
        member_cols = [cols[k] for k in MEMBER_KEYS if k in cols]
        note = cols.get("note")
        for n, (excel_row, values) in enumerate(sheet.rows):
            texts = [_fold(v) if isinstance(v, str) else str(v) for c, v in enumerate(values)
                     if not _is_empty(v) and c != note]
            if not texts:
                continue
            if any(_FOOTER.match(t) or _DATE_LINE.match(t) for t in texts):
                break
            if excel_row in sheet.banners:
                continue
            if n < 3 and all(_NUMBERING.match(t) for t in texts):  # "(1) (2) (3)…" under the header
                continue

            def cell(key: str) -> Any:
                c = cols.get(key)
                return values[c] if c is not None and c < len(values) else None

            name = _text(cell("full_name"))
            if name is None and "given_name" in cols:  # "Họ và đệm" | "Tên"
                name = " ".join(p for p in (_text(cell("family_name")), _text(cell("given_name"))) if p) or None
            has_member = any(c < len(values) and not _is_empty(values[c]) for c in member_cols)
            if name is not None and not has_member and _HEADING.match(name.lower()):
                continue  # a group heading in the name column
            has_unit = any(c < len(values) and not _is_empty(values[c]) for c in unit_and_team)
            if name is None and not has_member and not has_unit:
                continue  # only a sequence number or notes in unknown columns
            row = _Row(sheet=sheet, row=excel_row)
            for key in ("province", "district", "commune", "village", "village_kind", "team_name", "position"):
                setattr(row, key, _text(cell(key)))
            row.full_name = name
            row.has_member_data = has_member
            self._read_member_cells(row, cell)
            row.decision_no = _text(cell("decision_no"))
            for key in ("established_on", "joined_on"):
                try:
                    setattr(row, key, parse_date(cell(key)))
                except ValueError as err:
                    self.problem(row, key, f"“{err}” không phải ngày hợp lệ (ghi dạng dd/mm/yyyy, ví dụ 01/07/2022).")
            if row.decision_no and row.established_on is None:
                row.decision_no, row.established_on = _split_decision(row.decision_no)
            yield row

    def _read_member_cells(self, row: _Row, cell: Callable[[str], Any]) -> None:
        """Gender, year of birth, phone, role and organisation, as the officer wrote them."""
        try:
            row.birth_year = _birth_year(cell("birth_year"))
        except ValueError as err:
            self.problem(row, "birth_year", f"Năm sinh “{err}” không hợp lệ (ghi 4 chữ số, ví dụ 1995).")
        gender_text = _text(cell("gender"))
        if gender_text is not None:
            row.gender = GENDER_WORDS.get(_norm(gender_text))
            if row.gender is None:
                self.problem(row, "gender", f"Giới tính “{gender_text}” không rõ: ghi Nam hoặc Nữ.")
        for key, gender in (("birth_male", "male"), ("birth_female", "female")):
            value = cell(key)
            if _is_empty(value):
                continue
            row.gender = gender
            if (isinstance(value, str) and _norm(value) in MARKS) or (isinstance(value, (int, float)) and value == 1):
                continue  # a tick, not a year
            try:
                row.birth_year = _birth_year(value)
            except ValueError as err:
                self.problem(row, key, f"Năm sinh “{err}” không hợp lệ (ghi 4 chữ số, ví dụ 1995).")
        row.phone = _phone_text(cell("phone"))
        role_text = _text(cell("role"))
        if role_text is not None:
            row.role = ROLE_WORDS.get(_norm(role_text))
            if row.role is None:
                self.problem(row, "role", f"Vai trò “{role_text}” không rõ: ghi Tổ trưởng, Tổ phó hoặc Thành viên.")
        org_text = _text(cell("organisation"))
        if org_text is not None:
            row.organisation, row.organisation_known = organisation_code(org_text)

    # -- step 2: communes
    def resolve_commune(self, row: _Row) -> int | None:
        """The row's commune in scope, by name and, when the name is shared, by district and province."""
        if row.commune is None:
            from_title = self._sheet_commune(row.sheet)
            if from_title is not None:
                return from_title
            if self.default_commune is not None:
                return self.default_commune
            self.problem(row, "commune", "Thiếu tên xã, phường, thị trấn.")
            return None
        cache_key = (row.commune, row.district or "", row.province or "")
        cached = self._commune_cache.get(cache_key)
        if cached is None:
            cached = self._find_commune(row.commune, row.district, row.province)
            self._commune_cache[cache_key] = cached
        if isinstance(cached, str):
            self.problem(row, "commune", cached)
            return None
        return cached

    def _sheet_commune(self, sheet: SheetTable) -> int | None:
        """A sheet without a commune column, titled with a commune's name ("Tam Phước"): that commune."""
        if "commune" in sheet.columns:
            return None
        key = ("", "", f"sheet:{sheet.title}")
        if key not in self._commune_cache:
            found = self.units.communes(sheet.title)
            self._commune_cache[key] = found[0] if len(found) == 1 else ""
        cached = self._commune_cache[key]
        return cached if isinstance(cached, int) else None

    def _find_commune(self, commune: str, district: str | None, province: str | None) -> int | str:
        """A commune id, or the Vietnamese message saying why there is none."""
        found = self.units.communes(commune)
        where = []
        if district:
            where.append(district)
            found = [c for c in found if (a := self.units.ancestor(c, "district")) is None
                     or self.units.matches(a, district, DISTRICT_KINDS)]
        if province:
            where.append(province)
            found = [c for c in found if (a := self.units.ancestor(c, "province")) is None
                     or self.units.matches(a, province, PROVINCE_KINDS)]
        if len(found) > 1:  # "Tam Dân" and "Tam Đàn" fold alike: the diacritics as written tell them apart
            exact = [c for c in found if self.units.written_as(c, commune, COMMUNE_KINDS)]
            found = exact if len(exact) == 1 else found
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            names = "; ".join(self.units.describe(c) for c in found[:6])
            return (f"“{commune}” trùng tên nhiều xã, phường, thị trấn: {names}. "
                    "Hãy ghi thêm cột Huyện và Tỉnh để phân biệt.")
        place = f" thuộc {', '.join(where)}" if where else ""
        if self._exists_outside_scope(commune):
            return f"“{commune}”{place} nằm ngoài phạm vi tài khoản của bạn."
        return f"Không tìm thấy xã, phường, thị trấn “{commune}”{place}."

    def _exists_outside_scope(self, commune: str) -> bool:
        if self.actor.is_national:
            return False
        key, kind, rest = _name_parts(commune, COMMUNE_KINDS)
        names = {key, rest} | {_norm(f"{k} {rest}") for k in set(COMMUNE_KINDS.values())}
        if kind is not None:
            names.add(_norm(f"{kind} {rest}"))
        stmt = select(Unit.id).where(Unit.tier == "commune", Unit.search_name.in_(sorted(names))).limit(1)
        return self.session.scalar(stmt) is not None

    # -- step 3: villages, teams, members of the communes named
    def load(self, commune_ids: set[int]) -> None:
        """Villages, teams and their members under the communes the file names, indexed for matching."""
        # (commune, folded full name) and (commune, folded short name) → [(id, kind, full name)]
        self.village_full: dict[tuple[int, str], list[tuple[int, str, str]]] = defaultdict(list)
        self.village_short: dict[tuple[int, str], list[tuple[int, str, str]]] = defaultdict(list)
        self.village_names: dict[int, str] = {}
        self.village_short_names: dict[int, str] = {}
        ids = sorted(commune_ids)
        for part in _chunks(ids):
            for vid, parent, kind, name, short in self.session.execute(
                select(Unit.id, Unit.parent_id, Unit.kind, Unit.name, Unit.short_name)
                .where(Unit.parent_id.in_(part), Unit.tier == "village")
            ):
                self.village_full[(parent, _norm(name))].append((vid, kind, name))
                self.village_short[(parent, _norm(short))].append((vid, kind, name))
                self.village_names[vid] = name
                self.village_short_names[vid] = short
        unit_ids = ids + sorted(self.village_names)
        self.open_team: dict[int, dict] = {}
        self.closed_teams: dict[int, list[dict]] = defaultdict(list)
        team_cols = [Team.id, Team.unit_id, Team.name, Team.established_on, Team.decision_no, Team.closed_on, Team.note]
        for part in _chunks(unit_ids):
            for r in self.session.execute(select(*team_cols).where(Team.unit_id.in_(part))).mappings():
                team = dict(r)
                if team["closed_on"] is None:
                    self.open_team[team["unit_id"]] = team
                else:
                    self.closed_teams[team["unit_id"]].append(team)
        self.members: dict[int, list[dict]] = defaultdict(list)
        member_cols = [c for c in Member.__table__.columns if c.key != "created_at"]
        team_ids = sorted(t["id"] for t in self.open_team.values())
        for part in _chunks(team_ids):
            for r in self.session.execute(select(*member_cols).where(Member.team_id.in_(part))).mappings():
                self.members[r["team_id"]].append(dict(r))
        self.ops.units = {i: self.units.rows[i] for i in ids}

    def resolve_village(self, row: _Row, commune_id: int) -> UnitRef | None:
        """The village the row names under its commune, or a new one to create."""
        text = row.village
        assert text is not None
        key, kind, rest, words = _kind_prefix(text, VILLAGE_KIND_ALIASES)
        hint = None
        if row.village_kind is not None:
            hint = VILLAGE_KIND_ALIASES.get(_norm(row.village_kind))
            if hint is None:
                self.problem(row, "village_kind",
                             f"Loại “{row.village_kind}” không rõ: ghi một trong {', '.join(vocab.VILLAGE_KINDS)}.")
                return None
        if key in VILLAGE_KIND_ALIASES:  # "Thôn" and nothing else
            self.problem(row, "village", "Tên thôn, khối phố không được để trống.")
            return None
        full, by_short = self.village_full, self.village_short
        if kind is not None:  # "Thôn Phú Mỹ", "KP.3": the kind is part of the name
            hits = full.get((commune_id, key)) or full.get((commune_id, _norm(f"{kind} {rest}"))) or []
            short = _strip_words(text, words)
        elif hint is not None:  # "Phú Mỹ" with "Thôn" in the Loại column
            hits = full.get((commune_id, _norm(f"{hint} {text}"))) or []
            short, kind = text, hint
        else:  # "Phú Mỹ": whatever its kind
            hits = by_short.get((commune_id, key)) or full.get((commune_id, key)) or []
            short, kind = text, DEFAULT_VILLAGE_KIND
        if len(hits) > 1:  # "Thôn Đông" and "Thôn Đồng": the one written with these diacritics, if just one
            written = {_exact(text), _exact(f"{kind} {short}")}
            exact = [v for v in hits if {_exact(v[2]), _exact(self.village_short_names[v[0]])} & written]
            hits = exact if len(exact) == 1 else hits
        if len(hits) > 1:
            names = ", ".join(v[2] for v in hits)
            self.problem(row, "village", f"“{text}” trùng tên nhiều thôn trong xã: {names}. Hãy ghi rõ loại (Thôn, Khối phố…).")
            return None
        if hits:
            return hits[0][0]
        kind = hint or kind
        try:
            short = require_text(short, field="name", label="Tên thôn, khối phố")
        except UserError as err:
            self.problem(row, "village", err.message)
            return None
        if not _has_marks(short):  # "phu my": the spelling with diacritics the file gives elsewhere, if one
            spellings = sorted(self.spellings.get((commune_id, _norm(short)), ()))
            if len(spellings) > 1:
                self.problem(row, "village", f"“{text}” viết không dấu, có thể là {' hoặc '.join(spellings)} "
                                             "trong cùng tệp; hãy ghi có dấu.")
                return None
            short = spellings[0] if spellings else short
        full = f"{kind} {short}"
        exact = _exact(full)
        self.ops.villages.setdefault((commune_id, exact), _NewVillage(commune_id, kind, short, full))
        return ("new", commune_id, exact)

    def note_spelling(self, commune_id: int, village: str) -> None:
        """Remember a village name written with diacritics, for the rows that write it without."""
        short = _strip_words(village, _kind_prefix(village, VILLAGE_KIND_ALIASES)[3])
        if _has_marks(short):
            self.spellings[(commune_id, _norm(short))].add(clean(short))


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start:start + CHUNK]


def _unit_name(planner: _Planner, ref: UnitRef) -> str:
    """"Thôn Phú Mỹ" or "Xã Tam Phước": the unit's full name, created or not."""
    if isinstance(ref, int):
        return planner.village_names.get(ref) or planner.units.rows[ref].name
    _, commune_id, folded = ref
    return planner.ops.villages[(commune_id, folded)].name


def _unit_label(planner: _Planner, ref: UnitRef, commune_id: int) -> str:
    """The unit with its commune and district, for the preview."""
    names = [_unit_name(planner, ref)]
    if ref != commune_id:
        names.append(planner.units.rows[commune_id].name)
    district = planner.units.ancestor(commune_id, "district")
    if district is not None:
        names.append(district.name)
    return ", ".join(names)


def plan_import(
    session: Session,
    *,
    actor: Actor,
    source: bytes | ParsedWorkbook,
    today: date | None = None,
    default_commune_id: int | None = None,
    progress: Progress | None = None,
) -> ImportPlan:
    """Read the file (unless already read) and say, row by row, what importing it would do; writes nothing."""
    if actor.role not in WRITER_ROLES:
        raise PermissionDenied("Chỉ cán bộ địa bàn và quản trị hệ thống được nhập dữ liệu từ Excel.")
    today = today or date.today()
    book = source if isinstance(source, ParsedWorkbook) else read_workbook(source, progress=progress)
    if progress:
        progress(0.3, "Đang đối chiếu với dữ liệu đã có…")
    planner = _Planner(session, actor, today=today, default_commune_id=default_commune_id, progress=progress)
    rows: list[_Row] = []
    for sheet in book.sheets:
        rows.extend(planner.read_rows(sheet))
    # Units: a member row with no unit at all continues the team above (cells left blank under a group).
    communes: dict[int, int] = {}  # id(row) → commune id
    previous: dict[str, _Row] = {}
    for row in rows:
        if row.bad:
            continue
        sheet = row.sheet
        blank_unit = all(getattr(row, k) is None for k in UNIT_KEYS)
        above = previous.get(sheet.title)
        if (blank_unit and (row.full_name is not None or row.has_member_data) and above is not None
                and sheet.columns.keys() & {"village", "commune"}):
            for key in UNIT_KEYS:
                setattr(row, key, getattr(above, key))
        commune_id = planner.resolve_commune(row)
        if commune_id is None:
            continue
        communes[id(row)] = commune_id
        previous[sheet.title] = row
        if row.village is not None:
            planner.note_spelling(commune_id, row.village)
    planner.load(set(communes.values()))
    if progress:
        progress(0.45, "Đang kiểm tra từng dòng…")

    preview: list[PreviewRow] = []
    team_rows: dict[TeamKey, list[tuple[_Row, PreviewRow]]] = defaultdict(list)
    team_units: dict[TeamKey, UnitRef] = {}
    new_villages_seen: dict[UnitRef, int] = {}  # a new village → the first row naming it
    for row in rows:
        line = PreviewRow(sheet=row.sheet.title, row=row.row, member=row.full_name or "")
        preview.append(line)
        commune_id = communes.get(id(row))
        if row.bad or commune_id is None:
            continue
        sheet = row.sheet
        wants_team = sheet.has_members or any(k in sheet.columns for k in TEAM_KEYS)
        if row.village is None and not wants_team and "village" in sheet.columns:
            planner.problem(row, "village", "Thiếu tên thôn, khối phố.")
            continue
        if row.village is not None:
            unit = planner.resolve_village(row, commune_id)
            if unit is None:
                continue
            if isinstance(unit, int):
                line.village = "Đã có"
            elif unit in new_villages_seen:
                line.village = f"Tạo mới (như dòng {new_villages_seen[unit]})"
            else:
                line.village = "Tạo mới"
                new_villages_seen[unit] = row.row
        else:
            unit = commune_id  # a commune team (tổ xã)
            line.village = "—"
        line.place = _unit_label(planner, unit, commune_id)
        if not wants_team:
            continue
        if isinstance(unit, int) and unit in planner.open_team:
            key: TeamKey = ("team", planner.open_team[unit]["id"])
        else:
            key = ("new", unit)
        team_units[key] = unit
        team_rows[key].append((row, line))
    if progress:
        progress(0.55, "Đang kiểm tra tổ và thành viên…")
    for key, members in team_rows.items():
        _plan_team(planner, key, team_units[key], members)
    for row, line in zip(rows, preview, strict=True):
        if row.bad or "Có lỗi" in (line.team_action, line.member_action):
            line.status = "Có lỗi"

    ops = planner.ops
    plan = ImportPlan(
        rows=preview,
        problems=_grouped(planner.problems),
        villages_created=len(ops.villages),
        teams_created=len(ops.teams),
        teams_updated=len(ops.team_updates),
        members_created=len(ops.members),
        members_updated=len(ops.member_updates),
        skipped_sheets=book.skipped,
        ops=ops,
    )
    if not rows and not plan.problems:
        plan.problems.append(Problem(book.sheets[0].title, None, None, "Bảng không có dòng dữ liệu nào dưới dòng tiêu đề."))
    if progress:
        progress(0.6, "Đã kiểm tra xong.")
    return plan


def _first(planner: _Planner, rows: list[tuple[_Row, PreviewRow]], key: str) -> Any:
    """The first value of a team column among its rows; a different value on a later row is a problem."""
    value, where = None, None
    for row, _ in rows:
        v = getattr(row, key)
        if v is None:
            continue
        if value is None:
            value, where = v, row
        elif (_norm(v) if isinstance(v, str) else v) != (_norm(value) if isinstance(value, str) else value):
            shown = f"{value:%d/%m/%Y}" if isinstance(value, date) else value
            planner.problem(row, key, f"Khác với dòng {where.row} của cùng tổ (“{shown}”).")  # type: ignore[union-attr]
    return value


def _plan_team(planner: _Planner, key: TeamKey, unit: UnitRef, rows: list[tuple[_Row, PreviewRow]]) -> None:
    """Plan one team (new or open) and its member rows."""
    name_in_file = _first(planner, rows, "team_name")
    decision_in_file = _first(planner, rows, "decision_no")
    start_in_file = _first(planner, rows, "established_on")
    unit_name = _unit_name(planner, unit)
    team_start: date | None
    existing: dict | None = None
    if key[0] == "team":
        existing = planner.open_team[unit]  # type: ignore[index]
        team_name, team_start = existing["name"], existing["established_on"]
        changes: dict[str, Any] = {}
        try:
            if name_in_file is not None and _norm(name_in_file) != _norm(existing["name"]):
                changes["name"] = require_text(name_in_file, field="name", label="Tên tổ", max_len=200)
            if decision_in_file is not None and decision_in_file != (existing["decision_no"] or ""):
                changes["decision_no"] = optional_text(decision_in_file, field="decision_no", label="Số quyết định", max_len=60)
            if start_in_file is not None and start_in_file != existing["established_on"]:
                changes["established_on"] = _check_start(planner, unit, start_in_file, exclude=existing["id"])
                earliest = min((m["joined_on"] for m in planner.members.get(existing["id"], [])), default=None)
                if earliest is not None and changes["established_on"] > earliest:
                    raise UserError(f"Ngày thành lập không được sau ngày tham gia của thành viên đầu tiên ({earliest:%d/%m/%Y}).",
                                    field="established_on")
        except UserError as err:
            _team_problem(planner, rows, err)
            return
        if changes:
            planner.ops.team_updates[existing["id"]] = (_audit_values(Team, existing), changes)
            team_start = changes.get("established_on", team_start)
            team_name = changes.get("name", team_name)
            action = "Cập nhật: " + ", ".join(_FIELD_WORDS[k] for k in changes)
        else:
            action = "Đã có"
    else:
        team_name = name_in_file or f"Tổ CNSCĐ {unit_name}"
        try:
            team_name = require_text(team_name, field="name", label="Tên tổ", max_len=200)
            decision = optional_text(decision_in_file, field="decision_no", label="Số quyết định", max_len=60)
            if start_in_file is None:
                raise UserError("Tổ mới cần ngày thành lập.", field="established_on")
            team_start = _check_start(planner, unit, start_in_file, exclude=None)
        except UserError as err:
            _team_problem(planner, rows, err)
            return
        planner.ops.teams[key] = _NewTeam(unit, team_name, team_start, decision)
        action = "Tạo mới"
    for i, (_, line) in enumerate(rows):
        line.team = team_name
        line.team_action = action if i == 0 or action == "Đã có" else f"{action.split(':')[0]} (như dòng {rows[0][0].row})"
    _plan_members(planner, key, existing, team_start, rows)


def _check_start(planner: _Planner, unit: UnitRef, start: date, *, exclude: int | None) -> date:
    """A team's start date: not in the future, and after every earlier team of the unit stopped."""
    start = require_past_date(start, field="established_on", label="Ngày thành lập", today=planner.today)
    if isinstance(unit, int):
        for team in planner.closed_teams.get(unit, []):
            if team["id"] != exclude and team["closed_on"] > start:
                raise UserError(
                    f"Địa bàn đã có tổ “{team['name']}” hoạt động đến {team['closed_on']:%d/%m/%Y}; "
                    "ngày thành lập tổ mới phải từ ngày đó trở đi.", field="established_on")
    return start


def _team_problem(planner: _Planner, rows: list[tuple[_Row, PreviewRow]], err: UserError) -> None:
    row, _ = rows[0]
    key = {"name": "team_name", "decision_no": "decision_no", "established_on": "established_on"}.get(err.field or "")
    planner.problem(row, key, err.message)
    for _, line in rows:
        line.team_action = "Có lỗi"


_FIELD_WORDS = {
    "name": "tên tổ", "decision_no": "số quyết định", "established_on": "ngày thành lập", "gender": "giới tính",
    "birth_year": "năm sinh", "phone": "điện thoại", "role": "vai trò", "organisation": "tổ chức", "position": "chức vụ",
    "joined_on": "ngày tham gia",
}
_MEMBER_FIELD_KEYS = {"full_name": "full_name", "phone": "phone", "position": "position", "role": "role",
                      "organisation": "organisation", "gender": "gender", "birth_year": "birth_year",
                      "joined_on": "joined_on"}
_MEMBER_FIELDS = ("gender", "birth_year", "phone", "role", "organisation", "position", "joined_on")


def _plan_members(planner: _Planner, key: TeamKey, existing: dict | None, team_start: date,
                  rows: list[tuple[_Row, PreviewRow]]) -> None:
    """New members and corrections of the team's active members, one Tổ trưởng at most."""
    current = [m for m in planner.members.get(existing["id"], [])] if existing else []
    active = {}
    for m in current:
        if m["left_on"] is None:
            active.setdefault(fold(m["full_name"]), m)
    roles = {m["id"]: m["role"] for m in current if m["left_on"] is None}  # after the import
    leader_rows: list[_Row] = []
    seen: dict[str, int] = {}
    for row, line in rows:
        if row.full_name is None:
            if row.has_member_data:
                planner.problem(row, "full_name", "Thiếu họ và tên thành viên.")
                line.member_action = "Có lỗi"
            continue
        folded = fold(row.full_name)
        if folded in seen:
            planner.problem(row, "full_name", f"“{row.full_name}” trùng với dòng {seen[folded]} của cùng tổ.")
            line.member_action = "Có lỗi"
            continue
        seen[folded] = row.row
        match = active.get(folded)
        base = match or {}
        data = MemberInput(
            full_name=match["full_name"] if match else row.full_name,
            gender=row.gender or base.get("gender"),
            birth_year=row.birth_year if row.birth_year is not None else base.get("birth_year"),
            phone=row.phone if row.phone is not None else base.get("phone"),
            role=row.role or base.get("role") or "member",
            organisation=(row.organisation if row.organisation_known or not match else None) or base.get("organisation") or "other",
            position=row.position if row.position is not None else base.get("position"),
            joined_on=row.joined_on or base.get("joined_on"),
        )
        try:
            checked = _validated_member(data, row=None, team_start=team_start, today=planner.today)
        except UserError as err:
            column = _MEMBER_FIELD_KEYS.get(err.field or "", None)
            if column == "birth_year" and "birth_year" not in row.sheet.columns:
                column = "birth_male" if row.gender == "male" else "birth_female"
            planner.problem(row, column, err.message)
            line.member_action = "Có lỗi"
            continue
        values = {k: getattr(checked, k) for k in ("full_name", *_MEMBER_FIELDS)}
        if checked.role == "leader":
            leader_rows.append(row)
        if match:
            roles[match["id"]] = checked.role
            changes = {k: v for k, v in values.items() if k != "full_name" and v != match[k]}
            if changes:
                planner.ops.member_updates.append((match["id"], _audit_values(Member, match), changes))
                line.member_action = "Cập nhật: " + ", ".join(_FIELD_WORDS[k] for k in changes)
            else:
                line.member_action = "Đã có"
        else:
            values["left_on"] = None
            planner.ops.members.append((key, values))
            line.member_action = "Thêm mới"
    leaders_kept = [m for m in current if m["left_on"] is None and roles.get(m["id"]) == "leader"
                    and fold(m["full_name"]) not in seen]
    if len(leader_rows) + len(leaders_kept) > 1:
        if leaders_kept:
            message = (f"Tổ đã có Tổ trưởng “{leaders_kept[0]['full_name']}”; mỗi tổ chỉ có một Tổ trưởng đang hoạt động "
                       "(hãy ghi người đó là Thành viên hoặc Tổ phó trong tệp nếu đổi Tổ trưởng).")
            culprits = leader_rows
        else:
            message = f"Mỗi tổ chỉ có một Tổ trưởng đang hoạt động; tổ này đã có Tổ trưởng ở dòng {leader_rows[0].row}."
            culprits = leader_rows[1:]
        for row in culprits:
            planner.problem(row, "role", message)


def _grouped(problems: list[Problem]) -> list[Problem]:
    """One line per repeated problem (a misspelt commune on 300 rows), naming the other rows."""
    groups: dict[tuple[str, str | None, str], list[Problem]] = {}
    for p in problems:
        groups.setdefault((p.sheet, p.column, p.message), []).append(p)
    out = []
    for (sheet, column, message), items in groups.items():
        first = items[0]
        if len(items) > 1:
            others = [str(p.row) for p in items[1:] if p.row is not None]
            shown = ", ".join(others[:10]) + ("…" if len(others) > 10 else "")
            message = f"{message} (cùng lỗi ở {_num(len(others))} dòng khác: {shown})"
        out.append(Problem(sheet, first.row, column, message))
    return sorted(out, key=lambda p: (p.sheet, p.row or 0))


def _audit_values(model: type, values: dict) -> dict:
    """Column values for the audit trail, JSON-friendly (dates as ISO text)."""
    out = {}
    for col in model.__table__.columns:  # type: ignore[attr-defined]
        if col.key in values and col.key not in ("created_at", "updated_at"):
            v = values[col.key]
            out[col.key] = v.isoformat() if hasattr(v, "isoformat") else v
    return out


# ---- writing ------------------------------------------------------------------------------------


def apply_import(
    session: Session,
    *,
    actor: Actor,
    source: bytes | ParsedWorkbook,
    today: date | None = None,
    default_commune_id: int | None = None,
    progress: Progress | None = None,
) -> ImportPlan:
    """Plan the import in this transaction and, when nothing stops it, stage every change; never commits.

    Any problem raises a UserError and stages nothing, so the caller's transaction writes all rows or none.
    """
    plan = plan_import(session, actor=actor, source=source, today=today, default_commune_id=default_commune_id,
                       progress=progress)
    if not plan.ok:
        first = plan.problems[0]
        where = f" (trang “{first.sheet}”, dòng {first.row})" if first.row else ""
        raise UserError(f"Tệp còn {_num(len(plan.problems))} lỗi, chưa có gì được ghi. Lỗi đầu tiên{where}: {first.message}")
    if plan.changes:
        _write(session, actor, plan.ops, progress)
    if progress:
        progress(1.0, "Đã nhập xong.")
    return plan


# A None left out of an ORM bulk INSERT splits the rows into groups by which columns they name, and a
# member list with blank phones here and there became one statement per two rows (6,669 round trips for
# 10,000 members on PostgreSQL); NULLs written out keep every row in one executemany batch.
_BULK = {"render_nulls": True}


def _write(session: Session, actor: Actor, ops: _Ops, progress: Progress | None) -> None:
    """Bulk inserts and updates with one audit row per record and one data-version bump."""
    audit: list[dict] = []

    def log(action: str, entity: str, entity_id: int, before: dict | None, after: dict | None) -> None:
        audit.append(dict(user_id=actor.user_id, action=action, entity=entity, entity_id=entity_id, before=before, after=after))

    if progress:
        progress(0.65, "Đang ghi thôn, khối phố…")
    unit_ids: dict[UnitRef, int] = {}
    if ops.villages:
        keys = list(ops.villages)
        values = []
        for k in keys:
            v = ops.villages[k]
            commune = ops.units[v.commune_id]
            values.append(dict(parent_id=v.commune_id, structure=commune.structure, tier="village",
                               level=commune.level + 1, kind=v.kind, name=v.name, short_name=v.short,
                               search_name=fold(v.name), code=None, lat=None, lon=None))
        ids = list(session.scalars(insert(Unit).returning(Unit.id, sort_by_parameter_order=True), values,
                                   execution_options=_BULK))
        ancestors: dict[int, list[tuple[int, int]]] = defaultdict(list)
        communes = sorted({v.commune_id for v in ops.villages.values()})
        for part in _chunks(communes):
            for anc, desc, depth in session.execute(
                select(UnitPath.ancestor_id, UnitPath.descendant_id, UnitPath.depth).where(UnitPath.descendant_id.in_(part))
            ):
                ancestors[desc].append((anc, depth))
        paths = []
        for k, vid, val in zip(keys, ids, values, strict=True):
            unit_ids[("new", k[0], k[1])] = vid
            paths.append(dict(ancestor_id=vid, descendant_id=vid, depth=0))
            paths.extend(dict(ancestor_id=a, descendant_id=vid, depth=d + 1) for a, d in ancestors[k[0]])
            log("create", "units", vid, None, _audit_values(Unit, val | {"id": vid}))
        session.execute(insert(UnitPath), paths)

    if progress:
        progress(0.72, "Đang ghi tổ…")
    team_ids: dict[TeamKey, int] = {}
    if ops.teams:
        keys = list(ops.teams)
        values = []
        for k in keys:
            t = ops.teams[k]
            unit_id = t.unit if isinstance(t.unit, int) else unit_ids[t.unit]
            values.append(dict(unit_id=unit_id, name=t.name, established_on=t.established_on, decision_no=t.decision_no,
                               closed_on=None, note=None))
        ids = list(session.scalars(insert(Team).returning(Team.id, sort_by_parameter_order=True), values,
                                   execution_options=_BULK))
        for k, tid, val in zip(keys, ids, values, strict=True):
            team_ids[k] = tid
            log("create", "teams", tid, None, _audit_values(Team, val | {"id": tid}))
    if ops.team_updates:
        session.execute(update(Team), [{"id": tid, **changes} for tid, (_, changes) in ops.team_updates.items()])
        for tid, (before, changes) in ops.team_updates.items():
            log("update", "teams", tid, before, before | _audit_values(Team, changes))

    if progress:
        progress(0.8, "Đang ghi thành viên…")
    # Tổ trưởng changes go first: a demotion must land before the promotion the unique index checks.
    demoted = [u for u in ops.member_updates if u[1].get("role") == "leader" and "role" in u[2]]
    for batch in (demoted, [u for u in ops.member_updates if u not in demoted]):
        for mid, before, changes in batch:
            session.execute(update(Member), [{"id": mid, **changes}])
            log("update", "members", mid, before, before | _audit_values(Member, changes))
    if ops.members:
        values = []
        for k, member in ops.members:
            team_id = k[1] if k[0] == "team" else team_ids[k]
            values.append(member | {"team_id": team_id})
        ids = []
        for start in range(0, len(values), 2000):
            batch = values[start:start + 2000]
            ids.extend(session.scalars(insert(Member).returning(Member.id, sort_by_parameter_order=True), batch,
                                        execution_options=_BULK))
            if progress:
                progress(0.8 + 0.12 * min(1.0, (start + len(batch)) / len(values)),
                         f"Đang ghi thành viên ({_num(start + len(batch))}/{_num(len(values))})…")
        for mid, val in zip(ids, values, strict=True):
            log("create", "members", mid, None, _audit_values(Member, val | {"id": mid}))
    _refresh_counts(session, ops, new_units=list(unit_ids.values()), new_teams=list(team_ids.values()))
    if progress:
        progress(0.95, "Đang ghi nhật ký thay đổi…")
    for start in range(0, len(audit), 5000):
        session.execute(insert(AuditEntry), audit[start:start + 5000], execution_options=_BULK)
    bump_data_version(session)
    session.flush()


def _refresh_counts(session: Session, ops: _Ops, *, new_units: list[int], new_teams: list[int]) -> None:
    """Bring the kept counts up to date for every village and commune whose teams or members were written.

    The bulk inserts and updates above go past the ORM's flush listener, so this names the units itself.
    """
    teams = {*new_teams, *ops.team_updates, *(k[1] for k, _ in ops.members if k[0] == "team")}
    updated_members = [mid for mid, _, _ in ops.member_updates]
    for part in _chunks(updated_members):
        teams.update(session.scalars(select(Member.team_id).where(Member.id.in_(part))))
    units = set(new_units)
    for part in _chunks(sorted(teams)):
        units.update(session.scalars(select(Team.unit_id).where(Team.id.in_(part))))
    refresh_units(session, dict.fromkeys(units))


def import_summary(plan: ImportPlan) -> str:
    """What was written, for the success message and the command line."""
    n = _num
    return (f"Đã nhập: {n(plan.villages_created)} thôn, {n(plan.teams_created)} tổ, {n(plan.members_created)} thành viên mới; "
            f"cập nhật {n(plan.teams_updated)} tổ, {n(plan.members_updated)} thành viên.")
