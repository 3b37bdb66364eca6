"""The carry-over to the 2025 structure: plan it, let an officer choose for divided communes, apply it in bulk.

A village moves as the same row: its parent becomes its 2025 commune, its legacy commune is kept in
`former_parent_id`, and closure rows to the 2025 commune and province are added while the legacy ones stay,
so the village sits in both trees (legacy figures of the past do not change; 2025 figures are the sums of
their villages on any date). Reports of its teams dated from 01/07/2025 are counted in the 2025 commune.
Commune-level teams of legacy communes are not moved silently: an administrator closes or moves each one.
"""

import io
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, aliased

from db import counts, vocab
from db.access import Actor, is_within
from db.audit import record, snapshot
from db.errors import NotFound, PermissionDenied, UserError
from db.models import (
    Activity,
    ActivityRollup,
    AuditEntry,
    LeafCount,
    Member,
    ReformChoice,
    ScopeCount,
    ScopeRollup,
    Team,
    Unit,
    UnitPath,
    UnitSuccession,
    User,
)
from db.sqlfuncs import month_start
from db.structures import NEW, REFORM_DAY
from db.teams import close_team
from db.text import fold
from db.versions import bump_data_version

VILLAGE_COLUMNS = ["village_id", "village", "legacy_commune_id", "legacy_commune", "district", "legacy_province",
                   "new_commune_id", "new_commune", "new_province", "basis", "to_confirm", "options"]
TEAM_COLUMNS = ["team_id", "team", "legacy_commune_id", "legacy_commune", "new_commune_id", "new_commune", "members",
                "reports_after"]
ACCOUNT_COLUMNS = ["user_id", "username", "full_name", "role", "unit", "suggested_unit_id", "suggested_unit", "options"]
DECISIONS = ("close", "move")
_CHUNK = 500
_EARTH_KM = 6371.0


@dataclass(frozen=True)
class CarryOverPlan:
    """What the carry-over would do: villages with their 2025 commune, commune teams to decide, counts."""

    villages: pd.DataFrame
    commune_teams: pd.DataFrame
    carried: int
    missing_mapping: int


@dataclass(frozen=True)
class CarryOverResult:
    """What one carry-over did."""

    villages: int
    teams: int
    members: int
    reports: int
    skipped: int
    moves: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=VILLAGE_COLUMNS))


def _ensure_admin(actor: Actor) -> None:
    """Only a national administrator changes the administrative structure."""
    if actor.role != "admin" or not actor.is_national:
        raise PermissionDenied("Chỉ quản trị viên toàn quốc được chuyển dữ liệu sang địa giới mới.")


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_KM * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class _Successor:
    new_id: int
    name: str
    province_id: int | None
    province: str | None
    is_default: bool
    divided: bool
    area_km2: float | None
    lat: float | None
    lon: float | None


def _successors(session: Session) -> dict[int, list[_Successor]]:
    """Each legacy commune's 2025 communes, the default first."""
    new, prov = aliased(Unit), aliased(Unit)
    rows = session.execute(
        select(UnitSuccession.legacy_id, new.id, new.name, prov.id, prov.name, UnitSuccession.is_default,
               UnitSuccession.divided, UnitSuccession.area_km2, new.lat, new.lon)
        .join(new, new.id == UnitSuccession.new_id)
        .outerjoin(prov, prov.id == new.parent_id)
        .order_by(UnitSuccession.legacy_id, UnitSuccession.is_default.desc(), new.name)
    )
    out: dict[int, list[_Successor]] = defaultdict(list)
    for legacy_id, *rest in rows:
        out[legacy_id].append(_Successor(*rest))
    return out


def _by_position(lat: float, lon: float, options: list[_Successor]) -> _Successor | None:
    """The candidate whose circle of its area holds the point (the nearest such), else the nearest centre."""
    placed = [(o, _km(lat, lon, o.lat, o.lon)) for o in options if o.lat is not None and o.lon is not None]
    if not placed:
        return None
    inside = [(o, d) for o, d in placed if o.area_km2 and d <= math.sqrt(o.area_km2 / math.pi)]
    return min(inside or placed, key=lambda od: od[1])[0]


