"""Presentation mode: one screen per slide, large type for a projector (1920 × 1080 or 1366 × 768).

A slide is a column the height of the window: its title, a body that takes what is left (a chart drawn
to the body's size, large numbers, or a table with as many rows as fit), and the controls at the bottom.
Nothing scrolls, so nothing falls below a projector's picture; tests/browser/test_slides.py measures it.
"""

import html
import time
from collections.abc import Callable
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from db import meeting, recommendations, targets, vocab
from db.access import Actor
from report import charts, fmt, tables
from report import meeting as report_meeting
from ui import data, live, panels, period, widgets

# The page is one screen: a flex column of the window's height whose body (.st-key-slides_body) takes the
# space the title and the controls leave, and charts in it stretch to fill it. Text sizes follow the window
# height (vh) within bounds, so the same slide fits 768 px and reads large at 1080 px.
CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], header[data-testid="stHeader"] { display: none; }
[data-testid="stMain"] { overflow: hidden; }
.block-container, [data-testid="stMainBlockContainer"] {
  max-width: 100% !important; height: 100dvh; box-sizing: border-box; padding: 1.2vh 2.5vw 1vh 2.5vw !important;
}
[data-testid="stMainBlockContainer"] > [data-testid="stVerticalBlock"] { height: 100%; gap: 0.6vh; }
[data-testid="stLayoutWrapper"]:has(> .st-key-slides_body) { flex: 1 1 0 !important; min-height: 0; display: flex; flex-direction: column; }
.st-key-slides_body { flex: 1 1 0 !important; min-height: 0; overflow: hidden; }
.st-key-slides_body > [data-testid="stLayoutWrapper"],
.st-key-slides_body > [data-testid="stLayoutWrapper"] > [data-testid="stVerticalBlock"] {
  flex: 1 1 0 !important; min-height: 0; gap: 0.8vh;
}
.st-key-slides_body [data-testid="stElementContainer"]:has([data-testid="stVegaLiteChart"]) { flex: 1 1 0 !important; min-height: 0; }
.st-key-slides_body [data-testid="stElementContainer"]:has([data-testid="stVegaLiteChart"]) > * { height: 100% !important; }
.st-key-slides_body h1 { font-size: clamp(2rem, 5vh, 3.4rem) !important; padding: 0 !important; line-height: 1.15 !important; }
.st-key-slides_body [data-testid="stMarkdownContainer"] p { font-size: clamp(1.2rem, 2.6vh, 1.9rem) !important; }
.st-key-slides_body [data-testid="stCaptionContainer"] p { font-size: clamp(1.15rem, 2.4vh, 1.7rem) !important; }
.st-key-slides_body [data-testid="stMetric"] { padding: 1.1vh 1.4vw !important; }
.st-key-slides_body [data-testid="stMetricValue"], .st-key-slides_body [data-testid="stMetricValue"] p {
  font-size: clamp(2.4rem, 6.4vh, 4.6rem) !important; line-height: 1.1 !important;
}
.st-key-slides_body [data-testid="stMetricLabel"] p { font-size: clamp(1.15rem, 2.6vh, 1.9rem) !important; }
.st-key-slides_body [data-testid="stMetricDelta"], .st-key-slides_body [data-testid="stMetricDelta"] p {
  font-size: clamp(1.05rem, 2.3vh, 1.6rem) !important;
}
.st-key-slides_clicker { display: none !important; }
.st-key-slides_nav { flex: 0 0 auto; border-top: 1px solid rgba(49, 51, 63, 0.2); padding-top: 0.8vh; }
.st-key-slides_nav p, .st-key-slides_nav button p { font-size: clamp(1rem, 2.2vh, 1.5rem) !important; }
table.slides-table { width: 100%; border-collapse: collapse; table-layout: fixed; font-size: clamp(1.1rem, 2.7vh, 2rem); }
table.slides-table th { text-align: left; border-bottom: 3px solid #31333f; padding: 0.5vh 0.8vw; }
table.slides-table td { border-bottom: 1px solid #d0d3da; padding: 0.7vh 0.8vw; vertical-align: top;
  white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
table.slides-table td.wrap { white-space: normal; }
table.slides-table td.wrap div { display: -webkit-box; -webkit-line-clamp: 2; -webkit-box-orient: vertical; overflow: hidden; }
</style>
"""
AUTO_SECONDS = 15
MAX_BARS = 14  # units on the coverage slide: at 24 px a bar needs ~34 px, and 768 px leaves ~520 for the chart
SILENT_ROWS = 10  # one line each
RECOMMENDATION_ROWS = 6  # up to two lines each


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
    addr_start, addr_end = period.from_address(today)
    if addr_start is not None and addr_end is not None:
        start, end = addr_start, addr_end
    else:
        start, end = period.quarter_bounds(today)
        end = min(end, today)
    number = _slide_number(len(SLIDES))

    @live.fragment(actor, "slides")
    def slide() -> None:
        """The slide itself, redrawn on its own while the meeting watches when a write moves its figures."""
        m = data.read(meeting.fetch_meeting, actor, unit_id=unit_id, start=start, end=end)
        title, render = SLIDES[number - 1]
        st.title(title)
        st.caption(widgets.md(f"{m.unit} · {report_meeting.period_text(m)}"))
        render(actor, unit_id, m)

    with st.container(key="slides_body"):
        slide()
    _controls(number, len(SLIDES))


def _controls(number: int, count: int) -> None:
    """The buttons and the page number in one row at the foot of the screen; ← → and PageUp/PageDown work too."""
    with st.container(key="slides_nav", horizontal=True, vertical_alignment="center", gap="medium"):
        if st.button("◀ Trước", key="slides_prev", disabled=number == 1, shortcut="Left"):
            _go(number - 1)
        if st.button("Sau ▶", key="slides_next", disabled=number == count, shortcut="Right", type="primary"):
            _go(number + 1)
        st.markdown(f"Trang {number}/{count}", width="content")
        auto = st.toggle(f"Tự chuyển trang sau {AUTO_SECONDS} giây", key="slides_auto")
        st.space("stretch")
        if st.button("Thoát", key="slides_exit", icon=":material/close:"):
            for key in ("trinhchieu", "trang"):
                st.query_params.pop(key, None)
            st.rerun()
    # Presentation clickers send PageUp/PageDown; a button takes one shortcut, so two more, never shown.
    with st.container(key="slides_clicker"):
        if st.button("Trang trước", key="slides_page_up", disabled=number == 1, shortcut="PageUp"):
            _go(number - 1)
        if st.button("Trang sau", key="slides_page_down", disabled=number == count, shortcut="PageDown"):
            _go(number + 1)
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


def _chart(spec: dict[str, Any], *, key: str, alt_text: str) -> None:
    """A projector chart filling what is left of the slide's body."""
    st.vega_lite_chart(spec, width="stretch", height="stretch", key=key, alt=alt_text)


def coverage_chart(children: pd.DataFrame) -> dict[str, Any]:
    """Slide 2's chart: village coverage of the child units with villages, at most MAX_BARS (the lowest)."""
    return charts.for_projector(charts.build_coverage_chart(coverage_shown(children), title=""))


def coverage_shown(children: pd.DataFrame) -> pd.DataFrame:
    """The child units slide 2 draws: those with villages, the MAX_BARS lowest covered when there are more."""
    with_villages = children.loc[children["villages"] > 0]
    if len(with_villages) <= MAX_BARS:
        return with_villages
    return with_villages.sort_values(["coverage", "name"]).head(MAX_BARS)


def progress_chart(progress: targets.TargetProgress) -> dict[str, Any]:
    """Slide 3's chart: coverage over time, the target and the projected path."""
    return charts.for_projector(charts.build_timeline_chart(progress.timeline, goal=progress.goal, deadline=progress.deadline,
                                                            projected=progress.projected, title=""))


def months_chart(months: pd.DataFrame, *, start: date | None = None, end: date) -> dict[str, Any]:
    """Slide 4's chart: reports by month and type, the legend on the right, the months the period cuts marked."""
    return charts.for_projector(charts.build_activity_by_month_chart(months, title="", partial_until=end, partial_from=start,
                                                                     legend_orient="right", label_angle=0))


def _kpis(_actor: Actor, _unit_id: int | None, m: meeting.Meeting) -> None:
    panels.meeting_cards(m, parts=False)
    st.caption(f"{report_meeting.previous_text(m)} {report_meeting.SILENT_RULE}")


def _coverage(_actor: Actor, _unit_id: int | None, m: meeting.Meeting) -> None:
    children = m.children
    if children["villages"].sum() == 0:
        st.info("Các địa bàn trực thuộc chưa có thôn trong hệ thống.")
        return
    shown = coverage_shown(children)
    if len(shown) < (children["villages"] > 0).sum():
        st.caption(f"{fmt.number(len(shown))} địa bàn có độ phủ thấp nhất trong {fmt.number((children['villages'] > 0).sum())}.")
    described = "; ".join(f"{n}: {fmt.percent(c)}" for n, c in zip(shown["name"], shown["coverage"], strict=True))
    _chart(coverage_chart(children), key="slides_coverage", alt_text=f"Tỷ lệ thôn có Tổ CNSCĐ. {described}")


def _progress(_actor: Actor, _unit_id: int | None, m: meeting.Meeting) -> None:
    progress = m.progress
    st.markdown(widgets.md(" ".join(report_meeting.progress_summary(progress))))
    last = fmt.percent(progress.timeline["coverage"].iloc[-1]) if not progress.timeline.empty else "–"
    _chart(progress_chart(progress), key="slides_timeline", alt_text=f"Độ phủ theo thời gian, gần nhất {last}.")


def _months(_actor: Actor, _unit_id: int | None, m: meeting.Meeting) -> None:
    if m.months.empty:
        st.info("Không có báo cáo hoạt động nào trong kỳ.")
        return
    total = fmt.number(m.figure("reports").value)
    st.caption(f"Tổng cộng **{total}** báo cáo trong kỳ. {charts.partial_month_note(m.end, m.start)}")
    _chart(months_chart(m.months, start=m.start, end=m.end), key="slides_months",
           alt_text=f"Báo cáo theo tháng và loại hoạt động, tổng {total}.")


def html_table(columns: dict[str, list[str]], *, wrap: tuple[str, ...] = (), widths: tuple[int, ...] = ()) -> str:
    """A plain table in large type, every cell escaped (names and recommendations are typed by users); widths in %."""
    cols = "".join(f'<col style="width: {w}%">' for w in widths)
    head = "".join(f"<th>{html.escape(name)}</th>" for name in columns)
    rows = []
    for cells in zip(*columns.values(), strict=True):
        tds = [f'<td class="wrap"><div>{html.escape(str(c))}</div></td>' if name in wrap else f"<td>{html.escape(str(c))}</td>"
               for name, c in zip(columns, cells, strict=True)]
        rows.append("<tr>" + "".join(tds) + "</tr>")
    return f'<table class="slides-table"><colgroup>{cols}</colgroup><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _more(shown: int, total: int, what: str) -> None:
    if total > shown:
        st.caption(f"Còn {fmt.number(total - shown)} {what} nữa: xem đầy đủ ở trang Báo cáo.")


def _silent(_actor: Actor, _unit_id: int | None, m: meeting.Meeting) -> None:
    if m.silent.empty:
        st.success("Tất cả các tổ đều có báo cáo trong kỳ.")
        return
    st.markdown(f"**{fmt.number(m.silent_count)}** tổ đang hoạt động vào ngày cuối kỳ chưa gửi báo cáo nào trong kỳ.")
    table = tables.silent_table(m.silent.head(SILENT_ROWS))
    st.html(html_table({name: list(table[name]) for name in table.columns}, widths=(34, 22, 26, 18)))
    _more(min(len(m.silent), SILENT_ROWS), m.silent_count, "tổ")


def _open_recommendations(actor: Actor, unit_id: int | None, _m: meeting.Meeting) -> None:
    items = pd.concat([
        data.read(recommendations.fetch_recommendations, actor, unit_id=unit_id, status=status)
        for status in ("open", "in_progress")
    ])
    if items.empty:
        st.success("Không có kiến nghị nào đang chờ giải quyết.")
        return
    st.markdown(f"**{fmt.number(len(items))}** kiến nghị, đề xuất đang chờ giải quyết; các kiến nghị chờ lâu nhất:")
    oldest = items.sort_values("raised_at", kind="stable").head(RECOMMENDATION_ROWS)
    st.html(html_table(
        {"Ngày gửi": list(oldest["raised_at"].map(fmt.day)), "Địa bàn": list(oldest["unit"]),
         "Loại": list(oldest["category"].map(vocab.RECOMMENDATION_CATEGORIES)), "Nội dung": list(oldest["text"]),
         "Trạng thái": list(oldest["status"].map(vocab.RECOMMENDATION_STATUSES))},
        wrap=("Loại", "Nội dung"), widths=(13, 16, 15, 42, 14),
    ))
    _more(len(oldest), len(items), "kiến nghị")


Slide = Callable[[Actor, int | None, meeting.Meeting], None]  # every figure from the meeting's one read
SLIDES: list[tuple[str, Slide]] = [
    ("Kết quả chính", _kpis),
    ("Độ phủ theo địa bàn", _coverage),
    ("Tiến độ so với chỉ tiêu", _progress),
    ("Hoạt động theo tháng và loại", _months),
    ("Tổ chưa báo cáo trong kỳ", _silent),
    ("Kiến nghị chưa giải quyết", _open_recommendations),
]
