"""The one engine and session factory, chosen by DATABASE_URL (default: the embedded SQLite file)."""

import contextlib
import os
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import sessionmaker

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("DATA_DIR", ROOT / "data"))
DEFAULT_URL = f"sqlite:///{DATA_DIR / 'tocnscd.sqlite3'}"

SessionLocal = sessionmaker(expire_on_commit=False)
_engine: Engine | None = None


def database_url() -> str:
    """The URL in force: DATABASE_URL, or the embedded SQLite file under the data folder."""
    return os.environ.get("DATABASE_URL") or DEFAULT_URL


def _unicode_lower(value: object) -> object:
    """Python's lower(): Vietnamese capitals ("Đ", "Ổ") fold too, as in PostgreSQL."""
    return value.lower() if isinstance(value, str) else value


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    """WAL lets readers go on during a write; the busy timeout waits instead of failing."""
    # SQLite's built-in lower() folds ASCII only, so "tổ cnscđ" missed "Tổ CNSCĐ" in searches.
    dbapi_conn.create_function("lower", 1, _unicode_lower, deterministic=True)
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def make_engine(url: str) -> Engine:
    """Create an engine with the settings each backend needs.

    `hide_parameters`: a database error that reaches the server log names the SQL, never the names and
    phone numbers it was sent with.
    """
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            # A folder that cannot be made (read-only disk, a file in the way) must not stop the app from
            # starting: the first connection then fails with "unable to open database file", which the
            # pages answer with a Vietnamese message (ui/guard.py) and writes refuse (db/transactions.py).
            with contextlib.suppress(OSError):
                Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10}, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # pre_ping re-checks a pooled connection, so a restarted server costs one retry, not an error.
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10, hide_parameters=True)


def configure(url: str | None = None) -> Engine:
    """(Re)bind the session factory to `url` (default: `database_url()`) and return the engine."""
    global _engine
    if _engine is not None:
        _engine.dispose()
    _engine = make_engine(url or database_url())
    SessionLocal.configure(bind=_engine)
    return _engine


def get_engine() -> Engine:
    """The engine in force, created on first use."""
    return _engine if _engine is not None else configure()


get_engine()
