"""Coverage: villages and communes with an active team, the headline indicators, and the map's points."""

from dataclasses import asdict, dataclass
from datetime import date, timedelta

import pandas as pd
from sqlalchemy import ColumnElement, Select, SQLColumnExpression, and_, case, func, select
from sqlalchemy.orm import Session, aliased

from db.access import Actor, is_within, scope_unit
from db.counts import COUNTRY, SCOPE_TIERS, is_kept_scope, scope_totals
from db.errors import NotFound
from db.geo import ARCHIPELAGOS
from db.members import member_active_on
from db.models import Activity, ActivityRollup, Member, ScopeRollup, Team, Unit, UnitPath
from db.reporting import count_reporting_teams, reporting_rate
from db.sqlfuncs import first_of_month
from db.structures import LEGACY, structure_on
from db.teams import team_active_on
from db.text import sort_frame
from db.units import NATIONAL_NAME, child_ids, root_cond, root_structure, valid_on


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


def has_active_team(unit_id: SQLColumnExpression[int], as_of: date) -> ColumnElement[bool]:
    """EXISTS an active team of the unit on the date: one probe of the teams index per unit.

    Probing per unit keeps a district's query proportional to the district, where a subquery of
    every active team in the country would be scanned for each read.
    """
    team = aliased(Team)
    return select(team.id).where(team.unit_id == unit_id, team_active_on(as_of, team)).exists()


def _group_cond(grp: type[Unit], *, parent_id: int | None, unit_id: int | None,
                structure: str | None = None) -> ColumnElement[bool]:
    """Which units to group by: one unit, the children of a unit (closure rows at depth 1, so a carried
    village is a child of its legacy and of its 2025 commune), or the provinces (of one structure, if given)."""
    if unit_id is not None:
        return grp.id == unit_id
    if parent_id is not None:
        return grp.id.in_(child_ids(parent_id))
    return root_cond(structure, grp)


def _count_if(cond: ColumnElement[bool]) -> ColumnElement[int]:
    """How many rows of the group meet the condition (0 for none)."""
    return func.count(case((cond, 1)))


def coverage_stmt(*, as_of: date, parent_id: int | None = None, unit_id: int | None = None,
                  structure: str | None = None) -> Select:
    """Villages, covered villages, communes and communes with a team, per grouped unit.

    A commune counts only while it exists on the date (legacy ones until 30/06/2025, 2025 ones from
    01/07/2025), as in the kept counts (db/counts.py).
    """
    grp, desc = aliased(Unit), aliased(Unit)
    is_village = desc.tier == "village"
    is_commune = and_(desc.tier == "commune", valid_on(as_of, desc))
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
        .where(_group_cond(grp, parent_id=parent_id, unit_id=unit_id, structure=structure))
        .group_by(grp.id, grp.name, grp.tier)
        .order_by(grp.name)
    )


def team_counts_stmt(*, as_of: date, parent_id: int | None = None, unit_id: int | None = None,
                     structure: str | None = None) -> Select:
    """Active teams and their active members, per grouped unit."""
    grp = aliased(Unit)
    return (
        select(grp.id, func.count(func.distinct(Team.id)).label("teams"), func.count(Member.id).label("members"))
        .select_from(grp)
        .join(UnitPath, UnitPath.ancestor_id == grp.id)
        .join(Team, and_(Team.unit_id == UnitPath.descendant_id, team_active_on(as_of)))
        .outerjoin(Member, and_(Member.team_id == Team.id, member_active_on(as_of)))
        .where(_group_cond(grp, parent_id=parent_id, unit_id=unit_id, structure=structure))
        .group_by(grp.id)
    )


COVERAGE_COLUMNS = ["unit_id", "name", "tier", "villages", "covered", "communes", "communes_with_team"]
COUNT_COLUMNS = ("villages", "covered", "communes", "communes_with_team", "teams", "members")


def _coverage_frame(session: Session, *, as_of: date, parent_id: int | None, unit_id: int | None,
                    structure: str | None = None) -> pd.DataFrame:
    """Run the coverage and team-count aggregates and join them (both small: one row per unit)."""
    df = pd.DataFrame(session.execute(coverage_stmt(as_of=as_of, parent_id=parent_id, unit_id=unit_id,
                                                    structure=structure)).all(), columns=COVERAGE_COLUMNS)
    tc = pd.DataFrame(session.execute(team_counts_stmt(as_of=as_of, parent_id=parent_id, unit_id=unit_id,
                                                       structure=structure)).all(), columns=["unit_id", "teams", "members"])
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
    session: Session, *, actor: Actor, unit_id: int | None, as_of: date | None = None, structure: str | None = None
) -> pd.DataFrame:
    """Coverage, teams and members of each child of a unit (for the whole country, the provinces of
    `structure`, by default of the structure in force on the date: 2022's by district, 2026's by commune)."""
    as_of = as_of or date.today()
    unit_id = scope_unit(session, actor, unit_id)
    top = root_structure(session, structure, as_of=as_of) if unit_id is None else None
    cond = Unit.id.in_(child_ids(unit_id)) if unit_id is not None else root_cond(top)
    children = [tuple(r) for r in session.execute(select(Unit.id, Unit.name, Unit.tier).where(cond).order_by(Unit.name))]
    if children and all(tier in SCOPE_TIERS for _, _, tier in children):
        frame = _kept_coverage_frame(session, children, as_of)  # type: ignore[arg-type]
    else:
        frame = _coverage_frame(session, as_of=as_of, parent_id=unit_id, unit_id=None, structure=top)
    return sort_frame(frame, "name")  # Vietnamese order: SQL's byte order puts "Đà Nẵng" after "Hồ Chí Minh"


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


