"""Reading an uploaded workbook (no database): check the file, find each sheet's header, give plain rows.

The spreadsheets officers keep are messy: a title above the header, headers typed any way ("Họ và tên",
"HO TEN", "Số ĐT (*)"), two-row headers, the village and team cells merged down over a team's members.
`read_workbook` turns such a file into a `ParsedWorkbook` of `SheetTable`s: which column holds which key and
the data rows below the header, merged cells filled in. The limits on what is read live here too.
"""

import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from db import vocab
from db.errors import UserError
from db.imports.cells import is_empty, normalise
from db.text import clean, fold

MAX_BYTES = 10 * 1024 * 1024  # the upload limit (.streamlit/config.toml says the same)
MAX_ROWS = 50_000  # non-empty rows in the whole workbook
MAX_UNPACKED = 400 * 1024 * 1024  # a 10 MB zip that unpacks to more than this is not a list of members
MAX_COLUMNS = 80
HEADER_SCAN_ROWS = 25

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


_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')


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
                if any(not is_empty(v) for v in row):
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
