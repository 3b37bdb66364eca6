"""Tổ CNSCĐ: the team registry — list, register with members, edit, close, add members, Excel in and out."""

from datetime import date

import pandas as pd
import streamlit as st

from db import activities, audit, limits, members, vocab
from db.teams import TEAM_LIST_LIMIT, TeamInput, close_team, create_team, fetch_team, fetch_teams, update_team
from db.text import fold
from report import charts, fmt, tables
from ui import data, downloads, forms, live, panels, widgets
from ui.imports import render_import
from ui.session import require_actor, shown_errors

actor = require_actor()
today = date.today()
BIRTH_YEARS = limits.birth_years(today)
st.title("Tổ công nghệ số cộng đồng")
widgets.flash("teams_flash")
can_write = actor.can_write

def list_tab() -> None:
    """Teams in scope, filtered by unit, status and a search text."""
    unit = widgets.unit_picker(actor, key="teams_list_unit", stop_tier="commune", search_tiers=("province", "district", "commune"))
    col1, col2 = st.columns(2)
    status = col1.radio("Trạng thái", list(vocab.TEAM_STATUSES), format_func=vocab.TEAM_STATUSES.get, horizontal=True,
                        key="teams_list_status")
    query = col2.text_input("Lọc theo tên tổ, thôn", key="teams_list_query")

    @live.fragment(actor, "teams_list")
    def team_list() -> None:
        """The matching teams, redrawn when one is registered or changed."""
        teams = data.read(fetch_teams, actor, unit_id=unit.id, status=status, query=query)
        if len(teams) >= TEAM_LIST_LIMIT:
            st.caption(f"Hiển thị {fmt.number(len(teams))} tổ đầu tiên; hãy chọn địa bàn nhỏ hơn hoặc lọc theo tên để xem hết.")
        else:
            st.caption(f"{fmt.number(len(teams))} tổ")
        downloads.table(tables.teams_table(teams), name="to-cnscd", key="teams_list_export", sheet="Tổ CNSCĐ")

    team_list()
    st.subheader(widgets.md(f"Thành phần thành viên — {unit.name}"))
    # A country's or province's members are hundreds of thousands of rows: counted only when asked for.
    if unit.tier in (None, "province") and not st.toggle("Tính thành phần thành viên của cả địa bàn (mất vài giây)",
                                                          key="teams_list_composition"):
        st.caption("Chọn một huyện hoặc xã để xem ngay thành phần thành viên.")
        return
    panels.composition(data.read(members.fetch_member_composition, actor, unit_id=unit.id))


def register_tab() -> None:
    """Register a team for a village or commune, with its first members."""
    st.markdown("Chọn **thôn** (tổ thôn) hoặc **xã** (tổ xã) chưa có tổ đang hoạt động.")
    unit = widgets.unit_picker(actor, key="teams_new_unit", stop_tier="village", search_tiers=("village", "commune"),
                               search_label="Tìm thôn hoặc xã (gõ có dấu hoặc không dấu)")
    if unit.tier not in ("village", "commune"):
        st.info("Hãy chọn đến thôn, khối phố (hoặc chọn một xã để lập tổ cấp xã).")
        return
    st.markdown(f"Địa bàn đã chọn: **{widgets.md(unit.name)}**")
    nonce = st.session_state.setdefault("teams_new_nonce", 0)  # a new nonce gives an empty form
    errors = widgets.FieldErrors()
    errors.slot("unit")
    with st.form(f"teams_new_form_{nonce}"):
        name = st.text_input("Tên tổ", value=f"Tổ CNSCĐ {unit.name}", key=f"teams_new_name_{unit.id}_{nonce}",
                             max_chars=limits.TEAM_NAME_MAX)
        errors.slot("name")
        col1, col2 = st.columns(2)
        established = col1.date_input("Ngày thành lập", value=today, max_value=today, min_value=limits.EARLIEST_DATE,
                                      format=fmt.DATE_FORMAT, key=f"teams_new_date_{nonce}")
        with col1:
            errors.slot("established_on")
        decision = col2.text_input("Số quyết định thành lập", placeholder="vd. 125/QĐ-UBND", key=f"teams_new_decision_{nonce}",
                                   max_chars=limits.DECISION_NO_MAX)
        with col2:
            errors.slot("decision_no")
        note = st.text_area("Ghi chú", key=f"teams_new_note_{nonce}", max_chars=limits.NOTE_MAX)
        st.markdown("**Thành viên** (thêm dòng bằng dấu +; mỗi tổ một Tổ trưởng)")
        members = st.data_editor(forms.empty_members(), num_rows="dynamic", column_config=forms.MEMBER_EDITOR_COLUMNS,
                                 hide_index=True, width="stretch", key=f"teams_new_members_{nonce}")
        errors.slot("members")
        submitted = st.form_submit_button("Đăng ký tổ", type="primary")
    if not submitted:
        return
    payload = TeamInput(unit_id=unit.id, name=name, established_on=established, decision_no=decision,
                                 note=note, members=forms.members_from_editor(members))
    forms.submit(create_team, actor=actor, data=payload, errors=errors, flash="teams_flash",
                 success=lambda team: f"Đã đăng ký “{team.name}” với {len(payload.members)} thành viên. Độ phủ đã được cập nhật.",
                 then={"teams_new_nonce": nonce + 1})


