"""Read functions: every one takes the acting user, checks scope, aggregates in SQL."""

from dataclasses import asdict, dataclass
from datetime import date, timedelta

import pandas as pd
from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from db.access import Actor, ensure_can_read_team, ensure_can_read_unit
from db.counts import COUNTRY, REPORT_WINDOW_DAYS, SCOPE_TIERS, is_kept_scope, scope_totals
from db.errors import NotFound
from db.models import Activity, ActivityRollup, DataVersion, Member, ScopeRollup, Team, Unit, UnitPath
from db.sqlfuncs import first_of_month
from db.text import fold


@dataclass(frozen=True)
class UnitInfo:
    """One unit with what pages need to label and navigate it."""

    id: int
    name: str
    short_name: str
    tier: str
    kind: str
    level: int
    parent_id: int | None
    code: str | None
    has_children: bool


@dataclass(frozen=True)
class Indicators:
    """The headline indicators of a unit's subtree as of a date (SPEC's `stats`)."""

    unit: str
    unit_id: int | None
    as_of: str
    villages: int
    villages_covered: int
    village_coverage: float
    communes: int
    communes_with_team: int
    commune_coverage: float
    teams: int
    members: int
    activities: int
    people_reached: int
    active_team_rate: float
    silent_teams: int

    def as_dict(self) -> dict:
        """Plain dict for JSON output."""
        return asdict(self)


NATIONAL_NAME = "Cả nước"


def team_active_on(as_of: date, team: type[Team] | Team = Team) -> ColumnElement[bool]:
    """A team counts as active on `as_of` once established and until the day it stopped."""
    return and_(team.established_on <= as_of, or_(team.closed_on.is_(None), team.closed_on > as_of))


def member_active_on(as_of: date) -> ColumnElement[bool]:
    """A member counts from the day they joined until the day they left."""
    return and_(Member.joined_on <= as_of, or_(Member.left_on.is_(None), Member.left_on > as_of))


def fetch_data_version(session: Session) -> int:
    """The write counter that keys cached reads; 0 on an empty database."""
    return session.scalar(select(DataVersion.version).where(DataVersion.id == 1)) or 0


def _unit_info(session: Session, unit: Unit) -> UnitInfo:
    has_children = bool(session.scalar(select(func.count()).where(Unit.parent_id == unit.id).limit(1)))
    return UnitInfo(
        id=unit.id,
        name=unit.name,
        short_name=unit.short_name,
        tier=unit.tier,
        kind=unit.kind,
        level=unit.level,
        parent_id=unit.parent_id,
        code=unit.code,
        has_children=has_children,
    )


def fetch_unit(session: Session, *, actor: Actor, unit_id: int) -> UnitInfo:
    """One unit inside the actor's scope."""
    # The id may come from the address (?unit=…): beyond the 32-bit id column PostgreSQL raises a DataError
    # and SQLite cannot even bind one beyond 64 bits; such a unit does not exist.
    unit = session.get(Unit, unit_id) if -(2**31) <= unit_id < 2**31 else None
    if unit is None:
        raise NotFound("Không tìm thấy địa bàn.")
    ensure_can_read_unit(session, actor, unit_id)
    return _unit_info(session, unit)


def fetch_children(session: Session, *, actor: Actor, parent_id: int | None) -> pd.DataFrame:
    """The children of a unit (the provinces for `None`), by name, inside the actor's scope."""
    if parent_id is None:
        if not actor.is_national:
            return fetch_children(session, actor=actor, parent_id=actor.unit_id)
        cond = Unit.parent_id.is_(None)
    else:
        ensure_can_read_unit(session, actor, parent_id)
        cond = Unit.parent_id == parent_id
    rows = session.execute(
        select(Unit.id, Unit.name, Unit.tier, Unit.kind).where(cond).order_by(Unit.name)
    ).all()
    return pd.DataFrame(rows, columns=["id", "name", "tier", "kind"])


def fetch_ancestors(session: Session, *, actor: Actor, unit_id: int) -> list[UnitInfo]:
    """The chain from the actor's root down to the unit, the unit included (a breadcrumb)."""
    ensure_can_read_unit(session, actor, unit_id)
    stmt = (
        select(Unit)
        .join(UnitPath, UnitPath.ancestor_id == Unit.id)
        .where(UnitPath.descendant_id == unit_id)
        .order_by(UnitPath.depth.desc())
    )
    chain = [_unit_info(session, u) for u in session.scalars(stmt)]
    if actor.unit_id is not None:
        ids = [u.id for u in chain]
        chain = chain[ids.index(actor.unit_id) :]
    return chain


