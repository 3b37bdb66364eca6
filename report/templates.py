"""Blank .xlsx templates for the Excel import: Vietnamese headers, drop-down lists, a sheet of instructions."""

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from db import vocab
from db.imports import MEMBER_TEMPLATE, TEAM_TEMPLATE, VILLAGE_TEMPLATE

DATA_ROWS = 2000  # rows the drop-down lists and formats cover
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_THIN = Side(style="thin", color="9BA9B4")

MEMBER_NOTES = [
    "Mỗi dòng là một thành viên. Có thể xóa các cột không dùng, đổi thứ tự cột, gộp ô (merge) cột Thôn và cột tổ "
    "cho các thành viên của cùng một tổ.",
    "Tỉnh, Huyện: không bắt buộc; chỉ cần ghi khi tên xã trùng với xã ở huyện, tỉnh khác.",
    "Xã: tên xã, phường, thị trấn, ghi “Tam Phước” hoặc “Xã Tam Phước” đều được.",
    "Thôn: tên thôn, khối phố (“Phú Mỹ” hoặc “Thôn Phú Mỹ”); thôn chưa có sẽ được tạo mới. "
    "Bỏ trống cột Thôn nếu là tổ cấp xã.",
    "Tên tổ: không bắt buộc (mặc định “Tổ CNSCĐ” + tên thôn). Số quyết định, Ngày thành lập: cần khi tổ chưa có "
    "trong hệ thống; ngày ghi dạng dd/mm/yyyy, ví dụ 01/07/2022.",
    "Giới tính: Nam hoặc Nữ. Năm sinh: 4 chữ số. Số điện thoại: số di động, ví dụ 0905 123 456 hoặc +84 905 123 456.",
    "Vai trò: " + ", ".join(vocab.MEMBER_ROLES.values()) + " (mỗi tổ một Tổ trưởng). Tổ chức: "
    + ", ".join(vocab.ORGANISATIONS.values()) + ".",
    "Nhập lại cùng một tệp không tạo trùng: thôn, tổ, thành viên đã có sẽ được giữ nguyên hoặc cập nhật.",
]
TEAM_NOTES = [
    "Mỗi dòng là một Tổ CNSCĐ (thành viên nhập bằng mẫu danh sách thành viên). Tỉnh, Huyện: không bắt buộc, chỉ cần "
    "khi tên xã trùng với xã nơi khác.",
    "Xã: “Tam Phước” hoặc “Xã Tam Phước”. Thôn: tên thôn, khối phố của tổ; thôn chưa có sẽ được tạo mới. "
    "Bỏ trống cột Thôn nếu là tổ cấp xã.",
    "Tên tổ: không bắt buộc (mặc định “Tổ CNSCĐ” + tên thôn). Ngày thành lập: bắt buộc với tổ mới, ghi dạng "
    "dd/mm/yyyy, ví dụ 01/07/2022.",
    "Tổ đã có trong hệ thống được cập nhật tên, số quyết định, ngày thành lập theo tệp; nhập lại cùng tệp không tạo trùng.",
]
VILLAGE_NOTES = [
    "Mỗi dòng là một thôn, khối phố. Tỉnh, Huyện: không bắt buộc, chỉ cần khi tên xã trùng với xã nơi khác.",
    "Xã: “Tam Phước” hoặc “Xã Tam Phước”. Loại: " + ", ".join(vocab.VILLAGE_KINDS) + " (mặc định Thôn).",
    "Tên thôn: không cần ghi chữ “Thôn”. Thôn đã có trong xã sẽ được bỏ qua, không tạo trùng.",
]


def _sheet(wb: Workbook, *, title: str, heading: str, headers: list[str], widths: dict[str, int]) -> Worksheet:
    """The data sheet: a title row, a blank row, then the header row (row 3), frozen under it."""
    ws = wb.active
    ws.title = title
    ws["A1"] = heading
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([])
    ws.append(headers)
    for i, header in enumerate(headers, start=1):
        cell = ws.cell(row=3, column=i)
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = Border(top=_THIN, bottom=_THIN, left=_THIN, right=_THIN)
        ws.column_dimensions[get_column_letter(i)].width = widths.get(header, 14)
    ws.freeze_panes = "A4"
    return ws


