"""Writing an import: plan again inside the write transaction and, when nothing stops it, write it all in bulk.

`apply_import` never commits: the caller's transaction writes every row of the file or none. The villages,
teams and members go in as bulk inserts and updates with one audit row per record, the units touched are
marked for the kept counts (recounted once at commit, db/counts.py), and the data version is bumped once.
"""

from collections import defaultdict
from datetime import date

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from db import counts
from db.access import Actor
from db.errors import UserError
from db.imports.plan import ImportPlan, Ops, TeamKey, audit_values, chunks, format_count, plan_import
from db.imports.units import UnitRef
from db.imports.workbook import ParsedWorkbook, Progress
from db.models import AuditEntry, Member, Team, Unit, UnitPath
from db.text import fold
from db.versions import bump_data_version


def apply_import(
    session: Session,
    *,
    actor: Actor,
    source: bytes | ParsedWorkbook,
    today: date | None = None,
    default_commune_id: int | None = None,
    progress: Progress | None = None,
) -> ImportPlan:
    """Plan the import in this transaction and, when nothing stops it, stage every change; never commits.

    Any problem raises a UserError and stages nothing, so the caller's transaction writes all rows or none.
    """
    plan = plan_import(session, actor=actor, source=source, today=today, default_commune_id=default_commune_id,
                       progress=progress)
    if not plan.ok:
        first = plan.problems[0]
        where = f" (trang “{first.sheet}”, dòng {first.row})" if first.row else ""
        raise UserError(f"Tệp còn {format_count(len(plan.problems))} lỗi, chưa có gì được ghi. Lỗi đầu tiên{where}: {first.message}")
    if plan.changes:
        _write(session, actor, plan.ops, progress)
    if progress:
        progress(1.0, "Đã nhập xong.")
    return plan


# A None left out of an ORM bulk INSERT splits the rows into groups by which columns they name, and a
# member list with blank phones here and there became one statement per two rows (6,669 round trips for
# 10,000 members on PostgreSQL); NULLs written out keep every row in one executemany batch.
_BULK = {"render_nulls": True}
# Units, teams and members written here name their units for the kept counts themselves (_touch_counts).
_BULK_KEPT = _BULK | counts.KEPT_BY_CALLER


