"""Targets and deadlines: coverage over time, the projected date of 100%, on-track status."""

import math
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pandas as pd
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from db import limits, vocab
from db.access import Actor, ensure_can_read_unit, ensure_can_write_unit, scope_unit
from db.audit import record, snapshot
from db.counts import COUNTRY, SCOPE_TIERS, scope_series
from db.coverage import fetch_coverage_by_child
from db.errors import NotFound, UserError
from db.models import Target, Team, Unit, UnitPath
from db.validation import whole_number

PACE_WINDOW_DAYS = 90  # the "current pace" is the coverage gained over the last 90 days
AT_RISK_DAYS = 90  # projected this much after the deadline: at risk; later: behind
# The coverage curve starts on 1 January of the earliest of: this many years before its last day, the year of
# the deadline, the year of the period shown. Two years keep the 90-day pace window inside the curve whatever the
# period, so every surface (Báo cáo page, PDF, slides) projects the same date from the same points.
HISTORY_YEARS = 2


@dataclass(frozen=True)
class TargetInfo:
    """A coverage target in force for a unit, possibly inherited from an ancestor."""

    unit_id: int
    unit_name: str
    value: float
    due_on: date
    inherited: bool


DUE_YEARS = (limits.EARLIEST_DATE.year, limits.LATEST_DUE_YEAR)


def _finite_number(value: object) -> float | None:
    """A finite int, float or decimal as a float; None for booleans, text, NaN and infinities."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    try:
        number = float(value)
    except (OverflowError, ValueError):
        return None
    return number if math.isfinite(number) else None


def set_target(session: Session, *, actor: Actor, unit_id: int, kind: str, value: float | None, due_on: date | None) -> Target:
    """Set (or change) a unit's target for a deadline or quarter; officers of the scope only."""
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise NotFound("Không tìm thấy địa bàn.", field="unit")
    ensure_can_write_unit(session, actor, unit_id)
    if kind not in vocab.TARGET_KINDS:
        raise UserError("Loại chỉ tiêu không hợp lệ.", field="kind")
    if due_on is None:
        raise UserError("Hãy chọn hạn hoàn thành.", field="due_on")
    if not DUE_YEARS[0] <= due_on.year <= DUE_YEARS[1]:  # year 1 or 9999 would break the charts' date arithmetic
        raise UserError(f"Hạn hoàn thành phải trong khoảng năm {DUE_YEARS[0]}–{DUE_YEARS[1]}.", field="due_on")
    if value is None:
        raise UserError("Hãy nhập giá trị chỉ tiêu.", field="value")
    if kind == "village_coverage":
        ratio = _finite_number(value)
        if ratio is None or not 0 < ratio <= 1:
            raise UserError("Tỷ lệ chỉ tiêu phải lớn hơn 0% và không quá 100%.", field="value")
        value = ratio
    if kind == "people_quarter":
        people = whole_number(value, field="value", label="Chỉ tiêu lượt người")
        if not 0 < people <= limits.PEOPLE_TARGET_MAX:
            raise UserError("Chỉ tiêu lượt người phải là số nguyên dương.", field="value")
        value = people
    target = session.scalar(select(Target).where(Target.unit_id == unit_id, Target.kind == kind, Target.due_on == due_on))
    before = snapshot(target) if target else None
    if target is None:
        target = Target(unit_id=unit_id, kind=kind, value=value, due_on=due_on)
        session.add(target)
    target.value = value
    record(session, actor, "update" if before else "create", target, before)
    return target


def fetch_targets(session: Session, *, actor: Actor, unit_id: int) -> pd.DataFrame:
    """The targets set on a unit itself, latest deadline first."""
    ensure_can_read_unit(session, actor, unit_id)
    rows = session.execute(
        select(Target.id, Target.kind, Target.value, Target.due_on).where(Target.unit_id == unit_id).order_by(Target.due_on.desc())
    ).all()
    return pd.DataFrame(rows, columns=["target_id", "kind", "value", "due_on"])


