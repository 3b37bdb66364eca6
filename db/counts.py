"""Counts kept per unit and day in the write transaction, so country, province and district figures read a few rows.

Each village or commune contributes *events*: on a given day, how many villages, covered villages,
communes, communes with a team, active teams, active members and reporting teams (a report in the 30
days up to that day) start (+1) or stop (-1) counting. `leaf_counts` keeps each unit's own events;
`scope_counts` keeps their sums for every district and province and for the country (scope 0). A
figure on a date is the sum of one scope's events up to that date (at most one row per day), or, for
a recent date, the scope's kept total less the few events after the date.

A unit's events are recomputed from its teams, members and report dates after every ORM flush that
touches them (the listener at the end of this module), or by `refresh_units` after a bulk write, and
only the difference to the stored events is added to the unit and its scopes, in the same transaction.
A report changes the reporting events of the 31 days from its date only, so a report write recomputes
just that window. Moving a unit to another parent is not supported (no write path does it).
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Connection, Date, Integer, and_, case, delete, event, func, insert, inspect, literal, select, union_all
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, UOWTransaction

from db.models import Activity, ActivityRollup, LeafCount, Member, ScopeCount, ScopeRollup, Team, Unit, UnitPath

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


def _unit_events(tier: str, teams: list[_Team], members: dict[int, list[tuple[date, date | None]]],
                 report_days: dict[int, list[date]]) -> Events:
    """Every event of one village or commune, from its teams, their members and their report days."""
    events: Events = {}
    if tier == "village":
        _add(events, ALWAYS, "villages", +1)
    elif tier == "commune":
        _add(events, ALWAYS, "communes", +1)
    covered = {"village": "villages_covered", "commune": "communes_with_team"}.get(tier)
    if covered:
        for start, end in _merged((t.start, t.end) for t in teams if t.end is None or t.start < t.end):
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


def _compute(conn: Connection, unit_ids: list[int], windows: Mapping[int, Window]) -> dict[int, Events]:
    """The events of each unit (inside its window), read in bulk from teams, members and report days."""
    tiers = dict(conn.execute(select(Unit.id, Unit.tier).where(Unit.id.in_(unit_ids))).all())
    teams: dict[int, list[_Team]] = defaultdict(list)
    by_id: dict[int, _Team] = {}
    for row in conn.execute(
        select(Team.id, Team.unit_id, Team.established_on, Team.closed_on).where(Team.unit_id.in_(unit_ids))
    ):
        team = _Team(*row)
        teams[team.unit_id].append(team)
        by_id[team.id] = team
    members: dict[int, list[tuple[date, date | None]]] = defaultdict(list)
    report_days: dict[int, list[date]] = defaultdict(list)
    if by_id:
        for team_id, joined, left in conn.execute(
            select(Member.team_id, Member.joined_on, Member.left_on).where(Member.team_id.in_(list(by_id)))
        ):
            members[team_id].append((joined, left))
        stmt = select(Activity.team_id, Activity.activity_date).distinct().where(Activity.team_id.in_(list(by_id)))
        bounds = [windows.get(u) for u in unit_ids]
        if all(b is not None for b in bounds):
            # A window's events depend only on the reports of the 30 days before it and inside it.
            lo = min(b[0] for b in bounds if b) - timedelta(days=REPORT_WINDOW_DAYS)
            stmt = stmt.where(Activity.activity_date.between(lo, max(b[1] for b in bounds if b)))
        for team_id, day in conn.execute(stmt.order_by(Activity.team_id, Activity.activity_date)):
            report_days[team_id].append(day)
    out: dict[int, Events] = {}
    for unit_id in unit_ids:
        tier = tiers.get(unit_id)
        events = {} if tier is None else _unit_events(tier, teams.get(unit_id, []), members, report_days)
        out[unit_id] = _inside(events, windows.get(unit_id))
    return out


def _inside(events: Events, window: Window) -> Events:
    if window is None:
        return events
    return {day: vec for day, vec in events.items() if window[0] <= day <= window[1]}


# ---- keeping the tables current ------------------------------------------------------------------


def scopes_of(conn: Connection, unit_ids: Iterable[int], parents: Mapping[int, int | None] | None = None) -> dict[int, list[int]]:
    """The kept scopes above each unit (its districts and provinces, then the country).

    Read through the parent's closure rows: a unit whose own closure rows are not flushed yet, or one
    being deleted (its parent given in `parents`), still finds its scopes.
    """
    unit_ids = list(unit_ids)
    parent_of = dict(parents or {})
    known = [u for u in unit_ids if u not in parent_of]
    if known:
        parent_of.update(conn.execute(select(Unit.id, Unit.parent_id).where(Unit.id.in_(known))).all())
    above: dict[int, list[tuple[int, int]]] = defaultdict(list)
    wanted = {p for p in parent_of.values() if p is not None}
    if wanted:
        for parent, scope, depth in conn.execute(
            select(UnitPath.descendant_id, UnitPath.ancestor_id, UnitPath.depth)
            .join(Unit, Unit.id == UnitPath.ancestor_id)
            .where(UnitPath.descendant_id.in_(wanted), Unit.tier.in_(SCOPE_TIERS))
        ):
            above[parent].append((depth, scope))
    return {u: [*(scope for _, scope in sorted(above.get(parent_of.get(u), []))), COUNTRY]  # type: ignore[arg-type]
            for u in unit_ids}


def _upsert_add(conn: Connection, table, keys: tuple[str, ...], sums: tuple[str, ...], rows: list[dict]) -> None:  # type: ignore[no-untyped-def]
    """Add each row's sums to the row with its key, inserting it when new; in key order, so writers lock alike."""
    if not rows:
        return
    make = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    stmt = make(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(keys), set_={c: table.c[c] + stmt.excluded[c] for c in sums}
    )
    conn.execute(stmt, sorted(rows, key=lambda r: tuple(r[k] for k in keys)))