def _target(lat: float | None, lon: float | None, options: list[_Successor], chosen: int | None) -> tuple[_Successor | None, str]:
    """A village's 2025 commune and on what basis."""
    if not options:
        return None, "none"
    if len(options) == 1:
        return options[0], "single"
    if chosen is not None:
        for o in options:
            if o.new_id == chosen:
                return o, "chosen"
    if lat is not None and lon is not None:
        found = _by_position(lat, lon, options)
        if found is not None:
            return found, "position"
    return next((o for o in options if o.is_default), options[0]), "default"


def _legacy_villages(session: Session, province_id: int | None) -> list[Any]:
    """Legacy villages not yet carried, with their commune, district and province (a legacy province filter here)."""
    commune, district, province = aliased(Unit), aliased(Unit), aliased(Unit)
    stmt = (
        select(Unit.id, Unit.name, Unit.lat, Unit.lon, commune.id, commune.name, district.name, province.id, province.name)
        .join(commune, commune.id == Unit.parent_id)
        .outerjoin(district, district.id == commune.parent_id)
        .outerjoin(province, province.id == district.parent_id)
        .where(Unit.tier == "village", Unit.structure == "legacy")
        .order_by(province.name, district.name, commune.name, Unit.name, Unit.id)
    )
    if province_id is not None and session.scalar(select(Unit.structure).where(Unit.id == province_id)) != NEW:
        stmt = stmt.where(Unit.id.in_(select(UnitPath.descendant_id).where(UnitPath.ancestor_id == province_id)))
    return list(session.execute(stmt))


def _village_frame(session: Session, province_id: int | None) -> pd.DataFrame:
    succ = _successors(session)
    chosen = dict(session.execute(select(ReformChoice.village_id, ReformChoice.commune_id)).all())
    new_province = province_id if province_id is not None and session.scalar(
        select(Unit.structure).where(Unit.id == province_id)) == NEW else None
    rows = []
    for vid, vname, lat, lon, cid, cname, dname, _pid, pname in _legacy_villages(session, province_id):
        options = succ.get(cid, [])
        target, basis = _target(lat, lon, options, chosen.get(vid))
        if new_province is not None and (target is None or target.province_id != new_province):
            continue
        divided = len(options) > 1
        rows.append((vid, vname, cid, cname, dname, pname, target.new_id if target else None,
                     target.name if target else None, target.province if target else None, basis,
                     divided and basis != "chosen", [(o.new_id, o.name) for o in options] if divided else []))
    frame = pd.DataFrame(rows, columns=VILLAGE_COLUMNS)
    frame["new_commune_id"] = frame["new_commune_id"].astype("Int64")
    frame["to_confirm"] = frame["to_confirm"].astype(bool)
    return frame


def _commune_team_frame(session: Session, province_id: int | None) -> pd.DataFrame:
    """Open teams of legacy communes, with their successor (when one), members and reports from 01/07/2025."""
    succ = _successors(session)
    members = (select(func.count()).where(Member.team_id == Team.id, Member.left_on.is_(None))
               .correlate(Team).scalar_subquery())
    reports = (select(func.count()).where(Activity.team_id == Team.id, Activity.activity_date >= REFORM_DAY)
               .correlate(Team).scalar_subquery())
    stmt = (select(Team.id, Team.name, Unit.id, Unit.name, members, reports)
            .join(Unit, Unit.id == Team.unit_id)
            .where(Unit.tier == "commune", Unit.structure == "legacy", Team.closed_on.is_(None))
            .order_by(Unit.name, Team.id))
    is_new = province_id is not None and session.scalar(select(Unit.structure).where(Unit.id == province_id)) == NEW
    if province_id is not None and not is_new:
        stmt = stmt.where(Unit.id.in_(select(UnitPath.descendant_id).where(UnitPath.ancestor_id == province_id)))
    rows = []
    for tid, tname, cid, cname, n_members, n_reports in session.execute(stmt):
        options = succ.get(cid, [])
        if is_new and not any(o.province_id == province_id for o in options):
            continue
        target = options[0] if len(options) == 1 else None
        rows.append((tid, tname, cid, cname, target.new_id if target else None, target.name if target else None,
                     int(n_members), int(n_reports)))
    frame = pd.DataFrame(rows, columns=TEAM_COLUMNS)
    frame["new_commune_id"] = frame["new_commune_id"].astype("Int64")
    return frame