def _choices(ws: Worksheet, headers: list[str], header: str, options: list[str]) -> None:
    """A drop-down list under a header (typing another value is still allowed: the import checks it)."""
    column = get_column_letter(headers.index(header) + 1)
    rule = DataValidation(type="list", formula1='"' + ",".join(options) + '"', allow_blank=True, showErrorMessage=False)
    rule.add(f"{column}4:{column}{DATA_ROWS + 3}")
    ws.add_data_validation(rule)


def _format(ws: Worksheet, headers: list[str], header: str, number_format: str) -> None:
    column = headers.index(header) + 1
    for row in range(4, DATA_ROWS + 4):
        ws.cell(row=row, column=column).number_format = number_format


def _notes(wb: Workbook, notes: list[str]) -> None:
    """A second sheet of instructions, one line per cell (the import skips it: it has no header)."""
    ws = wb.create_sheet("Hướng dẫn")
    ws["A1"] = "Hướng dẫn điền mẫu"
    ws["A1"].font = Font(bold=True, size=13)
    for i, line in enumerate(notes, start=3):
        ws.cell(row=i, column=1, value=f"• {line}").alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["A"].width = 120


def _bytes(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def members_template() -> bytes:
    """One sheet, one row per member, with the village, commune and team columns on each row."""
    wb = Workbook()
    headers = MEMBER_TEMPLATE
    ws = _sheet(wb, title="Danh sách thành viên", heading="DANH SÁCH THÀNH VIÊN TỔ CÔNG NGHỆ SỐ CỘNG ĐỒNG",
                headers=headers, widths={"STT": 6, "Thôn": 20, "Xã": 18, "Tên tổ": 26, "Họ và tên": 26,
                                         "Tổ chức": 26, "Chức vụ": 22, "Số quyết định": 18, "Ngày thành lập": 15})
    _choices(ws, headers, "Giới tính", list(vocab.GENDERS.values()))
    _choices(ws, headers, "Vai trò", list(vocab.MEMBER_ROLES.values()))
    _choices(ws, headers, "Tổ chức", list(vocab.ORGANISATIONS.values()))
    _format(ws, headers, "Ngày thành lập", "DD/MM/YYYY")
    _format(ws, headers, "Số điện thoại", "@")  # text, so a leading 0 stays
    _format(ws, headers, "Số quyết định", "@")
    _notes(wb, MEMBER_NOTES)
    return _bytes(wb)


def teams_template() -> bytes:
    """One row per team: commune (district, province when needed), village (blank for a commune team), decision."""
    wb = Workbook()
    headers = TEAM_TEMPLATE
    ws = _sheet(wb, title="Danh sách tổ", heading="DANH SÁCH TỔ CÔNG NGHỆ SỐ CỘNG ĐỒNG", headers=headers,
                widths={"STT": 6, "Xã": 20, "Thôn": 20, "Tên tổ": 28, "Số quyết định": 18, "Ngày thành lập": 15})
    _format(ws, headers, "Ngày thành lập", "DD/MM/YYYY")
    _format(ws, headers, "Số quyết định", "@")
    _notes(wb, TEAM_NOTES)
    return _bytes(wb)


def villages_template() -> bytes:
    """One row per village: commune (district, province when needed), kind and name."""
    wb = Workbook()
    headers = VILLAGE_TEMPLATE
    ws = _sheet(wb, title="Danh sách thôn", heading="DANH SÁCH THÔN, KHỐI PHỐ", headers=headers,
                widths={"STT": 6, "Xã": 20, "Loại": 14, "Tên thôn": 26})
    _choices(ws, headers, "Loại", vocab.VILLAGE_KINDS)
    _notes(wb, VILLAGE_NOTES)
    return _bytes(wb)
