"""Recommendations (kiến nghị, đề xuất, khó khăn vướng mắc): raised by teams or officers, answered above."""

from datetime import datetime
from typing import TypeVar

import pandas as pd
from sqlalchemy import ColumnElement, Select, and_, case, exists, false, func, or_, select, true
from sqlalchemy.orm import Session, aliased

from db import limits, vocab
from db.access import Actor, ensure_within_scope, is_within, scope_unit
from db.audit import record, snapshot
from db.errors import NotFound, PermissionDenied, UserError
from db.models import Recommendation, Team, Unit, UnitPath, User
from db.text import sort_frame
from db.units import children_cond
from db.validation import require_text

NEXT_STATUSES = {"open": ("in_progress", "resolved"), "in_progress": ("resolved",), "resolved": ()}


def create_recommendation(
    session: Session, *, actor: Actor, unit_id: int | None, category: str, text: str, team_id: int | None = None,
    now: datetime | None = None,
) -> Recommendation:
    """Raise one: a volunteer for their own team, anyone else for a unit in their scope."""
    if category not in vocab.RECOMMENDATION_CATEGORIES:
        raise UserError("Hãy chọn loại: khó khăn vướng mắc, kiến nghị hay đề xuất.", field="category")
    body = require_text(text, field="text", label="Nội dung", max_len=limits.RECOMMENDATION_MAX)
    if actor.acts_for_own_team:
        if actor.team_id is None:
            raise PermissionDenied("Tài khoản của bạn chưa gắn với tổ nào.")
        team_id = actor.team_id
        team = session.get(Team, team_id)
        assert team is not None
        unit_id = team.unit_id
    if unit_id is None:
        raise UserError("Hãy chọn địa bàn của kiến nghị.", field="unit")
    if session.get(Unit, unit_id) is None:
        raise NotFound("Không tìm thấy địa bàn.", field="unit")
    ensure_within_scope(session, actor, unit_id)  # raising one is a write: not on the history of a 2025 unit
    if team_id is not None and not actor.acts_for_own_team:
        # An unknown team broke the foreign key at flush; another district's team slipped through.
        team_unit = session.scalar(select(Team.unit_id).where(Team.id == team_id))
        if team_unit is None or not is_within(session, ancestor_id=unit_id, unit_id=team_unit):
            raise UserError("Tổ đã chọn không thuộc địa bàn của kiến nghị.", field="team")
    rec = Recommendation(unit_id=unit_id, team_id=team_id, category=category, text=body, status="open",
                         raised_by=actor.user_id, raised_at=now or datetime.now())
    session.add(rec)
    record(session, actor, "create", rec, None)
    return rec


def _raised_by_team(session: Session, rec: Recommendation) -> bool:
    """True when a team member (volunteer) raised it for their team: the officers of the team's own unit are above it."""
    if rec.raised_by is None:
        return False
    return session.scalar(select(User.role).where(User.id == rec.raised_by)) == "volunteer"


def ensure_can_answer(session: Session, actor: Actor, rec: Recommendation) -> None:
    """Raise PermissionDenied unless the actor is an officer or admin above the recommendation, and not who raised it.

    "Above" is strict: an officer answers what was raised about a unit below theirs, never about their own
    unit (a district officer's recommendation about a commune goes to the district, not to that commune).
    A team's own recommendation is the exception: the team sits below its unit, so the officers of a
    commune answer what its commune team raised, as they answer its village teams'. The lists
    (`fetch_recommendations`' `can_answer`, `fetch_open_to_answer`) apply the same rule in SQL (`_answerable`).
    """
    if not actor.can_write:
        raise PermissionDenied("Chỉ cán bộ được trả lời kiến nghị.")
    ensure_within_scope(session, actor, rec.unit_id)  # an answer is a write: not on the history of a 2025 unit
    if rec.raised_by is not None and rec.raised_by == actor.user_id:
        raise PermissionDenied("Kiến nghị do bạn gửi cần cán bộ cấp trên trả lời.")
    if actor.unit_id is not None and rec.unit_id == actor.unit_id and not _raised_by_team(session, rec):
        raise PermissionDenied("Kiến nghị về địa bàn của bạn do cán bộ cấp trên trả lời.")


def _answerable(actor: Actor) -> ColumnElement[bool]:
    """The SQL twin of `ensure_can_answer` for the lists: the recommendations this actor may answer now."""
    r = Recommendation
    if not actor.can_write:
        return false()
    not_own = func.coalesce(r.raised_by, -1) != (actor.user_id if actor.user_id is not None else 0)
    pending = r.status != "resolved"
    if actor.unit_id is None:  # the whole country lies below a national account
        return and_(not_own, pending)
    # Aliased and correlated to the recommendation only: the lists also join the unit closure and users.
    path, raiser = aliased(UnitPath), aliased(User)
    below = exists().where(path.ancestor_id == actor.unit_id, path.descendant_id == r.unit_id).correlate(r)
    by_team = exists().where(raiser.id == r.raised_by, raiser.role == "volunteer").correlate(r)
    return and_(not_own, pending, below, or_(r.unit_id != actor.unit_id, by_team))


