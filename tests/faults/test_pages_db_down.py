"""The PostgreSQL server stopped under a signed-in officer: every page answers with a Vietnamese message, never
a traceback, and shows real data again at the next rerun once the server is back (ui/guard.py). The same for
the embedded SQLite file in a folder that cannot be made, or on a disk remounted read-only."""

import shutil
from collections.abc import Callable, Iterator

import pytest
from streamlit.testing.v1 import AppTest

import db.engine
from db.access import Actor
from db.auth import actor_of
from db.models import Unit
from tests import factories
from tests.conftest import PG_CLUSTER
from tests.faults.test_data_folder import _remount, tmpfs
from tests.pages.conftest import APP, button, texts
from ui import data
from ui.guard import DATABASE_UNAVAILABLE

pytestmark = pytest.mark.faults
# Page file → something only a successful read of the database puts on that page.
PAGES = {
    "overview_page": "Tỉnh Quảng Nam — số liệu đến",
    "coverage_page": "Tỉnh Quảng Nam — đến",
    "teams_page": "1 tổ",
    "activities_page": "Tổ chưa báo cáo từ",
}


@pytest.fixture
def officer(pg_app):  # noqa: ANN001, ANN201 - pg_app comes from tests/faults/conftest.py
    """A province officer on the fault database; the cached reads of earlier tests are forgotten."""
    data.forget()
    _, province_id = pg_app
    with db.engine.SessionLocal() as session:
        user = factories.create_user(session, role="officer", unit=session.get(Unit, province_id), username="canbo.su.co")
        session.commit()
        return actor_of(user)


@pytest.fixture
def pg_power() -> Iterator[tuple[Callable[[], None], Callable[[], None]]]:
    """(stop, start) for the session's server; after the test it is running again, however the test ended."""
    running = {"up": True}

    def stop() -> None:
        done = PG_CLUSTER.ctl("-m", "fast", "-w", "stop")
        assert done.returncode == 0, done.stderr
        running["up"] = False

    def start() -> None:
        done = PG_CLUSTER.ctl("-w", "restart")  # restart reuses postmaster.opts: the port and settings
        assert done.returncode == 0, done.stderr
        running["up"] = True

    yield stop, start
    if not running["up"]:
        start()


def _open(at: AppTest, page: str) -> AppTest:
    if page == "activities_page":  # its marker is on the second tab: open it, as a click on it does
        at.session_state["activities_tab"] = "Tình hình báo cáo"
    return at.switch_page(f"pages/{page}.py").run()


def _assert_message_no_traceback(at: AppTest, page: str) -> None:
    assert not at.exception, f"{page}: a traceback reached the user: {[e.value for e in at.exception]}"
    assert DATABASE_UNAVAILABLE in [e.value for e in at.error], f"{page}: {[e.value for e in at.error]}"


def test_pages_say_the_database_is_unreachable_then_recover(officer, pg_power):
    stop, start = pg_power
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["auth_actor"] = officer
    at.run()
    for page, shown in PAGES.items():  # the server up: each page reads its data
        _open(at, page)
        assert not at.exception and not at.error, f"{page}: {[e.value for e in at.exception or at.error]}"
        assert shown in texts(at), page

    stop()
    at.run()  # the teams page, left open, reruns (a click, a widget) with the server gone
    _assert_message_no_traceback(at, "teams_page")
    assert at.button(key="guard_retry").label == "Thử lại"
    for page in PAGES:
        _open(at, page)
        _assert_message_no_traceback(at, page)
        at.run()  # and again: the dead pool does not turn a second try into a traceback
        _assert_message_no_traceback(at, page)
    assert at.session_state["auth_actor"] == officer, "an outage must not sign the user out"

    start()
    at.button(key="guard_retry").click().run()  # the activities page, "Thử lại": real data, no message
    assert not at.exception and not at.error
    assert PAGES["activities_page"] in texts(at)
    for page, shown in PAGES.items():
        _open(at, page)
        assert not at.exception and not at.error, f"{page}: {[e.value for e in at.exception or at.error]}"
        assert shown in texts(at), page


