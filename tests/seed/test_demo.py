"""The demo dataset keeps the programme's published facts, tells the 2025 reform as it happened, and loads only once.

SPEC fixes the facts: on 31/08/2022 Huyện Phú Ninh had 19 teams with 102 members in four localities,
and Huyện Núi Thành covered 100% of its villages. Issue 16 adds the reform: on 01/07/2025 Quảng Nam joined
Thành phố Đà Nẵng and Phú Ninh's communes became Xã Chiên Đàn, Xã Phú Ninh and Xã Tây Hồ; the demo's villages
are carried over and activity goes on under the new communes. The dataset is loaded once per backend and
module; tests that write roll back.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, aliased

from db import auth, counts, coverage, reform, reporting, vocab
from db.auth import SYSTEM
from db.engine import make_engine
from db.models import Activity, Base, Member, Recommendation, Target, Team, Unit, UnitPath, UnitSuccession, User
from db.structures import LAST_LEGACY_DAY, NEW, REFORM_DAY, structure_on
from db.teams import fetch_teams
from db.units import resolve_unit
from seed.demo import (
    DEADLINE,
    DEMO_ACCOUNTS,
    DEMO_PASSWORD,
    LEGACY_ACCOUNTS,
    NEW_ACCOUNTS,
    NUI_THANH,
    PHU_NINH,
    PIONEERS,
    UNCOVERED,
    load_demo,
)
from tests.conftest import BACKENDS, fresh_database
from tests.factories import count_rows, row_counts

PIONEER_TEAMS, PIONEER_MEMBERS = 19, 102  # SPEC: "19 teams with 102 members" on 31/08/2022


# The official mapping for Huyện Phú Ninh (vietnamadminunits' converter data, Nghị quyết 1659/NQ-UBTVQH15):
# each 2025 commune of Thành phố Đà Nẵng and the legacy communes it was formed from.
PHU_NINH_2025 = {
    "Xã Chiên Đàn": {"Thị trấn Phú Thịnh", "Xã Tam Đàn", "Xã Tam Thái"},
    "Xã Phú Ninh": {"Xã Tam Đại", "Xã Tam Dân", "Xã Tam Lãnh"},
    "Xã Tây Hồ": {"Xã Tam Thành", "Xã Tam An", "Xã Tam Lộc", "Xã Tam Phước"},
}


@dataclass
class Demo:
    """The module's demo database, the ids of its two districts and of the 2025 communes they went to."""

    engine: Engine
    phu_ninh: int
    nui_thanh: int
    city: int  # Thành phố Đà Nẵng (2025)
    new_communes: dict[int, str]  # id → name of the 2025 communes of Phú Ninh and Núi Thành


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
            city = session.scalars(select(Unit.id).where(Unit.structure == NEW, Unit.name == "Thành phố Đà Nẵng")).one()
            new_communes = dict(session.execute(
                select(Unit.id, Unit.name).where(Unit.id.in_(
                    select(UnitSuccession.new_id).join(UnitPath, UnitPath.descendant_id == UnitSuccession.legacy_id)
                    .where(UnitPath.ancestor_id.in_(ids.values()))))).all())
        yield Demo(engine, ids[PHU_NINH], ids[NUI_THANH], city, new_communes)
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


def test_phu_ninh_is_19_teams_and_102_members_on_the_deadline_by_its_name_on_the_command_line(demo):
    """`python -m db stats "Huyện Phú Ninh" --as-of 2022-08-31` resolves the name with the date, then counts."""
    with Session(demo.engine) as session:
        unit = resolve_unit(session, actor=SYSTEM, ref=PHU_NINH, as_of=DEADLINE)
        got = coverage.fetch_indicators(session, actor=SYSTEM, unit_id=unit.id, as_of=DEADLINE)
    assert unit.id == demo.phu_ninh
    assert (got.teams, got.members) == (PIONEER_TEAMS, PIONEER_MEMBERS)


