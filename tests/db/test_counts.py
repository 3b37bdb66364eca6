"""The kept counts (db/counts.py): after any sequence of writes, the country, province and district figures
read from them equal a recount of the raw rows, on every date, on SQLite and PostgreSQL."""

import random
import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, event, func, insert, select, text, update

from db import counts, coverage
from db.activities import (
    ActivityInput,
    create_activity,
    delete_activity,
    fetch_unit_activity_by_month,
    update_activity,
)
from db.engine import SessionLocal
from db.imports import apply_import
from db.members import MemberInput, create_member, end_membership, update_member
from db.migrate import upgrade
from db.models import Activity, ActivityRollup, LeafCount, Member, ScopeCount, Team, Unit, UnitPath
from db.reporting import fetch_reporting_by_child
from db.teams import TeamInput, close_team, create_team, update_team
from db.transactions import run_write
from db.units import create_village
from tests import factories
from tests.conftest import fresh_database
from tests.db.test_imports import MESSY, MESSY_MERGES, xlsx

TODAY = date(2026, 11, 20)
TYPES = ("public_service", "cashless", "app_install")


def _recount(session, unit_id: int | None, as_of: date, window: int = 30) -> dict[str, int]:  # noqa: ANN001
    """The SPEC's definitions counted in Python from the raw rows, the subtree found through the parent links."""
    units = {u.id: u for u in session.scalars(select(Unit))}

    def inside(uid: int) -> bool:
        while uid is not None:
            if uid == unit_id:
                return True
            uid = units[uid].parent_id
        return unit_id is None

    def active(t: Team) -> bool:
        return t.established_on <= as_of and (t.closed_on is None or t.closed_on > as_of)

    teams = [t for t in session.scalars(select(Team)) if inside(t.unit_id) and active(t)]
    team_ids = {t.id for t in teams}
    since = as_of - timedelta(days=window - 1)
    reports = [a for a in session.scalars(select(Activity)) if inside(a.commune_id) and a.activity_date <= as_of]
    reported = {a.team_id for a in session.scalars(select(Activity)) if since <= a.activity_date <= as_of}
    members = [m for m in session.scalars(select(Member))
               if m.team_id in team_ids and m.joined_on <= as_of and (m.left_on is None or m.left_on > as_of)]
    covered_units = {t.unit_id for t in teams}
    villages = [u for u in units.values() if u.tier == "village" and inside(u.id)]
    communes = [u for u in units.values() if u.tier == "commune" and inside(u.id)]
    return {
        "villages": len(villages), "villages_covered": sum(u.id in covered_units for u in villages),
        "communes": len(communes), "communes_with_team": sum(u.id in covered_units for u in communes),
        "teams": len(teams), "members": len(members), "reporting": len(team_ids & reported),
        "activities": len(reports), "people_reached": sum(a.people_reached for a in reports),
    }


def _shown(ind: coverage.Indicators) -> dict[str, int]:
    return {"villages": ind.villages, "villages_covered": ind.villages_covered, "communes": ind.communes,
            "communes_with_team": ind.communes_with_team, "teams": ind.teams, "members": ind.members,
            "reporting": ind.teams - ind.silent_teams, "activities": ind.activities, "people_reached": ind.people_reached}


def _dates(rng: random.Random) -> list[date]:
    return sorted({date(2022, 1, 1) + timedelta(days=rng.randrange(0, (TODAY - date(2022, 1, 1)).days + 1))
                   for _ in range(12)} | {TODAY, date(2022, 7, 1), date(2022, 7, 31)})


def _check(session, tree: factories.Tree, rng: random.Random) -> None:  # noqa: ANN001
    """Every kept scope, on a dozen dates: the indicators equal the recount, and the tables equal a rebuild."""
    assert counts.differences(session) == []
    actor = factories.admin()
    for unit in (None, tree.province, tree.district, tree.district2):
        for day in _dates(rng):
            got = _shown(coverage.fetch_indicators(session, actor=actor, unit_id=unit and unit.id, as_of=day))
            assert got == _recount(session, unit and unit.id, day), (unit and unit.name, day)