def _targets_in_force(session: Session, unit_ids: list[int]) -> dict[int, TargetInfo]:
    """The coverage target in force for each unit: its own, else its nearest ancestor's (latest deadline)."""
    found: dict[int, TargetInfo] = {}
    for i in range(0, len(unit_ids), 500):
        rows = session.execute(
            select(UnitPath.descendant_id, Target.value, Target.due_on, Unit.id, Unit.name, UnitPath.depth)
            .join(UnitPath, UnitPath.ancestor_id == Target.unit_id)
            .join(Unit, Unit.id == Target.unit_id)
            .where(UnitPath.descendant_id.in_(unit_ids[i : i + 500]), Target.kind == "village_coverage")
            .order_by(UnitPath.descendant_id, UnitPath.depth, Target.due_on.desc())
        ).all()
        for unit_id, value, due_on, owner_id, owner_name, depth in rows:
            if unit_id not in found:  # the first row of each unit: the nearest, latest deadline
                found[unit_id] = TargetInfo(unit_id=owner_id, unit_name=owner_name, value=float(value), due_on=due_on,
                                            inherited=depth > 0)
    return found


def fetch_coverage_target(session: Session, *, actor: Actor, unit_id: int) -> TargetInfo | None:
    """The coverage target in force for a unit: its own, else its nearest ancestor's (latest deadline)."""
    ensure_can_read_unit(session, actor, unit_id)
    return _targets_in_force(session, [unit_id]).get(unit_id)


def month_ends(start: date, end: date) -> list[date]:
    """The last day of every month from `start`'s month to `end`, then `end` itself."""
    days = []
    cursor = start.replace(day=1)
    while True:
        nxt = (cursor.replace(day=28) + timedelta(days=4)).replace(day=1)
        last = nxt - timedelta(days=1)
        if last >= end:
            break
        days.append(last)
        cursor = nxt
    days.append(end)
    return days


def _recounted_timelines(session: Session, unit_ids: list[int], days: list[date]) -> dict[int, tuple[list[int], int]]:
    """Covered villages on each day and today's villages, per unit, recounted from the teams' dates.

    For communes and villages, whose days are not kept: their few teams are read in one query (from each
    unit's subtree, through the closure index) and counted per day here.
    """
    village = Unit
    # The tier is filtered here, not in SQL: given a tier to match, SQLite would scan every village of the country.
    teams = session.execute(
        select(UnitPath.ancestor_id, Team.unit_id, village.tier, Team.established_on, Team.closed_on)
        .join(Team, Team.unit_id == UnitPath.descendant_id)
        .join(village, village.id == Team.unit_id)
        .where(UnitPath.ancestor_id.in_(unit_ids))
    ).all()
    total = (
        select(UnitPath.ancestor_id, func.count())
        .join(village, and_(UnitPath.descendant_id == village.id, village.tier == "village"))
        .where(UnitPath.ancestor_id.in_(unit_ids))
        .group_by(UnitPath.ancestor_id)
    )
    villages = {unit: int(n) for unit, n in session.execute(total).all()}
    covered: dict[int, list[set[int]]] = {unit: [set() for _ in days] for unit in unit_ids}
    for unit, team_unit, tier, established, closed in teams:
        if tier != "village":
            continue
        for i, day in enumerate(days):
            if established <= day and (closed is None or closed > day):
                covered[unit][i].add(team_unit)
    return {unit: ([len(c) for c in covered[unit]], villages.get(unit, 0)) for unit in unit_ids}


