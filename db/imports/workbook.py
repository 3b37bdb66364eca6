"""Reading an uploaded workbook (no database): check the file, find each sheet's header, give plain rows.

The spreadsheets officers keep are messy: a title above the header, headers typed any way ("Họ và tên",
"HO TEN", "Số ĐT (*)"), two-row headers, the village and team cells merged down over a team's members.
`read_workbook` turns such a file into a `ParsedWorkbook` of `SheetTable`s: which column holds which key and
the data rows below the header, merged cells filled in. The file is checked while it streams, before any row
is made (db/limits.py, "Resources"), and only rows holding a value are made.
"""

import io
import re
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from db import limits, vocab
from db.errors import UserError
from db.imports.cells import is_empty, normalise
from db.text import clean, fold

# The limits live in db/limits.py ("Resources"); these names are read at call time, so a test may patch them here.
MAX_BYTES = limits.WORKBOOK_BYTES
MAX_UNPACKED = limits.WORKBOOK_UNPACKED_BYTES
MAX_SHEETS = limits.WORKBOOK_SHEETS
MAX_ROWS = limits.WORKBOOK_ROWS
MAX_COLUMNS = limits.WORKBOOK_COLUMNS
MAX_SHEET_CELLS = limits.WORKBOOK_SHEET_CELLS
MAX_SHARED_STRINGS_BYTES = limits.WORKBOOK_SHARED_STRINGS_BYTES
MAX_SHARED_STRINGS = limits.WORKBOOK_SHARED_STRINGS
MAX_MERGES = limits.WORKBOOK_MERGES
MAX_SECONDS = limits.WORKBOOK_SECONDS
HEADER_SCAN_ROWS = 25
CHUNK = 1024 * 1024  # bytes of a part unpacked at a time while it is scanned

Progress = Callable[[float, str], None]  # (fraction done, what is being done)


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
                    # one column for both: "Số 125/QĐ-UBND ngày 01/07/2022" (split by split_decision)
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


def header_key(text: object) -> str | None:
    """The column key a header cell names ("Họ và tên", "HO TEN", "Số ĐT (*)" …), or None."""
    if text is None:
        return None
    folded = normalise(str(text))
    if folded in _ALIAS_TO_KEY:
        return _ALIAS_TO_KEY[folded]
    bare = normalise(re.sub(r"\(.*?\)|\[.*?\]", " ", fold(str(text))))  # "Họ và tên (ghi đầy đủ)"
    return _ALIAS_TO_KEY.get(bare)


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
        return self.labels.get(key) or vocab.IMPORT_COLUMNS.get(key, key)

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


def _number(n: int) -> str:
    """1234567 → "1.234.567", as the messages write numbers."""
    return f"{n:,}".replace(",", ".")


class Budget:
    """The time one workbook may take to read (limits.WORKBOOK_SECONDS), checked as its parts stream."""

    def __init__(self) -> None:
        self.deadline = time.monotonic() + MAX_SECONDS

    def check(self) -> None:
        """A UserError once the time is up: the reading stops there, whatever it was doing."""
        if time.monotonic() > self.deadline:
            raise UserError(f"Tệp Excel này cần hơn {int(MAX_SECONDS)} giây để đọc, quá lâu so với một danh sách "
                            "thông thường. Hãy xóa các dòng, cột, trang tính thừa (kể cả chỉ có định dạng) hoặc chia "
                            "thành nhiều tệp nhỏ hơn.")


def _too_big(what: str) -> UserError:
    return UserError(f"Tệp Excel quá lớn: {what}. Hãy xóa phần thừa hoặc chia thành nhiều tệp nhỏ hơn.")


def _segments(archive: zipfile.ZipFile, name: str, budget: Budget) -> Iterator[bytes]:
    """A part's XML unpacked a chunk at a time, each piece cut before a '<' so that no tag is split in two."""
    carry = b""
    with archive.open(name) as part:
        while True:
            budget.check()
            chunk = part.read(CHUNK)
            if not chunk:
                if carry:
                    yield carry
                return
            data = carry + chunk
            cut = data.rfind(b"<")
            if cut <= 0 or len(data) - cut > CHUNK:  # no tag starts here, or a "tag" longer than a chunk: not XML we keep
                yield data
                carry = b""
            else:
                yield data[:cut]
                carry = data[cut:]


