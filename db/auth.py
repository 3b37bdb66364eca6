"""Accounts: argon2id hashes, sign-in held back per (username, client), signed-in browsers, account management."""

import hashlib
import hmac
import os
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import and_, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from db import limits, vocab
from db.access import Actor, ensure_can_write_unit
from db.audit import record, snapshot
from db.errors import NotFound, PermissionDenied, UserError
from db.models import AuthSession, ServerKey, SignInFailure, Team, Unit, UnitPath, User
from db.text import sort_frame
from db.validation import has_control_characters, optional_text

_hasher = PasswordHasher()  # argon2id with the library's recommended parameters
FREE_FAILURES = 5  # wrong sign-ins of one (username, client) before it is held back
HOLD_CAP_MINUTES = 15  # the longest hold: 1, 2, 4, 8, then 15 minutes
FORGET_AFTER = timedelta(hours=24)  # a pair's failures are forgotten this long after its last one
CONCURRENT_CHECKS = 4  # password hashes at once (argon2id takes 64 MiB and about 0.25 s each)
CHECK_WAIT_SECONDS = 2.0  # how long a sign-in waits for a free slot before the server says it is busy
DEVICE_COOKIE_USERS = 5  # accounts one browser is remembered for (a shared office computer)
BAD_CREDENTIALS = ("Tên đăng nhập hoặc mật khẩu không đúng, hoặc đã thử sai quá nhiều lần. "
                   "Hãy thử lại sau ít phút.")
BUSY = "Máy chủ đang bận, hãy thử lại sau ít phút."
_checks = threading.BoundedSemaphore(CONCURRENT_CHECKS)
_typical_check = [0.25]  # seconds a password check takes here, measured: a held-back attempt waits as long


class ServerBusy(UserError):
    """Every password-check slot stayed taken: nothing was hashed; the sign-in page answers 503."""

    def __init__(self) -> None:
        super().__init__(BUSY)


@contextmanager
def _password_check() -> Iterator[None]:
    """One of CONCURRENT_CHECKS slots for an argon2 hash, so parallel sign-ins cannot exhaust memory and CPU."""
    if not _checks.acquire(timeout=CHECK_WAIT_SECONDS):
        raise ServerBusy
    started = time.monotonic()
    try:
        yield
    finally:
        _checks.release()
        _typical_check[0] = 0.8 * _typical_check[0] + 0.2 * (time.monotonic() - started)


def hash_password(password: str) -> str:
    """An argon2id hash of the password."""
    with _password_check():
        return _hasher.hash(password)


def _verify(password_hash: str, password: str) -> bool:
    """True when the password matches the hash (a lone surrogate or a broken hash: False)."""
    with _password_check():
        try:
            return _hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError, UnicodeEncodeError):
            return False


def actor_of(user: User) -> Actor:
    """The data layer's view of a user row."""
    return Actor(
        user_id=user.id,
        username=user.username,
        full_name=user.full_name,
        role=user.role,
        unit_id=user.unit_id,
        team_id=user.team_id,
        auth_epoch=user.auth_epoch or 0,
    )


# ---- wrong sign-ins per (username, client) ------------------------------------------------------


def _key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()


def name_key(username: str) -> str:
    """The stored key of a typed username (a hash: a password typed into the name box is not kept)."""
    return _key(username.strip().lower())


def client_key(*, address: str | None, device: str | None) -> str:
    """The stored key of the client: a browser that signed in to this account before, else its address."""
    return _key(f"device:{device}" if device else f"ip:{address or ''}")


def hold_minutes(failures: int) -> int:
    """How long a pair is held back after its `failures`-th wrong attempt in a row (0: not held)."""
    if failures < FREE_FAILURES:
        return 0
    return min(2 ** (failures - FREE_FAILURES), HOLD_CAP_MINUTES)


def _held_back(session: Session, name: str, client: str, now: datetime) -> bool:
    row = session.get(SignInFailure, (name, client))
    return row is not None and row.held_until is not None and row.held_until > now


def _count_failure(session: Session, name: str, client: str, now: datetime) -> None:
    """One more wrong attempt of the pair; its hold grows from the FREE_FAILURES-th on; stale pairs are dropped."""
    session.execute(delete(SignInFailure).where(SignInFailure.last_failed_at < now - FORGET_AFTER))
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    # Created if absent, then locked: two wrong attempts at once both count.
    session.execute(insert(SignInFailure).values(name_key=name, client_key=client, failures=0, last_failed_at=now)
                    .on_conflict_do_nothing())
    row = session.scalars(select(SignInFailure).where(SignInFailure.name_key == name, SignInFailure.client_key == client)
                          .with_for_update().execution_options(populate_existing=True)).one()
    row.failures += 1
    row.last_failed_at = now
    minutes = hold_minutes(row.failures)
    row.held_until = now + timedelta(minutes=minutes) if minutes else None


