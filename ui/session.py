"""The signed-in user in Streamlit's session state, and running one user action safely."""

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import streamlit as st
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

from db.access import Actor
from db.auth import authenticate
from db.engine import SessionLocal
from db.errors import UserError

ACTOR_KEY = "auth_actor"
RETRIES = 2
T = TypeVar("T")


def current_actor() -> Actor | None:
    """The signed-in user, or None."""
    return st.session_state.get(ACTOR_KEY)


def require_actor() -> Actor:
    """The signed-in user; stops the page when nobody is signed in."""
    actor = current_actor()
    if actor is None:
        st.warning("Vui lòng đăng nhập.")
        st.stop()
    return actor


def sign_in(actor: Actor) -> None:
    """Remember the signed-in user for this browser session."""
    st.session_state[ACTOR_KEY] = actor


def sign_out() -> None:
    """Forget the user and every page's state."""
    for key in list(st.session_state.keys()):
        del st.session_state[key]


def try_sign_in(username: str, password: str) -> Actor:
    """Check credentials; the failure counter is committed too, so lockouts survive the error."""
    with SessionLocal() as session:
        try:
            actor = authenticate(session, username=username, password=password)
        finally:
            session.commit()
    sign_in(actor)
    return actor


def run_action(action: Callable[..., T], /, **kwargs: Any) -> T:
    """Run one write in its own transaction: commit on success, roll back and re-raise on any error.

    A unique-key collision or a busy database is retried on a fresh transaction, whose checks then
    see the other writer's row (a resubmitted form finds its report; a taken name gets its message).
    Database failures that remain are turned into a UserError with a Vietnamese message, so no
    traceback reaches the user and nothing half-written stays behind.
    """
    for attempt in range(RETRIES + 1):
        try:
            with SessionLocal.begin() as session:
                return action(session, **kwargs)
        except UserError:
            raise
        except (IntegrityError, OperationalError) as err:
            if attempt < RETRIES:
                time.sleep(0.05 * (attempt + 1))
                continue
            if isinstance(err, IntegrityError):
                raise UserError("Dữ liệu vừa nhập trùng hoặc mâu thuẫn với dữ liệu đã có; chưa có gì được lưu.") from err
            raise UserError("Cơ sở dữ liệu đang bận hoặc tạm thời không truy cập được; chưa có gì được lưu, hãy thử lại.") from err
        except SQLAlchemyError as err:
            raise UserError("Không lưu được dữ liệu do lỗi cơ sở dữ liệu; chưa có gì được lưu.") from err
    raise AssertionError("unreachable")


@contextmanager
def shown_errors() -> Iterator[None]:
    """Show a UserError raised inside the block as a Vietnamese error box instead of a traceback."""
    try:
        yield
    except UserError as err:
        st.error(err.message)