@pytest.fixture
def tree(session):  # noqa: ANN001, ANN201
    tree = factories.create_tree(session)
    session.commit()
    return tree


def test_random_writes_through_every_service_keep_the_counts(session, tree):  # noqa: ANN001
    """Villages, teams, members, reports, corrections, closures and deletions in a random order."""
    rng = random.Random(7)
    officer = factories.admin()
    villages = list(tree.villages)
    teams: list[int] = []
    reports: list[int] = []
    for step in range(120):
        action = rng.choice(["village", "team", "team", "member", "member_edit", "leave", "report", "report",
                             "report", "move_report", "delete_report", "close", "team_date"])
        day = date(2022, 1, 1) + timedelta(days=rng.randrange(0, 1500))
        try:
            if action == "village":
                commune = rng.choice([tree.commune, tree.commune2])
                villages.append(create_village(session, actor=officer, commune_id=commune.id, kind="Thôn",
                                               name=f"Mới {step}"))
            elif action == "team":
                unit = rng.choice([*villages, tree.commune, tree.commune2])
                members = [MemberInput(full_name=f"Người {step}.{i}", joined_on=day + timedelta(days=i * 20))
                           for i in range(rng.randrange(0, 4))]
                teams.append(create_team(session, actor=officer, today=TODAY, data=TeamInput(
                    unit_id=unit.id, name=f"Tổ {step}", established_on=day, members=members)).id)
            elif action == "member" and teams:
                create_member(session, actor=officer, team_id=rng.choice(teams), today=TODAY,
                              data=MemberInput(full_name=f"Người {step}", joined_on=day))
            elif action in ("member_edit", "leave"):
                member = rng.choice(list(session.scalars(select(Member))) or [None])
                if member is None:
                    continue
                if action == "leave":
                    end_membership(session, actor=officer, member_id=member.id, left_on=day, today=TODAY)
                else:
                    update_member(session, actor=officer, member_id=member.id, today=TODAY,
                                  data=MemberInput(full_name=member.full_name, role=member.role, joined_on=day))
            elif action == "report" and teams:
                team = session.get(Team, rng.choice(teams))
                end = min(team.closed_on or TODAY, TODAY)
                day = team.established_on + timedelta(days=rng.randrange(0, max(1, (end - team.established_on).days)))
                reports.append(create_activity(session, actor=officer, today=TODAY, data=ActivityInput(
                    team_id=team.id, activity_date=day, activity_type=rng.choice(TYPES),
                    people_reached=rng.randrange(0, 40))).id)
            elif action == "move_report" and reports:
                activity = session.get(Activity, rng.choice(reports))
                day = activity.activity_date + timedelta(days=rng.randrange(-60, 60))
                update_activity(session, actor=officer, activity_id=activity.id, today=TODAY, data=ActivityInput(
                    team_id=activity.team_id, activity_date=day, activity_type=rng.choice(TYPES),
                    people_reached=rng.randrange(0, 40)))
            elif action == "delete_report" and reports:
                delete_activity(session, actor=officer, activity_id=reports.pop(rng.randrange(len(reports))), today=TODAY)
            elif action == "close" and teams:
                close_team(session, actor=officer, team_id=rng.choice(teams), closed_on=day, today=TODAY)
            elif action == "team_date" and teams:
                team = session.get(Team, rng.choice(teams))
                update_team(session, actor=officer, team_id=team.id, today=TODAY, data=TeamInput(
                    unit_id=team.unit_id, name=team.name, established_on=day))
            session.commit()
        except Exception as err:  # noqa: BLE001 - a refused write must leave the counts as they were
            session.rollback()
            assert type(err).__name__ in ("UserError", "NotFound"), err
        if step % 30 == 29:
            _check(session, tree, rng)
    assert len(reports) > 10 and len(teams) > 5  # the sequence really wrote what it checks
    _check(session, tree, rng)