def _timelines(session: Session, unit_ids: list[int | None], days: list[date]) -> dict[int | None, pd.DataFrame]:
    """Each unit's coverage on the days (None: the whole country).

    The country, provinces and districts read their kept day-by-day counts (`counts.scope_series`: the
    covered villages on each day are the sum of the scope's events up to it); communes and villages,
    which hold a few teams, are recounted from the teams' dates. The denominator is today's village
    count (villages carry no founding date, so a village counts on every day).
    """
    ids = [u for u in unit_ids if u is not None]
    tiers = dict(session.execute(select(Unit.id, Unit.tier).where(Unit.id.in_(ids))).all()) if ids else {}
    kept = {u: COUNTRY if u is None else u for u in unit_ids if u is None or tiers.get(u) in SCOPE_TIERS}
    series = scope_series(session, list(kept.values()), days, today=date.today(), columns=("villages", "villages_covered"))
    values: dict[int | None, tuple[list[int], int]] = {
        u: ([p["villages_covered"] for p in series[scope]], series[scope][-1]["villages"]) for u, scope in kept.items()
    }
    rest = [u for u in ids if u not in kept]
    if rest:
        values.update(_recounted_timelines(session, rest, days).items())
    out = {}
    for unit, (covered, villages) in values.items():
        df = pd.DataFrame({"day": days, "covered": covered})
        df["villages"] = villages
        df["coverage"] = df["covered"] / villages if villages else 0.0
        out[unit] = df
    return out


def fetch_coverage_timeline(
    session: Session, *, actor: Actor, unit_id: int | None, start: date, end: date
) -> pd.DataFrame:
    """Covered villages at each month's end (from the kept day-by-day counts where a scope has them).

    The denominator is today's village count (villages carry no founding date).
    """
    unit_id = scope_unit(session, actor, unit_id)
    return _timelines(session, [unit_id], month_ends(start, end))[unit_id]


def project_completion(timeline: pd.DataFrame, *, today: date, goal: float = 1.0) -> date | None:
    """The date coverage reaches `goal` at the pace of the last 90 days; None when it is not rising.

    Returns `today` (or the first day it was reached) when the goal is already met.
    """
    if timeline.empty:
        return None
    past = timeline[timeline["day"] <= today]
    if past.empty:
        return None
    now = float(past["coverage"].iloc[-1])
    if now >= goal:
        reached = past[past["coverage"] >= goal]
        return reached["day"].iloc[0]
    window_start = today - timedelta(days=PACE_WINDOW_DAYS)
    earlier = past[past["day"] <= window_start]
    then, then_day = (float(earlier["coverage"].iloc[-1]), earlier["day"].iloc[-1]) if not earlier.empty else (
        float(past["coverage"].iloc[0]), past["day"].iloc[0])
    days = (today - then_day).days
    if days <= 0 or now <= then:
        return None
    pace = (now - then) / days  # coverage gained per day
    remaining = (goal - now) / pace
    return today + timedelta(days=math.ceil(remaining - 1e-9))  # tolerate float noise such as 120.0000001


def progress_status(*, coverage: float, goal: float | None, deadline: date | None, projected: date | None, today: date) -> str:
    """reached | on_track | at_risk | behind | no_target, by the rules the Báo cáo page explains."""
    if goal is None or deadline is None:
        return "no_target"
    if coverage >= goal:
        return "reached"
    if today > deadline or projected is None:
        return "behind"
    if projected <= deadline:
        return "on_track"
    if projected <= deadline + timedelta(days=AT_RISK_DAYS):
        return "at_risk"
    return "behind"


def _assess(*, coverage: float, timeline: pd.DataFrame, target: TargetInfo | None, today: date) -> tuple[date | None, str]:
    """The projected date (None once reached or when not rising) and the status of a coverage against its target."""
    goal = target.value if target else None
    projected = None if coverage >= (goal or 1.0) else project_completion(timeline, today=today, goal=goal or 1.0)
    status = progress_status(coverage=coverage, goal=goal, deadline=target.due_on if target else None,
                             projected=projected, today=today)
    return projected, status


