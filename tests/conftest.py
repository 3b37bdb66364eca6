"""Shared fixtures: a fresh, migrated database per test on SQLite and on a real PostgreSQL server.

The PostgreSQL server is started by the test session itself (Debian's `postgresql` binaries,
run as the unprivileged `postgres` user when the tests run as root, since initdb refuses root).
`--strict-components` turns "component missing: skip" into a failure; CI passes it.
"""

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

import db.engine
from db.migrate import upgrade

CHROMIUM = "/usr/bin/chromium"


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register --strict-components."""
    parser.addoption(
        "--strict-components",
        action="store_true",
        default=False,
        help="fail, instead of skipping, when PostgreSQL or Chromium is missing",
    )


def require_component(config: pytest.Config, available: bool, what: str) -> None:
    """Skip (or, with --strict-components, fail) when a component the test needs is missing."""
    if available:
        return
    message = f"component missing: {what}"
    if config.getoption("--strict-components"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def chromium_path(pytestconfig: pytest.Config) -> str:
    """Debian's Chromium, which Playwright drives (a browser download does not work here)."""
    require_component(pytestconfig, os.access(CHROMIUM, os.X_OK), f"Chromium at {CHROMIUM} (apt-get install chromium)")
    return CHROMIUM


# ---- PostgreSQL ---------------------------------------------------------------------------------


def _pg_bindir() -> str | None:
    """The newest installed PostgreSQL server's bin directory."""
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda d: int(Path(d).parent.name))
    dirs = [d for d in dirs if os.access(f"{d}/initdb", os.X_OK)]
    return dirs[-1] if dirs else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_postgres(cmd: list[str]) -> list[str]:
    """Run as the `postgres` user when we are root, since initdb and postgres refuse root."""
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@pytest.fixture(scope="session")
def pg_server(pytestconfig: pytest.Config) -> Iterator[str]:
    """Start a throwaway PostgreSQL server; yield its base URL (no database name)."""
    bindir = _pg_bindir()
    require_component(pytestconfig, bindir is not None, "PostgreSQL server (apt-get install postgresql)")
    root = Path(tempfile.mkdtemp(prefix="tocnscd-pg-"))
    data = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, user="postgres")
    port = _free_port()
    subprocess.run(_as_postgres([f"{bindir}/initdb", "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                                 "--locale=C.UTF-8", "--no-sync"]), check=True, capture_output=True)
    # Durability is not under test here; these settings make per-test databases cheap.
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    subprocess.run(_as_postgres([f"{bindir}/pg_ctl", "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start"]),
                   check=True, capture_output=True)
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run(_as_postgres([f"{bindir}/pg_ctl", "-D", str(data), "-m", "immediate", "stop"]), capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_template(pg_server: str) -> str:
    """A migrated template database; each test clones it (CREATE DATABASE … TEMPLATE is fast)."""
    admin = create_engine(f"{pg_server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("CREATE DATABASE tmpl"))
    admin.dispose()
    engine = create_engine(f"{pg_server}/tmpl")
    upgrade(engine)
    engine.dispose()
    return "tmpl"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = db.engine.make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


_counter = iter(range(1, 1_000_000))


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    """Every database test runs on both backends."""
    return request.param


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated, empty database for this test on the chosen backend."""
    if backend == "sqlite":
        target = tmp_path / "test.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), target)
        yield f"sqlite:///{target}"
        return
    server = request.getfixturevalue("pg_server")
    template = request.getfixturevalue("pg_template")
    name = f"t{next(_counter)}"
    admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name} TEMPLATE {template}"))
    try:
        yield f"{server}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


@pytest.fixture
def engine(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """Bind the app's session factory to the fresh database; DATABASE_URL and DATA_DIR point there too."""
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    eng = db.engine.configure(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session on the fresh database (tests may commit)."""
    with db.engine.SessionLocal() as sess:
        yield sess