def plan_carry_over(session: Session, *, actor: Actor, province_id: int | None = None) -> CarryOverPlan:
    """What the carry-over would move (all, or one legacy or 2025 province's), without writing anything."""
    _ensure_admin(actor)
    villages = _village_frame(session, province_id)
    carried = session.scalar(select(func.count()).select_from(Unit).where(
        Unit.tier == "village", Unit.former_parent_id.is_not(None))) or 0
    return CarryOverPlan(villages=villages, commune_teams=_commune_team_frame(session, province_id), carried=int(carried),
                         missing_mapping=int((villages["basis"] == "none").sum()))


def choose_commune(session: Session, *, actor: Actor, village_id: int, commune_id: int) -> None:
    """Confirm (or change) the 2025 commune of a village of a divided legacy commune."""
    _ensure_admin(actor)
    village = session.get(Unit, village_id)
    if village is None or village.tier != "village":
        raise NotFound("Không tìm thấy thôn.")
    if village.structure != "legacy":
        raise UserError("Thôn này đã được chuyển sang địa giới mới.", field="village")
    options = _successors(session).get(village.parent_id or 0, [])
    if len(options) < 2:
        raise UserError("Xã cũ của thôn này không bị chia tách: thôn đi cùng cả xã, không cần chọn.", field="commune")
    if commune_id not in {o.new_id for o in options}:
        names = ", ".join(o.name for o in options)
        raise UserError(f"Hãy chọn một trong các xã mới nhận phần của xã cũ: {names}.", field="commune")
    choice = session.get(ReformChoice, village_id)
    before = snapshot(choice) if choice is not None else None
    if choice is None:
        choice = ReformChoice(village_id=village_id, commune_id=commune_id)
        session.add(choice)
    choice.commune_id, choice.chosen_by, choice.chosen_at = commune_id, actor.user_id, datetime.now()
    session.flush()
    session.add(AuditEntry(user_id=actor.user_id, action="create" if before is None else "update",
                           entity="reform_choices", entity_id=village_id, before=before, after=snapshot(choice)))
    bump_data_version(session, [village_id])


def _moves_table() -> Table:
    """The staging table of one carry-over: a temporary table of the connection (dropped at the end, or at commit)."""
    return Table("reform_moves", MetaData(),
                 Column("village_id", Integer, primary_key=True), Column("new_id", Integer, nullable=False),
                 Column("old_id", Integer, nullable=False), Column("basis", String(20), nullable=False),
                 prefixes=["TEMPORARY"], postgresql_on_commit="DROP")


def _json_object(dialect: str, pairs: list[tuple[str, Any]]) -> Any:
    """A JSON object built in SQL (json_build_object on PostgreSQL, json_object on SQLite)."""
    fn = func.json_build_object if dialect == "postgresql" else func.json_object
    return fn(*(x for key, value in pairs for x in (literal(key), value)))