def search_units_stmt(*, query: str, tiers: tuple[str, ...] | None, root_id: int | None, limit: int) -> Select:
    """Units whose folded name contains the folded query, labelled with their parent and grandparent."""
    parent, grand = aliased(Unit), aliased(Unit)
    stmt = (
        select(Unit.id, Unit.name, Unit.tier, parent.name.label("parent"), grand.name.label("grandparent"))
        .outerjoin(parent, parent.id == Unit.parent_id)
        .outerjoin(grand, grand.id == parent.parent_id)
        .where(Unit.search_name.contains(fold(query), autoescape=True))
        .order_by(Unit.level, func.length(Unit.name), Unit.name)
        .limit(limit)
    )
    if tiers:
        stmt = stmt.where(Unit.tier.in_(tiers))
    if root_id is not None:
        stmt = stmt.join(UnitPath, and_(UnitPath.descendant_id == Unit.id, UnitPath.ancestor_id == root_id))
    return stmt


def search_units(
    session: Session, *, actor: Actor, query: str, tiers: tuple[str, ...] | None = None, limit: int = 50
) -> pd.DataFrame:
    """Search units in scope ignoring case and diacritics: "tam phuoc" finds "Xã Tam Phước"."""
    if not fold(query):
        return pd.DataFrame(columns=["id", "name", "tier", "parent", "grandparent", "label"])
    rows = session.execute(
        search_units_stmt(query=query, tiers=tiers, root_id=actor.unit_id, limit=limit)
    ).all()
    df = pd.DataFrame(rows, columns=["id", "name", "tier", "parent", "grandparent"])
    df["label"] = [
        ", ".join(p for p in (r.name, r.parent, r.grandparent) if isinstance(p, str)) for r in df.itertuples()
    ]
    return df


def has_active_team(unit_id: ColumnElement[int], as_of: date) -> ColumnElement[bool]:
    """EXISTS an active team of the unit on the date: one probe of the teams index per unit.

    Probing per unit keeps a district's query proportional to the district, where a subquery of
    every active team in the country would be scanned for each read.
    """
    team = aliased(Team)
    return select(team.id).where(team.unit_id == unit_id, team_active_on(as_of, team)).exists()


def _group_cond(grp: type[Unit], *, parent_id: int | None, unit_id: int | None) -> ColumnElement[bool]:
    """Which units to group by: one unit, the children of a unit, or the provinces."""
    if unit_id is not None:
        return grp.id == unit_id
    if parent_id is not None:
        return grp.parent_id == parent_id
    return grp.parent_id.is_(None)


def _count_if(cond: ColumnElement[bool]) -> ColumnElement[int]:
    """How many rows of the group meet the condition (0 for none)."""
    return func.count(case((cond, 1)))


def coverage_stmt(*, as_of: date, parent_id: int | None = None, unit_id: int | None = None) -> Select:
    """Villages, covered villages, communes and communes with a team, per grouped unit."""
    grp, desc = aliased(Unit), aliased(Unit)
    is_village = desc.tier == "village"
    is_commune = desc.tier == "commune"
    has_team = has_active_team(desc.id, as_of)
    return (
        select(
            grp.id,
            grp.name,
            grp.tier,
            _count_if(is_village).label("villages"),
            _count_if(and_(is_village, has_team)).label("covered"),
            _count_if(is_commune).label("communes"),
            _count_if(and_(is_commune, has_team)).label("communes_with_team"),
        )
        .select_from(grp)
        .outerjoin(UnitPath, UnitPath.ancestor_id == grp.id)
        .outerjoin(desc, and_(desc.id == UnitPath.descendant_id, desc.tier.in_(("village", "commune"))))
        .where(_group_cond(grp, parent_id=parent_id, unit_id=unit_id))
        .group_by(grp.id, grp.name, grp.tier)
        .order_by(grp.name)
    )