def refresh_units(
    session: Session | Connection, units: Mapping[int, Window], *, parents: Mapping[int, int | None] | None = None
) -> None:
    """Recompute the events of these units (each inside its window) and add the differences to the tables."""
    conn = session.connection() if isinstance(session, Session) else session
    ids = sorted(units)
    for chunk in _chunks(ids):
        if conn.dialect.name == "postgresql":
            # Two writers of one unit must not both diff against the state before the other's write (a
            # reporting window is not additive): the second waits here, then reads what the first committed.
            conn.execute(select(Unit.id).where(Unit.id.in_(chunk)).order_by(Unit.id).with_for_update(key_share=True))
        windows = {u: units[u] for u in chunk}
        new = _compute(conn, chunk, windows)
        old: dict[int, Events] = defaultdict(dict)
        stmt = select(LeafCount.unit_id, LeafCount.day, *(LeafCount.__table__.c[c] for c in COLUMNS)).where(
            LeafCount.unit_id.in_(chunk)
        )
        for unit_id, day, *vec in conn.execute(stmt):
            window = windows[unit_id]
            if window is None or window[0] <= day <= window[1]:
                old[unit_id][day] = list(vec)
        leaf_rows: list[dict] = []
        scope_deltas: dict[tuple[int, date], list[int]] = {}
        scopes = scopes_of(conn, chunk, parents)
        for unit_id in chunk:
            for day in new[unit_id].keys() | old[unit_id].keys():
                a, b = new[unit_id].get(day), old[unit_id].get(day)
                delta = [(a[i] if a else 0) - (b[i] if b else 0) for i in range(len(COLUMNS))]
                if not any(delta):
                    continue
                leaf_rows.append({"unit_id": unit_id, "day": day, **dict(zip(COLUMNS, delta, strict=True))})
                for scope in scopes[unit_id]:
                    for key in ((scope, day), (scope, TOTAL_DAY)):
                        acc = scope_deltas.setdefault(key, [0] * len(COLUMNS))
                        for i, d in enumerate(delta):
                            acc[i] += d
        _upsert_add(conn, LeafCount.__table__, ("unit_id", "day"), COLUMNS, leaf_rows)
        _upsert_add(conn, ScopeCount.__table__, ("scope_id", "day"), COLUMNS, [
            {"scope_id": s, "day": d, **dict(zip(COLUMNS, vec, strict=True))}
            for (s, d), vec in scope_deltas.items() if any(vec)
        ])


def add_activity_sums(conn: Connection, commune_id: int, month: date, activity_type: str, sums: Mapping[str, int]) -> None:
    """Add one report's sums (or take them away) in its commune's rollup row and in every scope above it."""
    _upsert_add(conn, ActivityRollup.__table__, ("commune_id", "month", "activity_type"), ROLLUP_SUMS,
                [{"commune_id": commune_id, "month": month, "activity_type": activity_type, **sums}])
    _upsert_add(conn, ScopeRollup.__table__, ("scope_id", "month", "activity_type"), ROLLUP_SUMS, [
        {"scope_id": scope, "month": month, "activity_type": activity_type, **sums}
        for scope in scopes_of(conn, [commune_id])[commune_id]
    ])