def apply_carry_over(session: Session, *, actor: Actor, province_id: int | None = None) -> CarryOverResult:
    """Move every planned village to its 2025 commune, in bulk, in the caller's transaction; a second run moves nothing."""
    _ensure_admin(actor)
    frame = _village_frame(session, province_id)
    skipped = int((frame["basis"] == "none").sum())
    moves = frame[frame["new_commune_id"].notna()].reset_index(drop=True)
    if moves.empty:
        return CarryOverResult(villages=0, teams=0, members=0, reports=0, skipped=skipped, moves=moves)
    conn = session.connection()
    dialect = conn.dialect.name
    # Every step below is one set-based statement joined to a staging table of the moves (village → 2025 commune),
    # so the database does the work in a few statements instead of one round trip per village.
    m = _moves_table()
    m.drop(conn, checkfirst=True)
    m.create(conn)
    rows = [{"village_id": int(v), "new_id": int(n), "old_id": int(o), "basis": str(b)} for v, n, o, b in zip(
        moves["village_id"], moves["new_commune_id"], moves["legacy_commune_id"], moves["basis"], strict=True)]
    for i in range(0, len(rows), 10_000):
        conn.execute(insert(m), rows[i : i + 10_000])
    if dialect == "postgresql":
        conn.execute(text("ANALYZE reform_moves"))  # a temporary table has no statistics: plan the joins as hash joins

    # Counts before the writes, for the summary: teams of the moved villages, their open members and later reports.
    teams = conn.scalar(select(func.count()).select_from(Team).join(m, m.c.village_id == Team.unit_id)) or 0
    members = conn.scalar(select(func.count()).select_from(Member).join(Team, Team.id == Member.team_id)
                          .join(m, m.c.village_id == Team.unit_id).where(Member.left_on.is_(None))) or 0
    later = and_(Activity.unit_id == m.c.village_id, Activity.commune_id == m.c.old_id,
                 Activity.activity_date >= REFORM_DAY)
    reports = conn.scalar(select(func.count()).select_from(Activity).join(m, later)) or 0

    # 1. One audit row per village, read before the move (its level then).
    new = aliased(Unit)
    audit = (select(literal(datetime.now(), DateTime), literal(actor.user_id, Integer), literal("update"), literal("units"),
                    Unit.id,
                    _json_object(dialect, [("parent_id", m.c.old_id), ("structure", literal("legacy")),
                                           ("level", Unit.level)]),
                    _json_object(dialect, [("parent_id", m.c.new_id), ("former_parent_id", m.c.old_id),
                                           ("structure", literal(NEW)), ("level", new.level + 1), ("basis", m.c.basis)]))
             .select_from(m).join(Unit, Unit.id == m.c.village_id).join(new, new.id == m.c.new_id))
    conn.execute(insert(AuditEntry).from_select(["at", "user_id", "action", "entity", "entity_id", "before", "after"],
                                                audit))
    # 2. The villages themselves: parent, former parent, structure and level from their 2025 commune.
    level = select(new.level + 1).where(new.id == m.c.new_id).scalar_subquery()
    session.execute(update(Unit).where(Unit.id == m.c.village_id)
                    .values(parent_id=m.c.new_id, former_parent_id=m.c.old_id, structure=NEW, level=level)
                    .execution_options(synchronize_session=False), execution_options=counts.REBUILT)
    # 3. Closure rows to the 2025 commune and its ancestors; the legacy ones stay.
    session.execute(insert(UnitPath).from_select(
        ["ancestor_id", "descendant_id", "depth"],
        select(UnitPath.ancestor_id, m.c.village_id, UnitPath.depth + 1).select_from(m)
        .join(UnitPath, UnitPath.descendant_id == m.c.new_id)), execution_options=counts.REBUILT)
    # 4. Reports from 01/07/2025 count in the 2025 commune: their rollups move first (from the same join, so
    #    the updated reports are not read again), then the reports.
    if reports:
        _move_rollups(session, m, later)
        session.execute(update(Activity).where(later).values(commune_id=m.c.new_id)
                        .execution_options(synchronize_session=False), execution_options=counts.KEPT_BY_CALLER)
    # 5. The kept tables, without a full recount: a moved village's own events do not change, so its leaf rows
    #    are added to its 2025 province's scope rows (its legacy scopes keep them); the rollups of the communes
    #    whose reports moved, and of their districts and provinces, are recounted in SQL for the months from
    #    07/2025 (the country's do not change: a moved report stays in it).
    _add_to_new_scopes(session, m)
    if reports:
        _recount_scope_rollups_since_reform(session, m)
    m.drop(conn)
    session.expire_all()
    bump_data_version(session)
    return CarryOverResult(villages=len(rows), teams=int(teams), members=int(members), reports=int(reports),
                           skipped=skipped, moves=moves)


