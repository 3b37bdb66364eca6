"""What a user sees when something fails: a Vietnamese message, never a traceback; details go to the server log.

The frame (app.py) runs the sign-in, the sidebar and the page inside `shown_errors()`, and every live
fragment carries it too (ui/live.py: a fragment rerun does not pass through the frame).
A database that cannot be reached — PostgreSQL stopped or restarting, a SQLite file that cannot be
opened — gets its own message; the next rerun simply tries again, and pool_pre_ping replaces the
connections the outage killed. Streamlit's control flow (st.rerun, st.stop, st.switch_page) raises
BaseException subclasses, which pass through untouched.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from streamlit.errors import FragmentHandledException

from db.errors import UserError
from ui.widgets import md

log = logging.getLogger(__name__)

DATABASE_UNAVAILABLE = ("Không kết nối được cơ sở dữ liệu: máy chủ dữ liệu đang dừng, đang khởi động lại "
                        "hoặc tệp dữ liệu không mở được. Hãy thử lại sau ít phút; nếu vẫn không được, "
                        "hãy báo quản trị hệ thống.")
UNEXPECTED = ("Đã xảy ra lỗi ngoài dự kiến nên trang chưa hiển thị được đầy đủ. Lỗi đã được ghi lại để "
              "quản trị hệ thống kiểm tra; hãy thử lại sau ít phút.")


def database_unavailable(err: BaseException) -> bool:
    """True when `err` means the database cannot be reached or opened now (not a bug in a query)."""
    if isinstance(err, OperationalError | InterfaceError | DisconnectionError | PoolTimeout):
        return True
    return isinstance(err, DBAPIError) and err.connection_invalidated


@contextmanager
def shown_errors(*, frame: bool = False) -> Iterator[None]:
    """Show what the block raises as a Vietnamese message instead of a traceback.

    A UserError is shown and the page goes on. A database outage or an unexpected error is shown,
    logged, and the run stops there: st.stop() keeps every widget's state (a run that ended
    normally would drop the state of the widgets it never reached), so nothing typed is lost.
    `frame` marks the guard around the whole run (app.py): nothing follows it, so it stops after a
    UserError too, and it offers a "Thử lại" button (a button may not sit inside a form, where an inner
    guard may be).
    """
    try:
        yield
    except UserError as err:
        st.error(md(err.message))  # a message may quote what the user typed
        if frame:
            st.stop()
    except FragmentHandledException:
        raise  # a fragment outside this guard has already shown its error
    except Exception as err:
        if database_unavailable(err):
            log.warning("database unavailable: %s", getattr(err, "orig", None) or err)  # the driver's words, not the SQL
            st.error(DATABASE_UNAVAILABLE, icon=":material/cloud_off:")
        else:
            log.error("unexpected error while running a page", exc_info=err)
            st.error(UNEXPECTED, icon=":material/error:")
        if frame:
            st.button("Thử lại", key="guard_retry", icon=":material/refresh:")  # any click reruns the page
        st.stop()