def _write(session: Session, actor: Actor, ops: Ops, progress: Progress | None) -> None:
    """Bulk inserts and updates with one audit row per record and one data-version bump."""
    audit: list[dict] = []

    def log(action: str, entity: str, entity_id: int, before: dict | None, after: dict | None) -> None:
        audit.append(dict(user_id=actor.user_id, action=action, entity=entity, entity_id=entity_id, before=before, after=after))

    if progress:
        progress(0.65, "Đang ghi thôn, khối phố…")
    unit_ids: dict[UnitRef, int] = {}
    if ops.villages:
        keys = list(ops.villages)
        values = []
        for vkey in keys:
            v = ops.villages[vkey]
            commune = ops.units[v.commune_id]
            values.append(dict(parent_id=v.commune_id, structure=commune.structure, tier="village",
                               level=commune.level + 1, kind=v.kind, name=v.name, short_name=v.short,
                               search_name=fold(v.name), code=None, lat=None, lon=None))
        ids = list(session.scalars(insert(Unit).returning(Unit.id, sort_by_parameter_order=True), values,
                                   execution_options=_BULK_KEPT))
        ancestors: dict[int, list[tuple[int, int]]] = defaultdict(list)
        communes = sorted({v.commune_id for v in ops.villages.values()})
        for part in chunks(communes):
            for anc, desc, depth in session.execute(
                select(UnitPath.ancestor_id, UnitPath.descendant_id, UnitPath.depth).where(UnitPath.descendant_id.in_(part))
            ):
                ancestors[desc].append((anc, depth))
        paths = []
        for vkey, vid, val in zip(keys, ids, values, strict=True):
            unit_ids[("new", vkey[0], vkey[1])] = vid
            paths.append(dict(ancestor_id=vid, descendant_id=vid, depth=0))
            paths.extend(dict(ancestor_id=a, descendant_id=vid, depth=d + 1) for a, d in ancestors[vkey[0]])
            log("create", "units", vid, None, audit_values(Unit, val | {"id": vid}))
        session.execute(insert(UnitPath), paths, execution_options=counts.KEPT_BY_CALLER)

    if progress:
        progress(0.72, "Đang ghi tổ…")
    team_ids: dict[TeamKey, int] = {}
    if ops.teams:
        team_keys = list(ops.teams)
        team_values = []
        for k in team_keys:
            t = ops.teams[k]
            unit_id = t.unit if isinstance(t.unit, int) else unit_ids[t.unit]
            team_values.append(dict(unit_id=unit_id, name=t.name, established_on=t.established_on, decision_no=t.decision_no,
                                    closed_on=None, note=None))
        new_team_ids = list(session.scalars(insert(Team).returning(Team.id, sort_by_parameter_order=True), team_values,
                                            execution_options=_BULK_KEPT))
        for k, tid, val in zip(team_keys, new_team_ids, team_values, strict=True):
            team_ids[k] = tid
            log("create", "teams", tid, None, audit_values(Team, val | {"id": tid}))
    if ops.team_updates:
        session.execute(update(Team), [{"id": tid, **changes} for tid, (_, changes) in ops.team_updates.items()],
                        execution_options=counts.KEPT_BY_CALLER)
        for tid, (before, changes) in ops.team_updates.items():
            log("update", "teams", tid, before, before | audit_values(Team, changes))

    if progress:
        progress(0.8, "Đang ghi thành viên…")
    # Tổ trưởng changes go first: a demotion must land before the promotion the unique index checks.
    demoted = [u for u in ops.member_updates if u[1].get("role") == "leader" and "role" in u[2]]
    for batch in (demoted, [u for u in ops.member_updates if u not in demoted]):
        for mid, before, changes in batch:
            session.execute(update(Member), [{"id": mid, **changes}], execution_options=counts.KEPT_BY_CALLER)
            log("update", "members", mid, before, before | audit_values(Member, changes))
    if ops.members:
        member_values = []
        for k, member in ops.members:
            team_id = k[1] if k[0] == "team" else team_ids[k]
            member_values.append(member | {"team_id": team_id})
        member_ids: list[int] = []
        for start in range(0, len(member_values), 2000):
            rows = member_values[start:start + 2000]
            member_ids.extend(session.scalars(insert(Member).returning(Member.id, sort_by_parameter_order=True), rows,
                                              execution_options=_BULK_KEPT))
            if progress:
                progress(0.8 + 0.12 * min(1.0, (start + len(rows)) / len(member_values)),
                         f"Đang ghi thành viên ({format_count(start + len(rows))}/{format_count(len(member_values))})…")
        for mid, val in zip(member_ids, member_values, strict=True):
            log("create", "members", mid, None, audit_values(Member, val | {"id": mid}))
    _touch_counts(session, ops, new_units=list(unit_ids.values()), new_teams=list(team_ids.values()))
    if progress:
        progress(0.95, "Đang ghi nhật ký thay đổi…")
    for start in range(0, len(audit), 5000):
        session.execute(insert(AuditEntry), audit[start:start + 5000], execution_options=_BULK)
    bump_data_version(session, unit_ids.values())  # and the villages and communes the kept counts recount
    session.flush()


def _touch_counts(session: Session, ops: Ops, *, new_units: list[int], new_teams: list[int]) -> None:
    """Mark for the kept counts every village and commune whose teams or members were written.

    The bulk inserts and updates above go past the ORM's flush, so this names the units itself.
    """
    teams = {*new_teams, *ops.team_updates, *(k[1] for k, _ in ops.members if k[0] == "team")}
    updated_members = [mid for mid, _, _ in ops.member_updates]
    for part in chunks(updated_members):
        teams.update(session.scalars(select(Member.team_id).where(Member.id.in_(part))))
    units = set(new_units)
    for part in chunks(sorted(teams)):
        units.update(session.scalars(select(Team.unit_id).where(Team.id.in_(part))))
    counts.touch_units(session, dict.fromkeys(units))