def _ratio(num: int, den: int) -> float:
    """A share of a count (0 for an empty count)."""
    return num / den if den else 0.0


def fetch_indicators(session: Session, *, actor: Actor, unit_id: int | None, as_of: date | None = None) -> Indicators:
    """The indicators of a unit's whole subtree as of a date (the whole country for `None`)."""
    as_of = as_of or date.today()
    unit_id = scope_unit(session, actor, unit_id)
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
        active, reporting = count_reporting_teams(session, unit_id=unit_id, as_of=as_of)
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
        active_team_rate=reporting_rate(reporting, active),
        silent_teams=active - reporting,
    )


def fetch_uncovered_villages(
    session: Session, *, actor: Actor, unit_id: int | None, as_of: date | None = None, limit: int = 2000
) -> pd.DataFrame:
    """Villages in the subtree with no active team on the date, with their commune and district.

    A carried village is named under the commune of the unit's structure (the date's for the country):
    its legacy commune and district under a legacy unit, its 2025 commune and province under a 2025 one.
    """
    as_of = as_of or date.today()
    unit_id = scope_unit(session, actor, unit_id)
    chain = structure_on(as_of) if unit_id is None else session.scalar(select(Unit.structure).where(Unit.id == unit_id))
    commune, district = aliased(Unit), aliased(Unit)
    parent = func.coalesce(Unit.former_parent_id, Unit.parent_id) if chain == LEGACY else Unit.parent_id
    stmt = (
        select(Unit.id, Unit.name, commune.name, district.name)
        .outerjoin(commune, commune.id == parent)
        .outerjoin(district, district.id == commune.parent_id)
        .where(Unit.tier == "village", ~has_active_team(Unit.id, as_of))
        .order_by(district.name, commune.name, Unit.name)
        .limit(limit)
    )
    if unit_id is not None:
        stmt = stmt.join(UnitPath, and_(UnitPath.descendant_id == Unit.id, UnitPath.ancestor_id == unit_id))
    # SQL's order picks which `limit` villages are listed; the list itself is in Vietnamese order.
    df = pd.DataFrame(session.execute(stmt).all(), columns=["unit_id", "village", "commune", "district"])
    return sort_frame(df, "district", "commune", "village")


VILLAGE_TEAM_COLUMNS = ["unit_id", "name", "team_id", "team_name", "established_on", "members"]


def fetch_village_teams(session: Session, *, actor: Actor, commune_id: int, as_of: date | None = None) -> pd.DataFrame:
    """The villages of a commune, covered or not, each with its active team, the team's date and active members.

    A village with two active teams has a row for each; one without has one row with no team.
    """
    as_of = as_of or date.today()
    scope_unit(session, actor, commune_id)
    stmt = (
        select(Unit.id, Unit.name, Team.id, Team.name, Team.established_on, func.count(Member.id))
        .outerjoin(Team, and_(Team.unit_id == Unit.id, team_active_on(as_of)))
        .outerjoin(Member, and_(Member.team_id == Team.id, member_active_on(as_of)))
        .where(Unit.id.in_(child_ids(commune_id)), Unit.tier == "village")
        .group_by(Unit.id, Unit.name, Team.id, Team.name, Team.established_on)
        .order_by(Unit.name, Team.id)
    )
    df = pd.DataFrame(session.execute(stmt).all(), columns=VILLAGE_TEAM_COLUMNS)
    df["members"] = df["members"].astype("int64")
    return sort_frame(df, "name", "team_id")