def _leaf_ids(conn: Connection) -> list[int]:
    return list(conn.scalars(select(Unit.id).where(Unit.tier.in_(("village", "commune"))).order_by(Unit.id)))


def _scope_map():  # type: ignore[no-untyped-def]
    """(scope, unit) pairs: each unit under its kept districts and provinces, and under the country."""
    anc = select(UnitPath.ancestor_id.label("scope_id"), UnitPath.descendant_id.label("unit_id")).join(
        Unit, and_(Unit.id == UnitPath.ancestor_id, Unit.tier.in_(SCOPE_TIERS), UnitPath.depth > 0)
    )
    country = select(literal(COUNTRY, Integer).label("scope_id"), Unit.id.label("unit_id"))
    return union_all(anc, country).subquery()


def rebuild_counts(session: Session | Connection) -> None:
    """Recompute both count tables from the raw rows (bulk loads, restores of old backups, repairs)."""
    conn = session.connection() if isinstance(session, Session) else session
    conn.execute(delete(ScopeCount))
    conn.execute(delete(LeafCount))
    ids = _leaf_ids(conn)
    for chunk in _chunks(ids):
        rows = [
            {"unit_id": unit_id, "day": day, **dict(zip(COLUMNS, vec, strict=True))}
            for unit_id, events in _compute(conn, chunk, {}).items()
            for day, vec in events.items()
        ]
        if rows:
            conn.execute(insert(LeafCount), rows)
    m = _scope_map()
    leaf = LeafCount.__table__.c
    conn.execute(insert(ScopeCount).from_select(
        ["scope_id", "day", *COLUMNS],
        select(m.c.scope_id, leaf.day, *(func.sum(leaf[c]) for c in COLUMNS))
        .join(m, m.c.unit_id == leaf.unit_id)
        .group_by(m.c.scope_id, leaf.day),
    ))
    scope = ScopeCount.__table__.c
    conn.execute(insert(ScopeCount).from_select(
        ["scope_id", "day", *COLUMNS],
        select(scope.scope_id, literal(TOTAL_DAY, Date), *(func.sum(scope[c]) for c in COLUMNS)).group_by(scope.scope_id),
    ))


def _scope_rollup_sums():  # type: ignore[no-untyped-def]
    """The commune rollups summed per scope, month and type: what `scope_rollups` must hold."""
    m = _scope_map()
    r = ActivityRollup.__table__.c
    return (select(m.c.scope_id, r.month, r.activity_type, *(func.sum(r[c]) for c in ROLLUP_SUMS))
            .join(m, m.c.unit_id == r.commune_id)
            .group_by(m.c.scope_id, r.month, r.activity_type))


def rebuild_scope_rollups(conn: Connection) -> None:
    """Recompute the scope rollups from the commune rollups."""
    conn.execute(delete(ScopeRollup))
    conn.execute(insert(ScopeRollup).from_select(["scope_id", "month", "activity_type", *ROLLUP_SUMS],
                                                 _scope_rollup_sums()))


def differences(session: Session | Connection) -> list[str]:
    """Where the kept counts and scope rollups differ from a recount of the raw rows (empty when right)."""
    conn = session.connection() if isinstance(session, Session) else session
    out: list[str] = []
    expected: dict[tuple[int, date], tuple[int, ...]] = {}
    ids = _leaf_ids(conn)
    scopes = scopes_of(conn, ids)
    for chunk in _chunks(ids):
        for unit_id, events in _compute(conn, chunk, {}).items():
            for day, vec in events.items():
                for key in ((scope, d) for scope in scopes[unit_id] for d in (day, TOTAL_DAY)):
                    old = expected.get(key, (0,) * len(COLUMNS))
                    expected[key] = tuple(a + b for a, b in zip(old, vec, strict=True))
    stored = {
        (scope, day): tuple(vec)
        for scope, day, *vec in conn.execute(select(ScopeCount.scope_id, ScopeCount.day,
                                                    *(ScopeCount.__table__.c[c] for c in COLUMNS)))
    }
    for key in sorted(expected.keys() | stored.keys(), key=lambda k: (k[0], k[1])):
        want, have = expected.get(key, ()), stored.get(key, ())
        if any(want) or any(have):
            if (want or (0,) * len(COLUMNS)) != (have or (0,) * len(COLUMNS)):
                out.append(f"scope {key[0]} on {key[1]}: kept {have}, recount {want}")
    recount = {(row[0], row[1], row[2]): tuple(row[3:]) for row in conn.execute(_scope_rollup_sums())}
    s = ScopeRollup.__table__.c
    kept = {(row[0], row[1], row[2]): tuple(row[3:]) for row in conn.execute(select(s.scope_id, s.month, s.activity_type,
                                                                                     *(s[c] for c in ROLLUP_SUMS)))}
    for key in sorted(recount.keys() | kept.keys()):
        want, have = recount.get(key, (0,) * 4), kept.get(key, (0,) * 4)
        if tuple(want) != tuple(have):
            out.append(f"scope rollup {key}: kept {have}, recount {want}")
    return out


