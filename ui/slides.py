"""Presentation mode: full-width slides with large type for a 1920 × 1080 projector."""

import time
from collections.abc import Callable
from datetime import date

import pandas as pd
import streamlit as st

from db import activities, coverage, meeting, recommendations, reporting, targets, vocab
from db.access import Actor
from report import charts, fmt, tables
from report import meeting as report_meeting
from ui import data, live, panels, period, widgets

# Hide the sidebar and Streamlit's header; large type for the back of the meeting room.
CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], header[data-testid="stHeader"] { display: none; }
.block-container, [data-testid="stMainBlockContainer"] { max-width: 100% !important; padding: 1.5rem 3rem 1rem 3rem !important; }
h1 { font-size: 3.2rem !important; }
h2, h3 { font-size: 2.2rem !important; }
[data-testid="stMarkdownContainer"] p, [data-testid="stCaptionContainer"] p { font-size: 1.4rem !important; }
div[data-testid="stMetric"] [data-testid="stMetricValue"],
div[data-testid="stMetric"] [data-testid="stMetricValue"] p { font-size: 4.5rem !important; line-height: 1.2 !important; }
div[data-testid="stMetric"] [data-testid="stMetricLabel"] p { font-size: 1.7rem !important; }
[data-testid="stMetric"] { padding: 1.5rem 2rem !important; }
</style>
"""
AUTO_SECONDS = 15


def _slide_number(count: int) -> int:
    raw = st.query_params.get("trang", "1")
    number = int(raw) if raw.isdigit() else 1
    return min(max(number, 1), count)


def _go(number: int) -> None:
    st.query_params["trang"] = str(number)
    st.rerun()


def present(actor: Actor) -> None:
    """Render the slide named in ?trang= for the unit and period in the address, with its controls."""
    st.html(CSS)
    today = date.today()
    raw_unit = st.query_params.get("unit", "")
    unit_id = int(raw_unit) if raw_unit.isdigit() else actor.unit_id
    try:
        start, end = date.fromisoformat(st.query_params.get("tu", "")), date.fromisoformat(st.query_params.get("den", ""))
    except ValueError:
        start, end = period.quarter_bounds(today)
        end = min(end, today)
    number = _slide_number(len(SLIDES))

    @live.fragment(actor, "slides")
    def slide() -> None:
        """The slide itself, redrawn on its own while the meeting watches when a write moves its figures."""
        ind = data.read(coverage.fetch_indicators, actor, unit_id=unit_id, as_of=end)
        title, render = SLIDES[number - 1]
        st.title(title)
        st.caption(widgets.md(f"{ind.unit} · từ {fmt.day(start)} đến {fmt.day(end)}"))
        render(actor, unit_id, start, end, ind)

    slide()
    _controls(number, len(SLIDES))


def _controls(number: int, count: int) -> None:
    st.divider()
    c1, c2, c3, c4, c5 = st.columns([1, 1, 2, 2, 1])
    if c1.button("◀ Trước", key="slides_prev", disabled=number == 1, width="stretch"):
        _go(number - 1)
    if c2.button("Sau ▶", key="slides_next", disabled=number == count, width="stretch"):
        _go(number + 1)
    c3.markdown(f"Trang {number}/{count}")
    auto = c4.toggle(f"Tự chuyển trang sau {AUTO_SECONDS} giây", key="slides_auto")
    if c5.button("Thoát", key="slides_exit", width="stretch"):
        for key in ("trinhchieu", "trang"):
            st.query_params.pop(key, None)
        st.rerun()
    if auto:
        _ticker(number, count)


@st.fragment(run_every=AUTO_SECONDS)
def _ticker(number: int, count: int) -> None:
    """Advance to the next slide (wrapping round) every few seconds while auto-advance is on."""
    started = st.session_state.setdefault("slides_tick_since", time.monotonic())
    if time.monotonic() - started >= AUTO_SECONDS - 0.5:
        st.session_state["slides_tick_since"] = time.monotonic()
        st.query_params["trang"] = str(number % count + 1)
        st.rerun(scope="app")


def _kpis(actor: Actor, unit_id: int | None, start: date, end: date, _ind: coverage.Indicators) -> None:
    m = data.read(meeting.fetch_meeting, actor, unit_id=unit_id, start=start, end=end)
    panels.meeting_cards(m)
    st.caption(f"{report_meeting.previous_text(m)} {report_meeting.SILENT_RULE}")


def _coverage(actor: Actor, unit_id: int | None, _start: date, end: date, _ind: coverage.Indicators) -> None:
    children = data.read(coverage.fetch_coverage_by_child, actor, unit_id=unit_id, as_of=end)
    if children["villages"].sum() == 0:
        st.info("Các địa bàn trực thuộc chưa có thôn trong hệ thống.")
        return
    chart = charts.build_coverage_chart(children, title="").configure_axis(labelFontSize=18, titleFontSize=18)
    st.altair_chart(chart.configure_legend(labelFontSize=16, titleFontSize=16), width="stretch", key="slides_coverage")


def _progress(actor: Actor, unit_id: int | None, start: date, end: date, _ind: coverage.Indicators) -> None:
    if unit_id is None:
        st.info("Chọn một tỉnh hoặc huyện để xem tiến độ so với chỉ tiêu.")
        return
    progress = data.read(targets.fetch_target_progress, actor, unit_id=unit_id, as_of=end, since=start)
    if progress.target:
        st.markdown(widgets.md(f"Chỉ tiêu {fmt.percent(progress.goal)} trước {fmt.day(progress.deadline)}"
                               + (f"; dự kiến đạt {fmt.day(progress.projected)}" if progress.projected else "")))
    chart = charts.build_timeline_chart(progress.timeline, goal=progress.goal, deadline=progress.deadline,
                                        projected=progress.projected, title="")
    st.altair_chart(chart.configure_axis(labelFontSize=16, titleFontSize=18), width="stretch", height=560, key="slides_timeline")


def _months(actor: Actor, unit_id: int | None, start: date, end: date, _ind: coverage.Indicators) -> None:
    months = data.read(activities.fetch_unit_activity_by_month, actor, unit_id=unit_id, start=start, end=end)
    if months.empty:
        st.info("Không có báo cáo hoạt động nào trong kỳ.")
        return
    chart = charts.build_activity_by_month_chart(months, title="")
    st.altair_chart(chart.configure_axis(labelFontSize=16, titleFontSize=18).configure_legend(labelFontSize=16, titleFontSize=16),
                    width="stretch", height=640, key="slides_months")


def _silent(actor: Actor, unit_id: int | None, start: date, end: date, _ind: coverage.Indicators) -> None:
    silent = data.read(reporting.fetch_silent_teams, actor, unit_id=unit_id, start=start, end=end)
    if silent.empty:
        st.success("Tất cả các tổ đều có báo cáo trong kỳ.")
        return
    st.markdown(f"**{fmt.number(len(silent))}** tổ đang hoạt động chưa gửi báo cáo nào trong kỳ.")
    st.dataframe(tables.silent_table(silent.head(15)), hide_index=True, width="stretch", height=600)


def _open_recommendations(actor: Actor, unit_id: int | None, _start: date, _end: date, _ind: coverage.Indicators) -> None:
    items = pd.concat([
        data.read(recommendations.fetch_recommendations, actor, unit_id=unit_id, status=status)
        for status in ("open", "in_progress")
    ])
    if items.empty:
        st.success("Không có kiến nghị nào đang chờ giải quyết.")
        return
    st.markdown(f"**{fmt.number(len(items))}** kiến nghị, đề xuất đang chờ giải quyết.")
    st.dataframe(
        {"Ngày gửi": items["raised_at"].map(fmt.day), "Địa bàn": items["unit"],
         "Loại": items["category"].map(vocab.RECOMMENDATION_CATEGORIES),
         "Nội dung": items["text"], "Trạng thái": items["status"].map(vocab.RECOMMENDATION_STATUSES)},
        hide_index=True, width="stretch", height=600,
    )


Slide = Callable[[Actor, int | None, date, date, coverage.Indicators], None]
SLIDES: list[tuple[str, Slide]] = [
    ("Kết quả chính", _kpis),
    ("Độ phủ theo địa bàn", _coverage),
    ("Tiến độ so với chỉ tiêu", _progress),
    ("Hoạt động theo tháng và loại", _months),
    ("Tổ chưa báo cáo trong kỳ", _silent),
    ("Kiến nghị chưa giải quyết", _open_recommendations),
]
