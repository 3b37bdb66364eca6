"""The kept aggregates: counts per unit and day, report sums per commune and month, and their scope totals.

Each village or commune contributes *events*: on a given day, how many villages, covered villages,
communes, communes with a team, active teams, active members and reporting teams (a report in the 30
days up to that day) start (+1) or stop (-1) counting. `leaf_counts` keeps each unit's own events;
`scope_counts` keeps their sums for every district and province and for the country (scope 0). A
figure on a date is the sum of one scope's events up to that date (at most one row per day), or, for
a recent date, the scope's kept total less the few events after the date. `activity_rollups` sums the
reports per commune, month and type; `scope_rollups` sums those again per scope.

One mechanism keeps all four current (see "keeping the tables current"): writes mark what they touched,
and at commit each touched unit and commune-month is recounted once from the raw rows and only the
difference is added, in the same transaction. The scope rows (districts, provinces, the country) carry a
shard in their key: on PostgreSQL each connection adds to its own shard, so writers anywhere in the
country do not queue on the country's rows, and every read sums a scope's shards (issue 17).
`differences` compares every kept row with a full recount and `rebuild` recomputes them (folding the
shards into one row again; `python -m db counts check | rebuild [UNIT]`). Moving a unit to another
parent is not kept by the upkeep (its events do not change, its scopes do): the 2025 carry-over, the one
write that moves villages, keeps the kept tables of what it moved itself (db/reform.py).

With both structures loaded, a village carried over to a 2025 commune counts in the scopes of both its
chains (its 2025 province, its legacy district and province: `scopes_of`), and a commune's `communes`
and `communes_with_team` events are clipped to the days it exists (`valid_from`..`valid_to`), so the
country counts the legacy communes until 30/06/2025 and the 2025 communes from 01/07/2025.
"""

