"""Báo cáo: targets and progress, downloads (PDF, Excel, PNG, SVG), and presentation mode for meetings."""

from datetime import date

import streamlit as st

from db import activities, limits, targets, vocab
from db.meeting import Meeting, fetch_meeting
from report import charts, fmt, tables
from report import meeting as report_meeting
from report.excel import meeting_workbook
from report.pdf import render as render_pdf
from ui import data, downloads, forms, history, live, navigation, panels, period, slides, widgets
from ui.session import require_actor, shown_errors

actor = require_actor()
today = date.today()

if st.query_params.get("trinhchieu") == "1":
    slides.present(actor)
    st.stop()

st.title("Báo cáo")
widgets.flash("reports_flash")
unit = navigation.unit_in_view(actor, key="reports_nav")
start, end = period.period_picker(key="reports_period")
regroup = history.structure_notes(actor, unit.id, end, key="reports")  # the period's last day decides the structure
if st.button("Trình chiếu", type="primary", icon=":material/slideshow:", key="reports_present"):
    st.query_params.update({"trinhchieu": "1", "trang": "1"})
    st.rerun()

scope = unit.id


def meeting() -> Meeting:
    """Every figure of this unit and period, read once per data version (db.meeting.fetch_meeting)."""
    return data.read(fetch_meeting, actor, unit_id=scope, start=start, end=end, **history.by_structure(regroup))


@live.fragment(actor, "reports_summary")
def summary_section() -> None:
    """The headline figures against the previous period, with what each one means; live."""
    m = meeting()
    st.subheader(widgets.md(f"{m.unit}, {report_meeting.period_text(m)}"))
    panels.meeting_cards(m)
    st.caption(f"{report_meeting.previous_text(m)} {report_meeting.SILENT_RULE}")
    with st.expander("Cách tính các chỉ số"):
        st.markdown("\n".join(f"- **{f.label}**: {f.note}" for f in m.figures))


@live.fragment(actor, "reports_progress")
def progress_section() -> None:
    """Coverage over time against the target, the projected date, each child unit's status; live."""
    m = meeting()
    overall = m.progress
    st.markdown(widgets.md("  \n".join(report_meeting.progress_summary(overall))))
    chart = charts.build_timeline_chart(overall.timeline, goal=overall.goal, deadline=overall.deadline,
                                        projected=overall.projected)
    st.altair_chart(chart, width="stretch", height=380, key="reports_timeline")
    downloads.chart_buttons(chart, name="do-phu-theo-thoi-gian", key="reports_timeline_dl")
    if not m.child_progress.empty:
        st.subheader("Tiến độ của các địa bàn trực thuộc")
        st.caption(f"Đúng tiến độ: dự kiến đạt trước hạn; có nguy cơ chậm: dự kiến trễ dưới {targets.AT_RISK_DAYS} ngày; "
                   "chậm tiến độ: trễ hơn, đã quá hạn, hoặc độ phủ không tăng.")
        st.dataframe(tables.progress_table(m.child_progress), hide_index=True, width="stretch")


def people_target() -> None:
    """People reached in the quarter of the period's end against that quarter's target, if one is set."""
    if scope is None:
        return
    q_start, q_end = period.quarter_bounds(end)
    own = data.read(targets.fetch_targets, actor, unit_id=scope)
    goal = own[(own["kind"] == "people_quarter") & (own["due_on"] == q_end)]
    if goal.empty:
        return
    quarter = data.read(activities.fetch_unit_activity_by_month, actor, unit_id=scope, start=q_start, end=min(q_end, today))
    reached, wanted = int(quarter["people_reached"].sum()), float(goal["value"].iloc[0])
    label = f"Lượt người được hỗ trợ, quý {(q_start.month - 1) // 3 + 1}/{q_start.year}"
    st.metric(label, f"{fmt.number(reached)} / {fmt.number(wanted)}", border=True)
    st.progress(min(reached / wanted, 1.0), text=f"Đạt {fmt.percent(reached / wanted)} chỉ tiêu quý")


