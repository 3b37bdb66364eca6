"""A throwaway PostgreSQL server for the benchmark, started the way tests/conftest.py starts it."""

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text


def pg_bindir() -> str | None:
    """The newest installed PostgreSQL server's bin directory (Debian layout), or None."""
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda d: int(Path(d).parent.name))
    dirs = [d for d in dirs if os.access(f"{d}/initdb", os.X_OK)]
    return dirs[-1] if dirs else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_postgres(cmd: list[str]) -> list[str]:
    """initdb and postgres refuse root: run them as the `postgres` user when we are root."""
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@dataclass(frozen=True)
class Server:
    """A throwaway server: the SQLAlchemy URL of its database and its log file."""

    url: str
    log: Path


@contextmanager
def throwaway_postgres(dbname: str = "bench", settings: Mapping[str, str] | None = None) -> Iterator[Server]:
    """Start a server on a free port with a new database (and extra `settings`); yield it; stop and delete it.

    Unlike the tests' server, this one keeps fsync and synchronous commit on: the write latency
    measured on it includes a durable commit, as in production.
    """
    bindir = pg_bindir()
    if bindir is None:
        raise RuntimeError("PostgreSQL server binaries not found (apt-get install postgresql)")
    root = Path(tempfile.mkdtemp(prefix="tocnscd-bench-pg-"))
    data = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, user="postgres")
    port = _free_port()
    subprocess.run(_as_postgres([f"{bindir}/initdb", "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                                 "--locale=C.UTF-8"]), check=True, capture_output=True)
    options = " ".join([f"-p {port} -k {root} -c listen_addresses=127.0.0.1",
                        *(f"-c {name}={value}" for name, value in (settings or {}).items())])
    subprocess.run(_as_postgres([f"{bindir}/pg_ctl", "-D", str(data), "-o", options, "-l", str(root / "log"), "-w",
                                 "start"]), check=True, capture_output=True)
    base = f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    try:
        admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {dbname}"))
        admin.dispose()
        yield Server(f"{base}/{dbname}", root / "log")
    finally:
        subprocess.run(_as_postgres([f"{bindir}/pg_ctl", "-D", str(data), "-m", "immediate", "stop"]),
                       capture_output=True)
        shutil.rmtree(root, ignore_errors=True)
