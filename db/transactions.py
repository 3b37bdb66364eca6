"""One user action, one transaction: commit on success, roll back on error, retry when the database is busy."""

import logging
import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout  # every pooled connection in use: busy, retry
from sqlalchemy.orm import Session

from db.access import Actor
from db.engine import SessionLocal
from db.errors import PermissionDenied, UserError
from db.models import User

T = TypeVar("T")
RETRIES = 5
log = logging.getLogger(__name__)


STORAGE_MESSAGE = ("Ổ đĩa chứa dữ liệu đã đầy hoặc chỉ cho đọc; chưa có gì được lưu. "
                   "Hãy báo quản trị hệ thống kiểm tra dung lượng và quyền ghi.")


def _storage_full_or_read_only(err: Exception) -> bool:
    """True for a full disk or a read-only database file (SQLite's messages, PostgreSQL's disk_full state).

    SQLite in WAL mode cannot even open a file on a read-only disk ("unable to open database file").
    """
    orig = getattr(err, "orig", None)
    if getattr(orig, "sqlstate", None) == "53100":  # PostgreSQL: disk_full
        return True
    message = str(orig).lower()
    return any(part in message for part in ("database or disk is full", "readonly database", "unable to open database file",
                                          "disk i/o error", "no space left on device"))


class SignedOut(PermissionDenied):
    """The acting account was disabled, or its password reset or changed, after this tab read it: sign in again."""

    def __init__(self) -> None:
        super().__init__("Phiên đăng nhập đã hết hiệu lực (tài khoản bị khóa hoặc đổi mật khẩu). Hãy đăng nhập lại.")


def ensure_still_signed_in(session: Session, actor: object) -> None:
    """Raise SignedOut unless the actor's account exists, is active and keeps the epoch the actor was read with.

    Read in the write's own transaction, with a shared lock on PostgreSQL: a disable or a password reset
    committed before it is seen, and one that comes later waits for this write to finish.
    """
    if not isinstance(actor, Actor) or actor.user_id is None:
        return  # the command line's SYSTEM actor, or an action without an actor
    row = session.execute(
        select(User.is_active, User.auth_epoch).where(User.id == actor.user_id).with_for_update(read=True)
    ).first()
    if row is None or not row.is_active or row.auth_epoch != actor.auth_epoch:
        raise SignedOut


def _name(action: Callable[..., object]) -> str:
    return f"{getattr(action, '__module__', '?')}.{getattr(action, '__qualname__', repr(action))}"


def run_write(action: Callable[..., T], /, **kwargs: Any) -> T:
    """Run `action(session, **kwargs)` in its own transaction.

    A unique-key collision or a busy/locked database is retried on a fresh transaction (with a
    short random back-off), whose checks then see the other writer's row: a resubmitted form finds
    its report, a taken name gets its message. What still fails becomes a UserError with a
    Vietnamese message; nothing half-written stays behind. An `actor` whose account was disabled, or
    its password reset or changed, since it was read gets SignedOut before the action runs.
    """
    for attempt in range(RETRIES + 1):
        try:
            with SessionLocal.begin() as session:
                ensure_still_signed_in(session, kwargs.get("actor"))
                return action(session, **kwargs)
        except UserError:
            raise
        except (IntegrityError, OperationalError, PoolTimeout) as err:
            if _storage_full_or_read_only(err):  # waiting does not free a disk: say so at once
                log.error("write %s refused by the storage", _name(action), exc_info=err)
                raise UserError(STORAGE_MESSAGE) from err
            if attempt < RETRIES:
                log.info("write %s retried after %s", _name(action), type(err).__name__)
                time.sleep(random.uniform(0.02, 0.1) * (attempt + 1))  # noqa: S311 - jitter, not security
                continue
            # Logged before it becomes a Vietnamese message, so a bug in a write still reaches the server log.
            log.error("write %s failed after %d attempts", _name(action), attempt + 1, exc_info=err)
            if isinstance(err, IntegrityError):
                raise UserError("Dữ liệu vừa nhập trùng hoặc mâu thuẫn với dữ liệu đã có; chưa có gì được lưu.") from err
            raise UserError("Cơ sở dữ liệu đang bận hoặc tạm thời không truy cập được; chưa có gì được lưu, hãy thử lại.") from err
        except SQLAlchemyError as err:
            log.error("write %s failed", _name(action), exc_info=err)
            raise UserError("Không lưu được dữ liệu do lỗi cơ sở dữ liệu; chưa có gì được lưu.") from err
    raise AssertionError("unreachable")
