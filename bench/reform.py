"""Figure 11: the carry-over of a national dataset to the 2025 structure (issue 16), on SQLite and PostgreSQL.

Each backend gets its own throwaway database: the national dataset (`seed national`: legacy units, villages,
teams, members, reports), then the 2025 units and the official mapping (`seed units --structure 2025`). The
seconds are `apply_carry_over` for the whole country and its commit, one transaction: every village moved, its
closure rows added, reports from 01/07/2025 moved to the 2025 commune, one audit row per village, the kept
tables followed; each step one set-based statement joined to a temporary staging table of the moves.
Target: 60 s on each backend at 100,000 villages.
Run alone: `.venv/bin/python -m bench.reform [--villages N] [--activities N]`; `make bench` runs it as figure 11.
"""

import argparse
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

SECONDS_TARGET = 60.0
VILLAGES = 100_000
ACTIVITIES = 1_000_000  # the reports only matter from 01/07/2025 on; a tenth of the national file keeps the build short


@dataclass(frozen=True)
class Run:
    """One carry-over: where, how much moved, how long it took, and (when checked) the kept tables' differences."""

    backend: str
    villages: int
    moved: int
    reports: int
    seconds: float
    differences: int | None


@contextmanager
def _database(backend: str) -> Iterator[Engine]:
    """A fresh, migrated throwaway database of the backend."""
    from db.engine import make_engine
    from db.migrate import upgrade

    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="bench-reform-") as tmp:
            engine = make_engine(f"sqlite:///{Path(tmp) / 'reform.sqlite3'}")
            upgrade(engine)
            try:
                yield engine
            finally:
                engine.dispose()
        return
    from bench.pg import throwaway_postgres

    with throwaway_postgres(dbname="reform") as server:
        engine = make_engine(server.url)
        upgrade(engine)
        try:
            yield engine
        finally:
            engine.dispose()


def carry_over(engine: Engine, *, check: bool) -> tuple[int, int, float, int | None]:
    """Apply the carry-over for the whole country and commit; (villages, reports, seconds, differences or None)."""
    from db import counts
    from db.auth import SYSTEM
    from db.reform import apply_carry_over

    with Session(engine) as session:
        started = time.perf_counter()
        result = apply_carry_over(session, actor=SYSTEM)
        session.commit()
        seconds = time.perf_counter() - started
        diffs = len(counts.differences(session)) if check else None
    return result.villages, result.reports, seconds, diffs


def measure(villages: int = VILLAGES, activities: int = ACTIVITIES, *, backends: tuple[str, ...] = ("sqlite", "postgresql"),
            check: bool = False, say: Callable[[str], None] = print) -> list[Run]:
    """Build the dataset on each backend, then time the carry-over."""
    from seed.national import load_national
    from seed.units import load_both

    runs = []
    for backend in backends:
        with _database(backend) as engine:
            say(f"11. Chuyển sang địa giới mới ({backend}): nạp {villages} thôn, {activities} báo cáo…")
            load_national(engine, villages=villages, activities=activities, progress=lambda m: say("  " + m))
            with Session(engine) as session:
                load_both(session, structures=("2025",), progress=lambda m: say("  " + m))
                session.commit()
            moved, reports, seconds, diffs = carry_over(engine, check=check)
            say(f"  chuyển {moved} thôn, {reports} báo cáo trong {seconds:.1f} giây")
            runs.append(Run(backend, villages, moved, reports, seconds, diffs))
    return runs


def main(argv: list[str] | None = None) -> int:
    """Measure and print the seconds per backend."""
    parser = argparse.ArgumentParser(prog="python -m bench.reform")
    parser.add_argument("--villages", type=int, default=VILLAGES)
    parser.add_argument("--activities", type=int, default=ACTIVITIES)
    parser.add_argument("--check", action="store_true", help="compare the kept tables with a recount afterwards")
    args = parser.parse_args(argv)
    for run in measure(args.villages, args.activities, check=args.check, say=lambda m: print(m, file=sys.stderr)):
        met = "yes" if run.seconds <= SECONDS_TARGET else "NO"
        print(f"{run.backend}: {run.moved} villages, {run.reports} reports carried over in {run.seconds:.1f} s "
              f"(target ≤ {SECONDS_TARGET:.0f} s: {met})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