def team_counts_stmt(*, as_of: date, parent_id: int | None = None, unit_id: int | None = None) -> Select:
    """Active teams and their active members, per grouped unit."""
    grp = aliased(Unit)
    return (
        select(grp.id, func.count(func.distinct(Team.id)).label("teams"), func.count(Member.id).label("members"))
        .select_from(grp)
        .join(UnitPath, UnitPath.ancestor_id == grp.id)
        .join(Team, and_(Team.unit_id == UnitPath.descendant_id, team_active_on(as_of)))
        .outerjoin(Member, and_(Member.team_id == Team.id, member_active_on(as_of)))
        .where(_group_cond(grp, parent_id=parent_id, unit_id=unit_id))
        .group_by(grp.id)
    )


COVERAGE_COLUMNS = ["unit_id", "name", "tier", "villages", "covered", "communes", "communes_with_team"]
COUNT_COLUMNS = ("villages", "covered", "communes", "communes_with_team", "teams", "members")


def _coverage_frame(session: Session, *, as_of: date, parent_id: int | None, unit_id: int | None) -> pd.DataFrame:
    """Run the coverage and team-count aggregates and join them (both small: one row per unit)."""
    kw = {"as_of": as_of, "parent_id": parent_id, "unit_id": unit_id}
    df = pd.DataFrame(session.execute(coverage_stmt(**kw)).all(), columns=COVERAGE_COLUMNS)
    tc = pd.DataFrame(session.execute(team_counts_stmt(**kw)).all(), columns=["unit_id", "teams", "members"])
    return _with_coverage(df.merge(tc, on="unit_id", how="left"))


def _with_coverage(df: pd.DataFrame) -> pd.DataFrame:
    """Counts as integers (0 where a unit has none) and the village coverage ratio."""
    for col in COUNT_COLUMNS:
        df[col] = df[col].fillna(0).astype("int64")
    df["coverage"] = (df["covered"] / df["villages"].where(df["villages"] > 0)).astype("float64")
    return df


def _kept_coverage_frame(session: Session, children: list[tuple[int, str, str]], as_of: date) -> pd.DataFrame:
    """The same frame from the kept counts of districts and provinces: one range read per child."""
    totals = scope_totals(session, [c[0] for c in children], as_of, today=date.today())
    return _with_coverage(pd.DataFrame(
        [(uid, name, tier, *(totals[uid][k] for k in ("villages", "villages_covered", "communes",
                                                        "communes_with_team", "teams", "members")))
         for uid, name, tier in children],
        columns=[*COVERAGE_COLUMNS, "teams", "members"],
    ))


def fetch_coverage_by_child(
    session: Session, *, actor: Actor, unit_id: int | None, as_of: date | None = None
) -> pd.DataFrame:
    """Coverage, teams and members of each child of a unit (the provinces for the whole country)."""
    as_of = as_of or date.today()
    if unit_id is None and not actor.is_national:
        unit_id = actor.unit_id
    if unit_id is not None:
        ensure_can_read_unit(session, actor, unit_id)
    cond = Unit.parent_id == unit_id if unit_id is not None else Unit.parent_id.is_(None)
    children = [tuple(r) for r in session.execute(select(Unit.id, Unit.name, Unit.tier).where(cond).order_by(Unit.name))]
    if children and all(tier in SCOPE_TIERS for _, _, tier in children):
        return _kept_coverage_frame(session, children, as_of)  # type: ignore[arg-type]
    return _coverage_frame(session, as_of=as_of, parent_id=unit_id, unit_id=None)


def _activity_totals(session: Session, *, unit_id: int | None, as_of: date, kept: bool) -> tuple[int, int]:
    """Reports and people reached up to a date: whole months from the rollups, the date's month corrected
    by its raw reports on the shorter side of the date (after today there are none)."""
    month = first_of_month(as_of)
    next_month = (month + timedelta(days=32)).replace(day=1)
    whole = as_of.day > 15  # take the date's whole month and subtract the reports after the date
    r = ScopeRollup if kept else ActivityRollup
    rollup = select(func.coalesce(func.sum(r.reports), 0), func.coalesce(func.sum(r.people_reached), 0)).where(
        r.month <= month if whole else r.month < month
    )
    if kept:  # the country's, a province's or a district's own rows
        rollup = rollup.where(ScopeRollup.scope_id == (COUNTRY if unit_id is None else unit_id))
    else:
        rollup = rollup.join(UnitPath, and_(UnitPath.descendant_id == ActivityRollup.commune_id,
                                            UnitPath.ancestor_id == unit_id))
    a = Activity
    raw = select(func.count(a.id), func.coalesce(func.sum(a.people_reached), 0)).where(
        and_(a.activity_date > as_of, a.activity_date < next_month) if whole else a.activity_date.between(month, as_of)
    )
    if unit_id is not None:
        raw = raw.join(UnitPath, and_(UnitPath.descendant_id == a.commune_id, UnitPath.ancestor_id == unit_id))
    n1, p1 = session.execute(rollup).one()
    n2, p2 = session.execute(raw).one()
    sign = -1 if whole else 1
    return int(n1) + sign * int(n2), int(p1) + sign * int(p2)