@dataclass(frozen=True)
class TargetProgress:
    """A unit's village coverage against the target in force: the curve, the projection at the current pace, the status."""

    unit_id: int | None
    as_of: date
    target: TargetInfo | None
    start: date  # the first day of the timeline
    timeline: pd.DataFrame  # day, covered, villages, coverage at each month's end up to `as_of`
    covered: int
    villages: int
    coverage: float  # on `as_of`
    projected: date | None  # when `aim` is reached at the last 90 days' pace; None once reached or when not rising
    status: str  # a key of vocab.TARGET_STATUSES

    @property
    def goal(self) -> float | None:
        """The target's ratio; None without a target."""
        return self.target.value if self.target else None

    @property
    def deadline(self) -> date | None:
        """The target's deadline; None without a target."""
        return self.target.due_on if self.target else None

    @property
    def aim(self) -> float:
        """The ratio the projection runs to: the target's, or 100% without one."""
        return self.goal if self.goal is not None else 1.0

    @property
    def reached(self) -> bool:
        """True when the coverage on `as_of` meets the aim."""
        return self.coverage >= self.aim


def timeline_start(*, as_of: date, deadline: date | None = None, since: date | None = None) -> date:
    """1 January of the earliest of: HISTORY_YEARS before `as_of`, the deadline's year, the period start's year."""
    years = [as_of.year - HISTORY_YEARS, *(d.year for d in (deadline, since) if d is not None)]
    return date(min(years), 1, 1)


def fetch_target_progress(
    session: Session, *, actor: Actor, unit_id: int | None, as_of: date | None = None, since: date | None = None
) -> TargetProgress:
    """A unit's coverage over time against its target (own or inherited), projected at the current pace.

    `unit_id` None means the actor's own unit (the whole country for a national account, which has no target);
    `since` is the start of the period shown, so the curve reaches back to it.
    """
    as_of = as_of or date.today()
    if unit_id is None and not actor.is_national:
        unit_id = actor.unit_id
    target = fetch_coverage_target(session, actor=actor, unit_id=unit_id) if unit_id is not None else None
    start = timeline_start(as_of=as_of, deadline=target.due_on if target else None, since=since)
    timeline = fetch_coverage_timeline(session, actor=actor, unit_id=unit_id, start=start, end=as_of)
    last = timeline.iloc[-1]
    coverage = float(last["coverage"])
    projected, status = _assess(coverage=coverage, timeline=timeline, target=target, today=as_of)
    return TargetProgress(unit_id=unit_id, as_of=as_of, target=target, start=start, timeline=timeline,
                          covered=int(last["covered"]), villages=int(last["villages"]), coverage=coverage,
                          projected=projected, status=status)


def fetch_child_progress(session: Session, *, actor: Actor, unit_id: int | None, today: date | None = None,
                         structure: str | None = None) -> pd.DataFrame:
    """Each child unit's coverage, the target in force, the projected date and its status (the country's provinces
    of `structure`, by default of the day's)."""
    today = today or date.today()
    children = fetch_coverage_by_child(session, actor=actor, unit_id=unit_id, as_of=today, structure=structure)  # checks the scope
    children = children[children["villages"] > 0]
    ids = [int(u) for u in children["unit_id"]]
    in_force = _targets_in_force(session, ids)
    timelines = _timelines(session, list(ids), month_ends(today - timedelta(days=PACE_WINDOW_DAYS + 31), today))
    rows = []
    for child in children.itertuples():
        target = in_force.get(int(child.unit_id))
        projected, status = _assess(coverage=float(child.coverage), timeline=timelines[int(child.unit_id)], target=target,
                                    today=today)
        rows.append((int(child.unit_id), child.name, int(child.villages), int(child.covered), float(child.coverage),
                     target.value if target else None, target.due_on if target else None, projected, status))
    return pd.DataFrame(rows, columns=["unit_id", "name", "villages", "covered", "coverage", "goal", "deadline", "projected", "status"])