def test_rows_added_through_the_orm_are_counted_too(session, tree):  # noqa: ANN001
    """The factories add teams and members directly: their flush marks them, and the commit counts them all the same."""
    factories.create_team(session, unit=tree.villages[0], established_on=date(2022, 7, 1), members=3)
    factories.create_team(session, unit=tree.commune2, established_on=date(2023, 2, 1), members=2,
                          closed_on=date(2024, 5, 1))
    session.commit()
    _check(session, tree, random.Random(3))


def test_a_deleted_village_is_taken_off_its_scopes(session, tree):  # noqa: ANN001
    """Deleting a unit through the ORM takes its village off the district, province and country."""
    village = tree.villages[2]
    # The ORM delete of the village below marks it (with its parent) for the kept counts.
    session.execute(UnitPath.__table__.delete().where(UnitPath.descendant_id == village.id),
                    execution_options=counts.KEPT_BY_CALLER)
    session.delete(village)
    session.commit()
    _check(session, tree, random.Random(5))
    assert session.scalar(select(LeafCount.unit_id).where(LeafCount.unit_id == village.id, LeafCount.villages != 0)) is None


def test_an_import_keeps_the_counts(session, tree):  # noqa: ANN001
    """The Excel import writes in bulk, past the listener, and refreshes the units itself."""
    officer = factories.officer_of(session, tree.district)
    session.commit()
    apply_import(session, actor=officer, source=xlsx(*MESSY, merges=MESSY_MERGES), today=TODAY)
    session.commit()
    assert session.scalar(select(Team.id).limit(1)) is not None
    _check(session, tree, random.Random(9))


def test_coverage_by_child_reads_the_kept_counts_and_equals_the_recount(session, tree):  # noqa: ANN001
    factories.create_team(session, unit=tree.villages[1], established_on=date(2022, 9, 1), members=4)
    factories.create_team(session, unit=tree.village_other, established_on=date(2023, 1, 10), members=2)
    session.commit()
    actor = factories.admin()
    for parent, children in ((None, [tree.province]), (tree.province, [tree.district, tree.district2])):
        for day in (date(2022, 8, 1), date(2023, 6, 1), TODAY):
            df = coverage.fetch_coverage_by_child(session, actor=actor, unit_id=parent and parent.id, as_of=day)
            assert sorted(df["unit_id"]) == sorted(c.id for c in children)
            for child in children:
                row = df.set_index("unit_id").loc[child.id]
                want = _recount(session, child.id, day)
                assert (row["villages"], row["covered"], row["teams"], row["members"]) == (
                    want["villages"], want["villages_covered"], want["teams"], want["members"])


def test_monthly_activity_of_a_scope_equals_the_raw_reports(session, tree):  # noqa: ANN001
    team = factories.create_team(session, unit=tree.villages[0], established_on=date(2022, 7, 1), members=1)
    session.commit()
    rng = random.Random(11)
    for _ in range(40):
        create_activity(session, actor=factories.admin(), today=TODAY, data=ActivityInput(
            team_id=team.id, activity_date=date(2022, 7, 1) + timedelta(days=rng.randrange(0, 700)),
            activity_type=rng.choice(TYPES), people_reached=rng.randrange(1, 30)))
    session.commit()
    raw = list(session.scalars(select(Activity)))
    for unit in (None, tree.province, tree.district, tree.district2):
        df = fetch_unit_activity_by_month(session, actor=factories.admin(), unit_id=unit and unit.id,
                                          start=date(2022, 1, 1), end=TODAY)
        want = 0 if unit is tree.district2 else sum(a.people_reached for a in raw)
        assert int(df["people_reached"].sum()) == want
        assert int(df["reports"].sum()) == (0 if unit is tree.district2 else len(raw))