def _move_rollups(session: Session, m: Table, later: Any) -> None:
    """Subtract the moving reports from their legacy communes' rollups and add them to their 2025 communes'."""
    conn = session.connection()
    dialect = conn.dialect.name
    month = month_start(Activity.activity_date)
    r = ActivityRollup.__table__.c
    for commune, sign in ((m.c.new_id, 1), (m.c.old_id, -1)):
        sums = (func.count(), *(func.coalesce(func.sum(Activity.__table__.c[c]), 0) for c in counts.ROLLUP_SUMS[1:]))
        rows = (select(commune, month, Activity.activity_type, *(s * sign for s in sums)).select_from(Activity)
                .join(m, later).group_by(commune, month, Activity.activity_type))
        stmt = (pg_insert if dialect == "postgresql" else sqlite_insert)(ActivityRollup).from_select(
            ["commune_id", "month", "activity_type", *counts.ROLLUP_SUMS], rows)
        stmt = stmt.on_conflict_do_update(index_elements=["commune_id", "month", "activity_type"],
                                          set_={c: r[c] + stmt.excluded[c] for c in counts.ROLLUP_SUMS})
        conn.execute(stmt)
    conn.execute(delete(ActivityRollup).where(ActivityRollup.month >= REFORM_DAY, ActivityRollup.reports == 0))


def _recount_scope_rollups_since_reform(session: Session, m: Table) -> None:
    """Recount, set-based, the rollups from 07/2025 of the districts and provinces above the moves' communes."""
    conn = session.connection()
    communes = select(m.c.old_id).union(select(m.c.new_id))
    scopes = (select(UnitPath.ancestor_id).join(Unit, Unit.id == UnitPath.ancestor_id)
              .where(UnitPath.descendant_id.in_(communes), UnitPath.depth > 0, Unit.tier.in_(counts.SCOPE_TIERS)))
    r = ActivityRollup.__table__.c
    conn.execute(delete(ScopeRollup).where(ScopeRollup.scope_id.in_(scopes), ScopeRollup.month >= REFORM_DAY))
    conn.execute(insert(ScopeRollup).from_select(
        ["scope_id", "month", "activity_type", *counts.ROLLUP_SUMS],
        select(UnitPath.ancestor_id, r.month, r.activity_type, *(func.sum(r[c]) for c in counts.ROLLUP_SUMS))
        .select_from(ActivityRollup.__table__)
        .join(UnitPath, and_(UnitPath.descendant_id == r.commune_id, UnitPath.depth > 0))
        .where(UnitPath.ancestor_id.in_(scopes), r.month >= REFORM_DAY)
        .group_by(UnitPath.ancestor_id, r.month, r.activity_type)))


def _add_to_new_scopes(session: Session, m: Table) -> None:
    """Add the moved villages' leaf rows (and their totals) to the kept rows of their 2025 provinces."""
    leaf, path, scope = LeafCount.__table__.c, UnitPath.__table__.c, ScopeCount.__table__.c
    province = aliased(Unit)
    dialect = session.get_bind().dialect.name
    base = (select(path.ancestor_id).select_from(m)
            .join(UnitPath.__table__, and_(path.descendant_id == m.c.village_id, path.depth > 0))
            .join(province, and_(province.id == path.ancestor_id, province.tier.in_(counts.SCOPE_TIERS),
                                 province.structure == NEW))
            .join(LeafCount.__table__, leaf.unit_id == path.descendant_id))
    for day in (leaf.day, literal(counts.TOTAL_DAY, Date)):
        keys = (path.ancestor_id, leaf.day) if day is leaf.day else (path.ancestor_id,)
        rows = base.add_columns(day, literal(0), *(func.sum(leaf[c]) for c in counts.COLUMNS)).group_by(*keys)
        stmt = (pg_insert if dialect == "postgresql" else sqlite_insert)(ScopeCount).from_select(
            ["scope_id", "day", "shard", *counts.COLUMNS], rows)
        stmt = stmt.on_conflict_do_update(index_elements=["scope_id", "day", "shard"],
                                          set_={c: scope[c] + stmt.excluded[c] for c in counts.COLUMNS})
        session.execute(stmt)


