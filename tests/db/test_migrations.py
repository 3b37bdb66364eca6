"""Alembic migrations: an empty database reaches head with every table of the models, twice is harmless."""

import importlib
import pkgutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

import db
from db.engine import make_engine
from db.migrate import alembic_config, upgrade
from db.models import Base, Unit
from tests.conftest import fresh_database
from tests.factories import count_rows


def _import_every_db_module() -> None:
    """Load every db module, so a model defined outside db/models.py would still reach the metadata."""
    for module in pkgutil.iter_modules(db.__path__):
        if module.name != "__main__":
            importlib.import_module(f"db.{module.name}")


@pytest.fixture
def blank_engine(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on a brand-new database with no table at all."""
    with fresh_database(backend, request, tmp_path, migrated=False) as url:
        engine = make_engine(url)
        yield engine
        engine.dispose()


def _head() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def test_upgrade_on_an_empty_database_creates_every_table_of_the_models(blank_engine):
    _import_every_db_module()
    assert inspect(blank_engine).get_table_names() == []
    upgrade(blank_engine)
    tables = set(inspect(blank_engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert tables - set(Base.metadata.tables) == {"alembic_version"}
    assert _current_revision(blank_engine) == _head()


def test_migrated_schema_matches_the_models(blank_engine):
    """Autogenerate finds nothing to add: every column, index and constraint of the models has a migration."""
    _import_every_db_module()
    upgrade(blank_engine)
    with blank_engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert differences == []


def test_upgrade_twice_is_harmless_and_keeps_the_data(engine, session):
    session.add(Unit(structure="legacy", tier="province", level=1, kind="Tỉnh", name="Tỉnh Quảng Nam",
                     short_name="Quảng Nam", search_name="tinh quang nam", code="49"))
    session.commit()
    tables_before = set(inspect(engine).get_table_names())
    upgrade(engine)
    upgrade(engine)
    assert set(inspect(engine).get_table_names()) == tables_before
    assert _current_revision(engine) == _head()
    session.expire_all()
    assert count_rows(session, Unit) == 1