def reported_between(team: type[Team] | Team, start: date, end: date) -> ColumnElement[bool]:
    """EXISTS a report of the team in the period: one seek in the (team, date) index per team."""
    return (
        select(Activity.id)
        .where(Activity.team_id == team.id, Activity.activity_date.between(start, end))
        .exists()
    )


def _reporting_teams(session: Session, *, unit_id: int | None, as_of: date) -> tuple[int, int]:
    """Active teams, and those with a report in the 30 days up to the date."""
    since = as_of - timedelta(days=REPORT_WINDOW_DAYS - 1)
    stmt = (
        select(func.count(Team.id), _count_if(reported_between(Team, since, as_of)))
        .select_from(Team)
        .where(team_active_on(as_of))
    )
    if unit_id is not None:
        stmt = stmt.join(UnitPath, and_(UnitPath.descendant_id == Team.unit_id, UnitPath.ancestor_id == unit_id))
    active, reporting = session.execute(stmt).one()
    return int(active), int(reporting)


def _ratio(num: int, den: int) -> float:
    return num / den if den else 0.0


def fetch_indicators(session: Session, *, actor: Actor, unit_id: int | None, as_of: date | None = None) -> Indicators:
    """The indicators of a unit's whole subtree as of a date (the whole country for `None`)."""
    as_of = as_of or date.today()
    if unit_id is None and not actor.is_national:
        unit_id = actor.unit_id
    if unit_id is not None:
        ensure_can_read_unit(session, actor, unit_id)
    kept_scope = is_kept_scope(session, unit_id)
    if kept_scope:
        # The country, a province or a district: its counts are kept per day, one range read.
        scope = COUNTRY if unit_id is None else unit_id
        totals = scope_totals(session, [scope], as_of, today=date.today())[scope]
        name = NATIONAL_NAME if unit_id is None else session.scalar(select(Unit.name).where(Unit.id == unit_id))
        sums = {**totals, "covered": totals["villages_covered"]}
        active, reporting = totals["teams"], totals["reporting"]
    else:
        df = _coverage_frame(session, as_of=as_of, parent_id=None, unit_id=unit_id)
        if df.empty:
            raise NotFound("Không tìm thấy địa bàn.")
        name = str(df["name"].iloc[0])
        sums = {col: int(df[col].sum()) for col in COUNT_COLUMNS}
        active, reporting = _reporting_teams(session, unit_id=unit_id, as_of=as_of)
    activities, people = _activity_totals(session, unit_id=unit_id, as_of=as_of, kept=kept_scope)
    return Indicators(
        unit=str(name),
        unit_id=unit_id,
        as_of=as_of.isoformat(),
        villages=sums["villages"],
        villages_covered=sums["covered"],
        village_coverage=_ratio(sums["covered"], sums["villages"]),
        communes=sums["communes"],
        communes_with_team=sums["communes_with_team"],
        commune_coverage=_ratio(sums["communes_with_team"], sums["communes"]),
        teams=sums["teams"],
        members=sums["members"],
        activities=activities,
        people_reached=people,
        active_team_rate=_ratio(reporting, active),
        silent_teams=active - reporting,
    )


def fetch_uncovered_villages(
    session: Session, *, actor: Actor, unit_id: int | None, as_of: date | None = None, limit: int = 2000
) -> pd.DataFrame:
    """Villages in the subtree with no active team on the date, with their commune and district."""
    as_of = as_of or date.today()
    if unit_id is None and not actor.is_national:
        unit_id = actor.unit_id
    if unit_id is not None:
        ensure_can_read_unit(session, actor, unit_id)
    commune, district = aliased(Unit), aliased(Unit)
    stmt = (
        select(Unit.id, Unit.name, commune.name, district.name)
        .outerjoin(commune, commune.id == Unit.parent_id)
        .outerjoin(district, district.id == commune.parent_id)
        .where(Unit.tier == "village", ~has_active_team(Unit.id, as_of))
        .order_by(district.name, commune.name, Unit.name)
        .limit(limit)
    )
    if unit_id is not None:
        stmt = stmt.join(UnitPath, and_(UnitPath.descendant_id == Unit.id, UnitPath.ancestor_id == unit_id))
    return pd.DataFrame(session.execute(stmt).all(), columns=["unit_id", "village", "commune", "district"])