def answer_recommendation(
    session: Session, *, actor: Actor, recommendation_id: int, answer: str, status: str, now: datetime | None = None
) -> Recommendation:
    """An officer above the unit answers and moves it open → in progress → resolved."""
    rec = session.get(Recommendation, recommendation_id)
    if rec is None:
        raise NotFound("Không tìm thấy kiến nghị.")
    ensure_can_answer(session, actor, rec)
    if status not in NEXT_STATUSES.get(rec.status, ()):
        labels = vocab.RECOMMENDATION_STATUSES
        raise UserError(f"Không thể chuyển từ “{labels[rec.status]}” sang “{labels.get(status, status)}”.", field="status")
    body = require_text(answer, field="answer", label="Nội dung trả lời", max_len=limits.RECOMMENDATION_MAX)
    before = snapshot(rec)
    now = now or datetime.now()
    rec.answer, rec.answered_by, rec.answered_at, rec.status = body, actor.user_id, now, status
    if status == "resolved":
        rec.resolved_at = now
    record(session, actor, "update", rec, before)
    return rec


_Stmt = TypeVar("_Stmt", bound=Select)


def _within(stmt: _Stmt, unit_id: int | None) -> _Stmt:
    """Restrict a statement on Recommendation to a unit's subtree (`None`: the whole country)."""
    if unit_id is not None:
        stmt = stmt.join(UnitPath, and_(UnitPath.descendant_id == Recommendation.unit_id, UnitPath.ancestor_id == unit_id))
    return stmt


def fetch_recommendations(
    session: Session, *, actor: Actor, unit_id: int | None = None, status: str | None = None, category: str | None = None,
    limit: int = 500,
) -> pd.DataFrame:
    """Recommendations in a subtree, newest first, with who raised and who answered them."""
    unit_id = scope_unit(session, actor, unit_id)
    raiser, answerer, parent = aliased(User), aliased(User), aliased(Unit)
    r = Recommendation
    stmt = (
        select(r.id, r.category, r.status, r.text, Unit.name, parent.name, Team.name, raiser.full_name, r.raised_by,
               r.raised_at, r.answer, answerer.full_name, r.answered_at, r.resolved_at,
               case((_answerable(actor), true()), else_=false()))
        .join(Unit, Unit.id == r.unit_id)
        .outerjoin(parent, parent.id == Unit.parent_id)
        .outerjoin(Team, Team.id == r.team_id)
        .outerjoin(raiser, raiser.id == r.raised_by)
        .outerjoin(answerer, answerer.id == r.answered_by)
        .order_by(r.raised_at.desc(), r.id.desc())
        .limit(limit)
    )
    stmt = _within(stmt, unit_id)
    if status:
        stmt = stmt.where(r.status == status)
    if category:
        stmt = stmt.where(r.category == category)
    cols = ["recommendation_id", "category", "status", "text", "unit", "parent", "team", "raised_by_name", "raised_by",
            "raised_at", "answer", "answered_by_name", "answered_at", "resolved_at", "can_answer"]
    df = pd.DataFrame(session.execute(stmt).all(), columns=cols)
    df["can_answer"] = df["can_answer"].astype(bool)  # decided in SQL by the rule answer_recommendation applies
    return df


def fetch_recommendation_counts(session: Session, *, actor: Actor, unit_id: int | None) -> pd.DataFrame:
    """Per child unit and status: how many, and the mean days to resolve the resolved ones."""
    unit_id = scope_unit(session, actor, unit_id)
    grp = aliased(Unit)
    r = Recommendation
    cond = children_cond(session, unit_id, unit=grp)  # both trees; the country: today's provinces
    days = func.julianday(r.resolved_at) - func.julianday(r.raised_at)
    if session.get_bind().dialect.name == "postgresql":
        days = func.extract("epoch", r.resolved_at - r.raised_at) / 86400.0
    stmt = (
        select(grp.id, grp.name, r.status, func.count(r.id), func.avg(case((r.status == "resolved", days))))
        .select_from(grp)
        .join(UnitPath, UnitPath.ancestor_id == grp.id)
        .join(r, r.unit_id == UnitPath.descendant_id)
        .where(cond)
        .group_by(grp.id, grp.name, r.status)
        .order_by(grp.name, r.status)
    )
    df = pd.DataFrame(session.execute(stmt).all(), columns=["unit_id", "name", "status", "count", "days_to_resolve"])
    df["status_label"] = df["status"].map(vocab.RECOMMENDATION_STATUSES)
    df["count"] = df["count"].astype("int64")
    return sort_frame(df, "name")  # Vietnamese order; stable, so a unit's statuses keep SQL's order


def fetch_open_to_answer(session: Session, *, actor: Actor, limit: int = 10) -> pd.DataFrame:
    """Open or in-progress recommendations this officer must answer: below their unit, not raised by them."""
    if not actor.can_write:
        return pd.DataFrame(columns=["recommendation_id", "category", "status", "text", "unit", "raised_at"])
    r = Recommendation
    stmt = (
        select(r.id, r.category, r.status, r.text, Unit.name, r.raised_at)
        .join(Unit, Unit.id == r.unit_id)
        .where(_answerable(actor))
        .order_by(r.raised_at)
        .limit(limit)
    )
    stmt = _within(stmt, scope_unit(session, actor, None))
    return pd.DataFrame(session.execute(stmt).all(), columns=["recommendation_id", "category", "status", "text", "unit", "raised_at"])


def count_open(session: Session, *, actor: Actor, unit_id: int | None) -> int:
    """How many recommendations of a subtree are not resolved yet: a figure for readers (who answers: `fetch_open_to_answer`)."""
    stmt = select(func.count(Recommendation.id)).where(Recommendation.status != "resolved")
    stmt = _within(stmt, scope_unit(session, actor, unit_id))
    return int(session.scalar(stmt) or 0)
