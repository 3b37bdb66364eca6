"""Hoạt động: the volunteer's quick report beside live charts of the team's and commune's activity; a unit's activity for readers."""

import uuid
from datetime import date, timedelta

import pandas as pd
import streamlit as st

from db import activities, audit, limits, vocab
from db.activities import ActivityInput
from db.reporting import fetch_reporting_by_child, fetch_silent_teams, reporting_rate
from db.teams import TeamInfo, fetch_team, fetch_teams
from report import charts, fmt, tables
from ui import data, downloads, forms, live, navigation, panels, widgets
from ui.session import require_actor, shown_errors

actor = require_actor()
today = date.today()
st.title("Hoạt động của Tổ CNSCĐ")
widgets.flash("activities_flash")

TYPES = list(vocab.ACTIVITY_TYPES)
CAN_REPORT = actor.can_report
MAXIMA = limits.REPORT_MAXIMA
USUAL = limits.PLAUSIBLE_REPORT
BROADCAST = limits.PLAUSIBLE_BY_TYPE["loudspeaker"]
CONFIRM_LABEL = "Tôi đã kiểm tra: số liệu này đúng"
CONFIRM_HELP = (f"Chỉ cần khi số liệu cao hơn mức thường gặp của một buổi hoạt động: trên {fmt.number(USUAL['people_reached'])} "
                f"người, {fmt.number(USUAL['households_reached'])} hộ hoặc {fmt.number(USUAL['results'])} kết quả "
                f"(truyền thanh: {fmt.number(BROADCAST['people_reached'])} người, {fmt.number(BROADCAST['households_reached'])} hộ). "
                "Lịch sử thay đổi ghi lại xác nhận này.")


def confirm_box(key: str) -> bool:
    """Officers and admins vouch for figures above the usual; volunteers never see the box (the service refuses them)."""
    return bool(actor.can_write and st.checkbox(CONFIRM_LABEL, help=CONFIRM_HELP, key=key))


def report_form(team: TeamInfo) -> None:
    """The quick report; one token per form so a double tap or a resend makes one report."""
    st.subheader("Báo cáo nhanh")
    token = st.session_state.setdefault("activities_token", uuid.uuid4().hex)
    kind = st.selectbox("Loại hoạt động", TYPES, format_func=vocab.ACTIVITY_TYPES.get, key="activities_type")
    errors = widgets.FieldErrors()
    with st.form(f"activities_form_{token}"):
        day = st.date_input("Ngày", value=today, max_value=today, min_value=team.established_on,
                            format=fmt.DATE_FORMAT, key=f"activities_date_{token}")
        errors.slot("activity_date")
        c1, c2 = st.columns(2)
        people = c1.number_input("Số người được hỗ trợ", min_value=0, max_value=MAXIMA["people_reached"], step=1, value=0,
                                 key=f"activities_people_{token}")
        households = c2.number_input("Số hộ", min_value=0, max_value=MAXIMA["households_reached"], step=1, value=0,
                                     key=f"activities_households_{token}")
        errors.slot("people_reached")
        errors.slot("households_reached")
        results = st.number_input(vocab.RESULT_LABELS[kind], min_value=0, max_value=MAXIMA["results"], step=1, value=0,
                                  key=f"activities_results_{token}")
        errors.slot("results")
        note = st.text_area("Ghi chú", key=f"activities_note_{token}", max_chars=limits.NOTE_MAX, height=80)
        photo = st.file_uploader("Ảnh (JPEG, PNG hoặc WebP, tối đa 5 MB)", type=["jpg", "jpeg", "png", "webp"],
                                 key=f"activities_photo_{token}", max_upload_size=10)
        errors.slot("photo")
        confirmed = confirm_box(f"activities_confirm_{token}")
        sent = st.form_submit_button("Gửi báo cáo", type="primary", width="stretch")
    errors.slot("team")
    if not sent:
        return
    payload = ActivityInput(
        team_id=team.id, activity_date=day, activity_type=kind, people_reached=people, households_reached=households,
        results=results, note=note, photo=photo.getvalue() if photo is not None else None, form_token=token,
        confirmed_large=confirmed,
    )
    forms.submit(activities.create_activity, actor=actor, data=payload, errors=errors, flash="activities_flash",
                 success=f"Đã ghi nhận báo cáo ngày {fmt.day(day)}: {vocab.ACTIVITY_TYPES[kind]}.",
                 then={"activities_token": uuid.uuid4().hex})  # the next report is a new form