def test_sign_in_while_the_server_is_down_gets_the_message(pg_app, pg_power):
    stop, start = pg_power
    data.forget()
    with db.engine.SessionLocal() as session:
        factories.create_user(session, role="officer", unit=session.get(Unit, pg_app[1]), username="canbo.dang.nhap",
                              password="Mat-khau-dai-2022")
        session.commit()
    at = AppTest.from_file(APP, default_timeout=60).run()
    stop()
    at.text_input(key="login_username").input("canbo.dang.nhap")
    at.text_input(key="login_password").input("Mat-khau-dai-2022")
    button(at, "Đăng nhập").click().run()
    _assert_message_no_traceback(at, "sign-in")
    assert "auth_actor" not in at.session_state
    start()
    at.button(key="guard_retry").click().run()
    assert at.text_input(key="login_username").value == "canbo.dang.nhap", "what was typed is kept"
    button(at, "Đăng nhập").click().run()  # the password field was kept too: signing in now works
    assert not at.exception and not at.error
    assert at.session_state["auth_actor"].username == "canbo.dang.nhap"


# ---- the embedded SQLite file cannot be opened ---------------------------------------------------


def _sqlite_officer(url: str):  # noqa: ANN202
    """Bind the app to `url`, give it a unit tree, one team and a province officer; return the officer."""
    db.engine.configure(url)
    data.forget()
    with db.engine.SessionLocal() as session:
        tree = factories.create_tree(session)
        factories.create_team(session, unit=tree.villages[0])
        user = factories.create_user(session, role="officer", unit=tree.province, username="canbo.sqlite")
        session.commit()
        return actor_of(user)


def test_sqlite_file_in_a_folder_that_cannot_be_made(tmp_path, monkeypatch):
    blocker = tmp_path / "data-is-a-file"
    blocker.write_text("not a folder")
    url = f"sqlite:///{blocker / 'data' / 'tocnscd.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("DATA_DIR", str(blocker / "data"))
    engine = db.engine.configure(url)  # starting the app must not fail on the folder
    try:
        at = AppTest.from_file(APP, default_timeout=60).run()  # the sign-in form needs no database
        assert not at.exception and at.text_input(key="login_username") is not None
        # A tab signed in before the folder went away: the frame's first read fails, then every page's.
        at.session_state["auth_actor"] = Actor(user_id=1, username="canbo.a", full_name="Nguyễn Văn A", role="officer",
                                               unit_id=1)
        _assert_message_no_traceback(at.run(), "the frame")
        for page in PAGES:
            _open(at, page)
            _assert_message_no_traceback(at, page)
    finally:
        engine.dispose()
    assert blocker.read_text() == "not a folder"


def test_sqlite_file_on_a_read_only_disk_then_writable_again(sqlite_template, tmp_path, monkeypatch):
    data = tmp_path / "rodisk"
    with tmpfs(data, size="64m") as mounted:
        if not mounted:
            pytest.fail("mount is needed for a real read-only disk (root ignores chmod)", pytrace=False)
        target = data / "tocnscd.sqlite3"
        shutil.copy(sqlite_template, target)
        url = f"sqlite:///{target}"
        monkeypatch.setenv("DATABASE_URL", url)
        monkeypatch.setenv("DATA_DIR", str(data))
        officer = _sqlite_officer(url)
        try:
            at = AppTest.from_file(APP, default_timeout=60)
            at.session_state["auth_actor"] = officer
            _open(at.run(), "overview_page")
            assert not at.exception and PAGES["overview_page"] in texts(at)
            db.engine.get_engine().dispose()  # the next read opens the file anew, on the read-only disk
            _remount(data, "ro")
            for page in PAGES:
                _open(at, page)
                _assert_message_no_traceback(at, page)
            _remount(data, "rw")
            for page, shown in PAGES.items():
                _open(at, page)
                assert not at.exception and not at.error, f"{page}: {[e.value for e in at.exception or at.error]}"
                assert shown in texts(at), page
        finally:
            db.engine.get_engine().dispose()
