"""Targets: the projection and on-track rules on fixed data, the timeline from team dates, inheritance."""

from datetime import date, timedelta

import pandas as pd
import pytest

from db import targets
from db.auth import actor_of
from db.errors import PermissionDenied, UserError
from tests import factories

TODAY = date(2023, 3, 31)


def _timeline(points: dict[date, float]) -> pd.DataFrame:
    return pd.DataFrame({"day": list(points), "coverage": list(points.values())})


@pytest.mark.parametrize(
    ("points", "expected"),
    [
        # +30 points in the last 90 days: 60% → 100% needs 40 / (30/90) = 120 more days.
        ({TODAY - timedelta(days=90): 0.30, TODAY: 0.60}, TODAY + timedelta(days=120)),
        # Flat for 90 days: no projection.
        ({TODAY - timedelta(days=90): 0.60, TODAY: 0.60}, None),
        # Falling: no projection.
        ({TODAY - timedelta(days=90): 0.70, TODAY: 0.60}, None),
        # Already reached: the first day it was.
        ({TODAY - timedelta(days=120): 0.9, TODAY - timedelta(days=60): 1.0, TODAY: 1.0}, TODAY - timedelta(days=60)),
    ],
)
def test_project_completion(points, expected):
    assert targets.project_completion(_timeline(points), today=TODAY) == expected


def test_projection_uses_the_point_at_the_window_start():
    timeline = _timeline({TODAY - timedelta(days=200): 0.0, TODAY - timedelta(days=100): 0.5, TODAY: 0.8})
    # The pace is measured from the last point at least 90 days back: 0.3 over 100 days.
    expected = TODAY + timedelta(days=67)  # 0.2 left at 0.3 per 100 days: 66.7 days, rounded up
    assert targets.project_completion(timeline, today=TODAY) == expected


DEADLINE = date(2023, 8, 31)


@pytest.mark.parametrize(
    ("coverage", "goal", "deadline", "projected", "today", "status"),
    [
        (1.0, 1.0, DEADLINE, None, TODAY, "reached"),
        (0.6, 0.5, DEADLINE, None, TODAY, "reached"),
        (0.6, 1.0, DEADLINE, DEADLINE, TODAY, "on_track"),
        (0.6, 1.0, DEADLINE, DEADLINE + timedelta(days=targets.AT_RISK_DAYS), TODAY, "at_risk"),
        (0.6, 1.0, DEADLINE, DEADLINE + timedelta(days=targets.AT_RISK_DAYS + 1), TODAY, "behind"),
        (0.6, 1.0, DEADLINE, None, TODAY, "behind"),
        (0.6, 1.0, DEADLINE, DEADLINE, DEADLINE + timedelta(days=1), "behind"),  # past the deadline
        (0.6, None, None, None, TODAY, "no_target"),
    ],
)
def test_progress_status(coverage, goal, deadline, projected, today, status):
    assert targets.progress_status(coverage=coverage, goal=goal, deadline=deadline, projected=projected, today=today) == status


def test_month_ends():
    assert targets.month_ends(date(2022, 11, 15), date(2023, 2, 10)) == [
        date(2022, 11, 30), date(2022, 12, 31), date(2023, 1, 31), date(2023, 2, 10)]


def test_timeline_follows_team_dates(session):
    tree = factories.create_tree(session)
    factories.create_team(session, unit=tree.villages[0], established_on=date(2022, 7, 10))
    factories.create_team(session, unit=tree.villages[1], established_on=date(2022, 9, 5), closed_on=date(2022, 11, 20))
    factories.create_team(session, unit=tree.commune, established_on=date(2022, 6, 1))  # a commune team covers no village
    session.commit()
    timeline = targets.fetch_coverage_timeline(session, actor=targets_admin(), unit_id=tree.district.id,
                                               start=date(2022, 6, 1), end=date(2022, 12, 15))
    by_day = dict(zip(timeline["day"], timeline["covered"], strict=True))
    assert by_day == {date(2022, 6, 30): 0, date(2022, 7, 31): 1, date(2022, 8, 31): 1, date(2022, 9, 30): 2,
                      date(2022, 10, 31): 2, date(2022, 11, 30): 1, date(2022, 12, 15): 1}
    assert set(timeline["villages"]) == {len(tree.villages)}


def targets_admin():  # noqa: ANN201
    return factories.admin()