def fetch_villages(session: Session, *, actor: Actor, commune_id: int, as_of: date | None = None) -> pd.DataFrame:
    """The villages of a commune with their active team, if any."""
    ensure_can_read_unit(session, actor, commune_id)
    as_of = as_of or date.today()
    stmt = (
        select(Unit.id, Unit.kind, Unit.name, Team.id, Team.name, Team.established_on)
        .outerjoin(Team, and_(Team.unit_id == Unit.id, team_active_on(as_of)))
        .where(Unit.parent_id == commune_id, Unit.tier == "village")
        .order_by(Unit.name)
    )
    return pd.DataFrame(
        session.execute(stmt).all(),
        columns=["unit_id", "kind", "name", "team_id", "team_name", "established_on"],
    )


def teams_stmt(*, root_id: int | None, status: str, query: str, as_of: date) -> Select:
    """Teams under a unit with their unit, commune and active-member count."""
    parent = aliased(Unit)
    # Counted per listed team from the (team, dates) index, not grouped over every member in the country.
    members = (
        select(func.count(Member.id)).where(Member.team_id == Team.id, member_active_on(as_of)).scalar_subquery()
    )
    active = team_active_on(as_of)
    stmt = (
        select(
            Team.id,
            Team.name,
            Unit.name.label("unit"),
            parent.name.label("parent"),
            Unit.tier,
            Team.established_on,
            Team.decision_no,
            Team.closed_on,
            case((active, True), else_=False).label("active"),
            members.label("members"),
        )
        .join(Unit, Unit.id == Team.unit_id)
        .outerjoin(parent, parent.id == Unit.parent_id)
        .order_by(parent.name, Unit.name, Team.established_on)
    )
    if root_id is not None:
        stmt = stmt.join(UnitPath, and_(UnitPath.descendant_id == Team.unit_id, UnitPath.ancestor_id == root_id))
    if status == "active":
        stmt = stmt.where(active)
    elif status == "closed":
        stmt = stmt.where(~active)
    if fold(query):
        needle = fold(query)
        stmt = stmt.where(or_(Unit.search_name.contains(needle, autoescape=True), func.lower(Team.name).contains(query.strip().lower(), autoescape=True)))
    return stmt


def fetch_teams(
    session: Session,
    *,
    actor: Actor,
    unit_id: int | None,
    status: str = "all",
    query: str = "",
    as_of: date | None = None,
    limit: int = 5000,
) -> pd.DataFrame:
    """Teams under a unit in scope, filtered by status (all | active | closed) and a search text."""
    if unit_id is None and not actor.is_national:
        unit_id = actor.unit_id
    if unit_id is not None:
        ensure_can_read_unit(session, actor, unit_id)
    as_of = as_of or date.today()
    stmt = teams_stmt(root_id=unit_id, status=status, query=query, as_of=as_of)
    # Sort and cut the list first, then count the members of the listed teams only: the database
    # would otherwise count every team's members before sorting the whole country's teams.
    listed = stmt.with_only_columns(*list(stmt.selected_columns)[:-1]).limit(limit)
    cols = ["team_id", "name", "unit", "parent", "tier", "established_on", "decision_no", "closed_on", "active"]
    df = pd.DataFrame(session.execute(listed).all(), columns=cols)
    counts: dict[int, int] = {}
    ids = [int(i) for i in df["team_id"]]
    for start in range(0, len(ids), 1000):
        counts.update(session.execute(
            select(Member.team_id, func.count(Member.id))
            .where(Member.team_id.in_(ids[start : start + 1000]), member_active_on(as_of))
            .group_by(Member.team_id)
        ).all())
    df["members"] = [counts.get(i, 0) for i in ids]
    df["active"] = df["active"].astype(bool)
    return df