@live.fragment(actor, "reports_activity")
def activity_section() -> None:
    """Reports in the period by month and type, and the silent teams; live."""
    people_target()
    m = meeting()
    if m.months.empty:
        st.info("Không có báo cáo hoạt động nào trong kỳ.")
    else:
        chart = charts.build_activity_by_month_chart(m.months, title="Báo cáo theo tháng và loại hoạt động",
                                                     partial_until=end, partial_from=start)
        if note := charts.partial_month_note(end, start):
            st.caption(note)
        st.altair_chart(chart, width="stretch", height=charts.MONTHLY_HEIGHT, key="reports_months")
        downloads.chart_buttons(chart, name="hoat-dong-theo-thang", key="reports_months_dl")
    panels.silent_heading(m.silent, "Tổ chưa báo cáo trong kỳ", total=m.silent_count)
    st.caption(report_meeting.SILENT_RULE)
    if not m.silent.empty:
        st.dataframe(tables.silent_table(m.silent), hide_index=True, width="stretch")


def downloads_section() -> None:
    """The meeting report as PDF, every table as Excel, the coverage chart as images."""
    m = meeting()
    st.markdown(f"Báo cáo họp của **{widgets.md(m.unit)}**, {report_meeting.period_text(m)}.")

    # The files are made on click from the figures on screen, so they say exactly what the page says.
    st.download_button("Tải báo cáo PDF", data=lambda: render_pdf(m), file_name=f"bao-cao-to-cnscd-{start:%Y%m%d}-{end:%Y%m%d}.pdf",
                       mime="application/pdf", type="primary", icon=":material/picture_as_pdf:", key="reports_pdf")
    st.download_button("Tải bảng Excel", data=lambda: meeting_workbook(m), file_name=f"bang-so-lieu-{start:%Y%m%d}-{end:%Y%m%d}.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="reports_xlsx",
                       icon=":material/table_view:")
    if m.children["villages"].sum() > 0:
        chart = charts.build_coverage_chart(m.children, order=widgets.bar_order(key="reports_coverage_order"))
        st.altair_chart(chart, width="stretch", key="reports_coverage")
        downloads.chart_buttons(chart, name="do-phu-theo-dia-ban", key="reports_coverage_dl")


def targets_section() -> None:
    """Officers set the unit's coverage target and a quarterly people-reached target."""
    if scope is None:
        st.info("Chọn một tỉnh, huyện hoặc xã để đặt chỉ tiêu.")
        return
    current = data.read(targets.fetch_targets, actor, unit_id=scope)
    if not current.empty:
        downloads.table(
            {"Loại chỉ tiêu": current["kind"].map(vocab.TARGET_KINDS),
             "Giá trị": [fmt.percent(v) if k == "village_coverage" else fmt.number(v)
                         for k, v in zip(current["kind"], current["value"], strict=True)],
             "Hạn": current["due_on"].map(fmt.day)},
            name="chi-tieu", key="reports_targets_export", sheet="Chỉ tiêu",
        )
    if not actor.can_write:
        return
    errors = widgets.FieldErrors()
    with st.form("reports_target_form"):
        kind = st.radio("Loại chỉ tiêu", list(vocab.TARGET_KINDS), format_func=vocab.TARGET_KINDS.get, horizontal=True,
                        key="reports_target_kind")
        value = st.number_input("Giá trị (% thôn có tổ, hoặc số lượt người trong quý)", min_value=0.0, value=100.0, step=1.0,
                                key="reports_target_value")
        errors.slot("value")
        due = st.date_input("Hạn hoàn thành (với chỉ tiêu quý: ngày cuối quý)", value=period.quarter_bounds(today)[1],
                            min_value=limits.EARLIEST_DATE, max_value=date(limits.LATEST_DUE_YEAR, 12, 31),
                            format=fmt.DATE_FORMAT, key="reports_target_due")
        errors.slot("due_on")
        saved = st.form_submit_button("Lưu chỉ tiêu", type="primary")
    errors.slot("other")
    if saved:
        amount = value / 100 if kind == "village_coverage" else value
        forms.submit(targets.set_target, actor=actor, unit_id=scope, kind=kind, value=amount, due_on=due,
                     success=f"Đã lưu chỉ tiêu cho {unit.name}.", flash="reports_flash", errors=errors)


SECTIONS = {"Tổng hợp": summary_section, "Tiến độ": progress_section, "Hoạt động": activity_section, "Tải về": downloads_section,
            "Chỉ tiêu": targets_section}
with shown_errors():
    # Only the open tab runs and is sent: a click on another tab reruns the page with that one open.
    for tab, section in zip(st.tabs(list(SECTIONS), key="reports_tab", on_change="rerun"), SECTIONS.values(), strict=True):
        if tab.open is not False:
            with tab:
                section()
