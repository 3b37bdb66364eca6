"""Accounts: argon2id password hashes, sign-in with a lockout after repeated failures."""

from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from db import vocab
from db.access import Actor
from db.errors import NotFound, UserError
from db.models import Team, Unit, User
from db.services import record

_hasher = PasswordHasher()  # argon2id with the library's recommended parameters
MAX_FAILURES = 5
LOCK_MINUTES = 15
BAD_CREDENTIALS = "Tên đăng nhập hoặc mật khẩu không đúng."


def hash_password(password: str) -> str:
    """An argon2id hash of the password."""
    return _hasher.hash(password)


def actor_of(user: User) -> Actor:
    """The data layer's view of a user row."""
    return Actor(
        user_id=user.id,
        username=user.username,
        full_name=user.full_name,
        role=user.role,
        unit_id=user.unit_id,
        team_id=user.team_id,
    )


def authenticate(session: Session, *, username: str, password: str, now: datetime | None = None) -> Actor:
    """Check the credentials and return the actor; count failures and lock after too many."""
    now = now or datetime.now()
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None or not user.is_active:
        _hasher.hash(password)  # same cost as a real check, so timing does not reveal usernames
        raise UserError(BAD_CREDENTIALS)
    if user.locked_until is not None and user.locked_until > now:
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        raise UserError(f"Tài khoản tạm khóa do đăng nhập sai nhiều lần. Thử lại sau {minutes} phút.")
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILURES:
            user.locked_until = now + timedelta(minutes=LOCK_MINUTES)
            user.failed_logins = 0
        raise UserError(BAD_CREDENTIALS) from None
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return actor_of(user)


def create_user(
    session: Session,
    *,
    actor: Actor,
    username: str,
    password: str,
    full_name: str,
    role: str,
    unit_id: int | None,
    team_id: int | None = None,
) -> User:
    """Create an account bound to a unit (and a team for a volunteer). Only an administrator may."""
    if actor.role != "admin":
        raise UserError("Chỉ quản trị hệ thống được tạo tài khoản.")
    username = username.strip().lower()
    if not username or len(username) > 60 or not all(c.isalnum() or c in "._-" for c in username):
        raise UserError("Tên đăng nhập chỉ gồm chữ, số và các dấu . _ -", field="username")
    if role not in vocab.ROLES:
        raise UserError("Vai trò không hợp lệ.", field="role")
    if len(password) < 10 or password.lower() == username:
        raise UserError("Mật khẩu cần ít nhất 10 ký tự và khác tên đăng nhập.", field="password")
    if unit_id is None and role != "admin":
        raise UserError("Tài khoản phải gắn với một địa bàn.", field="unit")
    if unit_id is not None and session.get(Unit, unit_id) is None:
        raise NotFound("Không tìm thấy địa bàn.", field="unit")
    if role == "volunteer":
        team = session.get(Team, team_id) if team_id is not None else None
        if team is None:
            raise UserError("Tài khoản thành viên tổ phải gắn với một tổ.", field="team")
        # A volunteer sees their commune's charts, so the account is bound to the team's commune.
        unit = session.get(Unit, team.unit_id)
        unit_id = unit.id if unit is None or unit.tier == "commune" or unit.parent_id is None else unit.parent_id
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise UserError(f"Tên đăng nhập “{username}” đã được dùng.", field="username")
    user = User(
        username=username,
        password_hash=hash_password(password),
        full_name=full_name.strip() or username,
        role=role,
        unit_id=unit_id,
        team_id=team_id,
    )
    session.add(user)
    session.flush()
    record(session, actor, "create", user, None)
    return user


SYSTEM = Actor(user_id=None, username="system", full_name="Hệ thống", role="admin", unit_id=None)
"""The actor for command-line set-up (seeding, the first admin account)."""