def test_migration_fills_the_kept_tables_from_existing_rows(backend, request, tmp_path):  # noqa: ANN001
    """A database with teams and reports from before the migration gets its counts from the raw rows."""
    from db.engine import make_engine

    with fresh_database(backend, request, tmp_path, migrated=False) as url:
        engine: Engine = make_engine(url)
        upgrade(engine, "0003")
        with engine.begin() as conn:
            ids = {}
            for uid, parent, tier in ((1, None, "province"), (2, 1, "district"), (3, 2, "commune"), (4, 3, "village")):
                conn.execute(insert(Unit.__table__).values(id=uid, parent_id=parent, structure="legacy", tier=tier,
                                                           level=uid, kind="X", name=f"U{uid}", short_name=f"U{uid}",
                                                           search_name=f"u{uid}"))
                ids[uid] = uid
            conn.execute(insert(UnitPath.__table__), [
                {"ancestor_id": a, "descendant_id": d, "depth": d - a} for d in range(1, 5) for a in range(1, d + 1)])
            conn.execute(insert(Team.__table__).values(id=1, unit_id=4, name="Tổ", established_on=date(2022, 7, 1)))
            conn.execute(insert(Activity.__table__).values(team_id=1, unit_id=4, commune_id=3, activity_type="other",
                                                           activity_date=date(2022, 7, 5), people_reached=9,
                                                           households_reached=0, results=0))
        upgrade(engine)
        with engine.connect() as conn:
            assert counts.differences(conn) == []
            got = counts.scope_totals(conn, [counts.COUNTRY, 1, 2], date(2022, 7, 20), today=TODAY)
            # A recent date is read the other way round (the total less the events after it): same figures.
            assert counts.scope_totals(conn, [counts.COUNTRY, 1, 2], date(2022, 7, 20), today=date(2022, 7, 25)) == got
            kept_rows = conn.scalar(select(ScopeCount.scope_id).limit(1))
        assert kept_rows is not None
        for scope in (counts.COUNTRY, 1, 2):
            assert (got[scope]["villages"], got[scope]["villages_covered"], got[scope]["teams"],
                    got[scope]["reporting"]) == (1, 1, 1, 1)
        engine.dispose()


def test_reporting_by_child_over_30_days_equals_the_recount(session, tree):  # noqa: ANN001
    """A 30-day period reads the kept "reporting" count; any other period probes the teams: both recount right."""
    teams = [factories.create_team(session, unit=unit, established_on=date(2022, 7, 1), members=1)
             for unit in (tree.villages[0], tree.villages[1], tree.village_other)]
    session.commit()
    rng = random.Random(13)
    for _ in range(30):
        create_activity(session, actor=factories.admin(), today=TODAY, data=ActivityInput(
            team_id=rng.choice(teams).id, activity_date=date(2022, 7, 1) + timedelta(days=rng.randrange(0, 400)),
            activity_type="other"))
    session.commit()
    for end in (date(2022, 8, 15), date(2023, 1, 20), date(2023, 6, 1)):
        for days in (30, 45):
            df = fetch_reporting_by_child(session, actor=factories.admin(), unit_id=tree.province.id,
                                          start=end - timedelta(days=days - 1), end=end).set_index("unit_id")
            for child in (tree.district, tree.district2):
                want = _recount(session, child.id, end, window=days)
                assert (df.loc[child.id, "teams"], df.loc[child.id, "reporting"]) == (want["teams"], want["reporting"])


def test_two_reports_of_one_team_written_at_once_are_counted_as_one_window(session, tree, engine):  # noqa: ANN001
    """Reports on two adjacent days, the second written while the first is not committed yet: the team is one
    reporting team on both days (PostgreSQL lets the second writer run meanwhile; SQLite has one writer)."""
    team = factories.create_team(session, unit=tree.villages[0], established_on=date(2022, 7, 1), members=1)
    session.commit()
    day = date(2024, 3, 10)

    def report(on: date) -> None:
        run_write(create_activity, actor=factories.admin(), today=TODAY,
                  data=ActivityInput(team_id=team.id, activity_date=on, activity_type="other"))

    first = SessionLocal()
    create_activity(first, actor=factories.admin(), today=TODAY,
                    data=ActivityInput(team_id=team.id, activity_date=day, activity_type="other"))
    first.flush()  # the first writer's rows are written, its transaction still open
    second = threading.Thread(target=report, args=(day + timedelta(days=1),))
    if engine.dialect.name == "postgresql":
        second.start()
        second.join(timeout=1.5)  # without the unit lock it would finish here, diffing against the old state
        first.commit()
    else:
        first.commit()
        second.start()
    second.join()
    first.close()
    session.expire_all()
    assert counts.differences(session) == []
    for on in (day, day + timedelta(days=1), day + timedelta(days=30)):
        got = _shown(coverage.fetch_indicators(session, actor=factories.admin(), unit_id=tree.district.id, as_of=on))
        assert got["reporting"] == _recount(session, tree.district.id, on)["reporting"] == 1


