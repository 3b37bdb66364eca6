"""Tổng quan: the indicators of the user's scope and village coverage by the level below."""

from datetime import date

import streamlit as st

from db import coverage, limits, recommendations, vocab
from report import charts, fmt, tables
from ui import data, downloads, history, live, panels, widgets
from ui.session import require_actor, shown_errors

actor = require_actor()
st.title("Tổng quan")
if actor.acts_for_own_team:
    st.page_link("pages/activities_page.py", label="Báo cáo hoạt động của tổ", icon=":material/edit_note:")
today = date.today()
as_of = st.date_input(
    "Số liệu tính đến ngày", value=today, max_value=today, min_value=limits.EARLIEST_DATE,
    format=fmt.DATE_FORMAT, key="overview_as_of",
)
regroup = history.structure_notes(actor, actor.unit_id, as_of, key="overview")


@live.fragment(actor, "overview")
def live_overview() -> None:
    """Indicators and coverage chart; redrawn on its own when a write moves them (a projector in a meeting)."""
    ind = data.read(coverage.fetch_indicators, actor, unit_id=actor.unit_id, as_of=as_of)
    st.subheader(widgets.md(f"{ind.unit} — số liệu đến {fmt.day(as_of)}"))
    panels.indicator_cards(ind)
    children = data.read(coverage.fetch_coverage_by_child, actor, unit_id=actor.unit_id, as_of=as_of,
                         **history.by_structure(regroup))
    if children["villages"].sum() > 0:
        order = widgets.bar_order(key="overview_chart_order")
        st.altair_chart(charts.build_coverage_chart(children, order=order), width="stretch", key="overview_chart")
        downloads.table(tables.coverage_table(children), name=f"do-phu-{as_of:%Y%m%d}", key="overview_coverage_export",
                        sheet="Độ phủ")
    elif not children.empty:
        st.info("Các địa bàn trực thuộc chưa có thôn, khối phố nào trong hệ thống.")


live_overview()

if actor.can_write:
    with shown_errors():
        waiting = data.read(recommendations.fetch_open_to_answer, actor)
        if not waiting.empty:
            st.subheader(f"Kiến nghị đang chờ bạn trả lời ({fmt.number(len(waiting))})")
            downloads.table(
                {"Ngày gửi": waiting["raised_at"].map(fmt.day), "Địa bàn": waiting["unit"], "Nội dung": waiting["text"],
                 "Trạng thái": waiting["status"].map(vocab.RECOMMENDATION_STATUSES)},
                name="kien-nghi-cho-tra-loi", key="overview_waiting_export", sheet="Kiến nghị chờ trả lời",
            )
            st.page_link("pages/feedback_page.py", label="Trả lời kiến nghị", icon=":material/forum:")
