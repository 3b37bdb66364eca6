"""Access rules: what each role may do, and which unit subtree an acting user may read or write."""

from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, aliased

from db.errors import PermissionDenied
from db.models import Team, Unit, UnitPath, UnitSuccession
from db.structures import LEGACY

WRITER_ROLES = frozenset({"admin", "officer"})
REPORTER_ROLES = frozenset({"volunteer", "officer", "admin"})


@dataclass(frozen=True)
class Actor:
    """The signed-in user as the data layer sees it; hashable so reads can be cached by it."""

    user_id: int | None
    username: str
    full_name: str
    role: str  # admin | officer | volunteer | leader
    unit_id: int | None  # None: the whole country (administrators only)
    team_id: int | None = None
    auth_epoch: int = 0  # the account's users.auth_epoch when it was read; a write checks it still holds

    @property
    def is_national(self) -> bool:
        """True when the account is bound to no unit, i.e. sees the whole country."""
        return self.unit_id is None

    @property
    def can_write(self) -> bool:
        """Officers and admins change villages, teams, members and targets, import lists and answer recommendations."""
        return self.role in WRITER_ROLES

    @property
    def can_report(self) -> bool:
        """Team members report their own team's activities; officers and admins any team's in their scope."""
        return self.role in REPORTER_ROLES

    @property
    def acts_for_own_team(self) -> bool:
        """A team member's account (volunteer): it reports and raises recommendations for its own team only."""
        return self.role == "volunteer"

    @property
    def can_read_history(self) -> bool:
        """Officers and admins, who make the changes, read the change history."""
        return self.role in WRITER_ROLES

    @property
    def can_manage_users(self) -> bool:
        """Officers and admins manage accounts (officers only team members' and leaders' in their subtree)."""
        return self.role in WRITER_ROLES

    @property
    def can_manage_all_users(self) -> bool:
        """Admins manage every account, officers' and admins' included."""
        return self.role == "admin"


def is_within(session: Session, *, ancestor_id: int, unit_id: int) -> bool:
    """True when `unit_id` is `ancestor_id` or lies below it."""
    stmt = select(
        exists().where(UnitPath.ancestor_id == ancestor_id, UnitPath.descendant_id == unit_id)
    )
    return bool(session.scalar(stmt))


def is_history_of(session: Session, *, actor_unit_id: int, unit_id: int) -> bool:
    """True when a legacy commune under `unit_id` (or the unit itself) went, by the official mapping, into a
    2025 commune inside `actor_unit_id`: the legacy unit is part of the actor's unit's history."""
    below, legacy, into = aliased(UnitPath), aliased(Unit), aliased(UnitPath)
    stmt = select(exists().where(
        below.ancestor_id == unit_id,
        legacy.id == below.descendant_id,
        legacy.tier == "commune",
        legacy.structure == LEGACY,
        UnitSuccession.legacy_id == legacy.id,
        into.descendant_id == UnitSuccession.new_id,
        into.ancestor_id == actor_unit_id,
    ))
    return bool(session.scalar(stmt))


def ensure_within_scope(session: Session, actor: Actor, unit_id: int) -> None:
    """Raise PermissionDenied unless the unit lies in the actor's subtree (for writes: no history beyond it)."""
    if actor.is_national:
        return
    if not is_within(session, ancestor_id=actor.unit_id, unit_id=unit_id):  # type: ignore[arg-type]
        raise PermissionDenied("Địa bàn này nằm ngoài phạm vi tài khoản của bạn.")


def ensure_can_read_unit(session: Session, actor: Actor, unit_id: int) -> None:
    """Raise PermissionDenied unless the unit lies in the actor's subtree, or is part of its history.

    Since the 2025 reform an account of a 2025 unit also reads the legacy units its communes came from
    (a 2026 officer of Xã Phú Ninh reads Huyện Phú Ninh's 2022 figures); writes stay inside the subtree.
    """
    if actor.is_national or is_within(session, ancestor_id=actor.unit_id, unit_id=unit_id):  # type: ignore[arg-type]
        return
    if not is_history_of(session, actor_unit_id=actor.unit_id, unit_id=unit_id):  # type: ignore[arg-type]
        raise PermissionDenied("Địa bàn này nằm ngoài phạm vi tài khoản của bạn.")


def scope_unit(session: Session, actor: Actor, unit_id: int | None) -> int | None:
    """The unit a read covers: the given one, else the actor's own (None: the whole country), checked readable."""
    if unit_id is None and not actor.is_national:
        unit_id = actor.unit_id
    if unit_id is not None:
        ensure_can_read_unit(session, actor, unit_id)
    return unit_id


def ensure_can_write_unit(session: Session, actor: Actor, unit_id: int) -> None:
    """Raise PermissionDenied unless the actor is an officer or admin whose subtree holds the unit."""
    if not actor.can_write:
        raise PermissionDenied("Tài khoản của bạn không có quyền thay đổi dữ liệu này.")
    ensure_within_scope(session, actor, unit_id)  # not the history a 2025 account may read


def ensure_can_read_team(session: Session, actor: Actor, team_id: int) -> int:
    """Check the team, its members and its reports are readable by the actor and return its unit id.

    A volunteer's account is bound to the team's commune for the commune's charts, but reads one team's
    rows (members with their phones, reports, the team's record) only for their own team.
    """
    unit_id = session.scalar(select(Team.unit_id).where(Team.id == team_id))
    if unit_id is None:
        raise PermissionDenied("Không tìm thấy tổ hoặc tổ nằm ngoài phạm vi của bạn.")
    if actor.acts_for_own_team and actor.team_id != team_id:
        raise PermissionDenied("Bạn chỉ xem được thông tin và báo cáo của tổ mình.")
    # A team's own rows (members with their phones) stay inside the subtree: the legacy units a 2025 account
    # reads as history show their figures, not the people of teams now in another commune.
    ensure_within_scope(session, actor, unit_id)
    return unit_id


def ensure_can_write_team(session: Session, actor: Actor, team_id: int) -> int:
    """Check the actor may change the team and return its unit id."""
    unit_id = ensure_can_read_team(session, actor, team_id)
    ensure_can_write_unit(session, actor, unit_id)
    return unit_id
