"""Sắp xếp địa giới: the administrator carries the registry over to the 2025 structure, decides the legacy communes'
teams and rebinds the accounts of units that ended (every rule and write in db/reform.py)."""

from datetime import date

import pandas as pd
import streamlit as st

from db import reform, units, vocab
from db.errors import UserError
from report import fmt
from ui import carry_over, data, downloads, forms, widgets
from ui.session import require_actor, run_action, shown_errors

actor = require_actor()
st.title("Sắp xếp địa giới")
st.caption("Chuyển sổ đăng ký (thôn, tổ, thành viên, báo cáo) từ địa giới cũ sang địa giới mới từ ngày 01/07/2025. "
           "Số liệu các ngày trước 01/07/2025 của đơn vị cũ không thay đổi; số liệu của đơn vị mới là tổng các thôn "
           "của đơn vị ấy.")
widgets.flash("reform_flash")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FLASH = "reform_flash"
RESULT = "reform_result"


def pick_province() -> int | None:
    """Today's provinces, or the whole country (None)."""
    provinces = data.read(units.fetch_children, actor, parent_id=None)
    names = dict(zip(provinces["id"].astype(int), provinces["name"], strict=True))
    return st.selectbox("Phạm vi", [None, *names], format_func=lambda i: "Cả nước" if i is None else names[i],
                        key="reform_province")


def preview(plan: reform.CarryOverPlan) -> None:
    """How many villages move, on which basis, to which 2025 commune; the preview workbook."""
    st.subheader("Bản xem trước")
    moving = int(plan.villages["new_commune_id"].notna().sum())
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Thôn sẽ chuyển", fmt.number(moving), border=True)
    c2.metric("Thôn cần xác nhận", fmt.number(int(plan.villages["to_confirm"].sum())), border=True)
    c3.metric("Thôn đã chuyển trước đó", fmt.number(plan.carried), border=True)
    c4.metric("Thôn chưa có xã mới tương ứng", fmt.number(plan.missing_mapping), border=True)
    if plan.villages.empty:
        st.success("Không còn thôn nào theo địa giới cũ cần chuyển trong phạm vi này.")
        return
    downloads.table(carry_over.preview_by_commune(plan.villages), name="chuyen-so-theo-xa-moi", key="reform_preview_export",
                    sheet="Theo xã mới")
    st.download_button("Tải bản xem trước (Excel)", data=lambda: reform.plan_workbook(plan),
                       file_name=f"ban-xem-truoc-chuyen-so-{date.today():%Y%m%d}.xlsx", mime=XLSX, key="reform_plan_xlsx",
                       icon=":material/table_view:")


def confirm_villages(plan: reform.CarryOverPlan) -> None:
    """The villages of divided communes: the target suggested, and a choice per village saved with one button."""
    communes = carry_over.divided_communes(plan.villages)
    if not communes:
        return
    st.subheader("Thôn của xã bị chia tách")
    st.caption("Xã cũ bị chia cho nhiều xã mới: thôn có tọa độ được xếp theo vị trí, thôn chưa có tọa độ vào xã mới mặc định. "
               "Hãy xác nhận hoặc đổi xã mới cho từng thôn.")
    waiting = carry_over.to_confirm_table(plan.villages)
    if not waiting.empty:
        downloads.table(waiting, name="thon-can-xac-nhan", key="reform_confirm_export", sheet="Thôn cần xác nhận")
    commune_id = st.selectbox("Xã cũ", list(communes), format_func=communes.__getitem__, key="reform_divided")
    rows = plan.villages.loc[plan.villages["legacy_commune_id"] == commune_id]
    choices: dict[int, int] = {}
    with st.form(f"reform_choices_{commune_id}"):
        for row in rows.itertuples():
            names = dict(row.options)
            current = int(row.new_commune_id) if pd.notna(row.new_commune_id) else None
            ids = list(names)
            note = vocab.REFORM_BASES.get(row.basis, "")
            choices[int(row.village_id)] = st.selectbox(
                widgets.md(f"{row.village} — {note}"), ids, index=ids.index(current) if current in ids else 0,
                format_func=names.__getitem__, key=f"reform_choice_{row.village_id}")
        saved = st.form_submit_button("Lưu lựa chọn", type="primary")
    if saved:
        save_choices(choices)


def save_choices(choices: dict[int, int]) -> None:
    """Confirm each village's 2025 commune (one write per village, each audited); stop at the first refusal."""
    done = 0
    for village_id, commune_id in choices.items():
        try:
            run_action(reform.choose_commune, actor=actor, village_id=village_id, commune_id=commune_id)
        except UserError as err:
            st.error(widgets.md(err.message))
            if done:
                st.info(f"Đã lưu {fmt.number(done)} thôn trước thôn bị từ chối.")
            return
        done += 1
    st.session_state[FLASH] = f"Đã lưu lựa chọn xã mới cho {fmt.number(done)} thôn."
    st.rerun()