_OVERRIDE = re.compile(rb"<(?:\w+:)?Override\b[^>]*>")
_PART_NAME = re.compile(rb'\bPartName="/?([^"]+)"')
_SHARED_STRINGS_TYPE = b"spreadsheetml.sharedStrings+xml"
_SHEET_TAG = re.compile(rb"<(?:\w+:)?sheet[\s/>]")
_SI_END = re.compile(rb"</(?:\w+:)?si>|<(?:\w+:)?si\s*/>")


def _count(archive: zipfile.ZipFile, name: str, pattern: re.Pattern[bytes], budget: Budget) -> int:
    """How many times a tag occurs in a part, read as a stream."""
    return sum(len(pattern.findall(seg)) for seg in _segments(archive, name, budget))


def _shared_strings_part(archive: zipfile.ZipFile, names: set[str]) -> str | None:
    """The shared strings' part, named as [Content_Types].xml says (xl/sharedStrings.xml in practice)."""
    if "[Content_Types].xml" in names:
        for tag in _OVERRIDE.findall(archive.read("[Content_Types].xml")):
            if _SHARED_STRINGS_TYPE in tag and (m := _PART_NAME.search(tag)) and m.group(1).decode() in names:
                return m.group(1).decode()
    return "xl/sharedStrings.xml" if "xl/sharedStrings.xml" in names else None


def check_xlsx(data: bytes, budget: Budget | None = None) -> None:
    """Refuse what is not an .xlsx workbook we may read, whatever its name says, before openpyxl opens it.

    The size, the zip, xl/workbook.xml; then what one upload may cost once unpacked (db/limits.py, "Resources"):
    all parts unpacked, each part openpyxl reads whole, the number of sheets and of shared strings. The zip's
    declared sizes are what zipfile holds each part to when it unpacks, so a lying header cannot get past them.
    """
    budget = budget or Budget()
    if len(data) > MAX_BYTES:
        raise UserError(f"Tệp lớn hơn {MAX_BYTES // (1024 * 1024)} MB; hãy chia thành nhiều tệp nhỏ hơn.")
    if not data:
        raise UserError("Tệp trống, không có dữ liệu.")
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":  # OLE2: Excel 97–2003 .xls, or an encrypted workbook
        raise UserError("Đây là tệp Excel cũ (.xls) hoặc tệp có đặt mật khẩu. Hãy mở bằng Excel, bỏ mật khẩu nếu có, "
                        "rồi “Lưu thành” Excel Workbook (.xlsx) và tải lên lại.")
    not_xlsx = UserError("Tệp không phải bảng tính Excel .xlsx (dù tên tệp ghi gì). Hãy mở bằng Excel và lưu dưới "
                         "dạng Excel Workbook (.xlsx), hoặc dùng mẫu nhập dữ liệu.")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as err:
        raise not_xlsx from err
    with archive as opened:
        infos = opened.infolist()
        names = {info.filename for info in infos}
        if "xl/workbook.xml" not in names:
            raise not_xlsx
        if sum(info.file_size for info in infos) > MAX_UNPACKED:
            raise UserError("Tệp Excel quá lớn khi giải nén; hãy chia thành nhiều tệp nhỏ hơn.")
        # Sheets are streamed; every other part (shared strings, styles, the workbook…) openpyxl reads whole.
        whole = [info for info in infos if not info.filename.startswith("xl/worksheets/")]
        if any(info.file_size > MAX_SHARED_STRINGS_BYTES for info in whole):
            raise _too_big(f"phần dữ liệu dùng chung vượt {MAX_SHARED_STRINGS_BYTES // (1024 * 1024)} MB khi giải nén")
        try:
            sheets = _count(opened, "xl/workbook.xml", _SHEET_TAG, budget)
            shared = _shared_strings_part(opened, names)
            strings = _count(opened, shared, _SI_END, budget) if shared else 0
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as err:
            raise UserError("Không đọc được tệp Excel (tệp hỏng hoặc không đúng định dạng .xlsx).") from err
    if sheets > MAX_SHEETS:
        raise _too_big(f"có {_number(sheets)} trang tính, nhiều hơn {_number(MAX_SHEETS)}")
    if strings > MAX_SHARED_STRINGS:
        raise _too_big(f"có {_number(strings)} chuỗi chữ khác nhau, nhiều hơn {_number(MAX_SHARED_STRINGS)}")