def recent_reports(team: TeamInfo) -> None:
    """The team's latest reports, with thumbnails and, where allowed, correction and deletion."""
    recent = data.read(activities.fetch_recent_activities, actor, team_id=team.id, limit=15)
    st.subheader("Báo cáo gần đây")
    if recent.empty:
        st.info("Tổ chưa có báo cáo nào.")
        return
    panels.reports_table(recent)
    panels.photo_grid(recent)
    changeable = recent[recent["can_change"]]
    if changeable.empty:
        return
    with st.expander("Sửa hoặc xóa báo cáo"):
        labels = {
            int(r.activity_id): f"{fmt.day(r.activity_date)} · {r.type_label} · {fmt.number(r.people_reached)} người"
            for r in changeable.itertuples()
        }
        chosen = st.selectbox("Báo cáo", list(labels), format_func=labels.get, key="activities_edit_pick")
        if chosen is not None:
            correction_form(team, chosen)


def correction_form(team: TeamInfo, activity_id: int) -> None:
    """Correct or delete one report (the reporter for 7 days, an officer at any time)."""
    with shown_errors():
        rec = data.read(activities.fetch_activity, actor, activity_id=activity_id)
        errors = widgets.FieldErrors()
        with st.form(f"activities_edit_{rec.id}"):
            kind = st.selectbox("Loại hoạt động", TYPES, index=TYPES.index(rec.activity_type),
                                format_func=vocab.ACTIVITY_TYPES.get, key=f"activities_edit_type_{rec.id}")
            day = st.date_input("Ngày", value=rec.activity_date, max_value=today, min_value=team.established_on,
                                format=fmt.DATE_FORMAT, key=f"activities_edit_date_{rec.id}")
            errors.slot("activity_date")
            people = st.number_input("Số người được hỗ trợ", 0, MAXIMA["people_reached"], rec.people_reached,
                                     key=f"activities_edit_people_{rec.id}")
            households = st.number_input("Số hộ", 0, MAXIMA["households_reached"], rec.households_reached,
                                         key=f"activities_edit_households_{rec.id}")
            results = st.number_input("Kết quả", 0, MAXIMA["results"], rec.results, key=f"activities_edit_results_{rec.id}")
            errors.slot("people_reached")
            errors.slot("households_reached")
            errors.slot("results")
            note = st.text_area("Ghi chú", rec.note or "", key=f"activities_edit_note_{rec.id}", max_chars=limits.NOTE_MAX)
            confirmed = confirm_box(f"activities_edit_confirm_{rec.id}")
            c1, c2 = st.columns(2)
            save = c1.form_submit_button("Lưu sửa đổi", type="primary")
            remove = c2.form_submit_button("Xóa báo cáo")
        errors.slot("other")
        if not (save or remove):
            return
        if remove:
            forms.submit(activities.delete_activity, actor=actor, activity_id=rec.id, success="Đã xóa báo cáo.",
                         flash="activities_flash", errors=errors)
        else:
            payload = ActivityInput(team_id=rec.team_id, activity_date=day, activity_type=kind, people_reached=people,
                                    households_reached=households, results=results, note=note, confirmed_large=confirmed)
            forms.submit(activities.update_activity, actor=actor, activity_id=rec.id, data=payload,
                         success="Đã lưu sửa đổi báo cáo.", flash="activities_flash", errors=errors)
        return
    if actor.can_read_history:
        history = data.read(audit.fetch_activity_history, actor, activity_id=activity_id)
        if not history.empty:
            st.caption("Lịch sử của báo cáo này")
            panels.history_table(history)