def edit_tab() -> None:
    """Edit a team's details, or close it from a date."""
    team_id = widgets.team_picker(actor, key="teams_edit")
    if team_id is None:
        return
    with shown_errors():
        team = data.read(fetch_team, actor, team_id=team_id)
        st.markdown(f"**{widgets.md(team.name)}** — {widgets.md(team.unit_name)}, thành lập {fmt.day(team.established_on)}, "
                    f"{fmt.team_status(team.closed_on).lower()}.")
        errors = widgets.FieldErrors()
        with st.form(f"teams_edit_form_{team.id}"):
            name = st.text_input("Tên tổ", value=team.name, key=f"teams_edit_name_{team.id}", max_chars=limits.TEAM_NAME_MAX)
            errors.slot("name")
            established = st.date_input("Ngày thành lập", value=team.established_on, max_value=today, min_value=limits.EARLIEST_DATE,
                                        format=fmt.DATE_FORMAT, key=f"teams_edit_date_{team.id}")
            errors.slot("established_on")
            decision = st.text_input("Số quyết định", value=team.decision_no or "", key=f"teams_edit_decision_{team.id}",
                                     max_chars=limits.DECISION_NO_MAX)
            errors.slot("decision_no")
            note = st.text_area("Ghi chú", value=team.note or "", key=f"teams_edit_note_{team.id}", max_chars=limits.NOTE_MAX)
            saved = st.form_submit_button("Lưu thay đổi", type="primary")
        errors.slot("unit")
        if saved:
            payload = TeamInput(unit_id=team.unit_id, name=name, established_on=established,
                                         decision_no=decision, note=note)
            forms.submit(update_team, actor=actor, team_id=team.id, data=payload, errors=errors,
                         flash="teams_flash", success=f"Đã lưu thay đổi của “{name.strip()}”.")
        if team.closed_on is not None:
            return
        st.markdown("**Ngừng hoạt động**")
        close_errors = widgets.FieldErrors()
        with st.form(f"teams_close_form_{team.id}"):
            closed_on = st.date_input("Ngừng hoạt động từ ngày", value=today, max_value=today, min_value=limits.EARLIEST_DATE,
                                      format=fmt.DATE_FORMAT, key=f"teams_close_date_{team.id}")
            close_errors.slot("closed_on")
            confirm = st.checkbox("Tôi xác nhận tổ này ngừng hoạt động từ ngày trên", key=f"teams_close_confirm_{team.id}")
            closed = st.form_submit_button("Ngừng hoạt động tổ")
        if closed:
            if not confirm:
                close_errors.show("Hãy đánh dấu ô xác nhận trước khi ngừng hoạt động tổ.", "closed_on")
                return
            forms.submit(close_team, actor=actor, team_id=team.id, closed_on=closed_on, errors=close_errors,
                         flash="teams_flash", success=f"“{team.name}” ngừng hoạt động từ {fmt.day(closed_on)}.")