def decide_commune_team(session: Session, *, actor: Actor, team_id: int, decision: str) -> None:
    """Close a legacy commune's team on 01/07/2025, or close it then and continue it in its only 2025 successor."""
    _ensure_admin(actor)
    if decision not in DECISIONS:
        raise UserError("Hãy chọn giải thể tổ hoặc chuyển tổ sang xã mới.", field="decision")
    team = session.get(Team, team_id)
    if team is None:
        raise NotFound("Không tìm thấy tổ.")
    unit = session.get(Unit, team.unit_id)
    if unit is None or unit.tier != "commune" or unit.structure != "legacy" or team.closed_on is not None:
        raise UserError("Chỉ xử lý tổ cấp xã đang hoạt động của xã theo địa giới cũ.", field="team")
    later = session.scalar(select(func.count()).select_from(Activity).where(
        Activity.team_id == team.id, Activity.activity_date >= REFORM_DAY)) or 0
    before = snapshot(team)
    if decision == "close":
        if later:
            raise UserError(f"Tổ có {later} báo cáo từ ngày 01/07/2025: không giải thể được; hãy chuyển tổ sang xã mới.",
                            field="decision")
        if team.established_on >= REFORM_DAY:
            raise UserError("Tổ thành lập từ ngày 01/07/2025: không giải thể theo ngày sắp xếp được.", field="decision")
        # The registry's own closing: memberships end that day (a later joiner's on its own first day), each audited.
        close_team(session, actor=actor, team_id=team.id, closed_on=REFORM_DAY)
        return
    options = _successors(session).get(unit.id, [])
    if len(options) != 1:
        raise UserError("Xã cũ bị chia cho nhiều xã mới (hoặc không có xã mới): không chuyển nguyên tổ được; "
                        "hãy giải thể tổ và lập tổ ở xã mới.", field="decision")
    new_id = options[0].new_id
    # The legacy team ends where the 2025 structure begins (or on its own first day if it began later), so the
    # legacy commune's past figures keep it; from that day on it continues as a team of the 2025 commune.
    start = max(REFORM_DAY, team.established_on)
    target = session.scalars(select(Team).where(Team.unit_id == new_id, Team.closed_on.is_(None))
                             .order_by(Team.id).limit(1)).first()
    merged = target is not None
    if target is None:
        target = Team(unit_id=new_id, name=team.name, established_on=start, decision_no=team.decision_no,
                      note=team.note)
        session.add(target)
        session.flush()
    copied = _continue_members(session, team, target, start)
    team.closed_on = start
    session.flush()
    if later:
        counts.touch_units(session, {unit.id: None, new_id: None})
        counts.touch_months(session, [(unit.id, None), (new_id, None)])
        session.execute(update(Activity).where(Activity.team_id == team.id, Activity.activity_date >= REFORM_DAY)
                        .values(team_id=target.id, commune_id=new_id, unit_id=new_id)
                        .execution_options(synchronize_session=False), execution_options=counts.KEPT_BY_CALLER)
    record(session, actor, "close", team, before, extra={
        "decision": "move", "target_team_id": target.id, "target_unit_id": new_id, "merged": merged,
        "members_copied": copied, "reports_moved": int(later)})
    bump_data_version(session, [unit.id, new_id])