def test_nui_thanh_covered_every_village_and_commune_until_the_reform_and_its_new_communes_do_today(demo):
    with Session(demo.engine) as session:
        got = coverage.fetch_indicators(session, actor=SYSTEM, unit_id=demo.nui_thanh, as_of=LAST_LEGACY_DAY)
        assert got.villages > 0
        assert got.village_coverage == 1.0
        assert got.communes_with_team == got.communes == 17
        assert coverage.fetch_uncovered_villages(session, actor=SYSTEM, unit_id=demo.nui_thanh, as_of=LAST_LEGACY_DAY).empty
        successors = _successors_of(session, demo.nui_thanh)
        assert len(successors) == 6
        for commune_id in successors:
            today = coverage.fetch_indicators(session, actor=SYSTEM, unit_id=commune_id)
            assert today.villages > 0 and today.village_coverage == 1.0, today.unit
            assert today.communes_with_team == today.communes == 1, today.unit


def test_phu_ninh_still_has_uncovered_villages_in_its_new_communes(demo):
    with Session(demo.engine) as session:
        got = coverage.fetch_indicators(session, actor=SYSTEM, unit_id=demo.phu_ninh, as_of=LAST_LEGACY_DAY)
        assert 0 < got.villages_covered < got.villages
        uncovered = coverage.fetch_uncovered_villages(session, actor=SYSTEM, unit_id=demo.phu_ninh, as_of=LAST_LEGACY_DAY)
        assert uncovered["commune"].value_counts().to_dict() == UNCOVERED
        # Today the same villages wait under the 2025 communes; each keeps its legacy commune.
        today = pd.concat([coverage.fetch_uncovered_villages(session, actor=SYSTEM, unit_id=c)
                           for c in _successors_of(session, demo.phu_ninh)])
        former = _former_communes(session, list(today["unit_id"]))
        assert sorted(former.values()) == sorted(name for name, n in UNCOVERED.items() for _ in range(n))
        assert set(today["commune"]) == {"Xã Phú Ninh", "Xã Tây Hồ"}  # Tam Đại and Tam Lãnh; Tam Lộc


def test_the_demo_is_alive_today_under_the_new_communes(demo):
    """Reports of every type up to today, filed under 2025 communes from 01/07/2025; some silent teams."""
    today = date.today()
    with Session(demo.engine) as session:
        types = set(session.scalars(select(Activity.activity_type).distinct()))
        assert types == set(vocab.ACTIVITY_TYPES)
        assert session.scalar(select(func.max(Activity.activity_date))) <= today
        filed = select(Unit.structure).distinct().join(Activity, Activity.commune_id == Unit.id)
        assert set(session.scalars(filed.where(Activity.activity_date < REFORM_DAY))) == {"legacy"}
        assert set(session.scalars(filed.where(Activity.activity_date >= REFORM_DAY))) == {NEW}
        got = coverage.fetch_indicators(session, actor=SYSTEM, unit_id=demo.city, as_of=today)
        assert got.activities > 0 and got.people_reached > 0
        assert 0 < got.active_team_rate < 1 and got.silent_teams > 0
        assert count_rows(session, Target, Target.unit_id == demo.city) >= 1
        start, end = reporting.period_of(today)
        silent = reporting.fetch_silent_teams(session, actor=SYSTEM, unit_id=demo.city, start=start, end=end)
        assert len(silent) == got.silent_teams
        for commune_id in demo.new_communes:
            recent = coverage.fetch_indicators(session, actor=SYSTEM, unit_id=commune_id, as_of=today)
            assert recent.activities > 0, recent.unit
        # The districts were alive until the reform and their figures stop there.
        for district in (demo.phu_ninh, demo.nui_thanh):
            assert count_rows(session, Target, Target.unit_id == district) >= 1
            until = coverage.fetch_indicators(session, actor=SYSTEM, unit_id=district, as_of=LAST_LEGACY_DAY)
            assert until.activities > 0 and until.active_team_rate > 0


def test_the_villages_went_where_the_official_mapping_says(demo):
    with Session(demo.engine) as session:
        legacy_villages = session.execute(
            select(Unit.id, Unit.structure, Unit.parent_id, Unit.former_parent_id).join(
                UnitPath, UnitPath.descendant_id == Unit.id)
            .where(Unit.tier == "village", UnitPath.ancestor_id.in_([demo.phu_ninh, demo.nui_thanh]))).all()
        assert len(legacy_villages) > 100
        mapping = dict(session.execute(select(UnitSuccession.legacy_id, UnitSuccession.new_id)).all())
        for village_id, structure, parent_id, former in legacy_villages:
            assert structure == NEW and former is not None, village_id
            assert parent_id == mapping[former], village_id
        names = dict(session.execute(select(Unit.id, Unit.name).where(Unit.tier == "commune")).all())
        went: dict[str, set[str]] = {}
        for _, _, parent_id, former in legacy_villages:
            if _ancestor(session, former) == demo.phu_ninh:
                went.setdefault(names[parent_id], set()).add(names[former])
        assert went == PHU_NINH_2025