_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\b[^>]*?\bref="([A-Z]*)(\d*)(?::([A-Z]+)(\d+))?"')
_VALUE_ENDS = (b"</v>", b":v>", b"</is>", b":is>")  # the end of a cell's value, or of its inline string
_REF_STARTS = (b' r="', b'\tr="', b'\nr="', b'\rr="')  # a cell's (or else its row's) reference
_REF = re.compile(rb'"([A-Z]*)(\d+)"')
_LOOKBACK = 64 * 1024  # bytes kept before a segment, to find the reference of a value that starts in the previous one


def _column_index(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n - 1


@dataclass
class SheetScan:
    """What one pass over a sheet's XML found, before any row is read."""

    last_row: int | None = 0  # 1-based row of the last cell holding a value; None when it could not be told
    last_column: int = 0  # 1-based column of that cell (0 when only its row is known)
    declared: tuple[int, int] | None = None  # rows and columns its <dimension> declares (not trusted, but counted)
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # 0-based r1, c1, r2, c2


def scan_sheet(archive: zipfile.ZipFile, name: str, budget: Budget) -> SheetScan:
    """Stream a sheet's XML once: its declared size, its last cell holding a value, its merged ranges.

    Nothing is parsed: plain byte searches over each unpacked chunk. Rows that are only formatted (down to
    row 1,048,576, as Excel writes a sheet formatted to its end) hold no <v> or <is>, so the rows read
    afterwards stop at the last real one. openpyxl's read-only sheets do not expose merged cells; they sit
    in <mergeCells> after the cell data, where the same pass finds them.
    """
    scan = SheetScan()
    before = b""
    data = False
    for seg in _segments(archive, name, budget):
        if scan.declared is None and not data and b"dimension" in seg and (m := _DIMENSION.search(seg)):
            rows = int(m.group(4) or m.group(2) or 1) - int(m.group(2) or 1) + 1
            cols = _column_index(m.group(3) or m.group(1) or b"A") - _column_index(m.group(1) or b"A") + 1
            scan.declared = (max(rows, 1), max(cols, 1))
        data = data or b"sheetData" in seg  # <dimension> comes before the cells: no need to look for it after
        end = max(seg.rfind(tag) for tag in _VALUE_ENDS)
        if end >= 0 and scan.last_row is not None:
            window = before + seg[:end]
            start = max(window.rfind(tag) for tag in _REF_STARTS)
            m = _REF.match(window, start + 3) if start >= 0 else None
            if m is None:
                scan.last_row = None  # a cell without a reference this far back: read the sheet to its end
            elif int(m.group(2)) >= scan.last_row:
                scan.last_row = int(m.group(2))
                scan.last_column = _column_index(m.group(1)) + 1 if m.group(1) else 0
        if b"mergeCell" in seg:
            for m in _MERGE.finditer(seg):
                c1, r1 = _column_index(m.group(1)), int(m.group(2)) - 1
                c2 = _column_index(m.group(3)) if m.group(3) else c1
                r2 = int(m.group(4)) - 1 if m.group(4) else r1
                scan.merged.append((r1, c1, r2, c2))
                if len(scan.merged) > MAX_MERGES:
                    raise _too_big(f"một trang tính có hơn {_number(MAX_MERGES)} vùng ô gộp")
        before = seg[-_LOOKBACK:]
    return scan


def _check_area(title: str, scan: SheetScan) -> None:
    """Refuse a sheet whose values spread over more cells than the limit, counted up to its last value."""
    if scan.last_row is None:
        return  # read to its end under the time budget and the row limit
    columns = min(max(scan.last_column, scan.declared[1] if scan.declared else 1, 1), MAX_COLUMNS)
    if scan.last_row * columns > MAX_SHEET_CELLS:
        raise _too_big(f"trang tính “{clean(title)}” có dữ liệu tới dòng {_number(scan.last_row)}, "
                       f"hơn {_number(MAX_SHEET_CELLS)} ô")


@dataclass
class _Opened:
    """The parts of a workbook openpyxl has read whole (checked first): its zip, shared strings and date styles."""

    archive: zipfile.ZipFile
    shared_strings: list[Any]
    wb: Any  # the openpyxl Workbook, for its epoch and date formats
    sheets: list[tuple[str, str]]  # (title, path in the zip) of the visible worksheets, in order


def _open(data: bytes) -> _Opened:
    """Open the workbook as openpyxl's read-only load_workbook does, without its worksheet objects.

    A read-only worksheet parses its sheet's XML up to <dimension> when it is made, and to the end of
    <sheetData> when there is none: a 380 MB sheet without one would be parsed whole before any of our
    checks. The steps below are load_workbook's (openpyxl 3.1, pinned) up to the worksheets, which are listed
    instead, and read by _read_rows.
    """
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.styles.stylesheet import apply_stylesheet

    reader = ExcelReader(io.BytesIO(data), read_only=True, data_only=True)
    reader.read_manifest()
    reader.read_strings()
    reader.read_workbook()
    apply_stylesheet(reader.archive, reader.wb)  # the date formats: a date cell is read as a date
    sheets = [(sheet.name, rel.target) for sheet, rel in reader.parser.find_sheets()
              if rel.target in reader.valid_files and "chartsheet" not in rel.Type and (sheet.state or "visible") == "visible"]
    return _Opened(reader.archive, reader.shared_strings, reader.wb, sheets)


def _read_rows(book: _Opened, path: str, last_row: int | None, budget: Budget, counted: int) -> tuple[dict[int, list[Any]], int]:
    """The sheet's non-empty rows up to `last_row` (0-based index → values of the first MAX_COLUMNS columns).

    openpyxl's own parser, as its read-only iter_rows uses it, but without the empty rows iter_rows makes up
    for every row missing from the file (a million of them for one cell at row 1,048,576), and stopping at
    the last row holding a value instead of reading every formatted row below it. `counted` is the non-empty
    rows of the sheets before, for the workbook's row limit.
    """
    from openpyxl.worksheet._reader import WorkSheetParser  # openpyxl 3.1 (pinned), as ReadOnlyWorksheet uses it

    wb = book.wb
    rows: dict[int, list[Any]] = {}
    with book.archive.open(path) as source:
        parser = WorkSheetParser(source, book.shared_strings, data_only=True, epoch=wb.epoch,
                                 date_formats=wb._date_formats, timedelta_formats=wb._timedelta_formats)  # noqa: SLF001
        for n, (idx, cells) in enumerate(parser.parse()):
            if last_row is not None and idx > last_row:
                break
            if n % 1000 == 0:
                budget.check()
            kept = [(c["column"], c["value"]) for c in cells if c["column"] <= MAX_COLUMNS and not is_empty(c["value"])]
            if not kept:
                continue
            counted += 1
            if counted > MAX_ROWS:
                raise UserError(f"Tệp có hơn {_number(MAX_ROWS)} dòng dữ liệu; hãy chia thành nhiều tệp nhỏ hơn.")
            values: list[Any] = [None] * max(c for c, _ in kept)
            for column, value in kept:
                values[column - 1] = value
            rows[idx - 1] = values
    return rows, counted


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


def _fill_down(rows: dict[int, list[Any]], merged: list[tuple[int, int, int, int]], header_row: int, last: int,
               counted: int) -> int:
    """The data rows' merged ranges: each row of a range below the header, up to the sheet's last row with a value,
    gets the value of the range's top-left cell in the range's first column (the village or team over its members).

    A blank row inside a range becomes a row holding that value, so it counts toward the workbook's row limit
    like any other (`counted`, returned updated): a range over a million blank rows is refused, not made.
    """
    for r1, c1, r2, _c2 in merged:
        top = rows.get(r1, [])
        value = top[c1] if c1 < len(top) else None
        for r in range(max(r1, header_row + 1), min(r2, last) + 1):
            row = rows.get(r)
            if row is None:
                counted += 1
                if counted > MAX_ROWS:
                    raise UserError(f"Tệp có hơn {_number(MAX_ROWS)} dòng dữ liệu (kể cả các dòng nằm trong vùng ô gộp); "
                                    "hãy chia thành nhiều tệp nhỏ hơn.")
                row = rows[r] = []
            if len(row) <= c1:
                row.extend([None] * (c1 + 1 - len(row)))
            row[c1] = value
    return counted


def _check_merged(title: str, merged: list[tuple[int, int, int, int]], last: int) -> None:
    """Refuse merged ranges whose filling would write more cells than the limit (overlapping ranges, a range
    over a million rows): at most the header's rectangles plus every data row's first column."""
    head = sum((min(r2, HEADER_SCAN_ROWS - 1) - r1 + 1) * (min(c2, MAX_COLUMNS - 1) - c1 + 1)
               for r1, c1, r2, c2 in merged if r1 < HEADER_SCAN_ROWS)
    down = sum(max(0, min(r2, last) - r1 + 1) for r1, _c1, r2, _c2 in merged)
    if head + down > MAX_SHEET_CELLS:
        raise _too_big(f"trang tính “{clean(title)}” có vùng ô gộp phủ hơn {_number(MAX_SHEET_CELLS)} ô")


def read_workbook(data: bytes, *, progress: Progress | None = None) -> ParsedWorkbook:
    """Read every visible sheet's table from an .xlsx file's bytes; a UserError when it is not one we can read.

    Nothing is materialised before the file has been checked while streaming (check_xlsx, then scan_sheet per
    sheet), and then only the rows that hold a value, up to the last one: empty and formatted-only rows cost
    a byte search, not a row. Every limit is in db/limits.py ("Resources"); the time budget covers the whole read.
    """
    budget = Budget()
    check_xlsx(data, budget)
    if progress:
        progress(0.02, "Đang đọc tệp Excel…")
    damaged = "Không đọc được tệp Excel (tệp hỏng hoặc không đúng định dạng .xlsx)."
    try:
        book = _open(data)
    except Exception as err:  # noqa: BLE001 - openpyxl raises many types for a damaged file
        raise UserError(damaged) from err
    sheets: list[SheetTable] = []
    skipped: list[str] = []
    total = 0
    try:
        for i, (title, path) in enumerate(book.sheets):
            try:
                scan = scan_sheet(book.archive, path, budget)
                _check_area(title, scan)
                rows, total = _read_rows(book, path, scan.last_row, budget, total)
            except (zipfile.BadZipFile, zlib.error, EOFError, KeyError, SyntaxError, ValueError, TypeError) as err:
                raise UserError(damaged) from err  # ParseError is a SyntaxError; a bad cell a ValueError
            last = max(rows, default=-1)
            merged = [m for m in scan.merged if m[0] <= last and m[1] < MAX_COLUMNS]
            # The header rows get the whole merged rectangle ("Năm sinh" over "Nam" and "Nữ")…
            head = [list(rows.get(r, ())) for r in range(min(HEADER_SCAN_ROWS, last + 1))]
            _check_merged(title, merged, last)
            _fill(head, merged, down_only=False)
            found = _find_header(head)
            if found is None:
                skipped.append(title)
                continue
            header_row, columns, labels = found
            # …the data rows only its first column, downwards: the village or team over its members. A range
            # across three or more columns below the header is a heading ("I. XÃ TAM PHƯỚC"), not a row.
            total = _fill_down(rows, [m for m in merged if m[2] > header_row], header_row, last, total)
            banners = {r + 1 for r1, c1, r2, c2 in merged if r1 > header_row and c2 - c1 >= 2
                       for r in range(r1, min(r2, last) + 1)}
            table = [(r + 1, tuple(rows[r])) for r in sorted(rows) if r > header_row]
            sheets.append(SheetTable(title, header_row + 1, columns, labels, table, banners))
            if progress:
                progress(0.02 + 0.25 * (i + 1) / len(book.sheets), "Đang đọc tệp Excel…")
    finally:
        book.archive.close()
    if not sheets:
        raise UserError(
            "Không tìm thấy dòng tiêu đề của bảng. Bảng cần có các cột như “Họ và tên”, “Thôn”, “Xã” "
            "(có dấu hoặc không dấu); hãy dùng mẫu nhập dữ liệu."
        )
    return ParsedWorkbook(sheets, skipped)