def forget_failures(session: Session, *, username: str) -> None:
    """Forget the wrong attempts at this username from every client (a password reset by an officer)."""
    session.execute(delete(SignInFailure).where(SignInFailure.name_key == name_key(username)))


def authenticate(
    session: Session,
    *,
    username: str,
    password: str,
    now: datetime | None = None,
    address: str | None = None,
    device_cookie: str | None = None,
) -> Actor:
    """Check the credentials and return the actor; one answer (BAD_CREDENTIALS) for every refusal.

    Wrong attempts are counted per (typed username, client) — a known browser of that account (`device_cookie`)
    else the client's `address` — and a pair is held back 1, 2, 4 … up to HOLD_CAP_MINUTES minutes from its
    FREE_FAILURES-th failure, whether or not the username exists: someone guessing from elsewhere neither
    locks the owner out nor learns which usernames exist. A success forgets the pair's failures.
    """
    now = now or datetime.now()
    typed = username.strip().lower()
    user = session.scalar(select(User).where(User.username == typed))
    device = known_device(session, user_id=user.id, cookie=device_cookie) if user is not None else None
    name, client = name_key(typed), client_key(address=address, device=device)
    if _held_back(session, name, client, now):
        time.sleep(_typical_check[0])  # no hash, but as long as one: the answer's timing tells nothing either
        raise UserError(BAD_CREDENTIALS)
    if user is None or not user.is_active:
        # Same cost as a real check, so timing does not reveal usernames (bytes: a lone surrogate cannot crash it).
        with _password_check():
            _hasher.hash(password.encode("utf-8", "replace"))
        _count_failure(session, name, client, now)
        raise UserError(BAD_CREDENTIALS)
    if not _verify(user.password_hash, password):
        _count_failure(session, name, client, now)
        raise UserError(BAD_CREDENTIALS)
    session.execute(delete(SignInFailure).where(SignInFailure.name_key == name, SignInFailure.client_key == client))
    user.last_login_at = now
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return actor_of(user)


# ---- browsers that signed in before ("known devices") -------------------------------------------


def _server_key(session: Session, name: str) -> bytes:
    """A secret kept in server_keys, made at its first use (two servers at once: the first one made wins)."""
    value = session.scalar(select(ServerKey.value).where(ServerKey.name == name))
    if value is None:
        dialect = session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        session.execute(insert(ServerKey).values(name=name, value=secrets.token_hex(32)).on_conflict_do_nothing())
        value = session.scalar(select(ServerKey.value).where(ServerKey.name == name))
    assert value is not None
    return bytes.fromhex(value)


def _device_mac(key: bytes, user_id: int, device_id: str) -> str:
    return hmac.new(key, f"{user_id}.{device_id}".encode(), hashlib.sha256).hexdigest()[:32]


def _device_entries(session: Session, cookie: str | None) -> list[tuple[int, str]]:
    """The (user id, device id) pairs of a known-browser cookie whose signatures hold."""
    if not cookie or len(cookie) > 2048:
        return []
    key = _server_key(session, "device")
    entries = []
    for part in cookie.split("~")[:DEVICE_COOKIE_USERS]:
        user_id, _, rest = part.partition(".")
        device_id, _, mac = rest.partition(".")
        if user_id.isdigit() and device_id and hmac.compare_digest(mac, _device_mac(key, int(user_id), device_id)):
            entries.append((int(user_id), device_id))
    return entries


def known_device(session: Session, *, user_id: int, cookie: str | None) -> str | None:
    """The browser's device id when its cookie proves it signed in to this account before."""
    return next((device for uid, device in _device_entries(session, cookie) if uid == user_id), None)


def remember_device(session: Session, *, actor: Actor, cookie: str | None) -> str:
    """The known-browser cookie after a successful sign-in: this account first, a few others kept."""
    assert actor.user_id is not None
    entries = _device_entries(session, cookie)
    device = next((d for uid, d in entries if uid == actor.user_id), None) or secrets.token_urlsafe(12)
    key = _server_key(session, "device")
    kept = [(actor.user_id, device), *((uid, d) for uid, d in entries if uid != actor.user_id)][:DEVICE_COOKIE_USERS]
    return "~".join(f"{uid}.{d}.{_device_mac(key, uid, d)}" for uid, d in kept)


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
    if user.is_active != active:
        user.is_active = active
        user.auth_epoch = (user.auth_epoch or 0) + 1  # an open tab's next write is refused (db/transactions.py)
    if not active:
        session.execute(delete(AuthSession).where(AuthSession.user_id == user.id))
    record(session, actor, "update", user, before)
    return user


