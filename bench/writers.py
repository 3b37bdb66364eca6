"""Campaign day: separate writer processes logging reports at once through `run_write(create_activity)`.

Each writer is its own process (spawned, with its own engine), as app servers are; they start
together on a barrier. Two patterns: reports on teams spread over 16 provinces, and the campaign-day
pattern where every report is its team's first of the day (so it moves the day-by-day counts of its
village, commune, district, province and the country, not only the month's sums). Used by the
benchmark (figure 6, PostgreSQL) and by tests/load/test_campaign_day.py (both backends).
"""

import multiprocessing
import random
import statistics
import sys
import time
import types
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from bench.pg import Server, throwaway_postgres

PROVINCES = 16
DAYS_BACK = 60  # reports are dated within the last 60 days
TYPES = ("public_service", "app_install", "cashless", "door_to_door")
LOCK_LOGGING = {"log_lock_waits": "on", "deadlock_timeout": "100ms"}  # every lock wait over 100 ms goes to the log


@dataclass(frozen=True)
class Job:
    """One report to log: its team, its date and its form token."""

    team_id: int
    day: date
    token: str


@dataclass(frozen=True)
class Round:
    """What one round of writers did: reports written, wall time, each report's latency and client CPU."""

    processes: int
    reports: int
    seconds: float
    latencies: list[float]
    cpu: list[float]
    errors: list[str]

    @property
    def per_second(self) -> float:
        """Reports committed per second of wall time."""
        return self.reports / self.seconds if self.seconds else 0.0

    def quantile(self, q: float) -> float:
        """A latency quantile in seconds (q = 0.5 for the median, 0.95 for p95)."""
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1) + 0.5))] if ordered else 0.0

    @property
    def cpu_ms(self) -> float:
        """The writer process's CPU per report, median, in milliseconds."""
        return statistics.median(self.cpu) * 1000 if self.cpu else 0.0


def _active_teams(engine: Engine, today: date) -> list[tuple[int, int, date]]:
    """(team, province, established) of every open team that could report on the days used."""
    sql = text("""
        SELECT t.id, p.ancestor_id, t.established_on FROM teams t
        JOIN unit_paths p ON p.descendant_id = t.unit_id
        JOIN units u ON u.id = p.ancestor_id AND u.tier = 'province'
        WHERE t.closed_on IS NULL AND t.established_on <= :start ORDER BY t.id""")
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(sql, {"start": today - timedelta(days=DAYS_BACK)})]  # type: ignore[misc]


def _reported_days(engine: Engine, today: date) -> set[tuple[int, date]]:
    """The (team, day) pairs that already have a report in the window."""
    sql = text("SELECT DISTINCT team_id, activity_date FROM activities WHERE activity_date >= :start")
    with engine.connect() as conn:
        return {(t, d if isinstance(d, date) else date.fromisoformat(d))
                for t, d in conn.execute(sql, {"start": today - timedelta(days=DAYS_BACK)})}


def plan(engine: Engine, *, pattern: str, processes: int, per_process: int, seed: int, tag: str,
         today: date | None = None) -> list[list[Job]]:
    """The jobs of each writer process.

    `spread`: the 16 provinces with most teams, each process on its own share of them, random teams
    and days. `campaign`: every job a (team, day) with no report yet, none repeated, over the country.
    """
    today = today or date.today()
    rng = random.Random(seed)
    teams = _active_teams(engine, today)
    if not teams:
        raise RuntimeError("no open team to report for")
    jobs: list[list[Job]] = [[] for _ in range(processes)]
    if pattern == "spread":
        by_province: dict[int, list[int]] = {}
        for team_id, province, _ in teams:
            by_province.setdefault(province, []).append(team_id)
        provinces = sorted(by_province, key=lambda p: (-len(by_province[p]), p))[:PROVINCES]
        for n in range(processes):
            # Up to 16 processes share the provinces out; beyond that, processes share a province.
            share = provinces[n::processes] if processes <= len(provinces) else [provinces[n % len(provinces)]]
            mine = [t for p in share for t in by_province[p]]
            for i in range(per_process):
                day = today - timedelta(days=rng.randrange(DAYS_BACK))
                jobs[n].append(Job(rng.choice(mine), day, f"{tag}-{n}-{i}"))
        return jobs
    if pattern != "campaign":
        raise ValueError(f"unknown pattern {pattern!r}")
    taken = _reported_days(engine, today)
    pairs = [(t, today - timedelta(days=k)) for t, _, _ in teams for k in range(DAYS_BACK)]
    rng.shuffle(pairs)
    free = (pair for pair in pairs if pair not in taken)
    for n in range(processes):
        for i in range(per_process):
            team_id, day = next(free)
            jobs[n].append(Job(team_id, day, f"{tag}-{n}-{i}"))
    return jobs


def lock_waits(log: Path) -> int:
    """Lock waits over `deadlock_timeout` the server has logged so far (with `LOCK_LOGGING`)."""
    return log.read_text(errors="replace").count("still waiting for")


