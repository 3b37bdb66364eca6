"""db.meeting: period sums exact to the day, the previous period, one silent-team rule, the scope check."""

import random
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from db import vocab
from db.activities import ActivityInput, create_activity, fetch_unit_activity_by_month
from db.errors import PermissionDenied, UserError
from db.meeting import fetch_meeting, previous_period
from db.models import Activity, Team, UnitPath
from db.reporting import reported_between
from db.teams import team_active_on
from tests import factories

TODAY = date(2026, 11, 20)
TYPES = list(vocab.ACTIVITY_TYPES)


@pytest.fixture
def reported(session, world):
    """Four teams in two districts with reports on random days of 2026, some teams silent in parts of the year."""
    tree = world.tree
    rng = random.Random(12)
    teams = [factories.create_team(session, unit=unit, established_on=date(2025, 1, 1))
             for unit in (*tree.villages, tree.village_other)]
    session.commit()
    for team in teams:
        for _ in range(60):
            day = date(2026, 1, 1) + timedelta(days=rng.randrange((TODAY - date(2026, 1, 1)).days + 1))
            create_activity(session, actor=factories.admin(), today=TODAY, data=ActivityInput(
                team_id=team.id, activity_date=day, activity_type=rng.choice(TYPES),
                people_reached=rng.randrange(40), households_reached=rng.randrange(15)))
    session.commit()
    return world


def _raw(session, unit_id, start, end):
    """The reports and people of the subtree between two dates, counted straight from the reports."""
    stmt = select(func.count(Activity.id), func.coalesce(func.sum(Activity.people_reached), 0)).where(
        Activity.activity_date.between(start, end))
    if unit_id is not None:
        stmt = stmt.join(UnitPath, (UnitPath.descendant_id == Activity.commune_id) & (UnitPath.ancestor_id == unit_id))
    return tuple(int(v) for v in session.execute(stmt).one())


PERIODS = [(date(2026, 3, 10), date(2026, 3, 24)),  # inside one month, few days
           (date(2026, 3, 3), date(2026, 3, 29)),  # inside one month, most days
           (date(2026, 2, 14), date(2026, 5, 3)),  # both ends cut, one short and one long side
           (date(2026, 4, 1), date(2026, 6, 30)),  # whole months
           (date(2026, 1, 31), date(2026, 2, 1)),  # two single days in two months
           (date(2026, 10, 1), TODAY)]  # up to the last day with reports


@pytest.mark.parametrize(("start", "end"), PERIODS)
def test_monthly_rows_add_up_to_the_reports_of_the_period(session, reported, start, end):
    tree = reported.tree
    for unit_id in (None, tree.province.id, tree.district.id, tree.commune.id):
        months = fetch_unit_activity_by_month(session, actor=reported.admin, unit_id=unit_id, start=start, end=end)
        assert (int(months["reports"].sum()), int(months["people_reached"].sum())) == _raw(session, unit_id, start, end)
        assert all(start.replace(day=1) <= m <= end for m in months["month"])


def test_the_previous_period_has_the_same_length_and_ends_the_day_before():
    for start, end in PERIODS:
        before_start, before_end = previous_period(start, end)
        assert before_end == start - timedelta(days=1)
        assert (before_end - before_start) == (end - start)


@pytest.mark.parametrize(("start", "end"), PERIODS[2:4])
def test_meeting_figures_follow_their_stated_definitions(session, reported, start, end):
    tree = reported.tree
    m = fetch_meeting(session, actor=reported.leader, unit_id=tree.district.id, start=start, end=end)
    assert (m.figure("reports").value, m.figure("people_reached").value) == _raw(session, tree.district.id, start, end)
    assert m.figure("reports").previous == _raw(session, tree.district.id, m.previous_start, m.previous_end)[0]
    # Silent: active on the last day, no report within the period, counted straight from the teams.
    in_district = select(Team.id).join(UnitPath, (UnitPath.descendant_id == Team.unit_id)
                                       & (UnitPath.ancestor_id == tree.district.id)).where(team_active_on(end))
    silent = set(session.scalars(in_district.where(~reported_between(Team, start, end))))
    assert m.silent_count == len(silent) == len(m.silent) and set(m.silent["team_id"]) == silent
    active = len(session.scalars(in_district).all())
    assert m.figure("reporting_rate").part == (active - len(silent), active)
    assert m.figure("teams").value == active and m.unit == tree.district.name and m.parent == tree.province.name


def test_a_district_account_cannot_read_another_districts_meeting(session, reported):
    with pytest.raises(PermissionDenied):
        fetch_meeting(session, actor=reported.leader, unit_id=reported.tree.district2.id,
                      start=date(2026, 1, 1), end=TODAY)


def test_a_period_that_ends_before_it_starts_is_refused_in_vietnamese(session, world):
    with pytest.raises(UserError, match="Ngày bắt đầu của kỳ phải trước ngày kết thúc"):
        fetch_meeting(session, actor=world.leader, unit_id=world.tree.district.id, start=TODAY, end=TODAY - timedelta(days=1))
