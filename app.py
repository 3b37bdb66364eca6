"""The picture frame: page config, sign-in, and the role's page list for st.navigation."""

from collections.abc import Callable

import streamlit as st

from db import units, vocab
from db.errors import UserError
from ui import data, signin, style, widgets
from ui.guard import shown_errors
from ui.menu import PAGES, ROLE_PAGES
from ui.session import actor_by_email, current_actor, navigate_if_pending, pop_notice, sign_in, sign_out, try_sign_in

st.set_page_config(page_title="Tổ công nghệ số cộng đồng", page_icon=style.ICON, layout="wide")


def sso_sign_in() -> None:
    """Single sign-on: map the provider's e-mail to an account row carrying role and unit."""
    if not st.user.is_logged_in:
        if st.button("Đăng nhập bằng tài khoản của cơ quan (SSO)", key="login_sso", icon=":material/badge:"):
            st.login()
        return
    actor = actor_by_email(str(st.user.get("email") or ""))
    if actor is None:
        st.error(f"Thư điện tử {widgets.md(st.user.get('email'))} chưa được gắn với tài khoản nào; hãy liên hệ quản trị hệ thống.")
        if st.button("Đăng xuất khỏi SSO", key="login_sso_out"):
            st.logout()
        return
    sign_in(actor)
    st.rerun()


def login_page() -> None:
    """The frame's own sign-in form: for single sign-on, and when the gate (ui/signin.py) could not check the
    sign-in (database down) and let the page through. After signing in here, the browser fetches its cookie
    from the server and comes back to the address that was asked for."""
    st.title("Tổ công nghệ số cộng đồng")
    st.caption("Hệ thống theo dõi Tổ CNSCĐ: đăng ký tổ, thành viên, hoạt động và độ phủ theo địa bàn.")
    notice = pop_notice()
    if notice:
        st.warning(widgets.md(notice))
    if signin.sso_configured():
        sso_sign_in()
        st.caption("Hoặc đăng nhập bằng tên và mật khẩu:")
    with st.form("login_form"):
        username = st.text_input("Tên đăng nhập", key="login_username")
        password = st.text_input("Mật khẩu", type="password", key="login_password")
        submitted = st.form_submit_button("Đăng nhập", type="primary")
    if submitted:
        try:
            try_sign_in(username, password)
        except UserError as err:
            st.error(widgets.md(err.message))
        else:
            st.rerun()


def not_found_page() -> None:
    """What a page outside the user's role answers, also when its address is typed by hand."""
    st.title("Không tìm thấy trang")
    st.write("Trang bạn yêu cầu không tồn tại hoặc không dành cho tài khoản của bạn.")
    st.page_link(_page("overview", PAGES["overview"][0]), label="Về trang Tổng quan", icon=":material/home:")


def _page(path: str, target: str | Callable[[], None]) -> st.Page:
    file, title, icon = PAGES[path]
    return st.Page(target, title=title, icon=icon, url_path=path, default=path == "overview")


style.apply()
# One guard for the whole run: a database that is down or restarting, or a bug, shows a Vietnamese
# message instead of a traceback (ui/guard.py); the sign-in, the sidebar and the page all run inside it.
with shown_errors(frame=True):
    actor = current_actor()
    navigate_if_pending()
    if actor is None:
        # Every known address shows the sign-in form, so a bookmarked page opens after signing in.
        pages = {path: _page(path, login_page) for path in PAGES}
        st.navigation(list(pages.values()), position="hidden").run()
    else:
        allowed = ROLE_PAGES[actor.role]
        pages = {path: _page(path, PAGES[path][0] if path in allowed else not_found_page) for path in PAGES}
        current = st.navigation(list(pages.values()), position="hidden")
        with st.sidebar:
            for path in allowed:
                st.page_link(pages[path])
            st.divider()
            scope = data.read(units.fetch_unit, actor, unit_id=actor.unit_id).name if actor.unit_id else "Cả nước"
            st.markdown(f"**{widgets.md(actor.full_name)}**")
            st.caption(f"{vocab.ROLES[actor.role]} · {widgets.md(scope)}")
            if st.button("Đăng xuất", key="app_sign_out", icon=":material/logout:"):
                sign_out()
                st.rerun()
        current.run()