def test_targets_are_inherited_and_scoped(session):
    tree = factories.create_tree(session)
    officer = actor_of(factories.create_user(session, role="officer", unit=tree.district, username="canbo.t"))
    session.commit()
    targets.set_target(session, actor=targets_admin(), unit_id=tree.province.id, kind="village_coverage", value=1.0, due_on=DEADLINE)
    session.commit()
    inherited = targets.fetch_coverage_target(session, actor=officer, unit_id=tree.commune.id)
    assert (inherited.unit_id, inherited.inherited) == (tree.province.id, True)
    targets.set_target(session, actor=officer, unit_id=tree.district.id, kind="village_coverage", value=0.9, due_on=date(2023, 6, 30))
    session.commit()
    own = targets.fetch_coverage_target(session, actor=officer, unit_id=tree.commune.id)
    assert (own.unit_id, own.value) == (tree.district.id, 0.9)
    with pytest.raises(PermissionDenied):
        targets.set_target(session, actor=officer, unit_id=tree.district2.id, kind="village_coverage", value=1.0, due_on=DEADLINE)
    with pytest.raises(UserError) as err:
        targets.set_target(session, actor=officer, unit_id=tree.district.id, kind="village_coverage", value=1.5, due_on=DEADLINE)
    assert err.value.field == "value"


def test_child_progress_marks_each_child(session):
    tree = factories.create_tree(session)
    for village in tree.villages:
        factories.create_team(session, unit=village, established_on=date(2022, 7, 1))
    session.commit()
    targets.set_target(session, actor=targets_admin(), unit_id=tree.province.id, kind="village_coverage", value=1.0, due_on=DEADLINE)
    session.commit()
    progress = targets.fetch_child_progress(session, actor=targets_admin(), unit_id=tree.province.id, today=TODAY)
    status = dict(zip(progress["name"], progress["status"], strict=True))
    assert status[tree.district.name] == "reached"  # all of its villages have a team
    assert status[tree.district2.name] == "behind"  # none, and no rise to project from


@pytest.mark.parametrize(
    ("as_of", "deadline", "since", "expected"),
    [
        (TODAY, None, None, date(TODAY.year - targets.HISTORY_YEARS, 1, 1)),
        (TODAY, date(2025, 12, 31), date(2023, 1, 1), date(TODAY.year - targets.HISTORY_YEARS, 1, 1)),
        (TODAY, date(2019, 12, 31), None, date(2019, 1, 1)),  # an old deadline stays in view
        (TODAY, None, date(2020, 4, 1), date(2020, 1, 1)),  # so does the start of an old period
    ],
)
def test_timeline_start(as_of, deadline, since, expected):
    assert targets.timeline_start(as_of=as_of, deadline=deadline, since=since) == expected


def test_target_progress_of_a_unit(session):
    tree = factories.create_tree(session)
    # Phú Ninh has 3 villages: one covered since July 2022, a second since January 2023, the third not yet.
    factories.create_team(session, unit=tree.villages[0], established_on=date(2022, 7, 10))
    factories.create_team(session, unit=tree.villages[1], established_on=date(2023, 1, 15))
    factories.create_team(session, unit=tree.village_other, established_on=date(2022, 8, 1))  # Núi Thành's only village
    session.commit()
    admin = targets_admin()
    targets.set_target(session, actor=admin, unit_id=tree.province.id, kind="village_coverage", value=1.0, due_on=DEADLINE)
    session.commit()

    progress = targets.fetch_target_progress(session, actor=admin, unit_id=tree.district.id, as_of=TODAY, since=date(2023, 1, 1))
    assert (progress.target.unit_id, progress.target.inherited) == (tree.province.id, True)
    assert (progress.goal, progress.deadline, progress.aim) == (1.0, DEADLINE, 1.0)
    assert progress.start == date(TODAY.year - targets.HISTORY_YEARS, 1, 1)
    assert progress.timeline["day"].iloc[0] == date(TODAY.year - targets.HISTORY_YEARS, 1, 31)
    assert progress.timeline["day"].iloc[-1] == TODAY
    assert (progress.covered, progress.villages) == (2, 3)
    assert progress.coverage == pytest.approx(2 / 3)
    # The pace: 1 of 3 villages covered at the window's start (31/12/2022, 90 days back), 2 of 3 today: one third
    # in 90 days, so the last third takes 90 more days, well before the deadline.
    assert progress.projected == TODAY + timedelta(days=90)
    assert progress.status == "on_track" and not progress.reached

    # The same unit in its parent's table gets the same projection and status.
    children = targets.fetch_child_progress(session, actor=admin, unit_id=tree.province.id, today=TODAY).set_index("unit_id")
    assert children.loc[tree.district.id, "projected"] == progress.projected
    assert children.loc[tree.district.id, "status"] == progress.status

    # The period shown only moves where the curve starts, never the projection.
    short = targets.fetch_target_progress(session, actor=admin, unit_id=tree.district.id, as_of=TODAY, since=date(2023, 3, 1))
    assert (short.projected, short.status) == (progress.projected, progress.status)

    # A target of its own that the coverage already meets: reached, nothing left to project.
    targets.set_target(session, actor=admin, unit_id=tree.district.id, kind="village_coverage", value=0.6, due_on=DEADLINE)
    session.commit()
    own = targets.fetch_target_progress(session, actor=admin, unit_id=tree.district.id, as_of=TODAY)
    assert (own.target.inherited, own.goal, own.reached, own.projected, own.status) == (False, 0.6, True, None, "reached")

    # The whole country has no target: the projection runs to 100%, the status says no target.
    country = targets.fetch_target_progress(session, actor=admin, unit_id=None, as_of=TODAY)
    assert (country.target, country.goal, country.aim, country.status) == (None, None, 1.0, "no_target")
    assert (country.covered, country.villages) == (3, 4)