@live.fragment(actor, "activities_team")
def live_charts(team: TeamInfo) -> None:
    """The team's and the commune's activity by month, read from aggregates; live."""
    start = (today.replace(day=1) - timedelta(days=365)).replace(day=1)
    team_months = data.read(activities.fetch_team_activity_by_month, actor, team_id=team.id, start=start, end=today)
    if team_months.empty:
        st.info("Chưa có báo cáo nào trong 12 tháng qua.")
    else:
        st.altair_chart(charts.build_activity_by_month_chart(team_months, title="Báo cáo của tổ theo tháng"),
                        width="stretch", height=charts.MONTHLY_HEIGHT, key="activities_team_chart")
        total = int(team_months["reports"].sum())
        people = int(team_months["people_reached"].sum())
        st.caption(f"12 tháng qua: {fmt.number(total)} báo cáo, {fmt.number(people)} lượt người được hỗ trợ.")
    commune_id = team.commune_id
    if commune_id is not None:
        commune_months = data.read(activities.fetch_unit_activity_by_month, actor, unit_id=commune_id, start=start, end=today)
        if not commune_months.empty:
            st.altair_chart(
                charts.build_activity_by_month_chart(commune_months, measure="people_reached",
                                                     title="Lượt người được hỗ trợ trong xã theo tháng"),
                width="stretch", height=charts.MONTHLY_HEIGHT, key="activities_commune_chart",
            )


def team_section() -> None:
    """The chosen team (the volunteer's own): the report form beside its live charts."""
    if actor.acts_for_own_team:
        team_id = actor.team_id
        if team_id is None:
            st.error("Tài khoản của bạn chưa được gắn với tổ nào; hãy liên hệ cán bộ xã.")
            return
    else:
        team_id = widgets.team_picker(actor, key="activities_team", status="active")
        if team_id is None:
            return
    with shown_errors():
        team = data.read(fetch_team, actor, team_id=team_id)
        st.caption(widgets.md(f"{team.name} — {team.unit_name}"))
        if not CAN_REPORT:  # a reader (leader): no form, the charts take the whole width
            live_charts(team)
            recent_reports(team)
            return
        form_col, chart_col = st.columns([1, 1.4], gap="large")  # stacked on a phone: the form first
        with form_col:
            report_form(team)
        with chart_col:
            live_charts(team)
            recent_reports(team)


def reporting_section() -> None:
    """Which teams reported in a period, by unit, and the silent teams to follow up."""
    unit = widgets.unit_picker(actor, key="activities_scope", stop_tier="commune",
                               search_tiers=("province", "district", "commune"))
    period = st.date_input("Kỳ báo cáo (từ ngày – đến ngày)", value=(today - timedelta(days=29), today), max_value=today,
                           format=fmt.DATE_FORMAT, key="activities_period")
    if not isinstance(period, tuple) or len(period) != 2:
        st.info("Hãy chọn cả ngày bắt đầu và ngày kết thúc của kỳ.")
        return
    start, end = period

    @live.fragment(actor, "activities_reporting")
    def figures() -> None:
        """The period's reporting figures, redrawn when a report arrives."""
        by_child = data.read(fetch_reporting_by_child, actor, unit_id=unit.id, start=start, end=end)
        teams, reporting = int(by_child["teams"].sum()), int(by_child["reporting"].sum())
        c1, c2, c3 = st.columns(3)
        c1.metric("Tổ đang hoạt động", fmt.number(teams), border=True)
        c2.metric("Tỷ lệ tổ có báo cáo", fmt.percent(reporting_rate(reporting, teams)) if teams else "–", border=True)
        c3.metric("Tổ chưa báo cáo", fmt.number(teams - reporting), border=True)
        if teams and unit.tier != "commune":
            order = widgets.bar_order(key="activities_reporting_order")
            st.altair_chart(charts.build_reporting_chart(by_child, order=order), width="stretch",
                            key="activities_reporting_chart")
        silent = data.read(fetch_silent_teams, actor, unit_id=unit.id, start=start, end=end)
        panels.silent_heading(silent, f"Tổ chưa báo cáo từ {fmt.day(start)} đến {fmt.day(end)}")
        if silent.empty:
            st.success("Tất cả các tổ đều đã có báo cáo trong kỳ.")
        else:
            downloads.table(tables.silent_table(silent), name=f"to-chua-bao-cao-{end:%Y%m%d}", key="activities_silent_export",
                            sheet="Tổ chưa báo cáo")

    figures()


