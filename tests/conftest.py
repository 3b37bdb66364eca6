"""Shared fixtures: a fresh, migrated database per test on SQLite and on a real PostgreSQL server.

The PostgreSQL server is started by the test session itself (Debian's `postgresql` binaries,
run as the unprivileged `postgres` user when the tests run as root, since initdb refuses root).
`--strict-components` turns "component missing: skip" into a failure; CI passes it.

Fixtures for test modules:
- `backend`: "sqlite" | "postgresql"; every test using `db_url` (or `engine`, `session`) runs on both.
- `db_url`: the URL of a fresh, migrated, empty database for this test.
- `engine`: `db.engine.configure(db_url)`, with DATABASE_URL and DATA_DIR set for the test.
- `session`: a Session from `db.engine.SessionLocal` on that engine; tests may commit.
- `world`: `factories.create_world` committed in the test's session (the tree, an admin, an officer and a
  leader of Huyện Phú Ninh); modules that need teams build them on top of it.
- `fresh_database(backend, request, tmp_dir, migrated=True)`: the same, as a context manager, for
  module-scoped fixtures (a demo dataset loaded once per module and backend).
- `chromium_path`, `require_component(request_or_config, available, what)`.
"""

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import count
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

import db.auth
import db.engine
from db.migrate import upgrade
from tests import factories

