"""Teams: what "active on a date" means, the team list, and registering, editing and closing a team."""

from dataclasses import dataclass, field
from datetime import date

import pandas as pd
from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.util import AliasedClass

from db import limits
from db.access import Actor, ensure_can_read_team, ensure_can_write_team, ensure_can_write_unit, scope_unit
from db.audit import record, snapshot
from db.errors import NotFound, UserError
from db.members import MemberInput, member_active_on, validated_member
from db.models import Member, Team, Unit, UnitPath
from db.structures import LEGACY, structure_on
from db.text import fold, sort_frame
from db.validation import optional_text, require_past_date, require_text, search_text


def team_active_on(as_of: date, team: type[Team] | AliasedClass[Team] = Team) -> ColumnElement[bool]:
    """A team counts as active on `as_of` once established and until the day it stopped."""
    return and_(team.established_on <= as_of, or_(team.closed_on.is_(None), team.closed_on > as_of))


TEAM_LIST_LIMIT = 500  # the teams a list shows; a larger scope lists its first ones and says so


def teams_stmt(*, root_id: int | None, status: str, query: str, as_of: date, legacy: bool = False) -> Select:
    """Teams under a unit with their unit, commune and active-member count.

    `legacy`: the list is read in the legacy tree, so a carried village names its legacy commune.
    """
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
        .outerjoin(parent, parent.id == (func.coalesce(Unit.former_parent_id, Unit.parent_id) if legacy else Unit.parent_id))
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
        stmt = stmt.where(or_(Unit.search_name.contains(needle, autoescape=True),
                              func.lower(Team.name).contains(query.strip().lower(), autoescape=True)))
    return stmt


def fetch_teams(
    session: Session,
    *,
    actor: Actor,
    unit_id: int | None,
    status: str = "all",
    query: str = "",
    as_of: date | None = None,
    limit: int = TEAM_LIST_LIMIT,
) -> pd.DataFrame:
    """Teams under a unit in scope, filtered by status (all | active | closed) and a search text, by commune and village.

    At most `limit` teams: when more match, the first `limit` in the order they were registered (so the
    country's list stops there instead of sorting every team by name), then sorted by commune and village in
    Vietnamese order.
    """
    query = search_text(query)  # a pasted page is a mistake to name, not a query for the database
    unit_id = scope_unit(session, actor, unit_id)
    as_of = as_of or date.today()
    # The tree the list is read in: the unit's own, or for the country the one in force on the date.
    tree = structure_on(as_of) if unit_id is None else session.scalar(select(Unit.structure).where(Unit.id == unit_id))
    stmt = teams_stmt(root_id=unit_id, status=status, query=query, as_of=as_of, legacy=tree == LEGACY)
    first = stmt.with_only_columns(Team.id).order_by(None).order_by(Team.id).limit(limit).subquery("first_teams")
    # Cut the list first, then sort it and count the members of the listed teams only: the database
    # would otherwise count every team's members before sorting the whole country's teams.
    listed = stmt.with_only_columns(*list(stmt.selected_columns)[:-1]).join(first, first.c.id == Team.id)
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
    return sort_frame(df, "parent", "unit")  # stable: a village's teams stay in the order they were founded


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


# ---- writes -------------------------------------------------------------------------------------


@dataclass
class TeamInput:
    """A team as typed in the registration or edit form."""

    unit_id: int | None
    name: str | None
    established_on: date | None
    decision_no: str | None = None
    note: str | None = None
    members: list[MemberInput] = field(default_factory=list)


def _check_no_overlap(session: Session, *, unit_id: int, start: date, end: date | None, exclude: int | None) -> None:
    """Refuse a team whose active period overlaps another team of the same unit."""
    stmt = select(Team.name, Team.established_on).where(
        Team.unit_id == unit_id,
        or_(Team.closed_on.is_(None), Team.closed_on > start),
    )
    if end is not None:
        stmt = stmt.where(Team.established_on < end)
    if exclude is not None:
        stmt = stmt.where(Team.id != exclude)
    clash = session.execute(stmt.limit(1)).first()
    if clash:
        raise UserError(
            f"Địa bàn này đã có tổ đang hoạt động: “{clash[0]}” (thành lập {clash[1]:%d/%m/%Y}).",
            field="unit",
        )