def review_section() -> None:
    """Officers find reports by place, team and period, largest figures first, and delete many at once."""
    unit = widgets.unit_picker(actor, key="activities_review_scope", stop_tier="commune",
                               search_tiers=("province", "district", "commune"))
    teams = data.read(fetch_teams, actor, unit_id=unit.id, status="all", limit=300)
    team_labels: dict[int | None, str] = {None: "Tất cả các tổ"} | {
        int(r.team_id): f"{r.name} — {r.unit}" for r in teams.itertuples()}
    c1, c2 = st.columns(2)
    team_id = c1.selectbox("Tổ", list(team_labels), format_func=team_labels.get, key="activities_review_team")
    period = c2.date_input("Ngày hoạt động (từ ngày – đến ngày)", value=(today - timedelta(days=29), today),
                           max_value=today, format=fmt.DATE_FORMAT, key="activities_review_period")
    if not isinstance(period, tuple) or len(period) != 2:
        st.info("Hãy chọn cả ngày bắt đầu và ngày kết thúc.")
        return
    found = None
    with shown_errors():  # a refused read shows its message and leaves `found` empty
        found = data.read(activities.fetch_reports_to_review, actor, unit_id=unit.id, team_id=team_id,
                          start=period[0], end=period[1])
    if found is None:
        return
    if found.empty:
        st.info("Không có báo cáo nào trong kỳ đã chọn.")
        return
    st.caption(f"{fmt.number(len(found))} báo cáo, số người được hỗ trợ lớn nhất trước"
               + (f" (hiện {fmt.number(activities.REVIEW_LIMIT)} báo cáo đầu)" if len(found) >= activities.REVIEW_LIMIT else "")
               + ".")
    nonce = st.session_state.setdefault("activities_review_nonce", 0)  # a new one empties the choice after a deletion
    st.dataframe(pd.DataFrame({
        "Ngày": found["activity_date"].map(fmt.day), "Loại": found["type_label"],
        "Người": found["people_reached"].map(fmt.number), "Hộ": found["households_reached"].map(fmt.number),
        "Kết quả": found["results"].map(fmt.number), "Tổ": found["team"], "Thôn": found["unit"],
        "Người báo cáo": found["reporter"].fillna("—"), "Ghi chú": found["note"].fillna(""),
    }), hide_index=True, width="stretch", key="activities_review_table")
    labels = {
        int(r.activity_id): f"{fmt.day(r.activity_date)} · {r.team} · {r.type_label} · {fmt.number(r.people_reached)} người"
        for r in found.itertuples()
    }
    everything = st.checkbox(f"Chọn cả {fmt.number(len(labels))} báo cáo trong danh sách", key=f"activities_review_all_{nonce}")
    picked = st.multiselect("Báo cáo cần xóa", list(labels), format_func=labels.get, disabled=everything,
                            placeholder="Chọn các báo cáo cần xóa", key=f"activities_review_pick_{nonce}")
    chosen = list(labels) if everything else [int(i) for i in picked]
    pending = st.session_state.get("activities_review_pending")
    if not pending:
        if st.button("Xóa các báo cáo đã chọn", disabled=not chosen, key="activities_review_delete"):
            st.session_state["activities_review_pending"] = chosen
            st.rerun()
        return
    st.warning(f"Xóa {fmt.number(len(pending))} báo cáo đã chọn? Không hoàn tác được; lịch sử thay đổi vẫn giữ số liệu "
               "của từng báo cáo.")
    errors = widgets.FieldErrors()
    b1, b2 = st.columns(2)
    if b2.button("Hủy", key="activities_review_cancel"):
        st.session_state.pop("activities_review_pending", None)
        st.rerun()
    errors.slot("other")
    if b1.button(f"Xác nhận xóa {fmt.number(len(pending))} báo cáo", type="primary", key="activities_review_confirm"):
        forms.submit(activities.delete_activities, actor=actor, activity_ids=pending, errors=errors, flash="activities_flash",
                     success=lambda n: f"Đã xóa {fmt.number(n)} báo cáo.",
                     then={"activities_review_pending": None, "activities_review_nonce": nonce + 1})