# ---- the one upkeep: marks, the guard, once per transaction ----------------------------------------


def _people_kept(session, team: Team) -> int:  # noqa: ANN001
    """People reached as the team's commune rollup keeps them, all months and types together."""
    commune_id = session.scalar(select(Unit.parent_id).where(Unit.id == team.unit_id))
    return int(session.scalar(select(func.coalesce(func.sum(ActivityRollup.people_reached), 0))
                              .where(ActivityRollup.commune_id == commune_id)))


def test_a_bulk_write_that_says_nothing_of_the_kept_tables_is_refused(session, tree):  # noqa: ANN001
    """An unflagged bulk UPDATE of teams (ORM or Core) would drift the counts silently: the guard refuses it."""
    team = factories.create_team(session, unit=tree.villages[0], established_on=date(2022, 7, 1), members=1)
    session.commit()
    for stmt in (update(Team).where(Team.id == team.id), update(Team.__table__).where(Team.__table__.c.id == team.id)):
        with pytest.raises(counts.UnkeptWrite):
            session.execute(stmt.values(closed_on=date(2023, 1, 1)))
        session.rollback()
    assert session.get(Team, team.id).closed_on is None
    # Said and marked, the same statement is kept like any other write.
    session.execute(update(Team).where(Team.id == team.id).values(closed_on=date(2023, 1, 1)),
                    execution_options=counts.KEPT_BY_CALLER)
    counts.touch_units(session, {team.unit_id: None})
    session.commit()
    assert counts.differences(session) == []
    after = coverage.fetch_indicators(session, actor=factories.admin(), unit_id=tree.district.id, as_of=date(2023, 2, 1))
    assert after.teams == _recount(session, tree.district.id, date(2023, 2, 1))["teams"] == 0


def test_a_bulk_report_update_that_marks_its_months_keeps_the_sums(session, tree):  # noqa: ANN001
    """A bulk UPDATE of reports flagged KEPT_BY_CALLER, with its commune-months marked, is recounted at commit."""
    team = factories.create_team(session, unit=tree.villages[0], established_on=date(2022, 7, 1), members=1)
    session.commit()
    report = create_activity(session, actor=factories.admin(), today=TODAY, data=ActivityInput(
        team_id=team.id, activity_date=date(2023, 3, 5), activity_type="other", people_reached=5))
    session.commit()
    session.execute(update(Activity).where(Activity.id == report.id).values(people_reached=40),
                    execution_options=counts.KEPT_BY_CALLER)
    counts.touch_months(session, [(report.commune_id, date(2023, 3, 1))])
    session.commit()
    assert _people_kept(session, team) == 40
    assert counts.differences(session) == []


def test_a_team_registered_with_many_members_is_recounted_once(session, tree, engine):  # noqa: ANN001
    """One transaction, one recount of its unit: the leaf rows are written by one statement, not one per member."""
    leaf_writes: list[str] = []

    def spy(_conn, _cursor, statement: str, *_args) -> None:  # noqa: ANN001, ANN002
        if statement.lstrip().upper().startswith("INSERT INTO LEAF_COUNTS"):
            leaf_writes.append(statement)

    event.listen(engine, "before_cursor_execute", spy)
    try:
        create_team(session, actor=factories.admin(), today=TODAY, data=TeamInput(
            unit_id=tree.villages[0].id, name="Tổ đông người", established_on=date(2022, 7, 1),
            members=[MemberInput(full_name=f"Người {i}", joined_on=date(2022, 7, 1)) for i in range(12)]))
        session.commit()
    finally:
        event.remove(engine, "before_cursor_execute", spy)
    assert len(leaf_writes) == 1
    assert counts.differences(session) == []


