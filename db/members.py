"""Team members: the member rules, the roster, adding, correcting and ending a membership, and the composition."""

import re
from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session

from db import limits, vocab
from db.access import Actor, ensure_can_read_team, ensure_can_write_team, scope_unit
from db.audit import record, snapshot
from db.errors import NotFound, UserError
from db.models import Member, Team, UnitPath
from db.text import clean, sort_frame
from db.validation import optional_text, require_past_date, require_text, whole_number

YOUTH_AGES = (16, 30)
_MOBILE = re.compile(r"^0(3|5|7|8|9)\d{8}$")


def member_active_on(as_of: date) -> ColumnElement[bool]:
    """A member counts from the day they joined until the day they left."""
    return and_(Member.joined_on <= as_of, or_(Member.left_on.is_(None), Member.left_on > as_of))


@dataclass
class MemberInput:
    """One member row as typed in a form or a spreadsheet."""

    full_name: str | None
    gender: str | None = None
    birth_year: int | None = None
    phone: str | None = None
    role: str = "member"
    organisation: str = "other"
    position: str | None = None
    joined_on: date | None = None


def normalise_phone(value: str | None) -> str | None:
    """A Vietnamese mobile number as 0xxxxxxxxx, from spaces, dots, dashes or +84; None when empty."""
    raw = clean(value)
    if not raw:
        return None
    digits = re.sub(r"[\s.\-()]", "", raw)
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    if not _MOBILE.match(digits):
        raise UserError(f"Số điện thoại “{raw}” không đúng dạng số di động Việt Nam (10 số, bắt đầu bằng 03, 05, 07, 08, 09).",
                        field="phone")
    return digits


def validated_member(data: MemberInput, *, row: int | None, team_start: date, today: date) -> Member:
    """Validate one member row; messages name the row when the form has several."""
    prefix = f"Thành viên dòng {row}: " if row is not None else ""
    try:
        name = require_text(data.full_name, field="full_name", label="Họ và tên")
        phone = normalise_phone(data.phone)
        position = optional_text(data.position, field="position", label="Chức vụ")
    except UserError as err:
        raise UserError(prefix + err.message, field="members" if row is not None else err.field) from err
    if data.role not in vocab.MEMBER_ROLES:
        raise UserError(prefix + "Vai trò trong tổ không hợp lệ.", field="role")
    if data.organisation not in vocab.ORGANISATIONS:
        raise UserError(prefix + "Tổ chức, đơn vị không hợp lệ.", field="organisation")
    if data.gender is not None and data.gender not in vocab.GENDERS:
        raise UserError(prefix + "Giới tính không hợp lệ.", field="gender")
    birth_year = None
    if data.birth_year is not None:
        try:
            birth_year = whole_number(data.birth_year, field="birth_year", label="Năm sinh")
        except UserError as err:
            raise UserError(prefix + err.message, field="birth_year") from err
        earliest, latest = limits.birth_years(today)
        if not earliest <= birth_year <= latest:
            raise UserError(prefix + f"Năm sinh phải từ {earliest} đến {latest}.", field="birth_year")
    joined = data.joined_on or team_start
    if joined > today:
        raise UserError(prefix + "Ngày tham gia không được ở tương lai.", field="joined_on")
    if joined < team_start:
        raise UserError(prefix + "Ngày tham gia không được trước ngày thành lập tổ.", field="joined_on")
    return Member(
        full_name=name,
        gender=data.gender,
        birth_year=birth_year,
        phone=phone,
        role=data.role,
        organisation=data.organisation,
        position=position,
        joined_on=joined,
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
    df = pd.DataFrame(session.execute(stmt).all(), columns=cols)
    # Leaders first, then by full name in Vietnamese order ("Đặng" after "Dương", before "Hoàng").
    df["rank"] = df["role"].map({"leader": 0, "deputy": 1}).fillna(2)
    return sort_frame(df, "rank", "full_name").drop(columns=["rank"])


def create_member(session: Session, *, actor: Actor, team_id: int, data: MemberInput, today: date | None = None) -> Member:
    """Add a member to an open team; a second active Tổ trưởng is refused."""
    today = today or date.today()
    ensure_can_write_team(session, actor, team_id)
    team = session.get(Team, team_id)
    assert team is not None
    if team.closed_on is not None:
        raise UserError("Tổ đã ngừng hoạt động; không thể thêm thành viên.", field="team")
    member = validated_member(data, row=None, team_start=team.established_on, today=today)
    if member.role == "leader":
        has_leader = session.scalar(
            select(func.count()).where(
                and_(Member.team_id == team_id, Member.role == "leader", Member.left_on.is_(None))
            )
        )
        if has_leader:
            raise UserError("Tổ đã có Tổ trưởng đang hoạt động.", field="role")
    member.team_id = team_id
    session.add(member)
    record(session, actor, "create", member, None)
    return member


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
    checked = validated_member(data, row=None, team_start=team.established_on, today=today)
    if checked.role == "leader" and member.left_on is None:
        _ensure_single_leader(session, team.id, member.id)
    if member.left_on is not None and checked.joined_on >= member.left_on:
        raise UserError("Ngày tham gia phải trước ngày rời tổ.", field="joined_on")
    before = snapshot(member)
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
    before = snapshot(member)
    member.left_on = day
    record(session, actor, "update", member, before)
    return member


def fetch_member_composition(
    session: Session, *, actor: Actor, unit_id: int | None, as_of: date | None = None
) -> dict:
    """Active members of active teams in a subtree: count, per team, youth and women shares, by organisation."""
    from db.teams import team_active_on  # here, not at the top: db.teams imports this module

    as_of = as_of or date.today()
    unit_id = scope_unit(session, actor, unit_id)
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