def measured_round(engine: Engine, server: Server, *, pattern: str, processes: int, per_process: int) -> tuple[Round, int]:
    """Plan and run one round on a throwaway server; return it with the lock waits over 100 ms logged meanwhile."""
    jobs = plan(engine, pattern=pattern, processes=processes, per_process=per_process, seed=processes,
                tag=f"{pattern}-{processes}")
    logged = lock_waits(server.log)
    result = run_round(server.url, jobs)
    return result, lock_waits(server.log) - logged


def _writer(url: str, jobs: list[Job], barrier: Any, out: Any) -> None:
    """One writer process: connect, wait for the others, log each report in its own transaction."""
    import db.engine
    from db.activities import ActivityInput, create_activity
    from db.auth import SYSTEM
    from db.transactions import run_write

    engine = db.engine.configure(url)
    with engine.connect() as conn:  # connect and warm up before the clock starts
        conn.execute(text("SELECT 1"))
    latencies, cpu, errors = [], [], []
    barrier.wait()
    for i, job in enumerate(jobs):
        data = ActivityInput(team_id=job.team_id, activity_date=job.day, activity_type=TYPES[i % len(TYPES)],
                             people_reached=5 + i % 20, households_reached=i % 7, results=i % 5, form_token=job.token)
        started, cpu_started = time.perf_counter(), time.process_time()
        try:
            run_write(create_activity, actor=SYSTEM, data=data)
        except Exception as err:  # noqa: BLE001 - reported back to the parent, which fails the round
            errors.append(f"{type(err).__name__}: {err}")
        latencies.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
    out.put((time.perf_counter(), latencies, cpu, errors))
    engine.dispose()


def run_round(url: str, jobs: list[list[Job]]) -> Round:
    """Start one process per job list, release them together, and collect what they measured."""
    ctx = multiprocessing.get_context("spawn")
    barrier, out = ctx.Barrier(len(jobs) + 1), ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(url, mine, barrier, out)) for mine in jobs]
    # A spawned process first imports the caller's __main__; after AppTest that is app.py (Streamlit's script
    # runner installs the script it ran as __main__), so each writer would run the app. They need none of it.
    caller_main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        for proc in procs:
            proc.start()
    finally:
        sys.modules["__main__"] = caller_main
    barrier.wait(timeout=120)
    started = time.perf_counter()
    results = [out.get(timeout=900) for _ in procs]
    for proc in procs:
        proc.join(timeout=60)
    return Round(
        processes=len(jobs),
        reports=sum(len(mine) for mine in jobs),
        seconds=max(r[0] for r in results) - started,
        latencies=[x for r in results for x in r[1]],
        cpu=[x for r in results for x in r[2]],
        errors=[x for r in results for x in r[3]],
    )


def main(argv: list[str] | None = None) -> int:
    """Print figure 6 alone on a throwaway PostgreSQL with a small national dataset (nothing saved)."""
    import argparse
    import re

    import db.engine
    from db.counts import differences
    from db.migrate import upgrade
    from seed.national import load_national

    parser = argparse.ArgumentParser(prog="python -m bench.writers", description="Đo ghi báo cáo đồng thời (ngày chiến dịch).")
    parser.add_argument("--processes", default="1,2,4,8,16", help="số tiến trình ghi của từng vòng (mặc định 1,2,4,8,16)")
    parser.add_argument("--reports", type=int, default=200, help="số báo cáo mỗi tiến trình (mặc định 200)")
    parser.add_argument("--villages", type=int, default=1000)
    parser.add_argument("--activities", type=int, default=100_000)
    args = parser.parse_args(argv)
    with throwaway_postgres(settings=LOCK_LOGGING) as server:
        engine = db.engine.configure(server.url)
        upgrade(engine)
        load_national(engine, villages=args.villages, activities=args.activities, progress=lambda _: None)
        print("| pattern | processes | reports/s | p50 ms | p95 ms | lock waits > 100 ms | writer CPU ms/report |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for pattern in ("spread", "campaign"):
            for n in (int(x) for x in args.processes.split(",")):
                r, waits = measured_round(engine, server, pattern=pattern, processes=n, per_process=args.reports)
                print(f"| {pattern} | {n} | {r.per_second:.0f} | {r.quantile(0.5) * 1000:.0f} | {r.quantile(0.95) * 1000:.0f} "
                      f"| {waits} | {r.cpu_ms:.1f} |", flush=True)
                if r.errors:
                    print(f"{len(r.errors)} lỗi, ví dụ: {r.errors[0]}")
                    return 1
        longest = max((float(x) for x in re.findall(r"acquired .* after ([\d.]+) ms", server.log.read_text(errors="replace"))),
                      default=0.0)
        print(f"longest lock wait logged: {longest:.0f} ms")
        with db.engine.SessionLocal() as session:
            wrong = differences(session)
        engine.dispose()
    print("kept tables equal a recount" if not wrong else f"{len(wrong)} kept rows differ from a recount")
    return 1 if wrong else 0


if __name__ == "__main__":
    # Run the imported module's main: the writer function must be pickled by its module name, not as __main__'s.
    from bench.writers import main as imported_main

    raise SystemExit(imported_main())