def test_a_read_inside_the_writing_transaction_sees_the_write(session, tree):  # noqa: ANN001
    """Kept reads settle what the open transaction touched before reading (nothing committed yet)."""
    create_team(session, actor=factories.admin(), today=TODAY, data=TeamInput(
        unit_id=tree.villages[1].id, name="Tổ mới", established_on=date(2022, 7, 1),
        members=[MemberInput(full_name="Người một", joined_on=date(2022, 7, 1))]))
    shown = _shown(coverage.fetch_indicators(session, actor=factories.admin(), unit_id=tree.district.id, as_of=TODAY))
    want = _recount(session, tree.district.id, TODAY)
    assert (shown["teams"], shown["members"], shown["villages_covered"]) == (want["teams"], want["members"],
                                                                              want["villages_covered"])
    assert want["teams"] >= 1


def test_a_rolled_back_savepoint_and_a_corrected_report_leave_the_sums_right(session, tree):  # noqa: ANN001
    """Rollups are recounted, not added to: a report written in a savepoint that rolls back leaves no trace, and a
    report whose figures are corrected moves its old and new months."""
    team = factories.create_team(session, unit=tree.villages[0], established_on=date(2022, 7, 1), members=1)
    session.commit()
    kept = create_activity(session, actor=factories.admin(), today=TODAY, data=ActivityInput(
        team_id=team.id, activity_date=date(2023, 3, 5), activity_type="other", people_reached=5))
    nested = session.begin_nested()
    create_activity(session, actor=factories.admin(), today=TODAY, data=ActivityInput(
        team_id=team.id, activity_date=date(2023, 3, 6), activity_type="other", people_reached=7))
    nested.rollback()
    session.commit()
    assert _people_kept(session, team) == 5
    update_activity(session, actor=factories.admin(), activity_id=kept.id, today=TODAY, data=ActivityInput(
        team_id=team.id, activity_date=date(2023, 5, 1), activity_type="cashless", people_reached=9))
    session.commit()
    assert _people_kept(session, team) == 9
    assert counts.differences(session) == []


def test_rebuild_of_one_unit_repairs_its_subtree_and_the_scopes_above(session, tree):  # noqa: ANN001
    """Kept rows damaged by hand: the check names them; rebuilding the district repairs what it contributes."""
    team = factories.create_team(session, unit=tree.villages[0], established_on=date(2022, 7, 1), members=2)
    session.commit()
    create_activity(session, actor=factories.admin(), today=TODAY, data=ActivityInput(
        team_id=team.id, activity_date=date(2023, 3, 5), activity_type="other", people_reached=5))
    session.commit()
    session.execute(text("UPDATE scope_counts SET teams = teams + 3 WHERE scope_id = :s"), {"s": tree.district.id})
    session.execute(text("UPDATE activity_rollups SET reports = reports + 1"))
    session.commit()
    found = counts.differences(session)
    assert {d.table for d in found} == {"scope_counts", "activity_rollups"}
    assert all(tree.district.name in counts.describe(d, {tree.district.id: tree.district.name})
               for d in found if d.table == "scope_counts")
    counts.rebuild(session, tree.district.id)
    session.commit()
    assert counts.differences(session) == []


