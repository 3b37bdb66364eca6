"""Team members: corrections, end of membership, and the composition indicators."""

from datetime import date

import pandas as pd
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from db import vocab
from db.access import Actor, ensure_can_read_unit, ensure_can_write_team
from db.errors import NotFound, UserError
from db.models import Member, Team, UnitPath
from db.queries import member_active_on, team_active_on
from db.services import MemberInput, _snapshot, _validated_member, record, require_past_date

YOUTH_AGES = (16, 30)


def _get_member(session: Session, actor: Actor, member_id: int) -> Member:
    member = session.get(Member, member_id)
    if member is None:
        raise NotFound("Không tìm thấy thành viên.")
    ensure_can_write_team(session, actor, member.team_id)
    return member


def _ensure_single_leader(session: Session, team_id: int, except_id: int) -> None:
    other = session.scalar(
        select(func.count()).where(
            Member.team_id == team_id, Member.role == "leader", Member.left_on.is_(None), Member.id != except_id
        )
    )
    if other:
        raise UserError("Tổ đã có Tổ trưởng đang hoạt động; hãy cho người đó thôi giữ vai trò trước.", field="role")


def update_member(
    session: Session, *, actor: Actor, member_id: int, data: MemberInput, today: date | None = None
) -> Member:
    """Correct a member's details, role, organisation or joining date."""
    today = today or date.today()
    member = _get_member(session, actor, member_id)
    team = session.get(Team, member.team_id)
    assert team is not None
    checked = _validated_member(data, row=None, team_start=team.established_on, today=today)
    if checked.role == "leader" and member.left_on is None:
        _ensure_single_leader(session, team.id, member.id)
    if member.left_on is not None and checked.joined_on >= member.left_on:
        raise UserError("Ngày tham gia phải trước ngày rời tổ.", field="joined_on")
    before = _snapshot(member)
    for key in ("full_name", "gender", "birth_year", "phone", "role", "organisation", "position", "joined_on"):
        setattr(member, key, getattr(checked, key))
    record(session, actor, "update", member, before)
    return member


def end_membership(
    session: Session, *, actor: Actor, member_id: int, left_on: date | None, today: date | None = None
) -> Member:
    """Record the day a member left the team."""
    today = today or date.today()
    member = _get_member(session, actor, member_id)
    if member.left_on is not None:
        raise UserError(f"Thành viên đã rời tổ từ {member.left_on:%d/%m/%Y}.", field="left_on")
    day = require_past_date(left_on, field="left_on", label="Ngày rời tổ", today=today)
    if day <= member.joined_on:
        raise UserError(f"Ngày rời tổ phải sau ngày tham gia ({member.joined_on:%d/%m/%Y}).", field="left_on")
    before = _snapshot(member)
    member.left_on = day
    record(session, actor, "update", member, before)
    return member


def fetch_member_composition(
    session: Session, *, actor: Actor, unit_id: int | None, as_of: date | None = None
) -> dict:
    """Active members of active teams in a subtree: count, per team, youth and women shares, by organisation."""
    as_of = as_of or date.today()
    if unit_id is None and not actor.is_national:
        unit_id = actor.unit_id
    if unit_id is not None:
        ensure_can_read_unit(session, actor, unit_id)
    age = as_of.year - Member.birth_year
    base = (
        select(Member.organisation, func.count(),
               func.sum(case((Member.gender == "female", 1), else_=0)),
               func.sum(case((and_(age >= YOUTH_AGES[0], age <= YOUTH_AGES[1]), 1), else_=0)),
               func.count(Member.birth_year),
               func.count(func.distinct(Member.team_id)))
        .join(Team, and_(Team.id == Member.team_id, team_active_on(as_of)))
        .where(member_active_on(as_of))
        .group_by(Member.organisation)
    )
    if unit_id is not None:
        base = base.join(UnitPath, and_(UnitPath.descendant_id == Team.unit_id, UnitPath.ancestor_id == unit_id))
    rows = pd.DataFrame(session.execute(base).all(), columns=["organisation", "members", "women", "youth", "with_age", "teams"])
    teams_stmt = select(func.count(Team.id)).where(team_active_on(as_of))
    if unit_id is not None:
        teams_stmt = teams_stmt.join(UnitPath, and_(UnitPath.descendant_id == Team.unit_id, UnitPath.ancestor_id == unit_id))
    teams = int(session.scalar(teams_stmt) or 0)
    members = int(rows["members"].sum())
    with_age = int(rows["with_age"].sum())
    rows["label"] = rows["organisation"].map(vocab.ORGANISATIONS)
    return {
        "members": members,
        "teams": teams,
        "members_per_team": members / teams if teams else 0.0,
        "women_share": int(rows["women"].sum()) / members if members else 0.0,
        "youth_share": int(rows["youth"].sum()) / with_age if with_age else 0.0,
        "by_organisation": rows[["organisation", "label", "members"]].sort_values("members", ascending=False).reset_index(drop=True),
    }