def create_team(session: Session, *, actor: Actor, data: TeamInput, today: date | None = None) -> Team:
    """Register a team for a village or commune that has none active, with its first members."""
    today = today or date.today()
    if data.unit_id is None:
        raise UserError("Hãy chọn thôn hoặc xã của tổ.", field="unit")
    unit = session.get(Unit, data.unit_id)
    if unit is None:
        raise NotFound("Không tìm thấy địa bàn đã chọn.", field="unit")
    ensure_can_write_unit(session, actor, unit.id)
    if unit.tier not in ("village", "commune"):
        raise UserError("Tổ CNSCĐ được thành lập ở thôn (tổ thôn) hoặc ở xã (tổ xã); hãy chọn thôn hoặc xã.", field="unit")
    name = require_text(data.name, field="name", label="Tên tổ", max_len=limits.TEAM_NAME_MAX)
    start = require_past_date(data.established_on, field="established_on", label="Ngày thành lập", today=today)
    decision = optional_text(data.decision_no, field="decision_no", label="Số quyết định", max_len=limits.DECISION_NO_MAX)
    note = optional_text(data.note, field="note", label="Ghi chú", max_len=limits.NOTE_MAX)
    _check_no_overlap(session, unit_id=unit.id, start=start, end=None, exclude=None)
    members = [
        validated_member(m, row=i, team_start=start, today=today) for i, m in enumerate(data.members, start=1)
    ]
    leaders = sum(1 for m in members if m.role == "leader")
    if leaders > 1:
        raise UserError("Mỗi tổ chỉ có một Tổ trưởng đang hoạt động.", field="members")
    team = Team(unit_id=unit.id, name=name, established_on=start, decision_no=decision, note=note)
    session.add(team)
    session.flush()
    record(session, actor, "create", team, None)
    for member in members:
        member.team_id = team.id
        session.add(member)
        record(session, actor, "create", member, None)
    return team


def update_team(session: Session, *, actor: Actor, team_id: int, data: TeamInput, today: date | None = None) -> Team:
    """Change a team's name, date, decision number or note (not its unit)."""
    today = today or date.today()
    ensure_can_write_team(session, actor, team_id)
    team = session.get(Team, team_id)
    assert team is not None
    before = snapshot(team)
    name = require_text(data.name, field="name", label="Tên tổ", max_len=limits.TEAM_NAME_MAX)
    start = require_past_date(data.established_on, field="established_on", label="Ngày thành lập", today=today)
    if team.closed_on is not None and start >= team.closed_on:
        raise UserError("Ngày thành lập phải trước ngày ngừng hoạt động.", field="established_on")
    earliest_member = session.scalar(select(func.min(Member.joined_on)).where(Member.team_id == team_id))
    if earliest_member is not None and start > earliest_member:
        raise UserError(
            f"Ngày thành lập không được sau ngày tham gia của thành viên đầu tiên ({earliest_member:%d/%m/%Y}).",
            field="established_on",
        )
    _check_no_overlap(session, unit_id=team.unit_id, start=start, end=team.closed_on, exclude=team.id)
    team.name = name
    team.established_on = start
    team.decision_no = optional_text(data.decision_no, field="decision_no", label="Số quyết định", max_len=limits.DECISION_NO_MAX)
    team.note = optional_text(data.note, field="note", label="Ghi chú", max_len=limits.NOTE_MAX)
    record(session, actor, "update", team, before)
    return team


def close_team(session: Session, *, actor: Actor, team_id: int, closed_on: date | None, today: date | None = None) -> Team:
    """Mark a team as stopped from a date; its members' memberships end that day too."""
    today = today or date.today()
    ensure_can_write_team(session, actor, team_id)
    team = session.get(Team, team_id)
    assert team is not None
    if team.closed_on is not None:
        raise UserError(f"Tổ đã ngừng hoạt động từ {team.closed_on:%d/%m/%Y}.", field="closed_on")
    stop = require_past_date(closed_on, field="closed_on", label="Ngày ngừng hoạt động", today=today)
    if stop <= team.established_on:
        raise UserError(
            f"Ngày ngừng hoạt động phải sau ngày thành lập ({team.established_on:%d/%m/%Y}).", field="closed_on"
        )
    before = snapshot(team)
    team.closed_on = stop
    record(session, actor, "close", team, before)
    for member in session.scalars(
        select(Member).where(Member.team_id == team_id, Member.left_on.is_(None))
    ).all():
        member_before = snapshot(member)
        member.left_on = max(stop, member.joined_on)
        record(session, actor, "update", member, member_before)
    return team
