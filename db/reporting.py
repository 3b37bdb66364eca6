"""Reporting: which active teams reported in a period, the reporting rate, and the teams that stayed silent.

The one definition of the rate: teams active at the period's end with at least one report in the period,
divided by the teams active at its end. `reported_between` says what "reported in the period" means and
`reporting_rate` divides; the kept counts of db/counts.py hold the same figure for the 30 days up to a day.
"""

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session, aliased

from db.access import Actor, scope_unit
from db.counts import REPORT_WINDOW_DAYS, SCOPE_TIERS, scope_totals
from db.models import Activity, Team, Unit, UnitPath
from db.teams import team_active_on
from db.text import sort_frame
from db.units import children_cond


def period_of(end: date, days: int = REPORT_WINDOW_DAYS) -> tuple[date, date]:
    """The `days`-day period that ends on `end` (by default the 30 days the reporting rate looks at)."""
    return end - timedelta(days=days - 1), end


def reported_between(team: type[Team] | Team, start: date, end: date) -> ColumnElement[bool]:
    """EXISTS a report of the team in [start, end]: one seek in the (team, date) index per team."""
    return (
        select(Activity.id)
        .where(Activity.team_id == team.id, Activity.activity_date.between(start, end))
        .exists()
    )


def reporting_rate(reporting: int, active: int) -> float:
    """Active teams that reported in the period ÷ active teams; 0 where no team is active."""
    return reporting / active if active else 0.0


def _active_and_reporting(start: date, end: date) -> tuple[ColumnElement[int], ColumnElement[int]]:
    """Teams, and those that reported in [start, end]: aggregates over teams joined as active at `end`."""
    return func.count(Team.id), func.count(case((reported_between(Team, start, end), 1)))


def count_reporting_teams(session: Session, *, unit_id: int | None, as_of: date, since: date | None = None) -> tuple[int, int]:
    """Active teams of a subtree (the country for `None`) on the date, and those with a report from `since`
    (by default the 30 days up to the date) to the date."""
    start, end = (since, as_of) if since is not None else period_of(as_of)
    stmt = select(*_active_and_reporting(start, end)).select_from(Team).where(team_active_on(end))
    if unit_id is not None:
        stmt = stmt.join(UnitPath, and_(UnitPath.descendant_id == Team.unit_id, UnitPath.ancestor_id == unit_id))
    active, reporting = session.execute(stmt).one()
    return int(active), int(reporting)


def fetch_reporting_by_child(
    session: Session, *, actor: Actor, unit_id: int | None, start: date, end: date
) -> pd.DataFrame:
    """Per child unit: teams active at the period's end, those that reported in it, the rate, the silent."""
    unit_id = scope_unit(session, actor, unit_id)
    grp = aliased(Unit)
    cond = children_cond(session, unit_id, as_of=end, unit=grp)  # both trees; the country: the date's provinces
    children = session.execute(select(grp.id, grp.name, grp.tier).where(cond).order_by(grp.name)).all()
    if (start, end) == period_of(end) and children and all(c.tier in SCOPE_TIERS for c in children):
        # The 30 days up to a date are what the kept "reporting" count means: one range read per child.
        totals = scope_totals(session, [c.id for c in children], end, today=date.today())
        rows = [(c.id, c.name, totals[c.id]["teams"], totals[c.id]["reporting"]) for c in children]
        return _reporting_frame(rows)
    # One seek per team in the (team, date) index, instead of every report of the period in the country.
    stmt = (
        select(grp.id, grp.name, *_active_and_reporting(start, end))
        .select_from(grp)
        .join(UnitPath, UnitPath.ancestor_id == grp.id)
        .join(Team, and_(Team.unit_id == UnitPath.descendant_id, team_active_on(end)))
        .where(cond)
        .group_by(grp.id, grp.name)
        .order_by(grp.name)
    )
    return _reporting_frame(session.execute(stmt).all())


def _reporting_frame(rows: Sequence[Sequence[Any]]) -> pd.DataFrame:
    """Teams and reporting teams per child, with the silent ones and the rate."""
    df = pd.DataFrame(rows, columns=["unit_id", "name", "teams", "reporting"])
    df = df[df["teams"] > 0].reset_index(drop=True)  # as the join does: a child without active teams has no row
    for col in ("teams", "reporting"):
        df[col] = df[col].astype("int64")
    df["silent"] = df["teams"] - df["reporting"]
    df["rate"] = pd.Series([reporting_rate(r, t) for r, t in zip(df["reporting"], df["teams"], strict=True)],
                           index=df.index, dtype="float64")
    return sort_frame(df, "name")  # Vietnamese order, not SQL's byte order


SILENT_LIMIT = 500  # the silent teams a page lists; a larger scope lists its first ones and says so


def fetch_silent_teams(
    session: Session, *, actor: Actor, unit_id: int | None, start: date, end: date, limit: int = SILENT_LIMIT
) -> pd.DataFrame:
    """Teams active at the period's end with no report in it, with their last report date, by commune and village.

    At most `limit` teams: when there are more, the first `limit` in the order of their units' ids (so the
    scan stops there instead of probing every team of the country), then sorted by commune and village in
    Vietnamese order.
    """
    unit_id = scope_unit(session, actor, unit_id)
    silent = select(Team.id).where(team_active_on(end), ~reported_between(Team, start, end))
    if unit_id is not None:
        silent = silent.join(UnitPath, and_(UnitPath.descendant_id == Team.unit_id, UnitPath.ancestor_id == unit_id))
    first = silent.order_by(Team.unit_id, Team.id).limit(limit).subquery("first_silent")
    # The last report of each listed team is one backwards seek in the (team, date) index.
    last = select(func.max(Activity.activity_date)).where(Activity.team_id == Team.id).scalar_subquery()
    village, commune = aliased(Unit), aliased(Unit)
    stmt = (
        select(Team.id, Team.name, village.name, commune.name, Team.established_on, last)
        .join(first, first.c.id == Team.id)
        .join(village, village.id == Team.unit_id)
        .outerjoin(commune, commune.id == village.parent_id)
        .order_by(commune.name, village.name, Team.id)
    )
    cols = ["team_id", "name", "unit", "parent", "established_on", "last_report"]
    df = pd.DataFrame(session.execute(stmt).all(), columns=cols)
    df["last_report"] = [date.fromisoformat(d) if isinstance(d, str) else d for d in df["last_report"]]
    return sort_frame(df, "parent", "unit")  # stable: a village's teams stay in id order