def unit_section() -> None:
    """A unit's activity over the last 12 months, full width: by child unit (click to open it) and by month and type."""
    unit = navigation.unit_in_view(actor, key="activities_nav")
    start = (today.replace(day=1) - timedelta(days=365)).replace(day=1)
    measure = st.radio("Chỉ số", ["reports", "people_reached"], format_func=vocab.MEASURES.get, horizontal=True,
                       key="activities_unit_measure")
    unit_figures(unit, start, measure)


@live.fragment(actor, "activities_unit")
def unit_figures(unit: widgets.Picked, start: date, measure: str) -> None:
    """The unit's totals, its children's bars and its months, read from the kept rollups; live."""
    months = data.read(activities.fetch_unit_activity_by_month, actor, unit_id=unit.id, start=start, end=today)
    by_child = data.read(activities.fetch_activity_by_child, actor, unit_id=unit.id, start=start, end=today)
    st.subheader(widgets.md(f"{unit.name}: hoạt động từ {fmt.day(start)} đến {fmt.day(today)}"))
    c1, c2 = st.columns(2)
    c1.metric("Số báo cáo", fmt.number(int(months["reports"].sum())), border=True)
    c2.metric("Lượt người được hỗ trợ", fmt.number(int(months["people_reached"].sum())), border=True)
    if months.empty:
        st.info("Chưa có báo cáo nào trong 12 tháng qua.")
        return
    drillable = unit.tier != "commune"  # a commune's children are villages: nothing below them to open
    event = st.altair_chart(
        charts.build_activity_by_child_chart(by_child, measure=measure, selectable=drillable,
                                             title=f"{vocab.MEASURES[measure]} theo địa bàn trực thuộc"),
        width="stretch", key="activities_child_chart", **({"on_select": "rerun", "selection_mode": charts.PICK} if drillable else {}),
    )
    picked = ((event or {}).get("selection", {}).get(charts.PICK) or []) if drillable else []
    if picked and "unit_id" in picked[0] and int(picked[0]["unit_id"]) != unit.id:
        navigation.go_to(int(picked[0]["unit_id"]))
    if drillable:
        st.caption("Bấm vào một thanh để xem các địa bàn trực thuộc của địa bàn đó.")
    st.altair_chart(charts.build_activity_by_month_chart(months, measure=measure,
                                                         title=f"{vocab.MEASURES[measure]} theo tháng và loại hoạt động"),
                    width="stretch", height=charts.MONTHLY_HEIGHT, key="activities_unit_months")
    downloads.table(tables.activity_by_child_table(by_child), name=f"hoat-dong-{unit.id}-{today:%Y%m%d}",
                    key="activities_child_export", sheet="Hoạt động theo địa bàn")


if actor.acts_for_own_team:
    team_section()
else:
    # Only the open tab runs and is sent: a click on another tab reruns the page with that one open.
    # A leader, who reports nothing, opens on their unit; officers and admins on the report form, as before.
    if CAN_REPORT:
        sections = {"Báo cáo của tổ": team_section, "Tình hình báo cáo": reporting_section, "Theo địa bàn": unit_section}
        if actor.can_write:
            sections["Rà soát báo cáo"] = review_section
    else:
        sections = {"Theo địa bàn": unit_section, "Tình hình báo cáo": reporting_section, "Theo tổ": team_section}
    for tab, section in zip(st.tabs(list(sections), key="activities_tab", on_change="rerun"), sections.values(), strict=True):
        if tab.open is not False:
            with tab:
                section()
