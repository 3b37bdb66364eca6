"""Tài khoản: the signed-in user's own account and password."""

import streamlit as st

from db import auth, vocab
from ui import forms, widgets
from ui.session import current_token, require_actor

actor = require_actor()
st.title("Tài khoản của tôi")
widgets.flash("account_flash")
st.markdown(f"**Tên đăng nhập:** {widgets.md(actor.username)}  \n**Họ và tên:** {widgets.md(actor.full_name)}  \n"
            f"**Vai trò:** {vocab.ROLES[actor.role]}")
st.subheader("Đổi mật khẩu")
nonce = st.session_state.setdefault("account_nonce", 0)
errors = widgets.FieldErrors()
with st.form(f"account_password_{nonce}"):
    current = st.text_input("Mật khẩu hiện tại", type="password", key=f"account_current_{nonce}")
    errors.slot("current")
    new = st.text_input("Mật khẩu mới (ít nhất 10 ký tự, khác tên đăng nhập)", type="password", key=f"account_new_{nonce}")
    again = st.text_input("Nhập lại mật khẩu mới", type="password", key=f"account_again_{nonce}")
    errors.slot("password")
    changed = st.form_submit_button("Đổi mật khẩu", type="primary")
if changed:
    if new != again:
        errors.show("Hai lần nhập mật khẩu mới không khớp.", "password")
    else:
        # This browser stays signed in; every other browser of the account is signed out.
        forms.submit(auth.change_password, actor=actor, current=current, new_password=new, keep_token=current_token(),
                     success="Đã đổi mật khẩu; các trình duyệt khác đang đăng nhập tài khoản này đã được đăng xuất.",
                     flash="account_flash", errors=errors, then={"account_nonce": nonce + 1})
