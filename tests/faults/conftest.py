"""Fixtures of the fault tests: the app's engine on a fresh PostgreSQL database that a test may stop and restart."""

from datetime import date

import pytest
from sqlalchemy import text

import db.engine
from tests import factories
from tests.conftest import PG_CLUSTER, fresh_database


@pytest.fixture
def pg_app(pg_server, pg_admin, request, tmp_path, monkeypatch):  # noqa: ANN001, ANN201
    """The app's engine on a fresh PostgreSQL database with a unit tree and one team; yields (team id, province id)."""
    with fresh_database("postgresql", request, tmp_path) as url:
        # The test server runs with synchronous_commit=off for speed, so an "immediate" restart (a crash)
        # would lose acknowledged commits; this database gets the production setting back.
        with pg_admin.connect() as conn:
            conn.execute(text(f"ALTER DATABASE {url.rsplit('/', 1)[1]} SET synchronous_commit = on"))
        monkeypatch.setenv("DATABASE_URL", url)
        engine = db.engine.configure(url)
        with db.engine.SessionLocal() as session:
            tree = factories.create_tree(session)
            team = factories.create_team(session, unit=tree.villages[0], established_on=date(2022, 7, 1))
            session.commit()
            ids = team.id, tree.province.id
        try:
            yield ids
        finally:
            engine.dispose()
            pg_admin.dispose()  # its pooled connection died with the restart too
            assert PG_CLUSTER.ctl("status").returncode == 0, "the server must be up for the next tests"