def reset_password(session: Session, *, actor: Actor, user_id: int, new_password: str) -> User:
    """Set a new password for an account one manages; it signs out every browser and lifts every hold on the name."""
    user = _managed_user(session, actor, user_id)
    validate_password(new_password, username=user.username)
    before = snapshot(user)
    user.password_hash = hash_password(new_password)
    user.auth_epoch = (user.auth_epoch or 0) + 1
    forget_failures(session, username=user.username)
    session.execute(delete(AuthSession).where(AuthSession.user_id == user.id))
    record(session, actor, "update", user, before, extra={"password": "đặt lại"})
    return user


def change_password(
    session: Session, *, actor: Actor, current: str, new_password: str, keep_token: str | None = None,
) -> None:
    """Everyone changes their own password, giving the current one first.

    Every other signed-in browser of the account is signed out; the one whose token is `keep_token` (the
    browser making the change) stays, and its tabs take up the new epoch at their next run (ui/session.py).
    """
    user = session.get(User, actor.user_id) if actor.user_id is not None else None
    if user is None:
        raise NotFound("Không tìm thấy tài khoản.")
    if not _verify(user.password_hash, current):
        raise UserError("Mật khẩu hiện tại không đúng.", field="current")
    if new_password == current:
        raise UserError("Mật khẩu mới phải khác mật khẩu hiện tại.", field="password")
    validate_password(new_password, username=user.username)
    before = snapshot(user)
    user.password_hash = hash_password(new_password)
    user.auth_epoch = (user.auth_epoch or 0) + 1
    others = delete(AuthSession).where(AuthSession.user_id == user.id)
    if keep_token:
        others = others.where(AuthSession.token_hash != _digest(keep_token))
    session.execute(others)
    record(session, actor, "update", user, before, extra={"password": "đổi"})


def fetch_users(session: Session, *, actor: Actor, now: datetime | None = None) -> pd.DataFrame:
    """Accounts the actor manages (all for an admin, the subtree's for an officer), with recent wrong sign-ins."""
    if not actor.can_manage_users:
        raise PermissionDenied("Bạn không có quyền xem danh sách tài khoản.")
    stmt = (
        select(User.id, User.username, User.full_name, User.role, Unit.name, User.team_id, User.is_active,
               User.last_login_at)
        .outerjoin(Unit, Unit.id == User.unit_id)
        .order_by(User.role, User.username)
    )
    if actor.unit_id is not None:
        stmt = stmt.join(UnitPath, and_(UnitPath.descendant_id == User.unit_id, UnitPath.ancestor_id == actor.unit_id))
    cols = ["user_id", "username", "full_name", "role", "unit", "team_id", "is_active", "last_login_at"]
    frame = pd.DataFrame(session.execute(stmt).all(), columns=cols)
    frame["recent_failures"] = _recent_failures(session, list(frame["username"]), now or datetime.now())
    # A username may hold Vietnamese letters ("lanhđạo"): Vietnamese order within each role.
    return sort_frame(frame, "role", "username")


def _recent_failures(session: Session, usernames: list[str], now: datetime) -> list[int]:
    """Wrong sign-ins at each username in the last FORGET_AFTER, from every client together."""
    keys = {name_key(name): name for name in usernames}
    counts: dict[str, int] = {}
    for start in range(0, len(keys), 500):  # bound the IN list
        chunk = list(keys)[start : start + 500]
        stmt = (select(SignInFailure.name_key, func.sum(SignInFailure.failures))
                .where(SignInFailure.name_key.in_(chunk), SignInFailure.last_failed_at >= now - FORGET_AFTER)
                .group_by(SignInFailure.name_key))
        counts.update({key: int(total) for key, total in session.execute(stmt).all()})
    return [counts.get(name_key(name), 0) for name in usernames]


# ---- signed-in browsers -------------------------------------------------------------------------


def idle_limit() -> timedelta:
    """How long a signed-in browser may stay idle: SESSION_IDLE_HOURS, default 8 hours."""
    return timedelta(hours=float(os.environ.get("SESSION_IDLE_HOURS", "8")))


def lifetime_limit() -> timedelta:
    """How long a sign-in lasts however busy it is: SESSION_MAX_DAYS, default 30 days.

    Use alone renews the idle limit, so without this a stolen cookie kept in use would never expire.
    """
    return timedelta(days=float(os.environ.get("SESSION_MAX_DAYS", "30")))


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
    """The actor of a browser's token when it is known, its account active, not idle too long nor too old.

    `touch` records the use (and forgets a dead sign-in); without it the check only reads, so it can run on
    every action of every open tab.
    """
    now = now or datetime.now()
    row = session.scalar(select(AuthSession).where(AuthSession.token_hash == _digest(token)))
    if row is None:
        return None
    user = session.get(User, row.user_id)
    expired = now - row.last_seen_at > (idle or idle_limit()) or now - row.created_at > lifetime_limit()
    if user is None or not user.is_active or expired:
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
