"""Tables to .xlsx, with every cell that could start a formula written as plain text."""

import io

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font

from db.meeting import Meeting
from report.meeting import workbook_sheets as meeting_sheets

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _plain(value: object) -> object:
    """Cells hold plain values: NaN and NaT become empty."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value


def to_xlsx(sheets: dict[str, pd.DataFrame]) -> bytes:
    """One sheet per DataFrame, bold headers, fitted widths; text is never written as a formula.

    openpyxl stores a string starting with "=" as a formula; every text cell is forced back to a
    string cell, and those starting with a formula prefix also get Excel's quote prefix, so opening
    the file never runs anything a user typed.
    """
    wb = Workbook()
    wb.remove(wb.active)
    for title, frame in sheets.items():
        ws = wb.create_sheet(title=title[:31])
        ws.append([str(c) for c in frame.columns])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for r, row in enumerate(frame.itertuples(index=False), start=2):
            for c, value in enumerate(row, start=1):
                cell = ws.cell(row=r, column=c, value=_plain(value))
                if isinstance(cell.value, str):
                    cell.data_type = "s"
                    if cell.value.startswith(FORMULA_PREFIXES):
                        cell.quotePrefix = True
        for i, col in enumerate(frame.columns, start=1):
            width = max([len(str(col))] + [len(str(v)) for v in frame.iloc[:, i - 1].head(200)])
            ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = min(60, width + 2)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def meeting_workbook(m: Meeting) -> bytes:
    """The meeting's tables as one workbook: the headline figures as numbers first, then the lists."""
    return to_xlsx(meeting_sheets(m))