def members_tab() -> None:
    """A team's members and the form to add one."""
    team_id = widgets.team_picker(actor, key="teams_members")
    if team_id is None:
        return
    roster = None
    with shown_errors():
        roster = data.read(members.fetch_members, actor, team_id=team_id)
        st.caption(f"{fmt.number(int(roster['left_on'].isna().sum()))} thành viên đang tham gia")
        downloads.table(tables.members_table(roster), name=f"thanh-vien-to-{team_id}", key="teams_members_export",
                        sheet="Thành viên")
    if not can_write:
        return
    st.markdown("**Thêm thành viên**")
    nonce = st.session_state.setdefault("teams_member_nonce", 0)
    errors = widgets.FieldErrors()
    with st.form(f"teams_member_form_{team_id}_{nonce}"):
        col1, col2 = st.columns(2)
        full_name = col1.text_input("Họ và tên", key=f"teams_member_name_{nonce}", max_chars=limits.NAME_MAX)
        with col1:
            errors.slot("full_name")
        phone = col2.text_input("Điện thoại di động", key=f"teams_member_phone_{nonce}", placeholder="vd. 0905 123 456")
        with col2:
            errors.slot("phone")
        col3, col4, col5 = st.columns(3)
        gender = col3.selectbox("Giới tính", [None, *vocab.GENDERS], format_func=lambda g: "—" if g is None else vocab.GENDERS[g],
                                key=f"teams_member_gender_{nonce}")
        birth_year = col4.number_input("Năm sinh", min_value=BIRTH_YEARS[0], max_value=BIRTH_YEARS[1], value=None, step=1,
                                       key=f"teams_member_year_{nonce}")
        with col4:
            errors.slot("birth_year")
        role = col5.selectbox("Vai trò", list(vocab.MEMBER_ROLES), index=2, format_func=vocab.MEMBER_ROLES.get,
                              key=f"teams_member_role_{nonce}")
        with col5:
            errors.slot("role")
        organisation = st.selectbox("Tổ chức, đơn vị", list(vocab.ORGANISATIONS), format_func=vocab.ORGANISATIONS.get,
                                    key=f"teams_member_org_{nonce}")
        position = st.text_input("Chức vụ", key=f"teams_member_position_{nonce}", placeholder="vd. Bí thư Chi đoàn",
                                 max_chars=limits.NAME_MAX)
        joined = st.date_input("Ngày tham gia", value=today, max_value=today, min_value=limits.EARLIEST_DATE, format=fmt.DATE_FORMAT,
                               key=f"teams_member_joined_{nonce}")
        errors.slot("joined_on")
        added = st.form_submit_button("Thêm thành viên", type="primary")
    errors.slot("team")
    if added:
        payload = members.MemberInput(full_name=full_name, gender=gender, birth_year=birth_year, phone=phone,
                                       role=role, organisation=organisation, position=position, joined_on=joined)
        forms.submit(members.create_member, actor=actor, team_id=team_id, data=payload, errors=errors,
                     flash="teams_flash", success=f"Đã thêm {full_name.strip()} vào tổ.",
                     then={"teams_member_nonce": nonce + 1})
    if roster is not None and not roster.empty:
        with st.expander("Sửa thông tin hoặc cho thôi tham gia"):
            member_edit(roster)


def member_edit(roster: pd.DataFrame) -> None:
    """Correct one member, or record the day they left the team."""
    needle = fold(st.text_input("Tìm thành viên theo tên (có dấu hoặc không dấu)", key="teams_member_find"))
    labels = {
        int(r.member_id): f"{r.full_name} — {vocab.MEMBER_ROLES[r.role]}" + ("" if pd.isna(r.left_on) else " (đã rời tổ)")
        for r in roster.itertuples()
        if needle in fold(r.full_name)
    }
    if not labels:
        st.info("Không có thành viên nào khớp.")
        return
    member_id = st.selectbox("Thành viên", list(labels), format_func=labels.get, key="teams_member_edit_pick")
    if member_id is None:
        return
    row = roster.loc[roster["member_id"] == member_id].iloc[0]
    errors = widgets.FieldErrors()
    with st.form(f"teams_member_edit_{member_id}"):
        col1, col2 = st.columns(2)
        full_name = col1.text_input("Họ và tên", value=row["full_name"], key=f"teams_me_name_{member_id}", max_chars=limits.NAME_MAX)
        phone = col2.text_input("Điện thoại di động", value=row["phone"] if isinstance(row["phone"], str) else "",
                                key=f"teams_me_phone_{member_id}")
        with col1:
            errors.slot("full_name")
        with col2:
            errors.slot("phone")
        col3, col4, col5 = st.columns(3)
        genders = [None, *vocab.GENDERS]
        gender = col3.selectbox("Giới tính", genders, index=genders.index(row["gender"]) if row["gender"] in genders else 0,
                                format_func=lambda g: "—" if g is None else vocab.GENDERS[g], key=f"teams_me_gender_{member_id}")
        year = None if pd.isna(row["birth_year"]) else int(row["birth_year"])
        # A year stored before today's bounds moved stays shown (Streamlit refuses a value outside its range).
        birth_year = col4.number_input("Năm sinh", min_value=min(BIRTH_YEARS[0], year or BIRTH_YEARS[0]),
                                     max_value=max(BIRTH_YEARS[1], year or BIRTH_YEARS[1]), value=year, step=1,
                                     key=f"teams_me_year_{member_id}")
        roles = list(vocab.MEMBER_ROLES)
        role = col5.selectbox("Vai trò", roles, index=roles.index(row["role"]), format_func=vocab.MEMBER_ROLES.get,
                              key=f"teams_me_role_{member_id}")
        with col4:
            errors.slot("birth_year")
        with col5:
            errors.slot("role")
        orgs = list(vocab.ORGANISATIONS)
        organisation = st.selectbox("Tổ chức, đơn vị", orgs, index=orgs.index(row["organisation"]), format_func=vocab.ORGANISATIONS.get,
                                    key=f"teams_me_org_{member_id}")
        position = st.text_input("Chức vụ", value=row["position"] if isinstance(row["position"], str) else "",
                                 key=f"teams_me_position_{member_id}", max_chars=limits.NAME_MAX)
        joined = st.date_input("Ngày tham gia", value=row["joined_on"], max_value=today, min_value=limits.EARLIEST_DATE,
                               format=fmt.DATE_FORMAT, key=f"teams_me_joined_{member_id}")
        errors.slot("joined_on")
        saved = st.form_submit_button("Lưu thông tin thành viên", type="primary")
    errors.slot("other")
    if saved:
        payload = members.MemberInput(full_name=full_name, gender=gender, birth_year=birth_year, phone=phone, role=role,
                                       organisation=organisation, position=position, joined_on=joined)
        forms.submit(members.update_member, actor=actor, member_id=member_id, data=payload, errors=errors,
                     flash="teams_flash", success=f"Đã lưu thông tin của {full_name.strip()}.")
    if not pd.isna(row["left_on"]):
        return
    leave_errors = widgets.FieldErrors()
    with st.form(f"teams_member_leave_{member_id}"):
        left_on = st.date_input("Thôi tham gia từ ngày", value=today, max_value=today, min_value=limits.EARLIEST_DATE,
                                format=fmt.DATE_FORMAT, key=f"teams_me_left_{member_id}")
        leave_errors.slot("left_on")
        left = st.form_submit_button("Cho thôi tham gia tổ")
    if left:
        forms.submit(members.end_membership, actor=actor, member_id=member_id, left_on=left_on, errors=leave_errors,
                     field="left_on", flash="teams_flash", success=f"{row['full_name']} thôi tham gia tổ từ {fmt.day(left_on)}.")


