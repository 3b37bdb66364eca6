"""Several app servers started at once on one PostgreSQL (README, "Several app servers on one PostgreSQL"):
one process at a time migrates or loads the first data, the others wait for it and then find it done."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from db.engine import make_engine
from db.migrate import STARTUP_LOCK, startup_lock
from tests.conftest import fresh_database

ROOT = Path(__file__).resolve().parents[2]
WAITING = text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = :key AND NOT granted")


@pytest.mark.pg
@pytest.mark.parametrize("command", [["db", "upgrade"], ["seed", "units"]])
def test_a_second_process_waits_while_one_migrates_or_seeds(pg_server, request, tmp_path, command):
    with fresh_database("postgresql", request, tmp_path, migrated=False) as url:
        engine = make_engine(url)
        env = {**os.environ, "DATABASE_URL": url, "DATA_DIR": str(tmp_path / "data")}
        with startup_lock(engine):  # as a first server, still migrating, would hold it
            run = subprocess.Popen([sys.executable, "-m", *command], cwd=ROOT, env=env, text=True,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            deadline = time.monotonic() + 60
            with engine.connect() as conn:
                while not conn.scalar(WAITING, {"key": STARTUP_LOCK}) and run.poll() is None:
                    assert time.monotonic() < deadline, "the command never asked for the start-up lock"
                    time.sleep(0.2)
                    conn.rollback()
            assert run.poll() is None, run.communicate()
            assert "alembic_version" not in inspect(engine).get_table_names()  # it waits before migrating
        _, err = run.communicate(timeout=300)
        assert run.returncode == 0, err
        assert {"alembic_version", "units", "teams"} <= set(inspect(engine).get_table_names())
        engine.dispose()
