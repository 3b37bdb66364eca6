"""The data versions as this server process knows them, kept current by one thread for all its tabs.

Open pages must learn of a committed write within a second without asking the database each (issue
18). One thread per process waits for writes: on PostgreSQL it LISTENs on the channel every commit
that moves a counter NOTIFYs (db/versions.py), so it wakes at once for writes of any server; on SQLite
it asks `PRAGMA data_version` five times a second, which reads no table (it changes when another
connection commits). On a wake-up it reads the counters once (a few dozen rows) and tells its
subscribers which changed. A commit made in this process marks the copy stale, so the committing
tab's next read sees its own write without waiting for the thread.

Without a running thread (tests, the command line) every `current()` reads the counters.
"""

import logging
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from typing import Any

from sqlalchemy import Engine

from db import versions

log = logging.getLogger(__name__)

Subscriber = Callable[[dict[int, int]], None]
SQLITE_INTERVAL = 0.2  # seconds between two PRAGMA data_version checks
COALESCE = 0.05  # seconds a PostgreSQL wake-up waits for more notifications before reading once


class VersionWatch:
    """The counters of every scope (db/versions.py), shared by the tabs of one server process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._versions: dict[int, int] = {}
        self._commits = 0  # commits made in this process so far
        self._read_after = 0  # the number of those the kept counters are known to include
        self._subscribers: list[Subscriber] = []
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.reads = 0  # how often the counters were read: an idle watch reads none (tests/db/test_live.py)
        versions.after_commit.append(self.mark_stale)

    @property
    def running(self) -> bool:
        """True while the watching thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def mark_stale(self) -> None:
        """A commit in this process: the next `current()` reads the counters (unless a read began after it)."""
        with self._lock:
            self._commits += 1

    def current(self, engine: Engine) -> dict[int, int]:
        """The counters as last read; read now when a commit of this process may be missing or no thread keeps them.

        A read the thread began before this process's last commit does not count: the tab that wrote
        must see its write (the thread may still be storing an older read).
        """
        if self._read_after < self._commits or not self.running:
            return self.refresh(engine)
        return self._versions

    def known(self) -> dict[int, int]:
        """The counters as last read, without reading (for the event loop, which must not wait on the database)."""
        return self._versions

    def refresh(self, engine: Engine) -> dict[int, int]:
        """Read the counters, keep them, and tell the subscribers when they moved."""
        with self._lock:
            commits = self._commits  # before the read: the read includes every commit counted so far
        with engine.connect() as conn:
            read = versions.fetch_scope_versions(conn)
        with self._lock:
            self.reads += 1
            self._read_after = max(self._read_after, commits)
            fresh = read
            if self.running:  # counters only grow: two reads finishing out of order must not take the copy back
                fresh = {s: max(read.get(s, 0), self._versions.get(s, 0)) for s in read.keys() | self._versions.keys()}
            moved = fresh != self._versions
            self._versions = fresh
            subscribers = list(self._subscribers)
        if moved:
            for subscriber in subscribers:
                try:
                    subscriber(fresh)
                except Exception:  # one broken subscriber must not stop the others
                    log.exception("a data version subscriber failed")
        return fresh

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Call `subscriber` with the counters whenever they move; returns the function that stops it."""
        with self._lock:
            self._subscribers.append(subscriber)

        def unsubscribe() -> None:
            with self._lock, suppress(ValueError):
                self._subscribers.remove(subscriber)

        return unsubscribe

    def start(self, engine: Engine) -> None:
        """Start the watching thread (once per process)."""
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, args=(engine,), name="data-version-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Ask the thread to end (it ends within a wait)."""
        self._stop.set()

    def _run(self, engine: Engine) -> None:
        """Wait for writes until stopped; a lost connection is opened again after a pause."""
        while not self._stop.is_set():
            raw = engine.raw_connection()
            raw.detach()  # not returned to the pool: it waits for writes for the life of the thread
            try:
                if engine.dialect.name == "postgresql":
                    self._listen(engine, raw.dbapi_connection)
                else:
                    self._poll(engine, raw.dbapi_connection)
            except Exception as err:  # noqa: BLE001 - the thread outlives any outage; the pages show theirs
                log.warning("data version watch interrupted, retrying: %s", getattr(err, "orig", None) or err)
                self._stop.wait(1.0)
            finally:
                with suppress(Exception):
                    raw.close()

    def _listen(self, engine: Engine, conn: Any) -> None:
        """PostgreSQL: LISTEN, then read what happened before; read the counters once per burst of commits."""
        conn.autocommit = True
        conn.execute(f"LISTEN {versions.CHANNEL}")
        self.refresh(engine)
        while not self._stop.is_set():
            woke = False
            for _ in conn.notifies(timeout=1.0, stop_after=1):
                woke = True
            if woke:
                time.sleep(COALESCE)
                for _ in conn.notifies(timeout=0):
                    pass  # the burst is read once
                self.refresh(engine)

    def _poll(self, engine: Engine, conn: Any) -> None:
        """SQLite: PRAGMA data_version, which moves when another connection commits; then read what happened before."""
        cursor = conn.cursor()
        seen = cursor.execute("PRAGMA data_version").fetchone()[0]
        self.refresh(engine)
        while not self._stop.wait(SQLITE_INTERVAL):
            now = cursor.execute("PRAGMA data_version").fetchone()[0]
            if now != seen:
                seen = now
                self.refresh(engine)


watch = VersionWatch()
"""The process's one watch: the app server starts its thread (server.py, ui/live.py); reads use it (ui/data.py)."""
