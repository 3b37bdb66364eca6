"""The app process killed with SIGKILL in the middle of writes: nothing torn, nothing acknowledged lost.

Child processes (tests/faults/writer.py) write reports through db.transactions.run_write as fast as
they can and acknowledge each commit; the test kills them with `kill -9` at an arbitrary moment, several
times, then checks the database as a new process would find it.
"""

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text

from db.models import Activity
from tests import factories
from tests.faults.checks import assert_consistent

pytestmark = pytest.mark.faults
ROOT = Path(__file__).resolve().parents[2]
ROUNDS, CHILDREN = 3, 3


def _spawn(db_url: str, team_ids: list[int], tag: str, acked: list[int], lock: threading.Lock) -> tuple[subprocess.Popen, threading.Thread]:
    env = {**os.environ, "DATABASE_URL": db_url}
    proc = subprocess.Popen([sys.executable, "-m", "tests.faults.writer", ",".join(map(str, team_ids)), tag],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def read() -> None:
        for line in proc.stdout:  # type: ignore[union-attr]
            if line.startswith("ok "):
                with lock:
                    acked.append(int(line.split()[1]))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return proc, reader


def _kill_while_writing(db_url: str, team_ids: list[int]) -> list[int]:
    """ROUNDS times: start CHILDREN writers, let them commit a while, SIGKILL them all mid-stream."""
    acked: list[int] = []
    lock = threading.Lock()
    for rnd in range(ROUNDS):
        before = len(acked)
        children = [_spawn(db_url, team_ids, f"r{rnd}c{c}", acked, lock) for c in range(CHILDREN)]
        deadline = time.monotonic() + 60
        while len(acked) - before < 40 + 17 * rnd and time.monotonic() < deadline:
            if any(p.poll() is not None for p, _ in children):
                _, err = children[0][0].communicate() if children[0][0].poll() is not None else ("", "")
                raise AssertionError(f"a writer died on its own: {err}")
            time.sleep(0.01)
        for proc, _ in children:
            os.kill(proc.pid, signal.SIGKILL)
        for proc, reader in children:
            assert proc.wait(timeout=10) == -signal.SIGKILL
            reader.join(timeout=10)
            proc.stderr.close()  # type: ignore[union-attr]
        assert len(acked) - before >= 40, "the writers did not get going before the deadline"
    return acked


@pytest.fixture
def teams(session):  # noqa: ANN001, ANN201
    tree = factories.create_tree(session)
    made = [factories.create_team(session, unit=u, established_on=date(2022, 1, 1))
            for u in [*tree.villages, tree.village_other, tree.commune2]]
    session.commit()
    return [t.id for t in made]


def test_kill_9_in_the_middle_of_writes_leaves_a_consistent_database(engine, db_url, backend, teams):
    engine.dispose()  # the children are the only writers while they live
    acked = _kill_while_writing(db_url, teams)

    fresh = create_engine(db_url)  # what the restarted app finds
    try:
        if backend == "sqlite":
            path = db_url.split("///", 1)[1]
            with closing(sqlite3.connect(path)) as raw:  # opening it recovers the WAL a killed writer left
                assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
                assert raw.execute("PRAGMA foreign_key_check").fetchall() == []
        else:
            with fresh.begin() as conn:
                conn.execute(text("CREATE EXTENSION IF NOT EXISTS amcheck"))
                indexes = conn.scalars(text(
                    "SELECT c.oid::regclass::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                    "JOIN pg_am a ON a.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE a.amname = 'btree' AND n.nspname = 'public'")).all()
                for index in indexes:  # raises on a corrupt index
                    conn.execute(text("SELECT bt_index_parent_check(CAST(:i AS regclass), true)"), {"i": index})
                assert indexes
        counts = assert_consistent(fresh)
        with fresh.connect() as conn:
            stored = set(conn.scalars(select(Activity.id)).all())
        assert set(acked) <= stored, "a report the user was told was saved is missing"
        # At most one commit per killed writer can have landed without reaching the user.
        assert len(stored) - len(acked) <= ROUNDS * CHILDREN
        print(f"\n[{backend}] {ROUNDS} × kill -9 of {CHILDREN} writers: {len(acked)} acknowledged, "
              f"{counts['activities']} stored, {len(stored) - len(acked)} committed but unacknowledged")
    finally:
        fresh.dispose()