@dataclass(frozen=True)
class TeamInfo:
    """One team with its unit, for the edit form."""

    id: int
    name: str
    unit_id: int
    unit_name: str
    established_on: date
    decision_no: str | None
    closed_on: date | None
    note: str | None
    commune_id: int | None  # the commune the team works in (its own unit for a commune team)


def fetch_team(session: Session, *, actor: Actor, team_id: int) -> TeamInfo:
    """One team inside the actor's scope."""
    ensure_can_read_team(session, actor, team_id)
    team = session.get(Team, team_id)
    assert team is not None  # ensure_can_read_team raised otherwise
    unit = session.get(Unit, team.unit_id)
    return TeamInfo(
        id=team.id,
        name=team.name,
        unit_id=team.unit_id,
        unit_name=unit.name if unit else "",
        established_on=team.established_on,
        decision_no=team.decision_no,
        closed_on=team.closed_on,
        note=team.note,
        commune_id=(unit.id if unit.tier == "commune" else unit.parent_id) if unit else None,
    )


def fetch_members(session: Session, *, actor: Actor, team_id: int, include_left: bool = True) -> pd.DataFrame:
    """The members of a team, leaders first."""
    ensure_can_read_team(session, actor, team_id)
    order = case((Member.role == "leader", 0), (Member.role == "deputy", 1), else_=2)
    stmt = select(
        Member.id,
        Member.full_name,
        Member.gender,
        Member.birth_year,
        Member.phone,
        Member.role,
        Member.organisation,
        Member.position,
        Member.joined_on,
        Member.left_on,
    ).where(Member.team_id == team_id).order_by(order, Member.full_name)
    if not include_left:
        stmt = stmt.where(Member.left_on.is_(None))
    cols = ["member_id", "full_name", "gender", "birth_year", "phone", "role", "organisation", "position", "joined_on", "left_on"]
    return pd.DataFrame(session.execute(stmt).all(), columns=cols)


def resolve_unit(session: Session, *, actor: Actor, ref: str) -> UnitInfo:
    """Find a unit by official code, exact name, or name without diacritics, when that is unique."""
    ref = ref.strip()
    candidates: list[Unit] = []
    for cond in (Unit.code == ref, Unit.name == ref, Unit.search_name == fold(ref)):
        candidates = list(session.scalars(select(Unit).where(cond).limit(20)))
        if candidates:
            break
    if not candidates:
        raise NotFound(f"Không tìm thấy địa bàn “{ref}”.")
    if len(candidates) > 1:
        parents = {u.id: u.name for u in session.scalars(select(Unit).where(Unit.id.in_([c.parent_id for c in candidates])))}
        names = "; ".join(f"{c.name} – {parents.get(c.parent_id, '')} (mã {c.code or c.id})" for c in candidates)
        raise NotFound(f"“{ref}” trùng tên nhiều địa bàn: {names}. Hãy dùng mã địa bàn.")
    ensure_can_read_unit(session, actor, candidates[0].id)
    return _unit_info(session, candidates[0])


def fetch_commune_points(session: Session, *, actor: Actor, unit_id: int | None, as_of: date | None = None) -> pd.DataFrame:
    """Communes in the subtree with coordinates, villages and covered villages (for the map)."""
    as_of = as_of or date.today()
    if unit_id is None and not actor.is_national:
        unit_id = actor.unit_id
    if unit_id is not None:
        ensure_can_read_unit(session, actor, unit_id)
    commune, parent, village = aliased(Unit), aliased(Unit), aliased(Unit)
    stmt = (
        select(
            commune.id, commune.name, parent.name, commune.lat, commune.lon,
            func.count(village.id), _count_if(has_active_team(village.id, as_of)),
        )
        .select_from(commune)
        .outerjoin(parent, parent.id == commune.parent_id)
        .outerjoin(village, and_(village.parent_id == commune.id, village.tier == "village"))
        .where(commune.tier == "commune")
        .group_by(commune.id, commune.name, parent.name, commune.lat, commune.lon)
    )
    if unit_id is not None:
        stmt = stmt.join(UnitPath, and_(UnitPath.descendant_id == commune.id, UnitPath.ancestor_id == unit_id))
    df = pd.DataFrame(session.execute(stmt).all(), columns=["unit_id", "name", "parent", "lat", "lon", "villages", "covered"])
    df["coverage"] = (df["covered"] / df["villages"].where(df["villages"] > 0)).astype("float64")
    return df