def _same_person(a: Member, b: Member) -> bool:
    """One person in two teams: the same name and the same phone (or, without phones, the same birth year)."""
    if fold(a.full_name) != fold(b.full_name):
        return False
    if a.phone and b.phone:
        return a.phone == b.phone
    return a.birth_year is not None and a.birth_year == b.birth_year


def _continue_members(session: Session, team: Team, target: Team, start: date) -> int:
    """End the legacy team's memberships still running on `start` there, and copy them into `target` from then on."""
    running = list(session.scalars(select(Member).where(
        Member.team_id == team.id, or_(Member.left_on.is_(None), Member.left_on > start)).order_by(Member.id)))
    present = list(session.scalars(select(Member).where(
        Member.team_id == target.id, or_(Member.left_on.is_(None), Member.left_on > start))))
    has_leader = any(m.role == "leader" and m.left_on is None for m in present)
    copied = 0
    for member in running:
        cut = max(start, member.joined_on)
        left_on, member.left_on = member.left_on, cut
        if any(_same_person(member, other) for other in present):
            continue
        role = member.role
        if role == "leader" and left_on is None:
            if has_leader:
                role = "deputy"  # one open leader per team (uq_members_active_leader); the target's stays
            has_leader = True
        copy = Member(team_id=target.id, full_name=member.full_name, gender=member.gender, birth_year=member.birth_year,
                      phone=member.phone, role=role, organisation=member.organisation, position=member.position,
                      joined_on=cut, left_on=left_on)
        session.add(copy)
        present.append(copy)
        copied += 1
    session.flush()
    return copied


def _suggestions(session: Session, unit: Unit) -> tuple[int | None, list[tuple[int, str]]]:
    """The 2025 unit suggested for an account bound to a legacy unit, and the options."""
    succ = _successors(session)
    if unit.tier == "commune":
        options = succ.get(unit.id, [])
        return (options[0].new_id if options else None), [(o.new_id, o.name) for o in options]
    communes = session.scalars(select(UnitPath.descendant_id).join(Unit, Unit.id == UnitPath.descendant_id)
                               .where(UnitPath.ancestor_id == unit.id, Unit.tier == "commune"))
    provinces: Counter[tuple[int, str]] = Counter()
    new_communes: dict[int, str] = {}
    for cid in communes:
        for o in succ.get(cid, []):
            if o.province_id is not None and o.province:
                provinces[(o.province_id, o.province)] += 1
            new_communes[o.new_id] = o.name
    ranked = [p for p, _ in provinces.most_common()]
    suggested = ranked[0][0] if ranked else None
    if unit.tier == "district":
        return suggested, ranked + sorted(new_communes.items(), key=lambda kv: kv[1])
    return suggested, ranked


def flagged_accounts(session: Session, *, actor: Actor, today: date | None = None) -> pd.DataFrame:
    """Active accounts bound to a unit that no longer exists, with a suggested 2025 unit."""
    _ensure_admin(actor)
    today = today or date.today()
    rows = []
    for user, unit in session.execute(
            select(User, Unit).join(Unit, Unit.id == User.unit_id)
            .where(User.is_active.is_(True), Unit.valid_to.is_not(None), Unit.valid_to < today).order_by(User.username)):
        suggested, options = _suggestions(session, unit)
        names = dict(options)
        rows.append((user.id, user.username, user.full_name, user.role, unit.name, suggested,
                     None if suggested is None else names.get(suggested), options))
    frame = pd.DataFrame(rows, columns=ACCOUNT_COLUMNS)
    frame["suggested_unit_id"] = frame["suggested_unit_id"].astype("Int64")
    return frame


