"""The audit trail: the row every write stages, and who changed a team or a report, when, from what to what."""

from typing import Any

import pandas as pd
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from db import vocab
from db.access import Actor, ensure_can_read_team
from db.errors import NotFound, PermissionDenied
from db.models import Activity, AuditEntry, Member, Unit, User
from db.versions import bump_data_version

SECRET_COLUMNS = frozenset({"password_hash"})  # never copied into the audit trail

_SKIP = {"id", "created_at", "updated_at", "team_id", "unit_id", "commune_id", "reported_by", "form_token"}


def snapshot(obj: Any) -> dict:
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
            after=None if action == "delete" else snapshot(obj) | (extra or {}),
        )
    )
    bump_data_version(session, _units_of(obj))


def _units_of(obj: Any) -> list[int | None]:
    """The units whose province's data version a write of `obj` moves (None: every province's).

    A member needs none here: the kept tables name its team's village or commune at commit
    (db/counts.py). A unit names itself and its parent; the others their unit, None for the whole country.
    """
    if isinstance(obj, Unit):
        return [obj.id, obj.parent_id]
    if isinstance(obj, Member):
        return []
    return [getattr(obj, "unit_id", None)]


def _changes(before: dict | None, after: dict | None) -> str:
    """A readable list of the fields that changed ("Tên: A → B")."""
    before, after = before or {}, after or {}
    parts = []
    for key in sorted(set(before) | set(after)):
        if key in _SKIP or before.get(key) == after.get(key):
            continue
        label = vocab.AUDIT_FIELDS.get(key, key)
        if not before:
            parts.append(f"{label}: {after.get(key)}")
        else:
            old, new = before.get(key), after.get(key)
            parts.append(f"{label}: {old if old is not None else '—'} → {new if new is not None else '—'}")
    return "; ".join(parts)


def fetch_team_history(session: Session, *, actor: Actor, team_id: int, limit: int = 200) -> pd.DataFrame:
    """The audit rows of a team, its members and its reports, newest first (officers and admins)."""
    if not actor.can_read_history:
        raise PermissionDenied("Chỉ cán bộ mới xem được lịch sử thay đổi.")
    ensure_can_read_team(session, actor, team_id)
    member_ids = select(Member.id).where(Member.team_id == team_id)
    activity_ids = select(Activity.id).where(Activity.team_id == team_id)
    # Deleted reports are gone from `activities`; their audit rows still name the team in `before`.
    stmt = (
        select(AuditEntry, User.full_name)
        .outerjoin(User, User.id == AuditEntry.user_id)
        .where(
            or_(
                and_(AuditEntry.entity == "teams", AuditEntry.entity_id == team_id),
                and_(AuditEntry.entity == "members", AuditEntry.entity_id.in_(member_ids)),
                and_(AuditEntry.entity == "activities", AuditEntry.entity_id.in_(activity_ids)),
                and_(AuditEntry.entity == "activities", AuditEntry.action == "delete",
                     AuditEntry.before["team_id"].as_integer() == team_id),
            )
        )
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(limit)
    )
    rows = [
        (e.at, who or "Hệ thống", vocab.AUDIT_ENTITIES.get(e.entity, e.entity), vocab.AUDIT_ACTIONS.get(e.action, e.action),
         _changes(e.before, e.after))
        for e, who in session.execute(stmt).all()
    ]
    return pd.DataFrame(rows, columns=["at", "who", "entity", "action", "changes"])


def fetch_activity_history(session: Session, *, actor: Actor, activity_id: int) -> pd.DataFrame:
    """The audit rows of one report."""
    activity = session.get(Activity, activity_id)
    if activity is None:
        raise NotFound("Không tìm thấy báo cáo.")
    ensure_can_read_team(session, actor, activity.team_id)
    stmt = (
        select(AuditEntry, User.full_name)
        .outerjoin(User, User.id == AuditEntry.user_id)
        .where(AuditEntry.entity == "activities", AuditEntry.entity_id == activity_id)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    )
    rows = [(e.at, who or "Hệ thống", vocab.AUDIT_ACTIONS.get(e.action, e.action), _changes(e.before, e.after))
            for e, who in session.execute(stmt).all()]
    return pd.DataFrame(rows, columns=["at", "who", "action", "changes"])
