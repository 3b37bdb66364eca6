"""Accounts: argon2id hashes, sign-in with lockout, signed-in browsers, account management."""

import hashlib
import os
import secrets
from datetime import datetime, timedelta

import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import and_, delete, select
from sqlalchemy.orm import Session

from db import limits, vocab
from db.access import Actor, ensure_can_write_unit
from db.audit import record, snapshot
from db.errors import NotFound, PermissionDenied, UserError
from db.models import AuthSession, Team, Unit, UnitPath, User
from db.text import sort_frame
from db.validation import has_control_characters, optional_text

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
        # Same cost as a real check, so timing does not reveal usernames (bytes: a lone surrogate cannot crash it).
        _hasher.hash(password.encode("utf-8", "replace"))
        raise UserError(BAD_CREDENTIALS)
    if user.locked_until is not None and user.locked_until > now:
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        raise UserError(f"Tài khoản tạm khóa do đăng nhập sai nhiều lần. Thử lại sau {minutes} phút.")
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError, UnicodeEncodeError):
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


COMMON_PASSWORDS = frozenset(
    [
        "123456789", "1234567890", "12345678910", "0123456789", "1234567890a", "123456789a", "1234567890q", "qwertyuiop",
        "qwertyuiop1", "qwerty1234", "qwerty12345", "1q2w3e4r5t", "1q2w3e4r5t6y", "password12", "password123", "password1234",
        "passw0rd12", "iloveyou12", "abc1234567", "abcd123456", "aaaaaaaaaa", "1111111111", "0000000000", "matkhau123",
        "matkhau1234", "matkhau@123", "anhyeuem123", "vietnam123", "vietnam1234", "admin12345", "admin123456", "administrator",
        "tocnscd123", "tocongnghe123", "congnghe123", "chuyendoiso", "chuyendoiso123", "khongbiet123", "hanoi12345", "saigon1234",
    ]
)


def validate_password(password: str, *, username: str) -> None:
    """At least 10 characters, not the username, not a common password; else a UserError."""
    if len(password) < 10:
        raise UserError("Mật khẩu cần ít nhất 10 ký tự.", field="password")
    if has_control_characters(password):
        raise UserError("Mật khẩu chứa ký tự không hợp lệ (ký tự điều khiển).", field="password")
    lowered = password.lower()
    if lowered == username.lower() or username.lower() in lowered and len(lowered) - len(username) < 4:
        raise UserError("Mật khẩu không được giống tên đăng nhập.", field="password")
    if lowered in COMMON_PASSWORDS or len(set(lowered)) <= 2:
        raise UserError("Mật khẩu này quá phổ biến, dễ bị đoán; hãy chọn mật khẩu khác.", field="password")


def _ensure_can_manage(session: Session, actor: Actor, *, role: str, unit_id: int | None) -> None:
    """Admins manage every account; officers manage volunteer and leader accounts in their subtree."""
    if actor.can_manage_all_users:
        return
    if not actor.can_manage_users or role not in ("volunteer", "leader"):
        raise PermissionDenied("Bạn chỉ được quản lý tài khoản thành viên tổ và lãnh đạo trong địa bàn của mình.")
    if unit_id is None:
        raise PermissionDenied("Tài khoản phải gắn với một địa bàn trong phạm vi của bạn.")
    ensure_can_write_unit(session, actor, unit_id)


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
    email: str | None = None,
) -> User:
    """Create an account bound to a unit (a volunteer: to a team and its commune)."""
    username = username.strip().lower()
    if not username or len(username) > limits.USERNAME_MAX or not all(c.isalnum() or c in "._-" for c in username):
        raise UserError("Tên đăng nhập chỉ gồm chữ, số và các dấu . _ -", field="username")
    if role not in vocab.ROLES:
        raise UserError("Vai trò không hợp lệ.", field="role")
    if role == "volunteer":
        team = session.get(Team, team_id) if team_id is not None else None
        if team is None:
            raise UserError("Tài khoản thành viên tổ phải gắn với một tổ.", field="team")
        # A volunteer sees their commune's charts, so the account is bound to the team's commune.
        unit = session.get(Unit, team.unit_id)
        assert unit is not None  # teams.unit_id is a foreign key to units
        unit_id = unit.id if unit.tier == "commune" or unit.parent_id is None else unit.parent_id
    else:
        team_id = None
    if unit_id is None and role != "admin":
        raise UserError("Tài khoản phải gắn với một địa bàn.", field="unit")
    if unit_id is not None and session.get(Unit, unit_id) is None:
        raise NotFound("Không tìm thấy địa bàn.", field="unit")
    _ensure_can_manage(session, actor, role=role, unit_id=unit_id)
    validate_password(password, username=username)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise UserError(f"Tên đăng nhập “{username}” đã được dùng.", field="username")
    email = (optional_text(email, field="email", label="Thư điện tử", max_len=limits.EMAIL_MAX) or "").lower() or None
    if email is not None and (" " in email or email.count("@") != 1):
        raise UserError(f"Thư điện tử “{email}” không hợp lệ.", field="email")
    name = optional_text(full_name, field="full_name", label="Họ và tên") or username
    if email is not None and session.scalar(select(User.id).where(User.email == email)) is not None:
        raise UserError(f"Thư điện tử “{email}” đã gắn với tài khoản khác.", field="email")
    user = User(
        username=username,
        email=email,
        password_hash=hash_password(password),
        full_name=name,
        role=role,
        unit_id=unit_id,
        team_id=team_id,
    )
    session.add(user)
    session.flush()
    record(session, actor, "create", user, None)
    return user