CHROMIUM = "/usr/bin/chromium"
BACKENDS = ["sqlite", "postgresql"]
# What the application hashes with; tests swap in cheap parameters (see _cheap_password_hashing).
PRODUCTION_HASHER = db.auth._hasher  # noqa: SLF001


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register --strict-components."""
    parser.addoption(
        "--strict-components",
        action="store_true",
        default=False,
        help="fail, instead of skipping, when PostgreSQL or Chromium is missing",
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that runs on PostgreSQL `pg`, so `-m "not pg"` gives a SQLite-only run."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_pg = callspec is not None and "postgresql" in callspec.params.values()
        if on_pg or "pg_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.pg)


def require_component(request_or_config: pytest.FixtureRequest | pytest.Config, available: bool, what: str) -> None:
    """Skip (or, with --strict-components, fail) when a component the test needs is missing."""
    if available:
        return
    config = getattr(request_or_config, "config", request_or_config)
    message = f"component missing: {what}"
    if config.getoption("--strict-components"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def chromium_path(pytestconfig: pytest.Config) -> str:
    """Debian's Chromium, which Playwright drives (a browser download does not work here)."""
    require_component(pytestconfig, os.access(CHROMIUM, os.X_OK), f"Chromium at {CHROMIUM} (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashing() -> Iterator[None]:
    """Hash passwords with argon2id at minimal cost: the real cost (~0.2 s a hash) dominated the suite.

    The algorithm and code path stay the same; tests/db/test_auth.py checks PRODUCTION_HASHER's
    parameters on their own.
    """
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(db.auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        yield


# ---- PostgreSQL ---------------------------------------------------------------------------------


def _pg_bindir() -> str | None:
    """The newest installed PostgreSQL server's bin directory (or pg_config's, as a fallback)."""
    dirs = [d for d in glob.glob("/usr/lib/postgresql/*/bin") if os.access(f"{d}/initdb", os.X_OK)]
    dirs.sort(key=lambda d: int(Path(d).parent.name) if Path(d).parent.name.isdigit() else 0)
    if dirs:
        return dirs[-1]
    if shutil.which("pg_config"):
        found = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True).stdout.strip()
        if found and os.access(f"{found}/initdb", os.X_OK):
            return found
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_postgres(cmd: list[str]) -> list[str]:
    """Run as the `postgres` user when we are root, since initdb and postgres refuse root."""
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@dataclass
class PgCluster:
    """Where the session's PostgreSQL server lives, for tests that restart it (tests/faults)."""

    bindir: str = ""
    data: Path | None = None
    url: str = ""
    log: Path | None = None

    def ctl(self, *args: str) -> subprocess.CompletedProcess:
        """Run pg_ctl on the session's server (as `postgres` when we are root)."""
        # Without -l a (re)started server writes to pg_ctl's stdout, keeps the captured pipe open,
        # and subprocess.run waits for ever.
        log = ["-l", str(self.log)] if self.log is not None and {"start", "restart"} & set(args) else []
        return subprocess.run(_as_postgres([f"{self.bindir}/pg_ctl", "-D", str(self.data), *log, *args]),
                              capture_output=True, text=True, timeout=120)


PG_CLUSTER = PgCluster()


@pytest.fixture(scope="session")
def pg_server(pytestconfig: pytest.Config) -> Iterator[str]:
    """Start a throwaway PostgreSQL server; yield its base URL (no database name); PG_CLUSTER records it."""
    bindir = _pg_bindir()
    require_component(pytestconfig, bindir is not None, "PostgreSQL server (apt-get install postgresql)")
    root = Path(tempfile.mkdtemp(prefix="tocnscd-pg-"))
    data = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, user="postgres")
    port = _free_port()
    initdb = subprocess.run(
        _as_postgres([f"{bindir}/initdb", "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                      "--locale=C.UTF-8", "--no-sync"]), capture_output=True, text=True)
    if initdb.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(f"initdb failed: {initdb.stderr}", pytrace=False)
    # Durability is not under test here; these settings make per-test databases cheap.
    options = (f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
               "-c full_page_writes=off")
    started = subprocess.run(
        _as_postgres([f"{bindir}/pg_ctl", "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start"]),
        capture_output=True, text=True)
    if started.returncode != 0:
        log = (root / "log").read_text(errors="replace") if (root / "log").exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(f"PostgreSQL did not start: {started.stderr}\n{log}", pytrace=False)
    PG_CLUSTER.bindir, PG_CLUSTER.data, PG_CLUSTER.log = bindir, data, root / "log"
    PG_CLUSTER.url = f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    try:
        yield PG_CLUSTER.url
    finally:
        subprocess.run(_as_postgres([f"{bindir}/pg_ctl", "-D", str(data), "-m", "immediate", "stop"]), capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_admin(pg_server: str) -> Iterator[Engine]:
    """An autocommit engine on the server's `postgres` database, for CREATE / DROP DATABASE."""
    # pre_ping: tests/faults restarts the server, which kills pooled connections.
    admin = create_engine(f"{pg_server}/postgres", isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    yield admin
    admin.dispose()


@pytest.fixture(scope="session")
def pg_template(pg_server: str, pg_admin: Engine) -> str:
    """A migrated template database; each test clones it (CREATE DATABASE … TEMPLATE is fast)."""
    with pg_admin.connect() as conn:
        conn.execute(text("CREATE DATABASE tmpl"))
    engine = create_engine(f"{pg_server}/tmpl")
    upgrade(engine)
    engine.dispose()
    return "tmpl"


class PgClones:
    """Clones of the migrated template; the next one is made ahead in a background thread.

    CREATE DATABASE … TEMPLATE costs about a tenth of a second; made while the previous test
    runs, a test finds its database ready. Drops also go to the background thread.
    """

    def __init__(self, admin: Engine, template: str) -> None:
        self._admin, self._template = admin, template
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pg-clones")
        self._ready: Future[str] | None = None
        self._numbers = count(1)
        with admin.connect() as conn:
            # FILE_COPY copies the few files of a small database, about twice as fast as WAL_LOG here.
            self._strategy = " STRATEGY FILE_COPY" if conn.dialect.server_version_info >= (15,) else ""

    def _create(self) -> str:
        name = f"test{os.getpid()}_{next(self._numbers)}"
        with self._admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name} TEMPLATE {self._template}{self._strategy}"))
        return name

    def _drop(self, name: str) -> None:
        with self._admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))

    def take(self) -> str:
        """A fresh clone's name; start making the next one."""
        ready = self._ready or self._worker.submit(self._create)
        self._ready = None
        try:
            name = ready.result()
        except SQLAlchemyError:  # the server restarted under it (tests/faults): make one now
            name = self._create()
        self._ready = self._worker.submit(self._create)
        return name

    def drop(self, name: str) -> None:
        """Drop a clone once its test is over (its engine disposed)."""
        self._worker.submit(self._drop, name)

    def close(self) -> None:
        """Wait for the background work; the server and its leftovers go away with the session."""
        self._worker.shutdown(wait=True)


@pytest.fixture(scope="session")
def pg_clones(pg_admin: Engine, pg_template: str) -> Iterator[PgClones]:
    """Per-test clones of the migrated template database."""
    clones = PgClones(pg_admin, pg_template)
    yield clones
    clones.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = db.engine.make_engine(f"sqlite:///{path}")
    upgrade(engine)
    # Fold the WAL back into the file, so a plain copy of the one file is the whole database.
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


_sqlite_numbers = count(1)
_blank_numbers = count(1)


@contextmanager
def fresh_database(backend: str, request: pytest.FixtureRequest, tmp_dir: Path, *, migrated: bool = True) -> Iterator[str]:
    """A new database on `backend`: migrated to head and empty, or (migrated=False) without any table."""
    if backend == "sqlite":
        target = tmp_dir / f"test{next(_sqlite_numbers)}.sqlite3"
        if migrated:
            shutil.copy(request.getfixturevalue("sqlite_template"), target)
        yield f"sqlite:///{target}"
        return
    server = request.getfixturevalue("pg_server")
    if migrated:
        clones: PgClones = request.getfixturevalue("pg_clones")
        name = clones.take()
        try:
            yield f"{server}/{name}"
        finally:
            clones.drop(name)
        return
    admin: Engine = request.getfixturevalue("pg_admin")
    name = f"blank{os.getpid()}_{next(_blank_numbers)}"
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name} TEMPLATE template0"))
    try:
        yield f"{server}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Every database test runs on both backends."""
    return request.param


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated, empty database for this test on the chosen backend."""
    with fresh_database(backend, request, tmp_path) as url:
        yield url


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


@pytest.fixture
def world(session: Session) -> factories.World:
    """The standard small dataset, committed: the unit tree and an admin, an officer and a leader account."""
    made = factories.create_world(session)
    session.commit()
    return made
