"""The meeting's words and tables, shared by the page, the slides, the PDF and the Excel download."""

import re
from datetime import date

import pandas as pd

from db.meeting import Meeting
from db.targets import PACE_WINDOW_DAYS, TargetProgress
from report import fmt, tables

SILENT_RULE = "Tổ chưa báo cáo: tổ đang hoạt động vào ngày cuối kỳ mà không có báo cáo hoạt động nào có ngày trong kỳ."


def period_text(m: Meeting) -> str:
    """ "từ 01/10/2026 đến 01/12/2026" """
    return f"từ {fmt.day(m.start)} đến {fmt.day(m.end)}"


def previous_text(m: Meeting) -> str:
    """What "so với kỳ trước" compares with."""
    return f"So với kỳ trước cùng độ dài, từ {fmt.day(m.previous_start)} đến {fmt.day(m.previous_end)}."


def progress_summary(progress: TargetProgress) -> list[str]:
    """The target in force and the projection, in sentences worded once for every surface."""
    target = progress.target
    if target:
        owner = f" (chỉ tiêu của {target.unit_name})" if target.inherited else ""
        lines = [f"Chỉ tiêu: {fmt.percent(target.value)} thôn có tổ trước ngày {fmt.day(target.due_on)}{owner}."]
    else:
        lines = ["Địa bàn này chưa có chỉ tiêu độ phủ; đường dự kiến tính tới mốc 100%."]
    if progress.reached:
        lines.append(f"Đã đạt {fmt.percent(progress.aim)} thôn có tổ.")
    elif progress.projected:
        lines.append(f"Theo tốc độ {PACE_WINDOW_DAYS} ngày gần nhất, dự kiến đạt {fmt.percent(progress.aim)} "
                     f"vào ngày {fmt.day(progress.projected)}.")
    else:
        lines.append(f"Độ phủ không tăng trong {PACE_WINDOW_DAYS} ngày gần nhất: chưa thể dự kiến ngày đạt chỉ tiêu.")
    return lines


def figures_sheet(m: Meeting) -> pd.DataFrame:
    """The headline figures as numbers for Excel: ratios in percent (one decimal), changes in points."""
    def cell(value: float, kind: str) -> float:
        return round(value * 100, 1) if kind == "ratio" else int(value)

    return pd.DataFrame({
        "Chỉ số": [f.label + (" (%)" if f.kind == "ratio" else "") for f in m.figures],
        "Kỳ này": [cell(f.value, f.kind) for f in m.figures],
        "Kỳ trước": [cell(f.previous, f.kind) for f in m.figures],
        "Tăng, giảm": [round(f.change * 100, 1) if f.kind == "ratio" else int(f.change) for f in m.figures],
        "Tử số/mẫu số": [fmt.figure_part(f) for f in m.figures],
        "Cách tính": [f.note for f in m.figures],
    })


def workbook_sheets(m: Meeting) -> dict[str, pd.DataFrame]:
    """Every table of the meeting, one sheet each, the headline figures first."""
    info = pd.DataFrame({"Mục": ["Địa bàn", "Kỳ báo cáo", "Kỳ trước", "Lập ngày"],
                         "Nội dung": [m.unit, period_text(m), f"từ {fmt.day(m.previous_start)} đến {fmt.day(m.previous_end)}",
                                      fmt.day(date.today())]})
    return {
        "Tổng hợp": figures_sheet(m),
        "Thông tin": info,
        "Độ phủ": tables.coverage_table(m.children),
        "Tiến độ": tables.progress_table(m.child_progress),
        "Hoạt động theo tháng": tables.months_table(m.months),
        "Tổ chưa báo cáo": tables.silent_table(m.silent),
    }


_TIER_WORDS = re.compile(r"^(Thành phố|Tỉnh|Huyện|Quận|Thị xã|Thị trấn|Xã|Phường|Đặc khu)\s+")


def place_name(m: Meeting) -> str:
    """The place in the report's date line: "Huyện Phú Ninh" → "Phú Ninh"; the country's report is dated in Hà Nội."""
    return "Hà Nội" if m.unit_id is None else _TIER_WORDS.sub("", m.unit)


def issuing_bodies(m: Meeting) -> tuple[str | None, str]:
    """The body above the issuer and the issuer, in capitals, as a report's header names them."""
    if m.unit_id is None:
        return None, "BỘ KHOA HỌC VÀ CÔNG NGHỆ"
    return (f"UBND {m.parent.upper()}" if m.parent else None), f"UBND {m.unit.upper()}"


def date_line(place: str, day: date) -> str:
    """ "Phú Ninh, ngày 01 tháng 12 năm 2026" (two-digit day and month, as administrative documents write them)."""
    return f"{place}, ngày {day:%d} tháng {day:%m} năm {day:%Y}"