def test_scope_series_equals_the_recount_on_every_day(session, tree):  # noqa: ANN001
    """The day-by-day figures a timeline reads: the recount on each day, old days and recent ones alike."""
    rng = random.Random(11)
    villages = [*tree.villages, tree.village_other]
    for village in [*villages, tree.commune]:
        cursor = date(2022, 1, 1) + timedelta(days=rng.randrange(0, 700))
        for _ in range(rng.randint(0, 3)):  # one after another (a unit has one open team), sometimes overlapping
            if cursor > TODAY:
                break
            start = cursor
            closed = start + timedelta(days=rng.randrange(1, 400))
            open_team = closed > TODAY or rng.random() < 0.3
            team = factories.create_team(session, unit=village, established_on=start, members=rng.randint(0, 3),
                                         closed_on=None if open_team else closed)
            cursor = closed - timedelta(days=rng.randrange(0, 20))
            commune = session.get(Unit, village.parent_id) if village.tier == "village" else village
            for _ in range(rng.randint(0, 4)):  # reports at any time after the team's start
                day = start + timedelta(days=rng.randrange(0, max(1, (TODAY - start).days)))
                session.add(Activity(team_id=team.id, unit_id=village.id, commune_id=commune.id, activity_date=min(day, TODAY),
                                     activity_type="cashless", people_reached=3, households_reached=1, results=1))
            if open_team:
                break
    # And a village whose team came and went within the last year, with a report: events on recent days.
    late = factories.create_unit(session, parent=tree.commune, tier="village", kind="Thôn", short="Mới Lập")
    team = factories.create_team(session, unit=late, established_on=TODAY - timedelta(days=100), members=2,
                                 closed_on=TODAY - timedelta(days=40))
    session.add(Activity(team_id=team.id, unit_id=late.id, commune_id=tree.commune.id, activity_date=TODAY - timedelta(days=60),
                         activity_type="cashless", people_reached=3, households_reached=1, results=1))
    session.commit()
    # Random days, and the days teams start and stop (the first of them too): where the events are.
    edges = {d for t in session.scalars(select(Team)) for d in (t.established_on, t.closed_on) if d is not None}
    days = sorted(set(_dates(rng)) | edges)
    scopes = [counts.COUNTRY, tree.province.id, tree.district.id, tree.district2.id]
    series = counts.scope_series(session, scopes, days, today=TODAY)
    for scope in scopes:
        assert len(series[scope]) == len(days)
        for day, got in zip(days, series[scope], strict=True):
            want = _recount(session, None if scope == counts.COUNTRY else scope, day)
            assert got == {col: want[col] for col in counts.COLUMNS}, (scope, day)
    # A curve that starts within the last year is read the other way (the total less the later events).
    recent = sorted({d for d in days if (TODAY - d).days < 365} | {TODAY - timedelta(days=n) for n in (300, 200, 31, 30, 1)})
    for scope, got in counts.scope_series(session, scopes, recent, today=TODAY).items():
        for day, value in zip(recent, got, strict=True):
            want = _recount(session, None if scope == counts.COUNTRY else scope, day)
            assert value == {col: want[col] for col in counts.COLUMNS}, (scope, day)
    # The days come back in the order asked, repeated days included.
    shuffled = [days[-1], days[0], days[-1]]
    again = counts.scope_series(session, [tree.district.id], shuffled, today=TODAY)[tree.district.id]
    assert again == [series[tree.district.id][-1], series[tree.district.id][0], series[tree.district.id][-1]]


# ---- no national row on the write path (issue 17) ------------------------------------------------------


