"""Access rules: which unit subtree an acting user may read or write."""

from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from db.errors import PermissionDenied
from db.models import Team, UnitPath

WRITER_ROLES = frozenset({"admin", "officer"})


@dataclass(frozen=True)
class Actor:
    """The signed-in user as the data layer sees it; hashable so reads can be cached by it."""

    user_id: int | None
    username: str
    full_name: str
    role: str  # admin | officer | volunteer | leader
    unit_id: int | None  # None: the whole country (administrators only)
    team_id: int | None = None

    @property
    def is_national(self) -> bool:
        """True when the account is bound to no unit, i.e. sees the whole country."""
        return self.unit_id is None


def is_within(session: Session, *, ancestor_id: int, unit_id: int) -> bool:
    """True when `unit_id` is `ancestor_id` or lies below it."""
    stmt = select(
        exists().where(UnitPath.ancestor_id == ancestor_id, UnitPath.descendant_id == unit_id)
    )
    return bool(session.scalar(stmt))


def ensure_can_read_unit(session: Session, actor: Actor, unit_id: int) -> None:
    """Raise PermissionDenied unless the unit lies in the actor's subtree."""
    if actor.is_national:
        return
    if not is_within(session, ancestor_id=actor.unit_id, unit_id=unit_id):  # type: ignore[arg-type]
        raise PermissionDenied("Địa bàn này nằm ngoài phạm vi tài khoản của bạn.")


def ensure_can_write_unit(session: Session, actor: Actor, unit_id: int) -> None:
    """Raise PermissionDenied unless the actor is an officer or admin whose subtree holds the unit."""
    if actor.role not in WRITER_ROLES:
        raise PermissionDenied("Tài khoản của bạn không có quyền thay đổi dữ liệu này.")
    ensure_can_read_unit(session, actor, unit_id)


def ensure_can_read_team(session: Session, actor: Actor, team_id: int) -> int:
    """Check the team is readable by the actor and return its unit id."""
    unit_id = session.scalar(select(Team.unit_id).where(Team.id == team_id))
    if unit_id is None:
        raise PermissionDenied("Không tìm thấy tổ hoặc tổ nằm ngoài phạm vi của bạn.")
    ensure_can_read_unit(session, actor, unit_id)
    return unit_id


def ensure_can_write_team(session: Session, actor: Actor, team_id: int) -> int:
    """Check the actor may change the team and return its unit id."""
    unit_id = ensure_can_read_team(session, actor, team_id)
    ensure_can_write_unit(session, actor, unit_id)
    return unit_id
