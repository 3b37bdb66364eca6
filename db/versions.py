"""The data version: a write counter that keys every cached read, bumped in each write transaction."""

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from db.models import DataVersion


def bump_data_version(session: Session) -> None:
    """Advance the write counter in the caller's transaction so every cached read refreshes."""
    updated = session.execute(update(DataVersion).where(DataVersion.id == 1).values(version=DataVersion.version + 1))
    if updated.rowcount == 0:  # type: ignore[attr-defined]
        session.add(DataVersion(id=1, version=1))


def fetch_data_version(session: Session) -> int:
    """The write counter that keys cached reads; 0 on an empty database."""
    return session.scalar(select(DataVersion.version).where(DataVersion.id == 1)) or 0
