"""The picture frame: page config, sign-in, and the role's page list for st.navigation."""

import streamlit as st

from db import vocab
from db.errors import UserError
from ui import data
from ui.session import current_actor, sign_out, try_sign_in

st.set_page_config(page_title="Tổ công nghệ số cộng đồng", page_icon="📶", layout="wide")

PAGES = {
    "overview": st.Page("pages/overview.py", title="Tổng quan", icon="📊", url_path="overview", default=True),
    "coverage": st.Page("pages/coverage.py", title="Độ phủ", icon="🗺️", url_path="coverage"),
    "teams": st.Page("pages/teams.py", title="Tổ CNSCĐ", icon="👥", url_path="teams"),
    "villages": st.Page("pages/villages.py", title="Địa bàn", icon="🏘️", url_path="villages"),
}
ROLE_PAGES = {
    "admin": ["overview", "coverage", "teams", "villages"],
    "officer": ["overview", "coverage", "teams", "villages"],
    "leader": ["overview", "coverage"],
    "volunteer": ["overview"],
}


def login_page() -> None:
    """The sign-in form."""
    st.title("Tổ công nghệ số cộng đồng")
    st.caption("Hệ thống theo dõi Tổ CNSCĐ: đăng ký tổ, thành viên, hoạt động và độ phủ theo địa bàn.")
    with st.form("login_form"):
        username = st.text_input("Tên đăng nhập", key="login_username")
        password = st.text_input("Mật khẩu", type="password", key="login_password")
        submitted = st.form_submit_button("Đăng nhập", type="primary")
    if submitted:
        try:
            try_sign_in(username, password)
        except UserError as err:
            st.error(err.message)
        else:
            st.rerun()


actor = current_actor()
if actor is None:
    st.navigation([st.Page(login_page, title="Đăng nhập", url_path="login", default=True)], position="hidden").run()
else:
    with st.sidebar:
        scope = data.read("fetch_unit", actor, unit_id=actor.unit_id).name if actor.unit_id else "Cả nước"
        st.markdown(f"**{actor.full_name}**")
        st.caption(f"{vocab.ROLES[actor.role]} · {scope}")
        if st.button("Đăng xuất", key="app_sign_out"):
            sign_out()
            st.rerun()
    st.navigation([PAGES[name] for name in ROLE_PAGES[actor.role]]).run()