# ---- reading ---------------------------------------------------------------------------------------


def is_kept_scope(conn: Connection | Session, unit_id: int | None) -> bool:
    """True for the country and for the districts and provinces, whose totals are kept."""
    return unit_id is None or conn.scalar(select(Unit.tier).where(Unit.id == unit_id)) in SCOPE_TIERS


def scope_totals(session: Session | Connection, scope_ids: list[int], as_of: date) -> dict[int, dict[str, int]]:
    """Each scope's counts on a date: the sum of its events up to that day.

    For a date in the last year, the same figure is read as the scope's total less the events after
    the date, which are far fewer rows.
    """
    c = ScopeCount.__table__.c
    if (date.today() - as_of).days < 365:
        sign = case((c.day == TOTAL_DAY, 1), else_=-1)
        sums = [func.coalesce(func.sum(sign * c[col]), 0) for col in COLUMNS]
        where = c.day > as_of
    else:
        sums = [func.coalesce(func.sum(c[col]), 0) for col in COLUMNS]
        where = c.day <= as_of
    rows = session.execute(select(c.scope_id, *sums).where(c.scope_id.in_(scope_ids), where).group_by(c.scope_id)).all()
    found = {scope: dict(zip(COLUMNS, (int(v) for v in vec), strict=True)) for scope, *vec in rows}
    return {scope: found.get(scope, dict.fromkeys(COLUMNS, 0)) for scope in scope_ids}


# ---- the flush listener ----------------------------------------------------------------------------


def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    """Refresh the events of every village or commune whose teams, members, reports or own row were written."""
    units: dict[int, Window] = {}
    parents: dict[int, int | None] = {}
    member_teams: set[int] = set()

    def want(unit_id: int, window: Window) -> None:
        if unit_id not in units:
            units[unit_id] = window
            return
        old = units[unit_id]
        units[unit_id] = None if old is None or window is None else (min(old[0], window[0]), max(old[1], window[1]))

    span = timedelta(days=REPORT_WINDOW_DAYS)
    for obj in (*session.new, *session.dirty, *session.deleted):
        state = inspect(obj)
        if isinstance(obj, Unit):
            if obj.tier in ("village", "commune") and obj not in session.dirty:
                if obj in session.deleted:
                    parents[obj.id] = obj.parent_id
                want(obj.id, None)
        elif isinstance(obj, Team):
            for unit_id in (obj.unit_id, *(state.attrs.unit_id.history.deleted or ())):
                want(unit_id, None)
        elif isinstance(obj, Member):
            member_teams.update((obj.team_id, *(state.attrs.team_id.history.deleted or ())))
        elif isinstance(obj, Activity):
            # Only a report's date and unit (its team's) move events: the 31 days from its old and new dates.
            days = [obj.activity_date, *(state.attrs.activity_date.history.deleted or ())]
            unit_ids = [obj.unit_id, *(state.attrs.unit_id.history.deleted or ())]
            if obj in session.dirty and len(days) == 1 and len(unit_ids) == 1:
                continue
            for unit_id in unit_ids:
                want(unit_id, (min(days), max(days) + span))
    if member_teams:
        for unit_id in session.connection().scalars(select(Team.unit_id).where(Team.id.in_(member_teams - {None}))):
            want(unit_id, None)
    if units:
        refresh_units(session.connection(), units, parents=parents)


event.listen(Session, "after_flush", _after_flush)
