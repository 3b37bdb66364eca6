"""Write functions: validate, check scope, stage the change and its audit row. They never commit."""

import math
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from db import limits, vocab
from db.access import Actor, ensure_can_write_team, ensure_can_write_unit
from db.errors import NotFound, UserError
from db.models import AuditEntry, DataVersion, Member, Team, Unit, UnitPath
from db.text import clean, fold

SECRET_COLUMNS = frozenset({"password_hash"})  # never copied into the audit trail
_MOBILE = re.compile(r"^0(3|5|7|8|9)\d{8}$")


def bump_data_version(session: Session) -> None:
    """Advance the write counter in the caller's transaction so every cached read refreshes."""
    updated = session.execute(update(DataVersion).where(DataVersion.id == 1).values(version=DataVersion.version + 1))
    if updated.rowcount == 0:  # type: ignore[attr-defined]
        session.add(DataVersion(id=1, version=1))


def _snapshot(obj: Any) -> dict:
    """Column values of a model instance, JSON-friendly, for the audit trail."""
    out = {}
    for col in obj.__table__.columns:
        if col.key in SECRET_COLUMNS:
            continue
        value = getattr(obj, col.key)
        out[col.key] = value.isoformat() if hasattr(value, "isoformat") else value
    return out


def record(session: Session, actor: Actor, action: str, obj: Any, before: dict | None, *, extra: dict | None = None) -> None:
    """Stage the audit row for a write and bump the data version, in the same transaction.

    `extra` adds facts the columns do not show, such as a password change (never the password).
    """
    session.flush()
    session.add(
        AuditEntry(
            user_id=actor.user_id,
            action=action,
            entity=obj.__tablename__,
            entity_id=obj.id,
            before=before,
            after=None if action == "delete" else _snapshot(obj) | (extra or {}),
        )
    )
    bump_data_version(session)


def require_text(value: str | None, *, field: str, label: str, max_len: int = limits.NAME_MAX) -> str:
    """A trimmed, non-empty text of bounded length, or a UserError naming the field."""
    text = clean(value)
    if not text:
        raise UserError(f"{label} không được để trống.", field=field)
    if len(text) > max_len:
        raise UserError(f"{label} dài quá {max_len} ký tự.", field=field)
    if has_control_characters(text):
        raise UserError(f"{label} chứa ký tự không hợp lệ (ký tự điều khiển).", field=field)
    return text


def has_control_characters(text: str) -> bool:
    """NUL and other control characters, or lone surrogates: PostgreSQL refuses NUL, no encoder takes a surrogate."""
    return any(unicodedata.category(ch) in ("Cc", "Cs") for ch in text)


def whole_number(value: object, *, field: str, label: str) -> int:
    """An int, an integral finite float or decimal, or a plain digit string, as an int; else a UserError.

    Booleans, NaN, infinities, fractions and other text are refused rather than rounded or crashed on.
    """
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float):
        number = int(value) if math.isfinite(value) and value.is_integer() else None
    elif isinstance(value, Decimal):
        number = int(value) if value.is_finite() and value == value.to_integral_value() else None
    elif isinstance(value, str) and re.fullmatch(r"\s*[+-]?[0-9]+\s*", value):
        number = int(value)
    if number is None:
        raise UserError(f"{label} phải là số nguyên.", field=field)
    return number


def optional_text(value: str | None, *, field: str, label: str, max_len: int = limits.NAME_MAX) -> str | None:
    """A trimmed text or None when empty."""
    return require_text(value, field=field, label=label, max_len=max_len) if clean(value) else None


def require_past_date(value: date | None, *, field: str, label: str, today: date | None = None) -> date:
    """A date that is given and not in the future."""
    if value is None:
        raise UserError(f"Hãy chọn {label.lower()}.", field=field)
    if value > (today or date.today()):
        raise UserError(f"{label} không được ở tương lai.", field=field)
    if value < limits.EARLIEST_DATE:
        raise UserError(f"{label} không được trước ngày {limits.EARLIEST_DATE:%d/%m/%Y}.", field=field)
    return value


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
        raise UserError(f"Số điện thoại “{raw}” không đúng dạng số di động Việt Nam (10 số, bắt đầu bằng 03, 05, 07, 08, 09).", field="phone")
    return digits


# ---- units --------------------------------------------------------------------------------------


def insert_unit(session: Session, unit: Unit) -> Unit:
    """Add a unit and its closure rows (self and every ancestor)."""
    session.add(unit)
    session.flush()
    session.add(UnitPath(ancestor_id=unit.id, descendant_id=unit.id, depth=0))
    if unit.parent_id is not None:
        for anc_id, depth in session.execute(
            select(UnitPath.ancestor_id, UnitPath.depth).where(UnitPath.descendant_id == unit.parent_id)
        ).all():
            session.add(UnitPath(ancestor_id=anc_id, descendant_id=unit.id, depth=depth + 1))
    return unit


def create_village(session: Session, *, actor: Actor, commune_id: int, kind: str, name: str) -> Unit:
    """Add a village under a commune; the name must be new in that commune."""
    commune = session.get(Unit, commune_id)
    if commune is None:
        raise NotFound("Không tìm thấy xã / phường / thị trấn đã chọn.", field="commune")
    ensure_can_write_unit(session, actor, commune_id)
    if commune.tier != "commune":
        raise UserError("Thôn, khối phố chỉ được thêm vào một xã, phường hoặc thị trấn.", field="commune")
    if kind not in vocab.VILLAGE_KINDS:
        raise UserError("Hãy chọn loại địa bàn (thôn, khối phố, tổ dân phố…).", field="kind")
    short = require_text(name, field="name", label="Tên thôn, khối phố")
    if fold(short).startswith(fold(kind) + " "):  # the officer typed "Thôn Phú Mỹ" in full
        short = short[len(kind) + 1 :].strip() or short
    full = f"{kind} {short}"
    taken = session.scalar(
        select(func.count()).where(Unit.parent_id == commune_id, Unit.search_name == fold(full))
    )
    if taken:
        raise UserError(f"“{full}” đã có trong {commune.name}.", field="name")
    unit = insert_unit(
        session,
        Unit(
            parent_id=commune_id,
            structure=commune.structure,
            tier="village",
            level=commune.level + 1,
            kind=kind,
            name=full,
            short_name=short,
            search_name=fold(full),
        ),
    )
    record(session, actor, "create", unit, None)
    return unit


# ---- teams --------------------------------------------------------------------------------------


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


def _validated_member(data: MemberInput, *, row: int | None, team_start: date, today: date) -> Member:
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
        _validated_member(m, row=i, team_start=start, today=today) for i, m in enumerate(data.members, start=1)
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
    before = _snapshot(team)
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
    before = _snapshot(team)
    team.closed_on = stop
    record(session, actor, "close", team, before)
    for member in session.scalars(
        select(Member).where(Member.team_id == team_id, Member.left_on.is_(None))
    ).all():
        member_before = _snapshot(member)
        member.left_on = max(stop, member.joined_on)
        record(session, actor, "update", member, member_before)
    return team


def create_member(session: Session, *, actor: Actor, team_id: int, data: MemberInput, today: date | None = None) -> Member:
    """Add a member to an open team; a second active Tổ trưởng is refused."""
    today = today or date.today()
    ensure_can_write_team(session, actor, team_id)
    team = session.get(Team, team_id)
    assert team is not None
    if team.closed_on is not None:
        raise UserError("Tổ đã ngừng hoạt động; không thể thêm thành viên.", field="team")
    member = _validated_member(data, row=None, team_start=team.established_on, today=today)
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
