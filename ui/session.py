"""The signed-in user in Streamlit's session state, and running one user action safely."""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

import streamlit as st

from db.access import Actor
from db.auth import end_session, find_by_email, idle_limit, resume_session, start_session
from db.engine import SessionLocal
from db.transactions import SignedOut, run_write
from ui import signin
from ui.guard import shown_errors  # noqa: F401 - pages import it from here with the other session helpers

ACTOR_KEY = "auth_actor"
SEEN_KEY = "auth_last_seen"
TOKEN_KEY = "auth_token"
NAVIGATE_KEY = "auth_navigate"  # where the browser goes on the next run: the cookie is set and cleared by the server
NOTICE_KEY = "auth_notice"
TOUCH_EVERY = timedelta(minutes=5)
T = TypeVar("T")


def current_actor(now: datetime | None = None) -> Actor | None:
    """The signed-in user: from this tab's state, or resumed from the browser's cookie after a reload.

    A tab idle for longer than the configured time is signed out, and so is a tab whose sign-in ended
    elsewhere (another tab's "Đăng xuất", a disabled account, a reset password) at its next action.
    """
    now = now or datetime.now()
    actor: Actor | None = st.session_state.get(ACTOR_KEY)
    if actor is not None:
        last = st.session_state.get(SEEN_KEY, now)
        if now - last > idle_limit():
            sign_out(notice="Phiên làm việc đã hết hạn do không sử dụng; vui lòng đăng nhập lại.")
            return None
        st.session_state[SEEN_KEY] = now
        resumed = _still_signed_in(now)
        if resumed is None:
            sign_out(notice="Phiên đăng nhập đã kết thúc; vui lòng đăng nhập lại.")
            return None
        if resumed is not True:  # the account as it stands now: a password changed in this browser moved its epoch
            st.session_state[ACTOR_KEY] = actor = resumed
        return actor
    token = _cookie_token()
    if not token:
        return None
    with SessionLocal.begin() as session:
        actor = resume_session(session, token=token, now=now)
    if actor is not None:
        _remember(actor, token, now)
    return actor


def actor_by_email(email: str) -> Actor | None:
    """The account a single sign-on e-mail is bound to (None when no account carries it)."""
    with SessionLocal() as session:
        return find_by_email(session, email=email)


def _cookie_token() -> str | None:
    """The sign-in token the browser sent when this tab connected (None in tests without a browser)."""
    try:
        token = st.context.cookies.get(signin.COOKIE)
    except (AttributeError, RuntimeError):
        return None
    return token if isinstance(token, str) and token else None


def _still_signed_in(now: datetime) -> Actor | bool | None:
    """This tab's stored sign-in as it stands (its account re-read), None when it ended; True without a token.

    A read at every action, a recorded use every few minutes: the use keeps a reload within the idle limit
    signed in; the read alone costs one indexed lookup.
    """
    token = st.session_state.get(TOKEN_KEY)
    if not token:
        return True
    touch = now - st.session_state.get("auth_touched", now) > TOUCH_EVERY
    if touch:
        st.session_state["auth_touched"] = now
    with SessionLocal.begin() as session:
        return resume_session(session, token=token, now=now, touch=touch)


def _remember(actor: Actor, token: str | None, now: datetime) -> None:
    st.session_state[ACTOR_KEY] = actor
    st.session_state[SEEN_KEY] = now
    st.session_state["auth_touched"] = now
    if token:
        st.session_state[TOKEN_KEY] = token


def require_actor() -> Actor:
    """The signed-in user; stops the page when nobody is signed in."""
    actor = current_actor()
    if actor is None:
        st.warning("Vui lòng đăng nhập.")
        st.stop()
    return actor


def current_token() -> str | None:
    """This tab's sign-in token (the account page keeps it signed in when the password changes)."""
    return st.session_state.get(TOKEN_KEY) or _cookie_token()


def sign_in(actor: Actor, token: str | None = None, device: str | None = None) -> None:
    """Remember the user in this tab and have the server set the browser's cookie, so reloads stay signed in.

    Only the server can set an HttpOnly cookie: the browser is sent through /dang-nhap/tiep with a one-time
    code for this sign-in (ui/signin.py), and comes back to the same page.
    """
    now = datetime.now()
    if token is None and actor.user_id is not None:
        with SessionLocal.begin() as session:
            token = start_session(session, actor=actor, now=now)
    if token:
        st.session_state[NAVIGATE_KEY] = f"{signin.HANDOFF}?ma={signin.hand_off(token, device)}&next="
    _remember(actor, token, now)


def sign_out(*, notice: str | None = None) -> None:
    """Forget the user and every page's state, end the stored sign-in (all tabs), and clear the cookie."""
    token = st.session_state.get(TOKEN_KEY) or _cookie_token()
    if token:
        with SessionLocal.begin() as session:
            end_session(session, token=token)
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    st.session_state[NAVIGATE_KEY] = f"{signin.SIGN_OUT}?{'het=1&' if notice else ''}next="
    if notice:
        st.session_state[NOTICE_KEY] = notice


def navigate_if_pending() -> None:
    """Send the browser to the server route a sign-in or sign-out left (its address ends with `next=`).

    The page it should come back to is the browser's own address, so the script adds it.
    """
    target = st.session_state.pop(NAVIGATE_KEY, None)
    if target is None:
        return
    script = f"window.location.replace({target!r} + encodeURIComponent(location.pathname + location.search));"
    st.html(f"<script>{script}</script>", unsafe_allow_javascript=True, width="content")


def pop_notice() -> str | None:
    """A message left for the sign-in page (an expired session)."""
    return st.session_state.pop(NOTICE_KEY, None)


def try_sign_in(username: str, password: str) -> Actor:
    """Check credentials (a wrong password counts and waits, ui/signin.py); sign in this tab and the browser.

    Wrong attempts count per (name, client) as on the sign-in page: this browser's known-browser cookie,
    else its address.
    """
    try:
        address, device_cookie = st.context.ip_address, st.context.cookies.get(signin.DEVICE_COOKIE)
    except (AttributeError, RuntimeError):  # no browser (tests)
        address, device_cookie = None, None
    actor, token, device = signin.check_credentials(username, password, address=address, device_cookie=device_cookie)
    sign_in(actor, token, device)
    return actor


def run_action(action: Callable[..., T], /, **kwargs: Any) -> T:
    """Run one write as one transaction (db.transactions.run_write: retries, Vietnamese errors).

    An account disabled, or its password reset or changed, since this tab read it is signed out and sent to
    sign in again, with the reason.
    """
    try:
        return run_write(action, **kwargs)
    except SignedOut as err:
        sign_out(notice=err.message)
        st.rerun()
