"""The data version: a write counter that keys every cached read.

A write marks its session (`bump_data_version`); the counter moves when the transaction commits, after
the kept tables (db/counts.py), so its row is held for the commit only. The counter is the sum of
its rows, one per shard of db/counts.py: on PostgreSQL writers in different server processes add to
different rows and do not queue behind each other.
"""

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from db.models import DataVersion

_BUMP = "data_version_bump"


def bump_data_version(session: Session) -> None:
    """Mark the caller's transaction as a write: the counter moves when it commits, so cached reads refresh."""
    session.info[_BUMP] = True


def take_bump(session: Session) -> bool:
    """Whether the transaction was marked as a write (and clear the mark)."""
    return bool(session.info.pop(_BUMP, False))


def fetch_data_version(session: Session | Connection) -> int:
    """The write counter that keys cached reads; 0 on an empty database."""
    return int(session.scalar(select(func.sum(DataVersion.version))) or 0)
