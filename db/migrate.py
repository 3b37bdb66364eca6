"""Apply the Alembic migrations shipped in db/migrations."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

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
