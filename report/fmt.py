"""Vietnamese formatting of numbers, percentages and dates."""

from datetime import date

import pandas as pd

from db.meeting import Figure

DATE_FORMAT = "DD/MM/YYYY"  # for st.date_input


def number(value: float | int | None, decimals: int = 0) -> str:
    """1234567 → "1.234.567"; 56.7 with one decimal → "56,7"."""
    if value is None or pd.isna(value):
        return "–"
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def percent(ratio: float | None, decimals: int = 1) -> str:
    """0.567 → "56,7%"; None (no villages) → "–"."""
    if ratio is None or pd.isna(ratio):
        return "–"
    text = number(ratio * 100, decimals)
    if decimals and text.endswith("," + "0" * decimals):  # "100,0%" reads better as "100%"
        text = text[: -decimals - 1]
    return text + "%"


def day(value: date | None) -> str:
    """A date as dd/mm/yyyy, or "–"."""
    if value is None or pd.isna(value):
        return "–"
    return value.strftime("%d/%m/%Y")


def team_status(closed_on: date | None) -> str:
    """"Đang hoạt động", or "Ngừng hoạt động từ dd/mm/yyyy"."""
    return "Đang hoạt động" if closed_on is None or pd.isna(closed_on) else f"Ngừng hoạt động từ {day(closed_on)}"


def signed(value: float, decimals: int = 0) -> str:
    """A change with its sign: "+12", "-3", "0"; "-" is what st.metric reads as a fall."""
    text = number(abs(value), decimals)
    if text.strip("0,.") == "":
        return text
    return ("+" if value > 0 else "-") + text


def figure_value(figure: Figure) -> str:
    """A meeting figure as shown on every surface: "1.234" or "56,7%"."""
    return percent(figure.value) if figure.kind == "ratio" else number(figure.value)


def figure_previous(figure: Figure) -> str:
    """The previous period's value, formatted like the figure."""
    return percent(figure.previous) if figure.kind == "ratio" else number(figure.previous)


def figure_change(figure: Figure) -> str:
    """The change from the previous period: "+12", or "+1,2 điểm %" for a ratio (percentage points)."""
    if figure.kind == "ratio":
        return signed(figure.change * 100, 1) + " điểm %"
    return signed(figure.change)


def figure_part(figure: Figure) -> str:
    """A ratio's numerator and denominator ("12/40"), or "" for a count."""
    return f"{number(figure.part[0])}/{number(figure.part[1])}" if figure.part else ""