def fetch_commune_points(
    session: Session, *, actor: Actor, unit_id: int | None, as_of: date | None = None, neighbours: bool = False,
) -> pd.DataFrame:
    """Communes in the subtree with coordinates, villages and covered villages (for the map).

    With `neighbours`, a commune comes with the other communes of its district when the actor may read
    them (one dot alone in an empty box tells a meeting nothing); `focus` marks the unit asked for.
    """
    as_of = as_of or date.today()
    unit_id = scope_unit(session, actor, unit_id)
    root = unit_id
    if neighbours and unit_id is not None:
        tier, parent_id = session.execute(select(Unit.tier, Unit.parent_id).where(Unit.id == unit_id)).one()
        if tier == "commune" and parent_id is not None and (
            actor.is_national or is_within(session, ancestor_id=actor.unit_id, unit_id=parent_id)  # type: ignore[arg-type]
        ):
            root = parent_id
    commune, parent, village = aliased(Unit), aliased(Unit), aliased(Unit)
    child = aliased(UnitPath)  # a commune's villages through its closure rows: carried ones count in both communes
    stmt = (
        select(
            commune.id, commune.name, parent.name, commune.lat, commune.lon,
            func.count(village.id), _count_if(has_active_team(village.id, as_of)),
        )
        .select_from(commune)
        .outerjoin(parent, parent.id == commune.parent_id)
        .outerjoin(child, and_(child.ancestor_id == commune.id, child.depth == 1))
        .outerjoin(village, and_(village.id == child.descendant_id, village.tier == "village"))
        .where(commune.tier == "commune")
        .group_by(commune.id, commune.name, parent.name, commune.lat, commune.lon)
        .order_by(commune.name)
    )
    if root is not None:
        stmt = stmt.join(UnitPath, and_(UnitPath.descendant_id == commune.id, UnitPath.ancestor_id == root))
    else:  # the country's communes of the date: not both structures' on one map
        stmt = stmt.where(valid_on(as_of, commune))
    df = pd.DataFrame(session.execute(stmt).all(), columns=["unit_id", "name", "parent", "lat", "lon", "villages", "covered"])
    df["coverage"] = (df["covered"] / df["villages"].where(df["villages"] > 0)).astype("float64")
    df["focus"] = df["unit_id"] == unit_id
    return df


def fetch_district_points(session: Session, *, actor: Actor, unit_id: int | None, as_of: date | None = None) -> pd.DataFrame:
    """Districts in the subtree at the mean position of their communes (their own without one), with villages and covered villages.

    The country's map: one point per district instead of ten thousand communes. The counts are the
    districts' kept ones (`counts.scope_totals`), so they equal the sums of their communes' points.
    """
    as_of = as_of or date.today()
    unit_id = scope_unit(session, actor, unit_id)
    district, province, commune = aliased(Unit), aliased(Unit), aliased(Unit)
    stmt = (
        # Huyện Hoàng Sa has no commune: its own position (the archipelago) stands in.
        select(district.id, district.name, province.name, func.coalesce(func.avg(commune.lat), district.lat),
               func.coalesce(func.avg(commune.lon), district.lon))
        .select_from(district)
        .outerjoin(province, province.id == district.parent_id)
        .outerjoin(commune, and_(commune.parent_id == district.id, commune.tier == "commune"))
        .where(district.tier == "district")
        .group_by(district.id, district.name, province.name, district.lat, district.lon)
        .order_by(district.name)
    )
    if unit_id is not None:
        stmt = stmt.join(UnitPath, and_(UnitPath.descendant_id == district.id, UnitPath.ancestor_id == unit_id))
    df = pd.DataFrame(session.execute(stmt).all(), columns=["unit_id", "name", "parent", "lat", "lon"])
    totals = scope_totals(session, [int(i) for i in df["unit_id"]], as_of, today=date.today())
    df["villages"] = [totals[int(i)]["villages"] for i in df["unit_id"]]
    df["covered"] = [totals[int(i)]["villages_covered"] for i in df["unit_id"]]
    df["coverage"] = (df["covered"] / df["villages"].where(df["villages"] > 0)).astype("float64")
    for col in ("lat", "lon"):
        df[col] = df[col].astype("float64")
    df["focus"] = df["unit_id"] == unit_id
    return df


def fetch_archipelagos(session: Session, *, actor: Actor, unit_id: int | None) -> pd.DataFrame:
    """The archipelagos a unit's map carries: both on the country's, each on its province's and its own district's."""
    unit_id = scope_unit(session, actor, unit_id)
    columns = ["name", "label", "lat", "lon"]
    if unit_id is None:
        shown = list(ARCHIPELAGOS)
    else:
        own = session.execute(select(Unit.tier, Unit.code).where(Unit.id == unit_id)).one()
        chain = {(tier, code) for tier, code in session.execute(
            select(Unit.tier, Unit.code).join(UnitPath, UnitPath.ancestor_id == Unit.id).where(UnitPath.descendant_id == unit_id))}
        shown = [a for a in ARCHIPELAGOS
                 if tuple(own) == ("province", a.province_code) or chain & set(a.own_units)]
    return pd.DataFrame([(a.name, a.label, a.lat, a.lon) for a in shown], columns=columns)
