"""The PostgreSQL server restarted while the app's sessions are open: the next action works (pooled
connections are re-checked by pool_pre_ping) or the user gets a Vietnamese message, never a raw
SQLAlchemy or psycopg exception; a write caught by the restart is whole or absent."""

import contextlib
import threading
from datetime import date

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

import db.engine
from db import activities, coverage
from db.activities import ActivityInput
from db.auth import SYSTEM
from db.errors import UserError
from db.models import Activity
from db.transactions import run_write
from tests.conftest import PG_CLUSTER
from tests.factories import count_rows
from tests.faults.checks import assert_consistent

pytestmark = pytest.mark.faults
VIETNAMESE = set("ảãạăằắẳẵặâầấẩẫậẻẽẹêềếểễệỉĩịỏõọôồốổỗộơờớởỡợủũụưừứửữựỳỷỹỵđ")


def _restart(mode: str = "fast") -> None:
    done = PG_CLUSTER.ctl("-m", mode, "-w", "restart")
    assert done.returncode == 0, done.stderr


def _report(team_id: int, token: str) -> ActivityInput:
    return ActivityInput(team_id=team_id, activity_date=date.today(), activity_type="cashless", people_reached=8,
                         households_reached=3, results=2, form_token=token)


def _count(token: str | None = None) -> int:
    with db.engine.SessionLocal() as session:
        return count_rows(session, Activity, *([] if token is None else [Activity.form_token == token]))


@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_next_action_after_a_restart_works(pg_app, mode):
    team_id, province_id = pg_app
    for i in range(4):  # fill the pool with connections that the restart will kill
        run_write(activities.create_activity, actor=SYSTEM, data=_report(team_id, f"before-{i}"))
    # A session open across the restart, mid-transaction. The app never keeps one beyond a user action;
    # this one only proves the restart really killed connections the pool then has to replace.
    held = Session(db.engine.get_engine())
    held.execute(select(1))
    _restart(mode)
    with pytest.raises(OperationalError):
        held.execute(select(1))
    with contextlib.suppress(OperationalError):
        held.close()
    saved = run_write(activities.create_activity, actor=SYSTEM, data=_report(team_id, "after"))
    assert saved.id is not None and _count("after") == 1
    with db.engine.SessionLocal() as session:  # reads, as a page does them, work too
        recent = activities.fetch_recent_activities(session, actor=SYSTEM, unit_id=province_id)
        ind = coverage.fetch_indicators(session, actor=SYSTEM, unit_id=province_id)
    assert len(recent) == 5 and ind.teams == 1
    assert_consistent(db.engine.get_engine())


def test_a_write_caught_by_the_restart_is_whole_or_absent(pg_app):
    team_id, _ = pg_app
    run_write(activities.create_activity, actor=SYSTEM, data=_report(team_id, "warm-up"))
    in_transaction = threading.Event()
    attempts: list[int] = []

    def slow_report(session: Session, **kwargs: object) -> Activity:
        """The report, then a pause inside the same transaction (first attempt only) while the server restarts."""
        activity = activities.create_activity(session, **kwargs)  # type: ignore[arg-type]
        attempts.append(1)
        if len(attempts) == 1:
            in_transaction.set()
            session.execute(text("SELECT pg_sleep(5)"))
        return activity

    outcome: list[object] = []

    def user_action() -> None:
        try:
            outcome.append(run_write(slow_report, actor=SYSTEM, data=_report(team_id, "in-flight")))
        except BaseException as err:  # noqa: BLE001 - the test inspects what a user would get
            outcome.append(err)

    worker = threading.Thread(target=user_action)
    worker.start()
    assert in_transaction.wait(30)
    _restart("fast")
    worker.join(60)
    assert not worker.is_alive()
    result = outcome[0]
    if isinstance(result, Activity):
        assert len(attempts) >= 2, "the first attempt cannot have committed: its connection was killed"
        assert _count("in-flight") == 1
    else:
        assert isinstance(result, UserError), f"a raw exception reached the user: {type(result).__name__}: {result}"
        assert VIETNAMESE & set(result.message.lower())
        assert _count("in-flight") == 0
    assert _count() == 1 + _count("in-flight")
    assert_consistent(db.engine.get_engine())
    print(f"\nwrite caught by a restart: {'saved on retry' if isinstance(result, Activity) else 'refused: ' + result.message}")


def test_while_the_server_is_down_the_user_gets_a_vietnamese_message(pg_app):
    team_id, _ = pg_app
    run_write(activities.create_activity, actor=SYSTEM, data=_report(team_id, "before-stop"))
    stopped = PG_CLUSTER.ctl("-m", "fast", "-w", "stop")
    assert stopped.returncode == 0, stopped.stderr
    try:
        with pytest.raises(UserError) as caught:
            run_write(activities.create_activity, actor=SYSTEM, data=_report(team_id, "while-down"))
        assert VIETNAMESE & set(caught.value.message.lower())
        assert "chưa có gì được lưu" in caught.value.message
    finally:
        _restart("fast")  # restart reuses the options the server was started with (postmaster.opts)
    run_write(activities.create_activity, actor=SYSTEM, data=_report(team_id, "after-start"))
    assert _count("while-down") == 0 and _count() == 2
