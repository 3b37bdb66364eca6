"""Download buttons for charts (PNG, SVG) and tables (Excel); files are made only when clicked."""

import altair as alt
import pandas as pd
import streamlit as st

from report.excel import to_xlsx
from report.images import chart_png, chart_svg


def chart_buttons(chart: alt.TopLevelMixin, *, name: str, key: str) -> None:
    """PNG and SVG of a chart, rendered by vl-convert on click."""
    c1, c2 = st.columns(2)
    c1.download_button("Tải ảnh PNG", data=lambda: chart_png(chart), file_name=f"{name}.png", mime="image/png",
                       key=f"{key}_png", icon=":material/image:")
    c2.download_button("Tải ảnh SVG", data=lambda: chart_svg(chart), file_name=f"{name}.svg", mime="image/svg+xml",
                       key=f"{key}_svg", icon=":material/draw:")


def table(frame: pd.DataFrame | dict, *, name: str, key: str, sheet: str, **dataframe_kwargs: object) -> None:
    """A list on screen with its "Tải Excel" button under it (every list officers see can be taken to Excel)."""
    frame = frame if isinstance(frame, pd.DataFrame) else pd.DataFrame(frame)
    if frame.empty:  # an empty grid says "empty" in English, and an empty workbook helps no one
        st.caption("Danh sách chưa có dòng nào.")
        return
    # The first column names the row (a unit, a team, a person): pinned, it stays in sight while a
    # phone's narrow screen scrolls the other columns sideways inside the grid.
    config = {frame.columns[0]: st.column_config.Column(pinned=True)} | dict(dataframe_kwargs.pop("column_config", None) or {})
    st.dataframe(blank_empty_cells(frame), hide_index=True, width="stretch", column_config=config, **dataframe_kwargs)
    excel_button({sheet: frame}, name=name, key=key, label="Tải Excel")


def blank_empty_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with missing values in its text columns as blanks (the grid would write "None")."""
    text = frame.select_dtypes(include=["object", "string"]).columns
    if text.empty:
        return frame
    shown = frame.copy()
    for column in text:
        shown[column] = shown[column].astype(object).where(shown[column].notna(), "")
    return shown


def excel_button(sheets: dict[str, pd.DataFrame], *, name: str, key: str, label: str = "Tải bảng Excel") -> None:
    """The tables as one .xlsx workbook (formula-safe)."""
    st.download_button(label, data=lambda: to_xlsx(sheets), file_name=f"{name}.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key=key,
                       icon=":material/table_view:")
