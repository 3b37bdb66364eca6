"""Người dùng: accounts — the admin manages all, an officer the volunteer and leader accounts of their area."""

import streamlit as st

from db import auth, limits, reform, vocab
from report import fmt
from ui import data, downloads, forms, widgets
from ui.session import require_actor, shown_errors

actor = require_actor()
st.title("Người dùng")
widgets.flash("users_flash")
ROLES = list(vocab.ROLES) if actor.can_manage_all_users else ["volunteer", "leader"]

with shown_errors():
    users = data.read(auth.fetch_users, actor)
    downloads.table(
        {
            "Tên đăng nhập": users["username"],
            "Họ và tên": users["full_name"],
            "Vai trò": users["role"].map(vocab.ROLES),
            "Địa bàn": users["unit"].fillna("Cả nước"),
            "Trạng thái": users["is_active"].map(vocab.ACCOUNT_STATES),
            "Đăng nhập gần nhất": users["last_login_at"].map(lambda d: fmt.day(d) if d is not None and d == d else "Chưa"),
            "Đăng nhập sai (24 giờ qua)": users["recent_failures"].map(fmt.number),
        },
        name="nguoi-dung", key="users_list_export", sheet="Người dùng",
    )
    if actor.can_manage_all_users and actor.is_national:  # who rebinds them (db/reform.py)
        flagged = data.read_fresh(reform.flagged_accounts, actor)
        if not flagged.empty:
            st.warning(f"{fmt.number(len(flagged))} tài khoản đang gắn với đơn vị không còn từ 01/07/2025 (sắp xếp đơn vị "
                       "hành chính) và chờ gán đơn vị mới.", icon=":material/history:")
            st.page_link("pages/reform_page.py", label="Gán đơn vị mới ở trang Sắp xếp địa giới", icon=":material/account_tree:")

create_tab, manage_tab = st.tabs(["Tạo tài khoản", "Khóa, mở khóa, đặt lại mật khẩu"])
with create_tab:
    role = st.selectbox("Vai trò", ROLES, format_func=vocab.ROLES.get, key="users_new_role")
    unit_id = team_id = None
    if role == "volunteer":
        st.caption("Tài khoản thành viên tổ gắn với một tổ (và xem được số liệu của xã có tổ đó).")
        team_id = widgets.team_picker(actor, key="users_new_team", status="active")
    elif role != "admin" or not actor.can_manage_all_users:
        unit_id = widgets.unit_picker(actor, key="users_new_unit", stop_tier="commune",
                                      search_tiers=("province", "district", "commune")).id
    nonce = st.session_state.setdefault("users_nonce", 0)
    errors = widgets.FieldErrors()
    errors.slot("unit")
    errors.slot("team")
    with st.form(f"users_new_form_{nonce}"):
        username = st.text_input("Tên đăng nhập", key=f"users_new_username_{nonce}", max_chars=limits.USERNAME_MAX)
        errors.slot("username")
        full_name = st.text_input("Họ và tên", key=f"users_new_name_{nonce}", max_chars=limits.NAME_MAX)
        email = st.text_input("Thư điện tử (cho đăng nhập một lần, nếu có)", key=f"users_new_email_{nonce}", max_chars=limits.EMAIL_MAX)
        errors.slot("email")
        password = st.text_input("Mật khẩu ban đầu (ít nhất 10 ký tự)", type="password", key=f"users_new_password_{nonce}")
        errors.slot("password")
        created = st.form_submit_button("Tạo tài khoản", type="primary")
    if created:
        forms.submit(auth.create_user, actor=actor, username=username, password=password, full_name=full_name,
                     role=role, unit_id=unit_id, team_id=team_id, email=email, errors=errors, flash="users_flash",
                     success=f"Đã tạo tài khoản “{username.strip().lower()}”.", then={"users_nonce": nonce + 1})

with manage_tab:
    manageable = users[users["user_id"] != actor.user_id]
    if not actor.can_manage_all_users:
        manageable = manageable[manageable["role"].isin(["volunteer", "leader"])]
    if manageable.empty:
        st.info("Chưa có tài khoản nào bạn quản lý được.")
    else:
        labels = {int(r.user_id): f"{r.username} — {r.full_name} ({vocab.ROLES[r.role]})" for r in manageable.itertuples()}
        chosen = st.selectbox("Tài khoản", list(labels), format_func=labels.get, key="users_manage_pick")
        row = manageable.loc[manageable["user_id"] == chosen].iloc[0]
        active = bool(row["is_active"])
        if row["recent_failures"]:
            st.caption(f"{fmt.number(row['recent_failures'])} lần đăng nhập sai trong 24 giờ qua. Mỗi trình duyệt, địa chỉ "
                       "thử sai nhiều lần chỉ bị chờ riêng (tối đa 15 phút); trình duyệt chủ tài khoản đã đăng nhập trước "
                       "đó không bị ảnh hưởng. Đặt lại mật khẩu sẽ xóa các lần sai này.")
        if st.button("Khóa tài khoản" if active else "Mở khóa tài khoản", key=f"users_toggle_{chosen}"):
            forms.submit(auth.set_user_active, actor=actor, user_id=chosen, active=not active, flash="users_flash",
                         success=f"Đã {'khóa' if active else 'mở khóa'} tài khoản “{row['username']}”.")
        reset_errors = widgets.FieldErrors()
        with st.form(f"users_reset_{chosen}"):
            new_password = st.text_input("Mật khẩu mới", type="password", key=f"users_reset_password_{chosen}")
            reset_errors.slot("password")
            reset = st.form_submit_button("Đặt lại mật khẩu")
        if reset:
            forms.submit(auth.reset_password, actor=actor, user_id=chosen, new_password=new_password, flash="users_flash",
                         success=f"Đã đặt lại mật khẩu cho “{row['username']}”.", errors=reset_errors, field="password")
