"""Apply the Alembic migrations shipped in db/migrations."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

from db.engine import get_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(engine: Engine | None = None) -> Config:
    """An Alembic config pointing at our scripts; no alembic.ini needed."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = engine or get_engine()
    return cfg


def upgrade(engine: Engine | None = None, revision: str = "head") -> None:
    """Create or migrate the schema to `revision`."""
    command.upgrade(alembic_config(engine), revision)


STARTUP_LOCK = 0x746F_6373  # the PostgreSQL advisory lock key of `startup_lock` ("tocs")


@contextmanager
def startup_lock(engine: Engine | None = None) -> Iterator[None]:
    """On PostgreSQL, let one process at a time migrate or load the first data; the others wait for it.

    App servers started together with `make run` each migrate and seed on start: without the lock two
    would apply the same migration, or both find the database empty and load it twice. The lock is held
    on a connection of its own (and goes when the process does). SQLite serves one machine and needs none.
    """
    engine = engine or get_engine()
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": STARTUP_LOCK})
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": STARTUP_LOCK})
            conn.commit()