def _covered_by_hand(session, unit_id: int | None, day: date) -> tuple[int, int]:  # noqa: ANN001
    """Villages with an active team on the day, and villages, counted in Python through the parent links."""
    from sqlalchemy import select

    from db.models import Team, Unit

    units = {u.id: u for u in session.scalars(select(Unit))}

    def inside(uid: int | None) -> bool:
        while uid is not None:
            if uid == unit_id:
                return True
            uid = units[uid].parent_id
        return unit_id is None

    villages = {u.id for u in units.values() if u.tier == "village" and inside(u.id)}
    covered = {t.unit_id for t in session.scalars(select(Team))
               if t.unit_id in villages and t.established_on <= day and (t.closed_on is None or t.closed_on > day)}
    return len(covered), len(villages)


def test_timeline_of_every_level_equals_the_teams_dates(session):
    """Kept scopes read their day-by-day counts, communes and villages recount: both equal a count by hand."""
    import random

    rng = random.Random(5)
    tree = factories.create_tree(session)
    for village in [*tree.villages, tree.village_other]:
        cursor = date(2021, 6, 1) + timedelta(days=rng.randrange(0, 300))
        for _ in range(rng.randint(1, 3)):  # one after another (a unit has one open team), sometimes overlapping
            closed = cursor + timedelta(days=rng.randrange(1, 300))
            if rng.random() < 0.3:
                factories.create_team(session, unit=village, established_on=cursor)
                break
            factories.create_team(session, unit=village, established_on=cursor, closed_on=closed)
            cursor = closed - timedelta(days=rng.randrange(0, 20))
    factories.create_team(session, unit=tree.commune, established_on=date(2021, 1, 1))  # covers no village
    session.commit()
    admin = targets_admin()
    start, end = date(2021, 1, 1), date(2023, 5, 17)
    units = [None, tree.province.id, tree.district.id, tree.district2.id, tree.commune.id, tree.villages[0].id]
    for unit_id in units:
        timeline = targets.fetch_coverage_timeline(session, actor=admin, unit_id=unit_id, start=start, end=end)
        assert list(timeline["day"]) == targets.month_ends(start, end)
        for row in timeline.itertuples():
            assert (row.covered, row.villages) == _covered_by_hand(session, unit_id, row.day), (unit_id, row.day)
            assert row.coverage == pytest.approx(row.covered / row.villages)
    # A child's row in its parent's table uses the same curve as the child's own progress.
    children = targets.fetch_child_progress(session, actor=admin, unit_id=tree.province.id, today=end).set_index("unit_id")
    for child in (tree.district, tree.district2):
        own = targets.fetch_target_progress(session, actor=admin, unit_id=child.id, as_of=end)
        assert children.loc[child.id, "projected"] == own.projected
        assert children.loc[child.id, "status"] == own.status