def _connection_with_shard_other_than(engine: Engine, shard: int, held: list) -> object:  # noqa: ANN001
    """A new connection whose scope shard is not `shard` (the ones passed over stay open in `held`)."""
    while True:
        conn = engine.connect()
        held.append(conn)
        if counts._shard(conn) != shard:
            return conn


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_writer_committing_in_one_district_does_not_hold_up_a_writer_in_another(session, tree, engine):  # noqa: ANN001
    """Writer A has written its report and everything it keeps, and is committing (so it holds its rows). A writer
    on another server connection in another district, same day, same province and country, commits without
    waiting; a writer in A's own commune waits for A, as it must (the second half shows the check can fail)."""
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm import Session

    teams = [factories.create_team(session, unit=unit, established_on=date(2022, 7, 1), members=1)
             for unit in (tree.villages[0], tree.village_other, tree.villages[1])]
    session.commit()
    day = TODAY - timedelta(days=1)

    def report(db: Session, team: Team) -> None:
        create_activity(db, actor=factories.admin(), today=TODAY, data=ActivityInput(
            team_id=team.id, activity_date=day, activity_type="cashless", people_reached=7))

    held: list = []
    a_conn = engine.connect()
    held.append(a_conn)
    writer_a = Session(bind=a_conn)
    report(writer_a, teams[0])
    counts._before_commit(writer_a)  # all but the COMMIT: A now holds every row it writes
    for team, should_wait in ((teams[1], False), (teams[2], True)):
        conn = _connection_with_shard_other_than(engine, counts._shard(a_conn), held)
        conn.exec_driver_sql("SET lock_timeout = '2s'")
        with Session(bind=conn) as other:
            if should_wait:
                with pytest.raises(OperationalError, match="lock timeout"):
                    report(other, team)
                    other.commit()
                other.rollback()
            else:
                report(other, team)
                other.commit()
    writer_a.commit()
    run_write(lambda db: report(db, teams[2]))
    for conn in held:
        conn.close()

    session.expire_all()
    shards = session.scalar(select(func.count(func.distinct(ScopeCount.shard))).where(ScopeCount.scope_id == counts.COUNTRY))
    assert shards >= 2  # the country's figures now come from two writers' rows
    _check(session, tree, random.Random(17))
    counts.rebuild(session)  # folds the shards into one row per day again
    session.commit()
    assert session.scalar(select(func.count(func.distinct(ScopeCount.shard)))) == 1
    _check(session, tree, random.Random(17))


def test_the_data_version_moves_at_commit_and_is_the_sum_of_its_rows(session, tree, engine):  # noqa: ANN001
    """A write's version bump is written at its commit (after the kept tables), never by a rolled-back write."""
    from db.versions import fetch_data_version

    team = factories.create_team(session, unit=tree.villages[0], established_on=date(2022, 7, 1))
    session.commit()
    start = fetch_data_version(session)
    with SessionLocal() as writer:
        create_activity(writer, actor=factories.admin(), today=TODAY,
                        data=ActivityInput(team_id=team.id, activity_date=TODAY, activity_type="other"))
        writer.flush()
        assert fetch_data_version(writer) == start  # marked, not yet written
        writer.rollback()
    assert fetch_data_version(session) == start
    run_write(create_activity, actor=factories.admin(), today=TODAY,
              data=ActivityInput(team_id=team.id, activity_date=TODAY, activity_type="other"))
    session.expire_all()
    assert fetch_data_version(session) == start + 1
    session.execute(text("INSERT INTO data_version (scope_id, shard, version) VALUES (-1, :i, 5)"), {"i": counts.SHARDS + 1})
    assert fetch_data_version(session) == start + 6


def test_a_write_moves_the_counter_of_its_own_province_only(session, tree):  # noqa: ANN001
    """A report in one province leaves another province's counter (and so its cached figures) alone.

    A write that names no province (a bulk load) moves scope 0, which every reader's version includes.
    """
    from db import versions

    other = factories.create_unit(session, parent=None, tier="province", kind="Tỉnh", short="Khánh Hòa", code="56")
    other_commune = factories.create_unit(session, parent=other, tier="commune", kind="Xã", short="Ninh Hải")
    team = factories.create_team(session, unit=tree.villages[0], established_on=date(2022, 7, 1))
    session.commit()
    before = versions.fetch_scope_versions(session)
    run_write(create_activity, actor=factories.admin(), today=TODAY,
              data=ActivityInput(team_id=team.id, activity_date=TODAY, activity_type="other"))
    after = versions.fetch_scope_versions(session)
    assert versions.version_for(after, tree.province.id) == versions.version_for(before, tree.province.id) + 1
    assert versions.version_for(after, other.id) == versions.version_for(before, other.id)
    assert versions.version_for(after, None) == versions.version_for(before, None) + 1
    assert versions.fetch_province(session, other_commune.id) == other.id
    assert versions.fetch_province(session, tree.villages[0].id) == tree.province.id

    versions.bump_data_version(session)
    session.commit()
    national = versions.fetch_scope_versions(session)
    for province in (tree.province.id, other.id):
        assert versions.version_for(national, province) == versions.version_for(after, province) + 1