def _managed_user(session: Session, actor: Actor, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("Không tìm thấy tài khoản.")
    _ensure_can_manage(session, actor, role=user.role, unit_id=user.unit_id)
    return user


def set_user_active(session: Session, *, actor: Actor, user_id: int, active: bool) -> User:
    """Disable or re-enable an account; a disabled account's signed-in browsers are signed out."""
    user = _managed_user(session, actor, user_id)
    if user.id == actor.user_id:
        raise UserError("Bạn không thể tự khóa tài khoản của mình.")
    before = snapshot(user)
    user.is_active = active
    if not active:
        session.execute(delete(AuthSession).where(AuthSession.user_id == user.id))
    record(session, actor, "update", user, before)
    return user


def reset_password(session: Session, *, actor: Actor, user_id: int, new_password: str) -> User:
    """Set a new password for an account one manages; it also lifts a lockout."""
    user = _managed_user(session, actor, user_id)
    validate_password(new_password, username=user.username)
    before = snapshot(user)
    user.password_hash = hash_password(new_password)
    user.failed_logins, user.locked_until = 0, None
    session.execute(delete(AuthSession).where(AuthSession.user_id == user.id))
    record(session, actor, "update", user, before, extra={"password": "đặt lại"})
    return user


def change_password(session: Session, *, actor: Actor, current: str, new_password: str) -> None:
    """Everyone changes their own password, giving the current one first."""
    user = session.get(User, actor.user_id) if actor.user_id is not None else None
    if user is None:
        raise NotFound("Không tìm thấy tài khoản.")
    try:
        _hasher.verify(user.password_hash, current)
    except (VerificationError, InvalidHashError, UnicodeEncodeError):  # a lone surrogate cannot be hashed
        raise UserError("Mật khẩu hiện tại không đúng.", field="current") from None
    if new_password == current:
        raise UserError("Mật khẩu mới phải khác mật khẩu hiện tại.", field="password")
    validate_password(new_password, username=user.username)
    before = snapshot(user)
    user.password_hash = hash_password(new_password)
    record(session, actor, "update", user, before, extra={"password": "đổi"})


def fetch_users(session: Session, *, actor: Actor) -> pd.DataFrame:
    """Accounts the actor manages: all for an admin, the subtree's for an officer."""
    if not actor.can_manage_users:
        raise PermissionDenied("Bạn không có quyền xem danh sách tài khoản.")
    stmt = (
        select(User.id, User.username, User.full_name, User.role, Unit.name, User.team_id, User.is_active,
               User.last_login_at, User.locked_until)
        .outerjoin(Unit, Unit.id == User.unit_id)
        .order_by(User.role, User.username)
    )
    if actor.unit_id is not None:
        stmt = stmt.join(UnitPath, and_(UnitPath.descendant_id == User.unit_id, UnitPath.ancestor_id == actor.unit_id))
    cols = ["user_id", "username", "full_name", "role", "unit", "team_id", "is_active", "last_login_at", "locked_until"]
    # A username may hold Vietnamese letters ("lanhđạo"): Vietnamese order within each role.
    return sort_frame(pd.DataFrame(session.execute(stmt).all(), columns=cols), "role", "username")


# ---- signed-in browsers -------------------------------------------------------------------------


def idle_limit() -> timedelta:
    """How long a signed-in browser may stay idle: SESSION_IDLE_HOURS, default 8 hours."""
    return timedelta(hours=float(os.environ.get("SESSION_IDLE_HOURS", "8")))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, *, actor: Actor, now: datetime | None = None) -> str:
    """Record a signed-in browser; return the token for its cookie (only its hash is stored)."""
    now = now or datetime.now()
    token = secrets.token_urlsafe(32)
    session.add(AuthSession(token_hash=_digest(token), user_id=actor.user_id, created_at=now, last_seen_at=now))
    return token


def resume_session(
    session: Session, *, token: str, now: datetime | None = None, idle: timedelta | None = None, touch: bool = True,
) -> Actor | None:
    """The actor of a browser's token when it is known, its account active and not idle too long.

    `touch` records the use (and forgets a dead sign-in); without it the check only reads, so it can run on
    every action of every open tab.
    """
    now = now or datetime.now()
    row = session.scalar(select(AuthSession).where(AuthSession.token_hash == _digest(token)))
    if row is None:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.is_active or now - row.last_seen_at > (idle or idle_limit()):
        if touch:
            session.delete(row)
        return None
    if touch:
        row.last_seen_at = now
    return actor_of(user)


def end_session(session: Session, *, token: str) -> None:
    """Forget a browser's sign-in."""
    session.execute(delete(AuthSession).where(AuthSession.token_hash == _digest(token)))


def find_by_email(session: Session, *, email: str) -> Actor | None:
    """The active account whose e-mail single sign-on reported, if any."""
    user = session.scalar(select(User).where(User.email == email.strip().lower(), User.is_active.is_(True)))
    return actor_of(user) if user is not None else None


SYSTEM = Actor(user_id=None, username="system", full_name="Hệ thống", role="admin", unit_id=None)
"""The actor for command-line set-up (seeding, the first admin account)."""