def test_today_each_new_commune_counts_its_villages_teams_and_members(demo):
    """Xã Phú Ninh and the other 2025 communes: today's figures are the sum of their villages' (and own) teams."""
    today = date.today()
    with Session(demo.engine) as session:
        totals = {"villages": 0, "teams": 0, "members": 0}
        for commune_id, name in demo.new_communes.items():
            units = set(session.scalars(select(UnitPath.descendant_id).where(UnitPath.ancestor_id == commune_id)))
            open_teams = list(session.scalars(select(Team.id).where(
                Team.unit_id.in_(units), Team.established_on <= today,
                (Team.closed_on.is_(None)) | (Team.closed_on > today))))
            members = count_rows(session, Member, Member.team_id.in_(open_teams), Member.joined_on <= today,
                                 (Member.left_on.is_(None)) | (Member.left_on > today))
            villages = count_rows(session, Unit, Unit.id.in_(units), Unit.tier == "village")
            got = coverage.fetch_indicators(session, actor=SYSTEM, unit_id=commune_id)
            assert (got.villages, got.teams, got.members) == (villages, len(open_teams), members), name
            for key, value in (("villages", villages), ("teams", len(open_teams)), ("members", members)):
                totals[key] += value
        xa_phu_ninh = next(i for i, n in demo.new_communes.items() if n == "Xã Phú Ninh")
        assert coverage.fetch_indicators(session, actor=SYSTEM, unit_id=xa_phu_ninh).teams > 0
        city = coverage.fetch_indicators(session, actor=SYSTEM, unit_id=demo.city)
        assert (city.villages, city.teams, city.members) == (totals["villages"], totals["teams"], totals["members"])


def test_the_commune_teams_closed_on_the_reform_day_and_each_new_commune_has_its_own(demo):
    with Session(demo.engine) as session:
        legacy_teams = session.execute(
            select(Team.id, Team.closed_on).join(Unit, Unit.id == Team.unit_id)
            .join(UnitPath, UnitPath.descendant_id == Unit.id)
            .where(Unit.tier == "commune", UnitPath.ancestor_id.in_([demo.phu_ninh, demo.nui_thanh]))).all()
        assert len(legacy_teams) == 10 + 17
        assert {closed for _, closed in legacy_teams} == {REFORM_DAY}
        ids = [team_id for team_id, _ in legacy_teams]
        assert count_rows(session, Activity, Activity.team_id.in_(ids), Activity.activity_date >= REFORM_DAY) == 0
        assert count_rows(session, Member, Member.team_id.in_(ids), Member.left_on.is_(None)) == 0
        for commune_id, name in demo.new_communes.items():
            own = session.execute(select(Team.established_on).where(
                Team.unit_id == commune_id, Team.closed_on.is_(None))).scalars().all()
            assert len(own) == 1 and own[0] >= REFORM_DAY, name
        # Nothing left for the administrator: every village carried, every commune team decided.
        admin = auth.actor_of(session.scalars(select(User).where(User.username == "admin")).one())
        province = session.scalar(select(Unit.parent_id).where(Unit.id == demo.phu_ninh))
        plan = reform.plan_carry_over(session, actor=admin, province_id=province)
        assert plan.villages.empty and plan.commune_teams.empty and plan.carried > 100


