"""Vietnamese formatting of numbers, percentages and dates."""

from datetime import date

import pandas as pd

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
