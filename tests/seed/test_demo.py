"""The demo dataset keeps the programme's published facts and loads only once.

SPEC fixes the facts: on 31/08/2022 Huyện Phú Ninh had 19 teams with 102 members in four localities,
and Huyện Núi Thành covers 100% of its villages. The dataset is loaded once per backend and module;
tests that write roll back.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from db import auth, coverage, reporting, vocab
from db.auth import SYSTEM
from db.engine import make_engine
from db.models import Activity, Base, Target, Unit
from db.teams import fetch_teams
from seed.demo import DEADLINE, DEMO_ACCOUNTS, DEMO_PASSWORD, NUI_THANH, PHU_NINH, PIONEERS, UNCOVERED, load_demo
from tests.conftest import BACKENDS, fresh_database
from tests.factories import count_rows, row_counts

PIONEER_TEAMS, PIONEER_MEMBERS = 19, 102  # SPEC: "19 teams with 102 members" on 31/08/2022


@dataclass
class Demo:
    """The module's demo database and the ids of its two districts."""

    engine: Engine
    phu_ninh: int
    nui_thanh: int


@pytest.fixture(scope="module", params=BACKENDS)
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """A fresh database with the demo dataset loaded (official units included)."""
    with fresh_database(request.param, request, tmp_path_factory.mktemp("demo")) as url:
        engine = make_engine(url)
        with Session(engine) as session:
            load_demo(session, progress=lambda _: None)
            session.commit()
            ids = {name: session.scalars(select(Unit.id).where(Unit.name == name, Unit.tier == "district")).one()
                   for name in (PHU_NINH, NUI_THANH)}
        yield Demo(engine, ids[PHU_NINH], ids[NUI_THANH])
        engine.dispose()


def test_phu_ninh_had_19_teams_with_102_members_on_the_deadline(demo):
    with Session(demo.engine) as session:
        got = coverage.fetch_indicators(session, actor=SYSTEM, unit_id=demo.phu_ninh, as_of=DEADLINE)
        assert (got.teams, got.members) == (PIONEER_TEAMS, PIONEER_MEMBERS)
        teams = fetch_teams(session, actor=SYSTEM, unit_id=demo.phu_ninh, status="active", as_of=DEADLINE)
        # All in the four pioneer localities: village teams name their commune as parent.
        assert len(teams) == PIONEER_TEAMS
        assert set(teams["parent"]) == set(PIONEERS)
        assert int(teams["members"].sum()) == PIONEER_MEMBERS
        # Those four had every village covered; the rest of the district none yet.
        by_commune = coverage.fetch_coverage_by_child(session, actor=SYSTEM, unit_id=demo.phu_ninh, as_of=DEADLINE)
        for row in by_commune.itertuples():
            assert row.covered == (row.villages if row.name in PIONEERS else 0), row.name
        assert got.villages_covered == PIONEER_TEAMS
        # The day before the first team nothing was counted.
        first = min(teams["established_on"])
        before = coverage.fetch_indicators(session, actor=SYSTEM, unit_id=demo.phu_ninh, as_of=first - timedelta(days=1))
        assert (before.teams, before.members) == (0, 0)


def test_nui_thanh_covers_every_village_and_commune_today(demo):
    with Session(demo.engine) as session:
        got = coverage.fetch_indicators(session, actor=SYSTEM, unit_id=demo.nui_thanh)
        assert got.villages > 0
        assert got.village_coverage == 1.0
        assert got.communes_with_team == got.communes > 0
        assert coverage.fetch_uncovered_villages(session, actor=SYSTEM, unit_id=demo.nui_thanh).empty


def test_phu_ninh_still_has_uncovered_villages_today(demo):
    with Session(demo.engine) as session:
        got = coverage.fetch_indicators(session, actor=SYSTEM, unit_id=demo.phu_ninh)
        assert 0 < got.villages_covered < got.villages
        uncovered = coverage.fetch_uncovered_villages(session, actor=SYSTEM, unit_id=demo.phu_ninh)
        assert len(uncovered) == got.villages - got.villages_covered
        assert uncovered["commune"].value_counts().to_dict() == UNCOVERED


def test_the_demo_is_alive_today(demo):
    """Reports of every type, some silent teams to follow up, a target per district."""
    today = date.today()
    with Session(demo.engine) as session:
        types = set(session.scalars(select(Activity.activity_type).distinct()))
        assert types == set(vocab.ACTIVITY_TYPES)
        assert session.scalar(select(func.max(Activity.activity_date))) <= today
        for district in (demo.phu_ninh, demo.nui_thanh):
            got = coverage.fetch_indicators(session, actor=SYSTEM, unit_id=district, as_of=today)
            assert got.activities > 0 and got.people_reached > 0
            assert 0 < got.active_team_rate < 1 and got.silent_teams > 0
            assert count_rows(session, Target, Target.unit_id == district) >= 1
        start, end = reporting.period_of(today)
        silent = reporting.fetch_silent_teams(session, actor=SYSTEM, unit_id=demo.phu_ninh, start=start, end=end)
        got = coverage.fetch_indicators(session, actor=SYSTEM, unit_id=demo.phu_ninh, as_of=today)
        assert len(silent) == got.silent_teams


def test_a_second_load_adds_no_rows(demo):
    with Session(demo.engine) as session:
        before = row_counts(session, Base.metadata.sorted_tables)
        assert before["units"] and before["teams"] and before["users"]
        load_demo(session, progress=lambda _: None)
        session.flush()
        assert row_counts(session, Base.metadata.sorted_tables) == before
        session.rollback()


@pytest.mark.parametrize(("username", "role"), [(a[0], a[2]) for a in DEMO_ACCOUNTS])
def test_every_demo_account_signs_in_with_the_demo_password(demo, username, role):
    with Session(demo.engine) as session:
        actor = auth.authenticate(session, username=username, password=DEMO_PASSWORD)
        assert actor.role == role
        if role == "volunteer":
            assert actor.team_id is not None
        session.rollback()
