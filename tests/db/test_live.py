"""The process's watch of the data versions (db/live.py): told of every commit, silent while nothing changes."""

import threading
from datetime import date

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

import db.engine
from db import versions
from db.activities import ActivityInput, create_activity
from db.live import VersionWatch
from db.transactions import run_write
from tests import factories

TODAY = date(2026, 11, 20)
WAIT = 15  # seconds a test waits for news at most; the benchmark measures how fast it comes


@pytest.fixture
def team(session, world):  # noqa: ANN001, ANN201
    made = factories.create_team(session, unit=world.tree.villages[0], established_on=date(2022, 7, 1))
    session.commit()
    return made


@pytest.fixture
def watch(engine, team):  # noqa: ANN001, ANN201
    """A watch with its thread running (its first read done) on the test's database, stopped afterwards."""
    made = VersionWatch()
    made.start(engine)
    started = threading.Event()
    while made.reads == 0 and not started.wait(0.05):
        pass
    yield made
    made.stop()
    versions.after_commit.remove(made.mark_stale)


def _report(team_id: int) -> None:
    run_write(create_activity, actor=factories.admin(), today=TODAY,
              data=ActivityInput(team_id=team_id, activity_date=TODAY, activity_type="other"))


def test_the_watch_hears_of_a_commit_made_elsewhere_and_reads_nothing_while_idle(watch, team, db_url):  # noqa: ANN001
    """A commit on another engine (as another server process would make) reaches the subscribers with the
    counters the database holds; while nothing is written the watch reads no counters at all."""
    heard: list[dict[int, int]] = []
    news = threading.Event()
    watch.subscribe(lambda counters: (heard.append(counters), news.set()))
    idle_reads = watch.reads
    threading.Event().wait(1.5)  # several SQLite checks, and a PostgreSQL wait on the socket
    assert watch.reads == idle_reads

    other = create_engine(db_url)  # its own connections, as another server process has
    with Session(other) as writer:
        create_activity(writer, actor=factories.admin(), today=TODAY,
                        data=ActivityInput(team_id=team.id, activity_date=TODAY, activity_type="other"))
        writer.commit()  # marks this process's copy stale too, but only the thread calls the subscribers
    other.dispose()
    assert news.wait(WAIT), "the watch did not hear of the commit"
    with db.engine.SessionLocal() as session:
        assert heard[-1] == versions.fetch_scope_versions(session)


def test_a_commit_in_this_process_is_seen_by_the_next_read_without_waiting(watch, team, session):  # noqa: ANN001
    """The tab that wrote reads its own write at once: the commit marks the watch's copy stale."""
    watch.current(db.engine.get_engine())
    for _ in range(3):
        _report(team.id)
        assert watch.current(db.engine.get_engine()) == versions.fetch_scope_versions(session)


def test_a_rolled_back_write_tells_no_one(watch, team, session):  # noqa: ANN001
    """Only a commit moves the counters; a write that rolls back leaves the subscribers alone."""
    watch.current(db.engine.get_engine())
    news = threading.Event()
    watch.subscribe(lambda _counters: news.set())
    with db.engine.SessionLocal() as writer:
        create_activity(writer, actor=factories.admin(), today=TODAY,
                        data=ActivityInput(team_id=team.id, activity_date=TODAY, activity_type="other"))
        writer.flush()
        writer.rollback()
    assert not news.wait(1.5)  # longer than a SQLite check and a PostgreSQL notification take
    _report(team.id)  # the same write committed: this one is heard, with the database's counters
    assert news.wait(WAIT)
    assert watch.current(db.engine.get_engine()) == versions.fetch_scope_versions(session)
