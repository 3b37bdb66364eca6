"""The command line as an operator runs it: python -m db upgrade | stats | create-user, python -m seed demo.

One SQLite file per module, set up by the commands themselves; the answers are checked against the
read functions run in-process on the same file.
"""

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.orm import Session

from db import auth, coverage
from db.engine import make_engine
from db.models import Unit
from seed.demo import DEADLINE, PHU_NINH

ROOT = Path(__file__).resolve().parents[2]
# SPEC: "`stats --json` prints one JSON object with at least" these keys.
STATS_KEYS = {"unit", "villages", "villages_covered", "village_coverage", "communes", "communes_with_team", "teams",
              "members", "activities", "people_reached", "active_team_rate", "silent_teams"}


@dataclass
class Cli:
    """A database file, the environment that points the commands at it, and an engine on it."""

    env: dict[str, str]
    engine: Engine

    def run(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        """Run `python -m …` from the repository root against the module's database."""
        return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, env={**self.env, **env},
                              capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cli]:
    """An empty SQLite file, migrated and seeded with the demo by the commands themselves."""
    tmp = tmp_path_factory.mktemp("cli")
    url = f"sqlite:///{tmp / 'tocnscd.sqlite3'}"
    env = {k: v for k, v in os.environ.items() if k not in ("NEW_USER_PASSWORD",)}
    env.update(DATABASE_URL=url, DATA_DIR=str(tmp / "data"), PYTHONIOENCODING="utf-8")
    runner = Cli(env, make_engine(url))
    done = runner.run("db", "upgrade")
    assert done.returncode == 0, done.stderr
    done = runner.run("seed", "demo", "--first-start")
    assert done.returncode == 0, done.stderr
    yield runner
    runner.engine.dispose()


def test_upgrade_creates_the_schema_and_a_second_run_is_harmless(cli):
    assert {"units", "teams", "members", "activities", "users", "alembic_version"} <= set(inspect(cli.engine).get_table_names())
    again = cli.run("db", "upgrade")
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip()  # tells the operator, in Vietnamese, that the schema is current


def test_seed_demo_first_start_skips_a_database_with_data(cli):
    with Session(cli.engine) as session:
        before = session.query(Unit).count()
    done = cli.run("seed", "demo", "--first-start")
    assert done.returncode == 0, done.stderr
    assert "bỏ qua" in done.stdout
    with Session(cli.engine) as session:
        assert session.query(Unit).count() == before


def _stats(cli: Cli, *args: str) -> dict:
    done = cli.run("db", "stats", *args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_stats_json_has_the_spec_keys_and_matches_the_read_functions(cli):
    got = _stats(cli, PHU_NINH, "--as-of", DEADLINE.isoformat())
    assert set(got) >= STATS_KEYS
    with Session(cli.engine) as session:
        unit_id = session.scalars(select(Unit.id).where(Unit.name == PHU_NINH)).one()
        expected = coverage.fetch_indicators(session, actor=auth.SYSTEM, unit_id=unit_id, as_of=DEADLINE)
    assert got["unit"] == PHU_NINH
    for key in STATS_KEYS:
        assert got[key] == getattr(expected, key), key
    assert (got["teams"], got["members"]) == (19, 102)  # SPEC's published figures for 31/08/2022
    assert 0 <= got["village_coverage"] <= 1 and 0 <= got["active_team_rate"] <= 1


def test_stats_by_code_defaults_to_today(cli):
    with Session(cli.engine) as session:
        unit = session.scalars(select(Unit).where(Unit.name == PHU_NINH)).one()
        expected = coverage.fetch_indicators(session, actor=auth.SYSTEM, unit_id=unit.id, as_of=date.today())
    got = _stats(cli, unit.code)
    assert got["unit"] == PHU_NINH
    assert (got["teams"], got["members"], got["villages_covered"]) == (expected.teams, expected.members, expected.villages_covered)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["Huyện Không Có Thật"], "Không tìm thấy"),
        ([PHU_NINH, "--as-of", "31/08/2022"], "YYYY-MM-DD"),
    ],
    ids=["unknown-unit", "date-not-iso"],
)
def test_stats_refuses_in_vietnamese_without_a_traceback(cli, args, message):
    done = cli.run("db", "stats", *args, "--json")
    assert done.returncode != 0
    assert message in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_create_user_makes_an_admin_who_can_sign_in(cli):
    done = cli.run("db", "create-user", "quantri.moi", "--role", "admin", NEW_USER_PASSWORD="Mat-khau-quan-tri-2026")
    assert done.returncode == 0, done.stderr
    with Session(cli.engine) as session:
        actor = auth.authenticate(session, username="quantri.moi", password="Mat-khau-quan-tri-2026")
        session.rollback()
    assert (actor.role, actor.unit_id) == ("admin", None)


def test_create_user_bound_to_a_unit_and_refusing_a_weak_password(cli):
    done = cli.run("db", "create-user", "canbo.moi", "--role", "officer", "--unit", PHU_NINH,
                   NEW_USER_PASSWORD="Mat-khau-can-bo-2026")
    assert done.returncode == 0, done.stderr
    with Session(cli.engine) as session:
        actor = auth.authenticate(session, username="canbo.moi", password="Mat-khau-can-bo-2026")
        session.rollback()
        district = session.scalars(select(Unit.id).where(Unit.name == PHU_NINH)).one()
    assert (actor.role, actor.unit_id) == ("officer", district)
    weak = cli.run("db", "create-user", "canbo.yeu", "--role", "officer", "--unit", PHU_NINH, NEW_USER_PASSWORD="ngan")
    assert weak.returncode != 0
    assert "Mật khẩu" in weak.stderr and "Traceback" not in weak.stderr


def test_counts_check_finds_a_damaged_row_and_rebuild_repairs_it(cli):
    """check exits 0 on the seeded demo, 1 with a Vietnamese line naming the unit once a kept row is damaged;
    rebuilding the district repairs it."""
    done = cli.run("db", "counts", "check")
    assert done.returncode == 0, done.stdout + done.stderr
    with cli.engine.begin() as conn:
        district = conn.execute(select(Unit.id, Unit.name).where(Unit.name == PHU_NINH)).one()
        conn.execute(text("UPDATE scope_counts SET members = members + 4 WHERE scope_id = :s AND day = :d"),
                     {"s": district.id, "d": "9999-12-31"})
    done = cli.run("db", "counts", "check")
    assert done.returncode == 1
    assert f"{district.name}, tổng: thành viên: đang giữ" in done.stdout and "counts rebuild" in done.stdout
    done = cli.run("db", "counts", "rebuild", PHU_NINH)
    assert done.returncode == 0 and PHU_NINH in done.stdout, done.stderr
    done = cli.run("db", "counts", "check")
    assert done.returncode == 0, done.stdout