def apply(plan: reform.CarryOverPlan, province_id: int | None) -> None:
    """The carry-over itself, behind a confirmation; its result and workbook."""
    st.subheader("Chuyển sổ")
    moving = int(plan.villages["new_commune_id"].notna().sum())
    waiting = int(plan.villages["to_confirm"].sum())
    if waiting:
        st.warning(f"Còn {fmt.number(waiting)} thôn của xã bị chia tách chưa xác nhận: nếu chuyển sổ bây giờ, các thôn "
                   "này vào xã mới dự kiến trong bản xem trước.")
    nonce = st.session_state.setdefault("reform_nonce", 0)
    agreed = st.checkbox("Tôi đã xem bản xem trước và đồng ý chuyển sổ sang địa giới mới.", key=f"reform_agree_{nonce}",
                         disabled=moving == 0)
    if st.button("Chuyển sổ sang địa giới mới", type="primary", disabled=not agreed or moving == 0, key="reform_apply",
                 icon=":material/move_down:"):
        try:
            result = run_action(reform.apply_carry_over, actor=actor, province_id=province_id)
        except UserError as err:
            st.error(widgets.md(err.message))
        else:
            st.session_state[RESULT] = (result, date.today())
            st.session_state["reform_nonce"] = nonce + 1  # the next carry-over asks again
            st.rerun()
    shown = st.session_state.get(RESULT)
    if shown is not None:
        result, day = shown
        st.success(carry_over.result_text(result, day))
        st.download_button("Tải kết quả (Excel)", data=lambda: reform.result_workbook(result),
                           file_name=f"ket-qua-chuyen-so-{day:%Y%m%d}.xlsx", mime=XLSX, key="reform_result_xlsx",
                           icon=":material/table_view:")


def commune_teams(plan: reform.CarryOverPlan) -> None:
    """Commune-level teams of legacy communes: an administrator closes or moves each one, never the carry-over."""
    st.subheader(f"Tổ cấp xã của xã cũ ({fmt.number(len(plan.commune_teams))})")
    teams = plan.commune_teams
    if teams.empty:
        st.caption("Không còn tổ cấp xã nào của xã theo địa giới cũ cần xử lý.")
        return
    st.caption("Tổ cấp xã không tự chuyển theo thôn: hãy đóng tổ từ ngày 01/07/2025, hoặc chuyển tổ sang xã mới "
               "(khi cả xã cũ vào một xã mới): tổ cũ đóng ngày 01/07/2025 và tiếp tục ở xã mới, hoặc nhập vào tổ "
               "xã mới đã có; thành viên đang hoạt động và báo cáo từ ngày ấy đi theo, số liệu trước đó giữ nguyên.")
    downloads.table(teams[list(vocab.REFORM_TEAM_COLUMNS)].rename(columns=vocab.REFORM_TEAM_COLUMNS),
                    name="to-cap-xa-can-xu-ly", key="reform_teams_export", sheet="Tổ cấp xã")
    labels = {int(r.team_id): f"{r.team} — {r.legacy_commune}" for r in teams.itertuples()}
    team_id = st.selectbox("Tổ", list(labels), format_func=labels.__getitem__, key="reform_team_pick")
    row = teams.loc[teams["team_id"] == team_id].iloc[0]
    cols = st.columns(2)
    for col, (decision, label) in zip(cols, vocab.COMMUNE_TEAM_DECISIONS.items(), strict=True):
        if col.button(label, key=f"reform_team_{decision}_{team_id}"):
            done = "đã đóng từ ngày 01/07/2025" if decision == "close" else f"đã chuyển sang {row['new_commune']}"
            forms.submit(reform.decide_commune_team, actor=actor, team_id=team_id, decision=decision, flash=FLASH,
                         success=f"{row['team']} {done}.")


def flagged_accounts() -> None:
    """Accounts bound to a unit that ended: the suggested 2025 unit preselected, the administrator decides."""
    flagged = data.read_fresh(reform.flagged_accounts, actor)
    st.subheader(f"Tài khoản gắn với đơn vị không còn ({fmt.number(len(flagged))})")
    if flagged.empty:
        st.caption("Không có tài khoản nào đang gắn với đơn vị đã thôi tồn tại.")
        return
    downloads.table(
        {"Tên đăng nhập": flagged["username"], "Họ và tên": flagged["full_name"], "Vai trò": flagged["role"].map(vocab.ROLES),
         "Đơn vị cũ": flagged["unit"], "Đề xuất": flagged["suggested_unit"].fillna("")},
        name="tai-khoan-can-gan-lai", key="reform_accounts_export", sheet="Tài khoản cần gán lại",
    )
    labels = {int(r.user_id): f"{r.username} — {r.full_name} ({r.unit})" for r in flagged.itertuples()}
    user_id = st.selectbox("Tài khoản", list(labels), format_func=labels.__getitem__, key="reform_account_pick")
    row = flagged.loc[flagged["user_id"] == user_id].iloc[0]
    names = dict(row["options"])
    if not names:
        st.info("Chưa có đơn vị mới tương ứng để đề xuất cho tài khoản này.")
        return
    ids = list(names)
    suggested = row["suggested_unit_id"]
    index = ids.index(int(suggested)) if pd.notna(suggested) and int(suggested) in ids else 0
    unit_id = st.selectbox("Đơn vị mới", ids, index=index, format_func=names.__getitem__, key=f"reform_account_unit_{user_id}")
    if st.button("Gán đơn vị mới", type="primary", key=f"reform_rebind_{user_id}"):
        forms.submit(reform.rebind_account, actor=actor, user_id=user_id, unit_id=unit_id, flash=FLASH,
                     success=f"Đã gán tài khoản “{row['username']}” vào {names[unit_id]}.")


def page() -> None:
    """The sections in the order of the work: preview, choices, carry-over, teams, accounts."""
    province_id = pick_province()
    # Cached per data version: every write of this page but a rebinding (which the plan does not show) moves it.
    plan = data.read(reform.plan_carry_over, actor, province_id=province_id)
    preview(plan)
    confirm_villages(plan)
    apply(plan, province_id)
    commune_teams(plan)
    flagged_accounts()


with shown_errors():
    page()