def rebind_account(session: Session, *, actor: Actor, user_id: int, unit_id: int, today: date | None = None) -> None:
    """Bind an account to a 2025 unit in force; the account stays signed in."""
    _ensure_admin(actor)
    today = today or date.today()
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("Không tìm thấy tài khoản.")
    unit = session.get(Unit, unit_id)
    if unit is None or unit.structure != NEW or (unit.valid_to is not None and unit.valid_to < today):
        raise UserError("Hãy chọn một địa bàn theo địa giới mới (từ 01/07/2025).", field="unit")
    if user.team_id is not None and user.role == "volunteer":
        team = session.get(Team, user.team_id)
        if team is None or not is_within(session, ancestor_id=unit.id, unit_id=team.unit_id):
            raise UserError("Tổ của tài khoản này không thuộc địa bàn đã chọn; hãy chọn địa bàn chứa tổ.", field="unit")
    before = snapshot(user)
    user.unit_id = unit.id
    record(session, actor, "update", user, before)


def _workbook(sheets: list[tuple[str, pd.DataFrame, dict[str, str]]]) -> bytes:
    """An .xlsx with one sheet per frame, Vietnamese headers, lists joined and dates as dd/mm/yyyy."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for title, frame, headers in sheets:
        sheet = book.create_sheet(title)
        columns = [c for c in headers if c in frame.columns]
        sheet.append([headers[c] for c in columns])
        for record_ in frame[columns].itertuples(index=False):
            sheet.append([_cell(c, v) for c, v in zip(columns, record_, strict=True)])
        for i, c in enumerate(columns):
            sheet.column_dimensions[sheet.cell(row=1, column=i + 1).column_letter].width = max(12, len(headers[c]) + 4)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(column: str, value: Any) -> Any:
    if isinstance(value, list):
        return "; ".join(str(name) for _, name in value)
    if isinstance(value, bool):
        return "Có" if value else ""
    if column == "basis":
        return vocab.REFORM_BASES.get(value, value)
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return int(value) if hasattr(value, "item") and float(value).is_integer() else value


def plan_workbook(plan: CarryOverPlan) -> bytes:
    """The plan as an .xlsx: the villages to move, the commune teams to decide."""
    return _workbook([("Thôn chuyển sang xã mới", plan.villages, vocab.REFORM_VILLAGE_COLUMNS),
                      ("Tổ cấp xã cần xử lý", plan.commune_teams, vocab.REFORM_TEAM_COLUMNS)])


def result_workbook(result: CarryOverResult) -> bytes:
    """What the carry-over did, as an .xlsx: every moved village with its old and new commune."""
    summary = pd.DataFrame([("Thôn đã chuyển", result.villages), ("Tổ theo thôn", result.teams),
                            ("Thành viên đang hoạt động", result.members), ("Báo cáo từ 01/07/2025", result.reports),
                            ("Thôn chưa có xã mới tương ứng", result.skipped)], columns=["item", "value"])
    return _workbook([("Tóm tắt", summary, vocab.REFORM_SUMMARY_COLUMNS),
                      ("Thôn đã chuyển", result.moves, vocab.REFORM_VILLAGE_COLUMNS)])


def summary_lines(plan: CarryOverPlan) -> list[str]:
    """The plan in a few Vietnamese lines (for the command line)."""
    v = plan.villages
    lines = [f"Thôn sẽ chuyển sang xã mới: {_fmt(int(v['new_commune_id'].notna().sum()))}"]
    for basis, label in vocab.REFORM_BASES.items():
        n = int((v["basis"] == basis).sum())
        if n:
            lines.append(f"  - {label}: {_fmt(n)}")
    lines.append(f"Thôn của xã bị chia tách cần xác nhận: {_fmt(int(v['to_confirm'].sum()))}")
    lines.append(f"Tổ cấp xã cần quyết định (giải thể hoặc chuyển): {_fmt(len(plan.commune_teams))}")
    lines.append(f"Thôn đã chuyển từ trước: {_fmt(plan.carried)}")
    return lines


def _fmt(n: int) -> str:
    return f"{n:,}".replace(",", ".")


__all__ = ["CarryOverPlan", "CarryOverResult", "apply_carry_over", "choose_commune", "decide_commune_team",
           "flagged_accounts", "plan_carry_over", "plan_workbook", "rebind_account", "result_workbook"]