def test_villages_and_teams_registered_since_the_reform_live_in_the_2025_tree_only(demo):
    """Xã Phú Ninh's newest team was founded weeks ago in a village added after 01/07/2025; its reports say so."""
    today = date.today()
    with Session(demo.engine) as session:
        xa_phu_ninh = next(i for i, n in demo.new_communes.items() if n == "Xã Phú Ninh")
        newest = session.execute(
            select(Team.id, Team.established_on, Unit.id, Unit.former_parent_id).join(Unit, Unit.id == Team.unit_id)
            .where(Unit.parent_id == xa_phu_ninh, Unit.tier == "village").order_by(Team.established_on.desc())
            .limit(1)).one()
        team_id, founded, village_id, former = newest
        assert REFORM_DAY < founded <= today and former is None
        assert set(session.scalars(select(UnitPath.ancestor_id).where(UnitPath.descendant_id == village_id))) == {
            village_id, xa_phu_ninh, demo.city}
        communes = set(session.scalars(select(Activity.commune_id).where(Activity.team_id == team_id)))
        assert communes == {xa_phu_ninh}


def test_kept_figures_match_a_recount_after_the_demo(demo):
    with Session(demo.engine) as session:
        assert counts.differences(session) == []


def test_accounts_of_both_eras(demo):
    """The legacy accounts stay bound to legacy units and are flagged; the 2025 ones are bound to Đà Nẵng's units."""
    with Session(demo.engine) as session:
        bound = dict(session.execute(select(User.username, Unit.structure).join(Unit, Unit.id == User.unit_id)).all())
        assert {a[0] for a in NEW_ACCOUNTS} <= {u for u, s in bound.items() if s == NEW}
        assert {a[0] for a in LEGACY_ACCOUNTS if a[3] is not None} <= {u for u, s in bound.items() if s == "legacy"}
        admin = auth.actor_of(session.scalars(select(User).where(User.username == "admin")).one())
        flagged = reform.flagged_accounts(session, actor=admin)
        assert set(flagged["username"]) == {a[0] for a in LEGACY_ACCOUNTS if a[3] is not None}
        suggested = dict(zip(flagged["username"], flagged["suggested_unit"], strict=True))
        assert suggested["canbo.tamphuoc"] == "Xã Tây Hồ"
        xa_phu_ninh = next(i for i, n in demo.new_communes.items() if n == "Xã Phú Ninh")
        volunteer = session.scalars(select(User).where(User.username == "tnv.xaphuninh")).one()
        team_unit = session.scalar(select(Team.unit_id).where(Team.id == volunteer.team_id))
        assert volunteer.unit_id == xa_phu_ninh
        assert session.scalar(select(UnitPath.depth).where(
            UnitPath.ancestor_id == xa_phu_ninh, UnitPath.descendant_id == team_unit)) == 1
        officer = session.scalars(select(User).where(User.username == "canbo.xaphuninh")).one()
        leader = session.scalars(select(User).where(User.username == "lanhdao.danang")).one()
        assert (officer.unit_id, leader.unit_id) == (xa_phu_ninh, demo.city)


def test_recommendations_belong_to_the_unit_of_their_day_and_its_officer_answers(demo):
    with Session(demo.engine) as session:
        rows = session.execute(select(Recommendation.raised_at, Recommendation.answered_by, Unit.id, Unit.structure)
                               .join(Unit, Unit.id == Recommendation.unit_id)).all()
        assert rows
        answered_since = 0
        for raised, answered_by, unit_id, structure in rows:
            assert structure == structure_on(raised.date()), raised
            if answered_by is not None:
                scope = session.scalar(select(User.unit_id).where(User.id == answered_by))
                assert session.scalar(select(UnitPath.depth).where(
                    UnitPath.ancestor_id == scope, UnitPath.descendant_id == unit_id)) is not None
                answered_since += raised.date() >= REFORM_DAY
        assert answered_since > 0


def _successors_of(session: Session, district_id: int) -> list[int]:
    """The 2025 communes a legacy district's communes went to."""
    return list(session.scalars(select(UnitSuccession.new_id).distinct().join(
        UnitPath, UnitPath.descendant_id == UnitSuccession.legacy_id).where(UnitPath.ancestor_id == district_id)))


def _former_communes(session: Session, village_ids: list[int]) -> dict[int, str]:
    """Village id → the name of its legacy commune."""
    former = aliased(Unit)
    return dict(session.execute(select(Unit.id, former.name).join(former, former.id == Unit.former_parent_id)
                                .where(Unit.id.in_(village_ids))).all())


def _ancestor(session: Session, unit_id: int) -> int | None:
    """A legacy commune's district."""
    return session.scalar(select(Unit.parent_id).where(Unit.id == unit_id))


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
