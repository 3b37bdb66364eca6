"""The period filter shared by a page's charts, kept in the address so a leader can bookmark a view."""

from datetime import date, timedelta

import streamlit as st

from db import vocab
from db.errors import UserError
from db.validation import period_from_address
from report import fmt
from ui.widgets import md


def month_bounds(day: date) -> tuple[date, date]:
    """First and last day of `day`'s month."""
    start = day.replace(day=1)
    end = (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return start, end


def quarter_bounds(day: date) -> tuple[date, date]:
    """First and last day of `day`'s quarter."""
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = date(day.year, first_month, 1)
    _, end = month_bounds(date(day.year, first_month + 2, 1))
    return start, end


def _choices(kind: str, today: date) -> dict[str, tuple[date, date]]:
    """The last periods of a kind, newest first, labelled in Vietnamese."""
    out: dict[str, tuple[date, date]] = {}
    cursor = today
    for _ in range({"month": 24, "quarter": 12, "year": 6}[kind]):
        if kind == "month":
            start, end = month_bounds(cursor)
            label = f"Tháng {start:%m/%Y}"
        elif kind == "quarter":
            start, end = quarter_bounds(cursor)
            label = f"Quý {(start.month - 1) // 3 + 1}/{start.year}"
        else:
            start, end = date(cursor.year, 1, 1), date(cursor.year, 12, 31)
            label = f"Năm {start.year}"
        out[label] = (start, min(end, today))
        cursor = start - timedelta(days=1)
    return out


def from_address(today: date) -> tuple[date | None, date | None]:
    """The ?tu=&den= dates; a mistyped or impossible one is named in a warning and the default period is shown."""
    try:
        return period_from_address(st.query_params.get("tu"), st.query_params.get("den"), today=today)
    except UserError as err:
        st.warning(md(err.message))
        return None, None


def period_picker(*, key: str, today: date | None = None) -> tuple[date, date]:
    """Pick a month, quarter, year or custom range; the choice is written to ?ky=&tu=&den=."""
    today = today or date.today()
    addr_kind = st.query_params.get("ky", "quarter")
    addr_start, addr_end = from_address(today)
    kinds = list(vocab.PERIOD_KINDS)
    c1, c2 = st.columns([1, 2])
    kind = c1.radio("Kỳ báo cáo", kinds, index=kinds.index(addr_kind) if addr_kind in kinds else 1,
                    format_func=vocab.PERIOD_KINDS.get, horizontal=True, key=f"{key}_kind")
    if kind == "custom":
        default = (addr_start or today - timedelta(days=89), addr_end or today)
        picked = c2.date_input("Từ ngày – đến ngày", value=default, max_value=today, format=fmt.DATE_FORMAT, key=f"{key}_range")
        start, end = (picked if isinstance(picked, tuple) and len(picked) == 2 else default)
    else:
        choices = _choices(kind, today)
        labels = list(choices)
        index = next((i for i, (s, _) in enumerate(choices.values()) if s == addr_start), 0)
        label = c2.selectbox(vocab.PERIOD_KINDS[kind], labels, index=index, key=f"{key}_{kind}")
        start, end = choices[label]
    st.query_params.update({"ky": kind, "tu": start.isoformat(), "den": end.isoformat()})
    return start, end
