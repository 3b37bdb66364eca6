"""The signed-in user in Streamlit's session state, and running one user action safely."""

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

import streamlit as st

from db.access import Actor
from db.auth import authenticate, end_session, find_by_email, idle_limit, resume_session, start_session
from db.engine import SessionLocal
from db.errors import UserError
from db.transactions import run_write
from ui.guard import shown_errors  # noqa: F401 - pages import it from here with the other session helpers

ACTOR_KEY = "auth_actor"
SEEN_KEY = "auth_last_seen"
TOKEN_KEY = "auth_token"
COOKIE_KEY = "auth_cookie_pending"  # the cookie to write on the next run: a token, or "" to clear it
NOTICE_KEY = "auth_notice"
COOKIE = "tocnscd_session"
TOUCH_EVERY = timedelta(minutes=5)
FAILURE_DELAY = 1.0  # seconds
T = TypeVar("T")


def current_actor(now: datetime | None = None) -> Actor | None:
    """The signed-in user: from this tab's state, or resumed from the browser's cookie after a reload.

    A tab idle for longer than the configured time is signed out.
    """
    now = now or datetime.now()
    actor: Actor | None = st.session_state.get(ACTOR_KEY)
    if actor is not None:
        last = st.session_state.get(SEEN_KEY, now)
        if now - last > idle_limit():
            sign_out(notice="Phiên làm việc đã hết hạn do không sử dụng; vui lòng đăng nhập lại.")
            return None
        st.session_state[SEEN_KEY] = now
        if now - st.session_state.get("auth_touched", now) > TOUCH_EVERY and not _touch(now):
            # Signed out in another tab or through another server, or the account was disabled.
            sign_out(notice="Phiên đăng nhập đã kết thúc; vui lòng đăng nhập lại.")
            return None
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
        token = st.context.cookies.get(COOKIE)
    except (AttributeError, RuntimeError):
        return None
    return token if isinstance(token, str) and token else None


def _touch(now: datetime) -> bool:
    """Keep the stored sign-in fresh while the tab is in use, so a reload within the limit resumes it.

    False when the stored sign-in is gone: ended by "Đăng xuất" in another tab, on any server, or by
    disabling the account or resetting its password.
    """
    token = st.session_state.get(TOKEN_KEY)
    st.session_state["auth_touched"] = now
    if not token:
        return True
    with SessionLocal.begin() as session:
        return resume_session(session, token=token, now=now) is not None


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


def sign_in(actor: Actor, *, remember: bool = True) -> None:
    """Remember the user in this tab and, through a cookie, across reloads of this browser."""
    now = datetime.now()
    token = None
    if remember and actor.user_id is not None:
        with SessionLocal.begin() as session:
            token = start_session(session, actor=actor, now=now)
        st.session_state[COOKIE_KEY] = token
    _remember(actor, token, now)


def sign_out(*, notice: str | None = None) -> None:
    """Forget the user, their stored sign-in and every page's state."""
    token = st.session_state.get(TOKEN_KEY) or _cookie_token()
    if token:
        with SessionLocal.begin() as session:
            end_session(session, token=token)
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    st.session_state[COOKIE_KEY] = ""
    if notice:
        st.session_state[NOTICE_KEY] = notice


def write_pending_cookie() -> None:
    """Write or clear the sign-in cookie in the browser; the script holds only a random token."""
    pending = st.session_state.pop(COOKIE_KEY, None)
    if pending is None:
        return
    if pending:
        seconds = int(idle_limit().total_seconds())
        value = f"{COOKIE}={pending}; path=/; max-age={seconds}; SameSite=Strict"
    else:
        value = f"{COOKIE}=; path=/; max-age=0; SameSite=Strict"
    st.html(f"<script>document.cookie = {value!r};</script>", unsafe_allow_javascript=True, width="content")


def pop_notice() -> str | None:
    """A message left for the sign-in page (an expired session)."""
    return st.session_state.pop(NOTICE_KEY, None)


def try_sign_in(username: str, password: str) -> Actor:
    """Check credentials; the failure counter is committed even when they are wrong."""
    with SessionLocal() as session:
        try:
            actor = authenticate(session, username=username, password=password)
        except UserError:
            session.commit()
            time.sleep(FAILURE_DELAY)  # slows down guessing; the lockout stops it
            raise
        session.commit()
    sign_in(actor)
    return actor


def run_action(action: Callable[..., T], /, **kwargs: Any) -> T:
    """Run one write as one transaction (db.transactions.run_write: retries, Vietnamese errors)."""
    return run_write(action, **kwargs)