import functools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import (
    BindParameter,
    Connection,
    Date,
    Insert,
    Integer,
    Select,
    Subquery,
    and_,
    bindparam,
    case,
    delete,
    event,
    func,
    insert,
    inspect,
    literal,
    select,
    text,
    union_all,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, UOWTransaction

from db import vocab
from db.models import (
    Activity,
    ActivityRollup,
    Base,
    DataVersion,
    LeafCount,
    Member,
    ScopeCount,
    ScopeRollup,
    Team,
    Unit,
    UnitPath,
)
from db.sqlfuncs import first_of_month, month_start
from db.versions import CHANNEL, MOVED, bump_scopes, committed, take_bump

COUNTRY = 0  # the scope id of the whole country (no unit has id 0)
SCOPE_TIERS = ("province", "district")  # units whose subtree totals are kept; below them reads are small
ALWAYS = date(1900, 1, 1)  # villages and communes have no start date: they count on every day
# Each scope also keeps the sum of all its events on this day, so a recent date reads only the few
# events after it (the reporting windows reach 30 days ahead): total − events after the date.
TOTAL_DAY = date(9999, 12, 31)
REPORT_WINDOW_DAYS = 30  # a team is "reporting" on a day with a report in the 30 days up to it
COLUMNS = ("villages", "villages_covered", "communes", "communes_with_team", "teams", "members", "reporting")
ROLLUP_SUMS = ("reports", "people_reached", "households_reached", "results")
_COL = {name: i for i, name in enumerate(COLUMNS)}
# Scope rows are kept in shards (part of their key) so writers in different places add to different rows
# on PostgreSQL; a figure is the sum of a scope's shards. 32 keeps 16 concurrent writers mostly apart.
SHARDS = 32
_CHUNK = 500

Window = tuple[date, date] | None  # the days whose events are recomputed; None for every day
Events = dict[date, list[int]]


@dataclass(frozen=True)
class _Team:
    id: int
    unit_id: int
    start: date
    end: date | None


# ---- computing a unit's events -------------------------------------------------------------------


def _add(events: Events, day: date, col: str, delta: int) -> None:
    events.setdefault(day, [0] * len(COLUMNS))[_COL[col]] += delta


def _interval(events: Events, col: str, start: date, end: date | None) -> None:
    """Count one on every day of [start, end)."""
    if end is not None and end <= start:
        return
    _add(events, start, col, +1)
    if end is not None:
        _add(events, end, col, -1)


def _clip(start: date, end: date | None, team: _Team) -> tuple[date, date | None]:
    """The part of [start, end) while the team is active."""
    lo = max(start, team.start)
    ends = [d for d in (end, team.end) if d is not None]
    return lo, min(ends) if ends else None


def _merged(intervals: Iterable[tuple[date, date | None]]) -> list[tuple[date, date | None]]:
    """The union of intervals [start, end) as disjoint intervals (end None: still open)."""
    out: list[tuple[date, date | None]] = []
    for start, end in sorted(intervals, key=lambda iv: iv[0]):
        if out and (out[-1][1] is None or start <= out[-1][1]):
            last_end = out[-1][1]
            out[-1] = (out[-1][0], None if end is None or last_end is None else max(last_end, end))
        else:
            out.append((start, end))
    return out


def _reporting_islands(days: list[date]) -> list[tuple[date, date]]:
    """Where a report lies in the 30 days up to the day: the union of [d, d + 30) over sorted report days."""
    span = timedelta(days=REPORT_WINDOW_DAYS)
    out: list[tuple[date, date]] = []
    for day in days:
        if out and day <= out[-1][1]:
            out[-1] = (out[-1][0], day + span)
        else:
            out.append((day, day + span))
    return out


def _validity(valid_from: date | None, valid_to: date | None) -> tuple[date, date | None]:
    """A unit's days of existence as [start, end): from ALWAYS and open when not set."""
    return valid_from or ALWAYS, None if valid_to is None else valid_to + timedelta(days=1)


def _unit_events(tier: str, teams: list[_Team], members: dict[int, list[tuple[date, date | None]]],
                 report_days: dict[int, list[date]],
                 validity: tuple[date | None, date | None] = (None, None)) -> Events:
    """Every event of one village or commune, from its teams, their members and their report days.

    A commune counts (as a commune, and as one with a team) only while it exists: a legacy commune until
    30/06/2025, a 2025 commune from 01/07/2025, so the country never counts both structures' communes on one
    day. Villages are not clipped: a carried village is the same row in both structures.
    """
    events: Events = {}
    lo, hi = _validity(*validity) if tier == "commune" else (ALWAYS, None)
    if tier == "village":
        _add(events, ALWAYS, "villages", +1)
    elif tier == "commune":
        _interval(events, "communes", lo, hi)
    covered = {"village": "villages_covered", "commune": "communes_with_team"}.get(tier)
    if covered:
        for start, end in _merged((t.start, t.end) for t in teams if t.end is None or t.start < t.end):
            start, end = max(start, lo), end if hi is None else (hi if end is None else min(end, hi))
            _interval(events, covered, start, end)
    for team in teams:
        _interval(events, "teams", team.start, team.end)
        for joined, left in members.get(team.id, ()):
            _interval(events, "members", *_clip(joined, left, team))
        for start, end in _reporting_islands(report_days.get(team.id, [])):
            _interval(events, "reporting", *_clip(start, end, team))
    return {day: vec for day, vec in events.items() if any(vec)}


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for i in range(0, len(ids), _CHUNK):
        yield ids[i : i + _CHUNK]


# The statements of the upkeep are built once (building one costs more Python than running it on a write);
# `ids` and the others are expanding parameters, bound to each call's lists.
_IDS: BindParameter[list[int]] = bindparam("ids", expanding=True)
_TIERS = select(Unit.id, Unit.tier, Unit.valid_from, Unit.valid_to).where(Unit.id.in_(_IDS))
# Migration 0004 fills the kept tables with this module before migration 0009 adds the units' validity.
_TIERS_BEFORE_0009 = select(Unit.id, Unit.tier, literal(None, Date), literal(None, Date)).where(Unit.id.in_(_IDS))
_TEAMS = select(Team.id, Team.unit_id, Team.established_on, Team.closed_on).where(Team.unit_id.in_(_IDS))
_MEMBERS = select(Member.team_id, Member.joined_on, Member.left_on).where(Member.team_id.in_(_IDS))
_REPORT_DAYS = (select(Activity.team_id, Activity.activity_date).distinct().where(Activity.team_id.in_(_IDS))
                .order_by(Activity.team_id, Activity.activity_date))
_REPORT_DAYS_BETWEEN = _REPORT_DAYS.where(Activity.activity_date.between(bindparam("lo"), bindparam("hi")))
_LEAF_ROWS = select(LeafCount.unit_id, LeafCount.day, *(LeafCount.__table__.c[c] for c in COLUMNS)).where(
    LeafCount.unit_id.in_(_IDS))
_ROLLUP_ROWS = select(ActivityRollup.commune_id, ActivityRollup.month, ActivityRollup.activity_type,
                      *(ActivityRollup.__table__.c[c] for c in ROLLUP_SUMS)).where(ActivityRollup.commune_id.in_(_IDS))
_MONTH = month_start(Activity.activity_date)
_MONTH_SUMS = (select(Activity.commune_id, _MONTH, Activity.activity_type, func.count(), func.sum(Activity.people_reached),
                      func.sum(Activity.households_reached), func.sum(Activity.results))
               .where(Activity.commune_id.in_(_IDS))
               .group_by(Activity.commune_id, _MONTH, Activity.activity_type))
_MONTH_SUMS_BETWEEN = _MONTH_SUMS.where(Activity.activity_date.between(bindparam("lo"), bindparam("hi")))
_PARENTS = select(Unit.id, Unit.parent_id, Unit.former_parent_id).where(Unit.id.in_(_IDS))
_SCOPES_ABOVE = (select(UnitPath.descendant_id, UnitPath.ancestor_id, UnitPath.depth)
                 .join(Unit, Unit.id == UnitPath.ancestor_id)
                 .where(UnitPath.descendant_id.in_(_IDS), Unit.tier.in_(SCOPE_TIERS)))
_LOCK_UNITS = select(Unit.id).where(Unit.id.in_(_IDS)).order_by(Unit.id).with_for_update(key_share=True)
_NOTIFY = text(f"NOTIFY {CHANNEL}")


def _compute(conn: Connection, unit_ids: list[int], windows: Mapping[int, Window], *,
             validity_columns: bool = True) -> dict[int, Events]:
    """The events of each unit (inside its window), read in bulk from teams, members and report days."""
    tiers: dict[int, str] = {}
    validity: dict[int, tuple[date | None, date | None]] = {}
    units_stmt = _TIERS if validity_columns else _TIERS_BEFORE_0009
    for unit_id, unit_tier, valid_from, valid_to in conn.execute(units_stmt, {"ids": unit_ids}):
        tiers[unit_id], validity[unit_id] = unit_tier, (valid_from, valid_to)
    teams: dict[int, list[_Team]] = defaultdict(list)
    by_id: dict[int, _Team] = {}
    for row in conn.execute(_TEAMS, {"ids": unit_ids}):
        team = _Team(*row)
        teams[team.unit_id].append(team)
        by_id[team.id] = team
    members: dict[int, list[tuple[date, date | None]]] = defaultdict(list)
    report_days: dict[int, list[date]] = defaultdict(list)
    if by_id:
        for team_id, joined, left in conn.execute(_MEMBERS, {"ids": list(by_id)}):
            members[team_id].append((joined, left))
        bounds = [windows.get(u) for u in unit_ids]
        if all(b is not None for b in bounds):
            # A window's events depend only on the reports of the 30 days before it and inside it.
            lo = min(b[0] for b in bounds if b) - timedelta(days=REPORT_WINDOW_DAYS)
            days = conn.execute(_REPORT_DAYS_BETWEEN, {"ids": list(by_id), "lo": lo, "hi": max(b[1] for b in bounds if b)})
        else:
            days = conn.execute(_REPORT_DAYS, {"ids": list(by_id)})
        for team_id, day in days:
            report_days[team_id].append(day)
    out: dict[int, Events] = {}
    for unit_id in unit_ids:
        tier = tiers.get(unit_id)
        events = {} if tier is None else _unit_events(tier, teams.get(unit_id, []), members, report_days,
                                                      validity[unit_id])
        out[unit_id] = _inside(events, windows.get(unit_id))
    return out


def _inside(events: Events, window: Window) -> Events:
    if window is None:
        return events
    return {day: vec for day, vec in events.items() if window[0] <= day <= window[1]}


# ---- keeping the tables current ------------------------------------------------------------------
#
# One mechanism keeps every kept table (leaf and scope counts, commune and scope rollups): a write marks
# what it touched (units with a window of days, commune-months of reports) on its session, and when the
# transaction commits (or a kept read needs them first) each touched unit and commune-month is recounted
# once from the raw rows and only the difference is added to the kept rows. ORM writes are marked by the
# flush listener below; a bulk statement on a counted table must say how it is kept (`KEPT_BY_CALLER`
# after calling `touch_*`, or `REBUILT` before `rebuild`), or the guard refuses it.

COUNTED_TABLES = frozenset({"units", "unit_paths", "teams", "members", "activities"})
OPTION = "kept_aggregates"
KEPT_BY_CALLER = {OPTION: "caller"}  # the caller names what it touched (touch_units / touch_months)
REBUILT = {OPTION: "rebuilt"}  # the caller rebuilds the kept tables afterwards (bulk loads)
_PENDING = "kept_aggregates_pending"


class UnkeptWrite(RuntimeError):
    """A bulk statement on a counted table that says nothing of the kept aggregates (a programming error)."""


@dataclass
class Pending:
    """What the open transaction touched: units (with the days to recount) and commune-months of reports."""

    units: dict[int, Window] = field(default_factory=dict)
    parents: dict[int, int | None] = field(default_factory=dict)  # deleted units: where their scopes were
    former_parents: dict[int, int] = field(default_factory=dict)  # deleted carried villages: their legacy commune
    months: dict[int, set[date] | None] = field(default_factory=dict)  # commune -> months (None: every month)

    def add_unit(self, unit_id: int, window: Window) -> None:
        """Mark a unit, widening its window to cover both."""
        if unit_id not in self.units:
            self.units[unit_id] = window
            return
        old = self.units[unit_id]
        self.units[unit_id] = None if old is None or window is None else (min(old[0], window[0]), max(old[1], window[1]))

    def add_month(self, commune_id: int, month: date | None) -> None:
        """Mark a commune's month (None: all its months)."""
        if month is None:
            self.months[commune_id] = None
            return
        marked = self.months.setdefault(commune_id, set())
        if marked is not None:  # None: every month is marked already
            marked.add(month)


def _pending_marks(session: Session) -> Pending:
    """The session's marks for its open transaction."""
    marks = session.info.get(_PENDING)
    if marks is None:
        marks = session.info[_PENDING] = Pending()
    return marks


def touch_units(session: Session, units: Mapping[int, Window], *, parents: Mapping[int, int | None] | None = None) -> None:
    """Mark villages or communes whose teams, members or reports a bulk statement wrote (window None: every day)."""
    marks = _pending_marks(session)
    for unit_id, window in units.items():
        marks.add_unit(unit_id, window)
    marks.parents.update(parents or {})


def touch_months(session: Session, keys: Iterable[tuple[int, date | None]]) -> None:
    """Mark (commune, month) rollups a bulk statement changed (month None: all of the commune's months)."""
    marks = _pending_marks(session)
    for commune_id, month in keys:
        marks.add_month(commune_id, month)


def settle(session: Session) -> set[int]:
    """Flush, then recount what the transaction touched and add the differences to the kept tables.

    Returns the villages and communes it recounted (and the parents of deleted ones): the data
    version moves for their provinces (db/versions.py).
    """
    session.flush()
    marks = session.info.pop(_PENDING, None)
    if marks is None or not (marks.units or marks.months):
        return set()
    touched = (marks.units.keys() | marks.months.keys() | {p for p in marks.parents.values() if p is not None}
               | set(marks.former_parents.values()))
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        # Two writers of one unit must not both diff against the state before the other's write (a
        # reporting window is not additive): the second waits here, then reads what the first committed.
        # One statement in id order, so two writers never lock the same units in opposite orders.
        for chunk in _chunks(sorted(marks.units.keys() | marks.months.keys())):
            conn.execute(_LOCK_UNITS, {"ids": chunk})
    # Every recount first, then the writes: the rows shared with other writers (the scopes above) are
    # taken last and held only until the commit, not through this Python work.
    leaf = _unit_deltas(conn, marks.units)
    rollups = _month_deltas(conn, marks.months)
    scopes = scopes_of(conn, {u for u, _ in leaf} | {c for c, _, _ in rollups}, marks.parents,
                       former_parents=marks.former_parents)
    scope_days: dict[tuple, list[int]] = {}
    for (unit_id, day), delta in leaf.items():
        for scope in scopes[unit_id]:
            _add_into(scope_days, (scope, day), delta)
            _add_into(scope_days, (scope, TOTAL_DAY), delta)
    scope_months: dict[tuple, list[int]] = {}
    for (commune_id, month, activity_type), delta in rollups.items():
        for scope in scopes[commune_id]:
            _add_into(scope_months, (scope, month, activity_type), delta)
    shard = _shard(conn)
    _upsert_add(conn, LeafCount, ("unit_id", "day"), COLUMNS, [
        {"unit_id": u, "day": d, **dict(zip(COLUMNS, vec, strict=True))} for (u, d), vec in leaf.items()
    ])
    _upsert_add(conn, ActivityRollup, ("commune_id", "month", "activity_type"), ROLLUP_SUMS, [
        {"commune_id": c, "month": m, "activity_type": t, **dict(zip(ROLLUP_SUMS, vec, strict=True))}
        for (c, m, t), vec in rollups.items()
    ])
    _upsert_add(conn, ScopeCount, ("scope_id", "day", "shard"), COLUMNS, [
        {"scope_id": sc, "day": d, "shard": shard, **dict(zip(COLUMNS, vec, strict=True))}
        for (sc, d), vec in scope_days.items() if any(vec)
    ])
    _upsert_add(conn, ScopeRollup, ("scope_id", "month", "activity_type", "shard"), ROLLUP_SUMS, [
        {"scope_id": sc, "month": m, "activity_type": t, "shard": shard, **dict(zip(ROLLUP_SUMS, vec, strict=True))}
        for (sc, m, t), vec in scope_months.items() if any(vec)
    ])
    return touched


def _shard(conn: Connection) -> int:
    """The shard of the scope rows this connection adds to.

    On PostgreSQL each server process (backend) has its own shard, so writers in different places do
    not wait on the country's rows; reads sum the shards. SQLite has one writer at a time: one shard.
    """
    if conn.dialect.name != "postgresql":
        return 0
    return int(conn.connection.driver_connection.info.backend_pid) % SHARDS  # type: ignore[union-attr]


def _diff_rows(new: Mapping[tuple, Sequence[int]], old: Mapping[tuple, Sequence[int]], width: int) -> dict[tuple, list[int]]:
    """new − old per key, without the keys where nothing changed."""
    out: dict[tuple, list[int]] = {}
    for key in new.keys() | old.keys():
        a, b = new.get(key), old.get(key)
        delta = [(a[i] if a else 0) - (b[i] if b else 0) for i in range(width)]
        if any(delta):
            out[key] = delta
    return out


def _add_into(acc: dict[tuple, list[int]], key: tuple, delta: Sequence[int]) -> None:
    """Add a vector of differences to the accumulated row of its key."""
    row = acc.setdefault(key, [0] * len(delta))
    for i, d in enumerate(delta):
        row[i] += d


def _unit_deltas(conn: Connection, units: Mapping[int, Window]) -> dict[tuple, list[int]]:
    """Recompute the events of these units (each inside its window): what changes per (unit, day)."""
    leaf: dict[tuple, list[int]] = {}
    for chunk in _chunks(sorted(units)):
        windows = {u: units[u] for u in chunk}
        new = {(u, day): vec for u, events in _compute(conn, chunk, windows).items() for day, vec in events.items()}
        old: dict[tuple, list[int]] = {}
        for unit_id, day, *vec in conn.execute(_LEAF_ROWS, {"ids": chunk}):
            window = windows[unit_id]
            if window is None or window[0] <= day <= window[1]:
                old[(unit_id, day)] = list(vec)
        leaf.update(_diff_rows(new, old, len(COLUMNS)))
    return leaf


def _month_sums(conn: Connection, communes: list[int], months: Mapping[int, set[date] | None]) -> dict[tuple, list[int]]:
    """The raw reports of these communes summed per (commune, month, type), limited to the marked months."""
    wanted = [m for c in communes for m in (months[c] or ())]
    if all(months[c] is not None for c in communes) and wanted:
        # Read only the marked months' reports (the commune-date index), then keep the marked pairs.
        rows = conn.execute(_MONTH_SUMS_BETWEEN, {"ids": communes, "lo": min(wanted), "hi": _month_end(max(wanted))})
    else:
        rows = conn.execute(_MONTH_SUMS, {"ids": communes})
    out: dict[tuple, list[int]] = {}
    for commune_id, m, activity_type, *sums in rows:
        marked = months[commune_id]
        if marked is None or m in marked:
            out[(commune_id, m, activity_type)] = [int(v or 0) for v in sums]
    return out


def _month_end(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def _month_deltas(conn: Connection, months: Mapping[int, set[date] | None]) -> dict[tuple, list[int]]:
    """Recount the marked commune-months from the raw reports: what changes per (commune, month, type)."""
    rollups: dict[tuple, list[int]] = {}
    for chunk in _chunks(sorted(months)):
        new = _month_sums(conn, chunk, months)
        old: dict[tuple, list[int]] = {}
        for commune_id, m, activity_type, *sums in conn.execute(_ROLLUP_ROWS, {"ids": chunk}):
            marked = months[commune_id]
            if marked is None or m in marked:
                old[(commune_id, m, activity_type)] = list(sums)
        rollups.update(_diff_rows(new, old, len(ROLLUP_SUMS)))
    return rollups


def scopes_of(conn: Connection, unit_ids: Iterable[int], parents: Mapping[int, int | None] | None = None, *,
              former_parents: Mapping[int, int] | None = None) -> dict[int, list[int]]:
    """The kept scopes above each unit (its districts and provinces, then the country).

    Read through the parent's closure rows: a unit whose own closure rows are not flushed yet, or one
    being deleted (its parent given in `parents`), still finds its scopes. A village carried over to a
    2025 commune also counts in its legacy district and province (its former parent's scopes), as its
    kept closure rows say.
    """
    unit_ids = list(unit_ids)
    given = dict(parents or {})
    former = former_parents or {}
    parents_of = {u: tuple(x for x in (p, former.get(u)) if x is not None) for u, p in given.items()}
    known = [u for u in unit_ids if u not in given]
    for chunk in _chunks(known):
        for unit_id, parent_id, former_id in conn.execute(_PARENTS, {"ids": chunk}):
            parents_of[unit_id] = tuple(p for p in (parent_id, former_id) if p is not None)
    above: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for chunk in _chunks(sorted({p for ps in parents_of.values() for p in ps})):
        for parent, scope, depth in conn.execute(_SCOPES_ABOVE, {"ids": chunk}):
            above[parent].append((depth, scope))
    out: dict[int, list[int]] = {}
    for u in unit_ids:
        found = sorted({(depth, scope) for p in parents_of.get(u, ()) for depth, scope in above.get(p, [])})
        out[u] = [*dict.fromkeys(scope for _, scope in found), COUNTRY]
    return out


def _upsert_add(conn: Connection, model: type[Base], keys: tuple[str, ...], sums: tuple[str, ...],
                rows: list[dict[str, Any]]) -> None:
    """Add each row's sums to the row with its key, inserting it when new; in key order, so writers lock alike."""
    if not rows:
        return
    stmt = _upsert_statement(conn.dialect.name, model, keys, sums)
    conn.execute(stmt, sorted(rows, key=lambda r: tuple(r[k] for k in keys)))


@functools.cache
def _upsert_statement(dialect: str, model: type[Base], keys: tuple[str, ...], sums: tuple[str, ...]) -> Insert:
    """INSERT … ON CONFLICT (keys) DO UPDATE SET each sum += the new row's, built once per table."""
    stmt = (pg_insert if dialect == "postgresql" else sqlite_insert)(model)
    table = model.__table__
    return stmt.on_conflict_do_update(index_elements=list(keys), set_={c: table.c[c] + stmt.excluded[c] for c in sums})


# ---- rebuilding and checking ----------------------------------------------------------------------


def _leaf_ids(conn: Connection, root_id: int | None = None) -> list[int]:
    """The villages and communes (of a subtree, or of the country)."""
    stmt = select(Unit.id).where(Unit.tier.in_(("village", "commune"))).order_by(Unit.id)
    if root_id is not None:
        stmt = stmt.join(UnitPath, UnitPath.descendant_id == Unit.id).where(UnitPath.ancestor_id == root_id)
    return list(conn.scalars(stmt))


def _scope_map() -> Subquery:
    """(scope, unit) pairs: each unit under its kept districts and provinces, and under the country."""
    anc = select(UnitPath.ancestor_id.label("scope_id"), UnitPath.descendant_id.label("unit_id")).join(
        Unit, and_(Unit.id == UnitPath.ancestor_id, Unit.tier.in_(SCOPE_TIERS), UnitPath.depth > 0)
    )
    country = select(literal(COUNTRY, Integer).label("scope_id"), Unit.id.label("unit_id"))
    return union_all(anc, country).subquery()


def _scopes_touching(conn: Connection, root_id: int) -> list[int]:
    """The kept scopes whose figures include some of the subtree: inside it, above it, and the country."""
    inside = select(UnitPath.descendant_id).join(Unit, Unit.id == UnitPath.descendant_id).where(
        UnitPath.ancestor_id == root_id, Unit.tier.in_(SCOPE_TIERS))
    above = select(UnitPath.ancestor_id).join(Unit, Unit.id == UnitPath.ancestor_id).where(
        UnitPath.descendant_id == root_id, Unit.tier.in_(SCOPE_TIERS))
    return sorted({COUNTRY, *conn.scalars(inside), *conn.scalars(above)})


def _commune_rollup_recount() -> Select:
    """The raw reports summed per commune, month and type: what `activity_rollups` must hold."""
    month = month_start(Activity.activity_date)
    return select(Activity.commune_id, month.label("month"), Activity.activity_type, func.count(),
                  func.sum(Activity.people_reached), func.sum(Activity.households_reached),
                  func.sum(Activity.results)).group_by(Activity.commune_id, month, Activity.activity_type)


def _scope_rollup_recount(*, from_raw: bool = False) -> Select:
    """What `scope_rollups` must hold: the commune rollups (or, for a check, the raw reports) summed per scope."""
    m = _scope_map()
    if from_raw:
        month = month_start(Activity.activity_date)
        return (select(m.c.scope_id, month, Activity.activity_type, func.count(), func.sum(Activity.people_reached),
                       func.sum(Activity.households_reached), func.sum(Activity.results))
                .join(m, m.c.unit_id == Activity.commune_id)
                .group_by(m.c.scope_id, month, Activity.activity_type))
    r = ActivityRollup.__table__.c
    return (select(m.c.scope_id, r.month, r.activity_type, *(func.sum(r[c]) for c in ROLLUP_SUMS))
            .join(m, m.c.unit_id == r.commune_id)
            .group_by(m.c.scope_id, r.month, r.activity_type))


def rebuild(session: Session | Connection, unit_id: int | None = None) -> None:
    """Recompute the kept tables from the raw rows: all of them, or what a unit's subtree contributes.

    For bulk loads, restores of old backups and repairs. With a unit, its villages' and communes' own
    rows are recounted, and every kept scope that includes part of the subtree (inside it, above it,
    the country) is summed again from its units' rows.
    """
    conn = session.connection() if isinstance(session, Session) else session
    if isinstance(session, Session):
        settle(session)
    leaves = _leaf_ids(conn, unit_id)
    scopes = None if unit_id is None else _scopes_touching(conn, unit_id)
    communes = None if unit_id is None else list(conn.scalars(
        select(Unit.id).join(UnitPath, UnitPath.descendant_id == Unit.id)
        .where(UnitPath.ancestor_id == unit_id, Unit.tier == "commune")))
    for table, column, ids in ((LeafCount, LeafCount.unit_id, leaves), (ActivityRollup, ActivityRollup.commune_id, communes),
                               (ScopeCount, ScopeCount.scope_id, scopes), (ScopeRollup, ScopeRollup.scope_id, scopes)):
        if ids is None:
            conn.execute(delete(table))
        else:
            for chunk in _chunks(ids):
                conn.execute(delete(table).where(column.in_(chunk)))
    validity_columns = "valid_from" in {c["name"] for c in inspect(conn).get_columns("units")}
    for chunk in _chunks(leaves):
        rows = [
            {"unit_id": unit, "day": day, **dict(zip(COLUMNS, vec, strict=True))}
            for unit, events in _compute(conn, chunk, {}, validity_columns=validity_columns).items()
            for day, vec in events.items()
        ]
        if rows:
            conn.execute(insert(LeafCount), rows)
    recount = _commune_rollup_recount()
    for commune_chunk in [None] if communes is None else list(_chunks(communes)):
        stmt = recount if commune_chunk is None else recount.where(Activity.commune_id.in_(commune_chunk))
        conn.execute(insert(ActivityRollup).from_select(["commune_id", "month", "activity_type", *ROLLUP_SUMS], stmt))
    m = _scope_map()
    leaf = LeafCount.__table__.c
    per_day = (select(m.c.scope_id, leaf.day, *(func.sum(leaf[c]) for c in COLUMNS))
               .join(m, m.c.unit_id == leaf.unit_id).group_by(m.c.scope_id, leaf.day))
    per_month = _scope_rollup_recount()
    if scopes is not None:
        per_day = per_day.where(m.c.scope_id.in_(scopes))
        per_month = per_month.where(per_month.selected_columns[0].in_(scopes))
    conn.execute(insert(ScopeCount).from_select(["scope_id", "day", *COLUMNS], per_day))
    scope = ScopeCount.__table__.c
    totals = select(scope.scope_id, literal(TOTAL_DAY, Date), *(func.sum(scope[c]) for c in COLUMNS)).group_by(scope.scope_id)
    if scopes is not None:
        totals = totals.where(scope.scope_id.in_(scopes))
    conn.execute(insert(ScopeCount).from_select(["scope_id", "day", *COLUMNS], totals))
    conn.execute(insert(ScopeRollup).from_select(["scope_id", "month", "activity_type", *ROLLUP_SUMS], per_month))


@dataclass(frozen=True)
class Difference:
    """One kept row that differs from the recount: which table, which key, what is kept, what it should be."""

    table: str
    key: tuple
    kept: tuple[int, ...]
    recount: tuple[int, ...]


def _compare(table: str, kept: Mapping[tuple, Sequence[int]], recount: Mapping[tuple, Sequence[int]],
             width: int) -> list[Difference]:
    zero = (0,) * width
    out = []
    for key in sorted(kept.keys() | recount.keys()):
        have, want = tuple(kept.get(key, zero)), tuple(recount.get(key, zero))
        if have != want:
            out.append(Difference(table, key, have, want))
    return out


def differences(session: Session | Connection) -> list[Difference]:
    """Where the four kept tables differ from a recount of the raw rows (empty when they are right)."""
    if isinstance(session, Session):
        settle(session)
    conn = session.connection() if isinstance(session, Session) else session
    leaf_recount: dict[tuple, tuple[int, ...]] = {}
    scope_recount: dict[tuple, tuple[int, ...]] = {}
    ids = _leaf_ids(conn)
    scopes = scopes_of(conn, ids)
    for chunk in _chunks(ids):
        for unit_id, events in _compute(conn, chunk, {}).items():
            for day, vec in events.items():
                leaf_recount[(unit_id, day)] = tuple(vec)
                for key in ((scope, d) for scope in scopes[unit_id] for d in (day, TOTAL_DAY)):
                    old = scope_recount.get(key, (0,) * len(COLUMNS))
                    scope_recount[key] = tuple(a + b for a, b in zip(old, vec, strict=True))

    def kept(table: type[Base], *keys: str, sums: tuple[str, ...]) -> dict[tuple, tuple[int, ...]]:
        c = table.__table__.c
        if "shard" in c:  # a scope's figure is the sum of its shards
            stmt = select(*(c[k] for k in keys), *(func.sum(c[s]) for s in sums)).group_by(*(c[k] for k in keys))
        else:
            stmt = select(*(c[k] for k in keys), *(c[s] for s in sums))
        return {tuple(row[: len(keys)]): tuple(int(v) for v in row[len(keys):]) for row in conn.execute(stmt)}

    def rows(stmt: Select) -> dict[tuple, tuple[int, ...]]:
        return {tuple(row[:3]): tuple(int(v or 0) for v in row[3:]) for row in conn.execute(stmt)}

    return [
        *_compare("leaf_counts", kept(LeafCount, "unit_id", "day", sums=COLUMNS), leaf_recount, len(COLUMNS)),
        *_compare("scope_counts", kept(ScopeCount, "scope_id", "day", sums=COLUMNS), scope_recount, len(COLUMNS)),
        *_compare("activity_rollups", kept(ActivityRollup, "commune_id", "month", "activity_type", sums=ROLLUP_SUMS),
                  rows(_commune_rollup_recount()), len(ROLLUP_SUMS)),
        *_compare("scope_rollups", kept(ScopeRollup, "scope_id", "month", "activity_type", sums=ROLLUP_SUMS),
                  rows(_scope_rollup_recount(from_raw=True)), len(ROLLUP_SUMS)),
    ]




def describe(diff: Difference, names: Mapping[int, str]) -> str:
    """One difference in Vietnamese: the table, the unit and day or month, what is kept and what it should be."""
    unit = "Cả nước" if diff.key[0] == COUNTRY and diff.table.startswith("scope") else names.get(diff.key[0], f"đơn vị #{diff.key[0]}")
    when = diff.key[1]
    day = "tổng" if when == TOTAL_DAY else (f"tháng {when:%m/%Y}" if "rollups" in diff.table else f"ngày {when:%d/%m/%Y}")
    cols = COLUMNS if "counts" in diff.table else ROLLUP_SUMS
    words = "; ".join(f"{vocab.KEPT_COLUMNS.get(c, c)}: đang giữ {k}, đếm lại {r}"
                      for c, k, r in zip(cols, diff.kept, diff.recount, strict=True) if k != r)
    kind = f", {vocab.ACTIVITY_SHORT.get(diff.key[2], diff.key[2])}" if len(diff.key) > 2 else ""
    return f"{vocab.KEPT_TABLES[diff.table]} — {unit}, {day}{kind}: {words}"




# ---- reading ---------------------------------------------------------------------------------------


def is_kept_scope(conn: Connection | Session, unit_id: int | None) -> bool:
    """True for the country and for the districts and provinces, whose totals are kept."""
    return unit_id is None or conn.scalar(select(Unit.tier).where(Unit.id == unit_id)) in SCOPE_TIERS


def scope_totals(session: Session | Connection, scope_ids: list[int], as_of: date, *, today: date) -> dict[int, dict[str, int]]:
    """Each scope's counts on a date: the sum of its events up to that day (`scope_series` for one day)."""
    return {scope: values[0] for scope, values in scope_series(session, scope_ids, [as_of], today=today).items()}


def scope_series(session: Session | Connection, scope_ids: list[int], days: Sequence[date], *, today: date,
                 columns: Sequence[str] = COLUMNS) -> dict[int, list[dict[str, int]]]:
    """Each scope's counts (of `columns`) on each of the days, in the order given, in one statement.

    Each day is a conditional sum over the same range of the scope's rows: for days within the year before
    `today`, the scope's total less the events after the day (far fewer rows), else the events up to it.
    """
    if not days or not scope_ids:
        return {scope: [] for scope in scope_ids}
    if isinstance(session, Session):
        settle(session)
    ordered = sorted(set(days))
    c = ScopeCount.__table__.c
    if (today - ordered[0]).days < 365:  # the total less the events after each day
        sign = case((c.day == TOTAL_DAY, 1), else_=-1)
        sums = [func.sum(case((c.day > day, sign * c[col]), else_=0)) for day in ordered for col in columns]
        where = c.day > ordered[0]
    else:  # the events up to each day
        sums = [func.sum(case((c.day <= day, c[col]), else_=0)) for day in ordered for col in columns]
        where = c.day <= ordered[-1]
    rows = session.execute(select(c.scope_id, *sums).where(c.scope_id.in_(scope_ids), where).group_by(c.scope_id)).all()
    width = len(columns)
    found = {scope: [int(v or 0) for v in vec] for scope, *vec in rows}
    out: dict[int, list[dict[str, int]]] = {}
    for scope in scope_ids:
        vec = found.get(scope, [0] * width * len(ordered))
        values = {day: dict(zip(columns, vec[i * width : (i + 1) * width], strict=True)) for i, day in enumerate(ordered)}
        out[scope] = [values[day] for day in days]
    return out


# ---- the session hooks -------------------------------------------------------------------------------


_ROLLUP_FIELDS = ("commune_id", "activity_date", "activity_type", "people_reached", "households_reached", "results")


def _mark_flushed(session: Session, _flush: UOWTransaction) -> None:
    """Mark every village or commune whose teams, members, reports or own row a flush wrote, and report months."""
    marks = _pending_marks(session)
    member_teams: set[int] = set()
    span = timedelta(days=REPORT_WINDOW_DAYS)
    for obj in (*session.new, *session.dirty, *session.deleted):
        state = inspect(obj)
        if isinstance(obj, Unit):
            if obj.tier in ("village", "commune") and obj not in session.dirty:
                if obj in session.deleted:
                    marks.parents[obj.id] = obj.parent_id
                    if obj.former_parent_id is not None:
                        marks.former_parents[obj.id] = obj.former_parent_id
                marks.add_unit(obj.id, None)
            elif obj.tier == "commune" and (state.attrs.valid_from.history.deleted
                                            or state.attrs.valid_to.history.deleted):
                marks.add_unit(obj.id, None)  # its days as a commune changed (a structure loaded beside it)
        elif isinstance(obj, Team):
            for unit_id in (obj.unit_id, *(state.attrs.unit_id.history.deleted or ())):
                marks.add_unit(unit_id, None)
        elif isinstance(obj, Member):
            member_teams.update((obj.team_id, *(state.attrs.team_id.history.deleted or ())))
        elif isinstance(obj, Activity):
            changed = obj not in session.dirty or any(state.attrs[f].history.deleted for f in _ROLLUP_FIELDS)
            if not changed:
                continue
            days = [obj.activity_date, *(state.attrs.activity_date.history.deleted or ())]
            for commune_id in (obj.commune_id, *(state.attrs.commune_id.history.deleted or ())):
                for day in days:
                    marks.add_month(commune_id, first_of_month(day))
            # Only a report's date and unit (its team's) move count events: the 31 days from its old and new dates.
            unit_ids = [obj.unit_id, *(state.attrs.unit_id.history.deleted or ())]
            if obj in session.dirty and len(days) == 1 and len(unit_ids) == 1:
                continue
            for unit_id in unit_ids:
                marks.add_unit(unit_id, (min(days), max(days) + span))
    member_teams.discard(None)
    if member_teams:
        for unit_id in session.connection().scalars(select(Team.unit_id).where(Team.id.in_(member_teams))):
            marks.add_unit(unit_id, None)


def _before_commit(session: Session) -> None:
    """Settle the kept tables, then move the data version: last, so its rows are held for the commit only."""
    touched = settle(session)
    if bump := take_bump(session):
        conn = session.connection()
        shard = _shard(conn)
        _upsert_add(conn, DataVersion, ("scope_id", "shard"), ("version",), [
            {"scope_id": scope, "shard": shard, "version": bump.writes} for scope in bump_scopes(conn, bump, touched)
        ])
        if conn.dialect.name == "postgresql":
            conn.execute(_NOTIFY)  # delivered to every listening server process at commit, never on rollback
        session.info[MOVED] = True


def _forget(session: Session, transaction: SessionTransaction) -> None:
    """A transaction that ends without committing leaves nothing to keep (a commit settled already)."""
    if transaction.parent is None:
        session.info.pop(_PENDING, None)
        session.info.pop(MOVED, None)
        take_bump(session)


def _guard(state: ORMExecuteState) -> None:
    """Refuse a bulk insert, update or delete on a counted table that does not say how the kept tables follow."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    name = getattr(getattr(state.statement, "table", None), "name", None)
    if name in COUNTED_TABLES and OPTION not in state.execution_options:
        raise UnkeptWrite(
            f"Bulk write on {name} without execution_options {OPTION}: "
            "call counts.touch_units/touch_months and pass KEPT_BY_CALLER, or pass REBUILT and call counts.rebuild"
        )


event.listen(Session, "after_flush", _mark_flushed)
event.listen(Session, "before_commit", _before_commit)
event.listen(Session, "after_commit", committed)
event.listen(Session, "after_transaction_end", _forget)
event.listen(Session, "do_orm_execute", _guard)