def profile_tab() -> None:
    """A team's page: details, members, activity by month, latest reports and photos."""
    team_id = widgets.team_picker(actor, key="teams_profile")
    if team_id is None:
        return
    with shown_errors():
        team = data.read(fetch_team, actor, team_id=team_id)
        status = fmt.team_status(team.closed_on)
        st.subheader(widgets.md(team.name))
        st.markdown(
            f"**Địa bàn:** {widgets.md(team.unit_name)}  \n**Thành lập:** {fmt.day(team.established_on)}"
            f" — quyết định số {widgets.md(team.decision_no or 'chưa ghi')}  \n**Trạng thái:** {status}"
        )
        roster = data.read(members.fetch_members, actor, team_id=team.id)
        downloads.table(tables.members_table(roster), name=f"thanh-vien-to-{team.id}", key="teams_detail_members_export",
                        sheet="Thành viên")
        start = date(today.year - 1, today.month, 1)
        months = data.read(activities.fetch_team_activity_by_month, actor, team_id=team.id, start=start, end=today)
        if not months.empty:
            st.altair_chart(charts.build_activity_by_month_chart(months, title="Báo cáo theo tháng (12 tháng qua)"),
                            width="stretch", height=charts.MONTHLY_HEIGHT, key="teams_profile_chart")
        recent = data.read(activities.fetch_recent_activities, actor, team_id=team.id, limit=10)
        if recent.empty:
            st.info("Tổ chưa có báo cáo hoạt động nào.")
        else:
            panels.reports_table(recent)
            panels.photo_grid(recent)
        if can_write:
            with st.expander("Lịch sử thay đổi"):
                history = data.read(audit.fetch_team_history, actor, team_id=team.id)
                if history.empty:
                    st.caption("Chưa có thay đổi nào được ghi từ khi tổ được nhập vào hệ thống.")
                else:
                    panels.history_table(history)


def import_tab() -> None:
    """Teams and members from an Excel file, previewed before anything is written."""
    render_import(actor, key="teams_import", scope_label=widgets.scope_root(actor).name)


SECTIONS = {"Danh sách tổ": list_tab, "Hồ sơ tổ": profile_tab}
if can_write:
    SECTIONS |= {"Đăng ký tổ mới": register_tab, "Sửa / ngừng hoạt động": edit_tab}
SECTIONS["Thành viên"] = members_tab
if can_write:
    SECTIONS["Nhập từ Excel"] = import_tab
# Keyed, so a rerun (a file uploaded, a form sent) keeps the open tab instead of going back to the first.
# Only the open tab runs and is sent: a click on another tab reruns the page with that one open.
for tab, render in zip(st.tabs(list(SECTIONS), key="teams_tab", on_change="rerun"), SECTIONS.values(), strict=True):
    if tab.open is not False:
        with tab:
            render()
