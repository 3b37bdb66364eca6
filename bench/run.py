"""`make bench`: build the national dataset once, measure the figures of issue 7, print and save them.

Figures (bench/README.md explains each):
1. the Tổng quan, Độ phủ and Hoạt động pages through AppTest at national, province and district scope:
   the first run after a write, and warm runs (median of 5);
2. logging one report (p50, p95) on SQLite (national dataset) and PostgreSQL (1% scale dataset);
3. the dashboard's aggregations against DuckDB on the raw rows and against naive pandas;
4. the peak memory of one Streamlit server serving 10 sessions of the overview page;
5. importing 10,000 members from Excel, preview and apply, on a fresh database with the official units
   (SQLite and PostgreSQL; bench/excel_import.py);
6. campaign day on PostgreSQL: 1, 2, 4, 8 and 16 writer processes at once (bench/writers.py), spread over
   16 provinces and with every report a team's first of the day: reports/s, p50/p95, lock waits over
   100 ms from the server log, writer CPU per report; the kept tables must equal a recount afterwards;
7. every page of the sidebar in Chromium for the whole country and one district: a sidebar click to the page
   usable, warm and right after a write, a full load, and the bytes over the websocket (bench/browser.py);
8. live figures: commit to figure, queries of idle tabs, memory over a thousand writes (bench/live.py);
9. the volunteer's phone (issue 13): the light report page and the Streamlit form under CPU × 4 and no limit,
   3G and EDGE, cold and warm, on the demo data: seconds, bytes and requests (bench/phone.py);
10. hostile uploads (issue 14): seconds and memory of a workbook bomb, a list formatted down to Excel's last
   row, a pixel-bomb photo and a camera photo, each in its own process (bench/uploads.py);
11. the carry-over to the 2025 structure (issue 16): a national dataset moved to the 2025 communes in one
   transaction, on SQLite and PostgreSQL, each in its own throwaway database (bench/reform.py).
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, text

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
RESULTS = ROOT / "bench" / "results.json"
APP = str(ROOT / "app.py")
PASSWORD = "Bench@CNSCD2026"
REPEATS = 5
WRITES = 200
PG_SCALE = 0.01  # the PostgreSQL dataset is 1% of the national one
CAMPAIGN_PROCESSES = (1, 2, 4, 8, 16)
CAMPAIGN_REPORTS = 200  # reports per writer process
PARTS = ("pages", "writes", "postgres", "campaign", "aggregations", "memory", "import", "browser", "live", "phone",
         "uploads", "reform")
# Parts with their own throwaway databases: a run of only these needs no national file.
DATASET_FREE = {"import", "phone", "uploads", "reform"}


@dataclass
class Figure:
    """One measured figure; `value` None means not measured, `met` None means no target."""

    name: str
    value: float | None
    unit: str
    target: str | None
    met: bool | None

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of issue 7."""
        return {"name": self.name, "value": self.value, "unit": self.unit, "target": self.target, "met": self.met}


def say(message: str) -> None:
    """Progress on stderr, so the table on stdout stays clean."""
    print(message, file=sys.stderr, flush=True)


def _within(value: float | None, limit: float) -> bool | None:
    return None if value is None else value <= limit


def _at_least(value: float | None, limit: float) -> bool | None:
    return None if value is None else value >= limit


def _r(seconds: float, digits: int = 4) -> float:
    return round(seconds, digits)


# ---- the dataset --------------------------------------------------------------------------------


def _migrate(path: Path) -> None:
    """Bring a kept dataset to the current schema (`python -m db upgrade`; nothing to do when it is current)."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{path}", "DATA_DIR": str(DATA / "files")}
    subprocess.run([sys.executable, "-m", "db", "upgrade"], cwd=ROOT, env=env, check=True, stdout=sys.stderr)


def ensure_dataset(villages: int, activities: int, seed: int = 42) -> tuple[Path, dict[str, Any]]:
    """Build bench/data/national.sqlite3 with `python -m seed national`, unless it exists for these sizes."""
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / "national.sqlite3"
    meta_path = DATA / "national.json"
    wanted = {"villages": villages, "activities": activities, "seed": seed}
    if path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if {k: meta.get(k) for k in wanted} == wanted:
            say(f"Dùng lại bộ dữ liệu {path.relative_to(ROOT)} (tạo mất {meta.get('build_seconds')} giây).")
            _migrate(path)  # a dataset built before a schema change gets the current schema
            return path, meta
        say("Bộ dữ liệu có sẵn khác kích thước yêu cầu: tạo lại.")
    for stale in DATA.glob("national.sqlite3*"):
        stale.unlink()
    meta_path.unlink(missing_ok=True)
    part = DATA / "national.part.sqlite3"
    for stale in DATA.glob("national.part.sqlite3*"):
        stale.unlink()
    say(f"Tạo bộ dữ liệu cả nước: {villages} thôn, {activities} báo cáo (một lần)…")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{part}", "DATA_DIR": str(DATA / "files")}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "seed", "national", "--villages", str(villages), "--activities",
                    str(activities), "--seed", str(seed)], cwd=ROOT, env=env, check=True, stdout=sys.stderr)
    build = round(time.perf_counter() - started, 1)
    for suffix in ("-wal", "-shm"):
        side = Path(f"{part}{suffix}")
        if side.exists():
            side.replace(f"{path}{suffix}")
    part.replace(path)
    meta = {**wanted, "build_seconds": build}
    meta_path.write_text(json.dumps(meta))
    return path, meta


def scale_counts(session) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Row counts of the dataset."""
    def count(sql: str) -> int:
        return int(session.scalar(text(sql)) or 0)

    return {
        "provinces": count("SELECT count(*) FROM units WHERE tier = 'province'"),
        "districts": count("SELECT count(*) FROM units WHERE tier = 'district'"),
        "communes": count("SELECT count(*) FROM units WHERE tier = 'commune'"),
        "villages": count("SELECT count(*) FROM units WHERE tier = 'village'"),
        "teams": count("SELECT count(*) FROM teams"),
        "members": count("SELECT count(*) FROM members"),
        "activities": count("SELECT count(*) FROM activities"),
        "activity_rollup_rows": count("SELECT count(*) FROM activity_rollups"),
    }


# ---- accounts and scopes ------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """A scope to measure: its label, the account's actor, and a team inside it to write reports for."""

    label: str
    actor: Any
    unit_id: int | None
    team_id: int


def bench_scopes(session) -> tuple[list[Scope], int, int]:  # type: ignore[no-untyped-def]
    """Accounts for the whole country, the largest province and its largest district (created if missing)."""
    from db.auth import SYSTEM, actor_of, create_user
    from db.models import User

    province = session.execute(text(
        "SELECT p.ancestor_id FROM unit_paths p JOIN units a ON a.id = p.ancestor_id JOIN units v ON v.id = p.descendant_id "
        "WHERE a.tier = 'province' AND v.tier = 'village' GROUP BY p.ancestor_id ORDER BY count(*) DESC, p.ancestor_id LIMIT 1"
    )).scalar_one()
    district = session.execute(text(
        "SELECT p.ancestor_id FROM unit_paths p JOIN units a ON a.id = p.ancestor_id JOIN units v ON v.id = p.descendant_id "
        "WHERE a.tier = 'district' AND a.parent_id = :p AND v.tier = 'village' GROUP BY p.ancestor_id "
        "ORDER BY count(*) DESC, p.ancestor_id LIMIT 1"), {"p": province}).scalar_one()
    team = session.execute(text(
        "SELECT t.id FROM teams t JOIN unit_paths p ON p.descendant_id = t.unit_id "
        "WHERE p.ancestor_id = :d AND t.closed_on IS NULL AND t.established_on <= :day ORDER BY t.id LIMIT 1"),
        {"d": district, "day": (date.today() - timedelta(days=30)).isoformat()}).scalar_one()
    accounts = [("cả nước", "bench.admin", "admin", None), ("tỉnh", "bench.tinh", "officer", province),
                ("huyện", "bench.huyen", "officer", district)]
    scopes = []
    for label, username, role, unit_id in accounts:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            user = create_user(session, actor=SYSTEM, username=username, password=PASSWORD,
                               full_name=f"Tài khoản đo hiệu năng ({label})", role=role, unit_id=unit_id)
            session.flush()
        scopes.append(Scope(label, actor_of(user), unit_id, team))
    session.commit()
    return scopes, province, district


def write_report(team_id: int, day: date, *, note: str = "bench") -> int:
    """Log one report in its own transaction (the quick form's path); return its id."""
    from db.activities import ActivityInput, create_activity
    from db.auth import SYSTEM
    from db.engine import SessionLocal

    with SessionLocal.begin() as session:
        activity = create_activity(session, actor=SYSTEM, today=date.today(), data=ActivityInput(
            team_id=team_id, activity_date=day, activity_type="app_install", people_reached=12,
            households_reached=8, results=10, note=note))
        return int(activity.id)


def delete_reports(ids: list[int]) -> None:
    """Remove the benchmark's own reports (rollups follow), so the dataset stays the same run after run."""
    from db.activities import delete_activity
    from db.auth import SYSTEM
    from db.engine import SessionLocal

    with SessionLocal.begin() as session:
        for activity_id in ids:
            delete_activity(session, actor=SYSTEM, activity_id=activity_id)


# ---- 1. pages through AppTest -------------------------------------------------------------------

PAGES = [("Tổng quan", "pages/overview_page.py"), ("Độ phủ", "pages/coverage_page.py"),
         ("Hoạt động", "pages/activities_page.py"), ("Báo cáo", "pages/reports_page.py")]
UNTARGETED = {"pages/reports_page.py"}  # measured, not held to the dashboards' targets: a meeting's read is larger


def _run(at) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    at.run()
    elapsed = time.perf_counter() - started
    if at.exception:
        raise RuntimeError(f"the page raised: {at.exception[0].value}")
    return elapsed


def measure_pages(scopes: list[Scope], written: list[int]) -> list[Figure]:
    """Median of 5 first runs after a write, and of 5 warm runs, for each page and scope."""
    import logging

    from streamlit.testing.v1 import AppTest

    from ui import data

    # AppTest runs without a server: Streamlit warns about it on every cached read. Not our news.
    for name in ("streamlit.runtime.caching.cache_data_api", "streamlit.runtime.scriptrunner_utils.script_run_context"):
        logging.getLogger(name).setLevel(logging.ERROR)
    figures = []
    for scope in scopes:
        data.forget()
        at = AppTest.from_file(APP, default_timeout=600)
        at.session_state["auth_actor"] = scope.actor
        _run(at)  # the frame and the default page once: imports and first-use costs are not the page's
        for title, page in PAGES:
            at.switch_page(page)
            _run(at)
            cold, warm = [], []
            for i in range(REPEATS):
                written.append(write_report(scope.team_id, date.today() - timedelta(days=i % 3)))
                cold.append(_run(at))
            for _ in range(REPEATS):
                warm.append(_run(at))
            c, w = statistics.median(cold), statistics.median(warm)
            say(f"  {title}, {scope.label}: lần đầu sau khi ghi {c:.3f} giây, đã có bộ nhớ đệm {w:.3f} giây")
            district = scope.label == "huyện"
            overview = page.endswith("overview_page.py")
            cold_target = None if page in UNTARGETED else "≤ 0.3 s" if district else "≤ 1.5 s" if overview else None
            warm_target = None if page in UNTARGETED else "≤ 0.3 s" if district else "≤ 0.5 s" if overview else None
            limit_c = 0.3 if district else 1.5
            limit_w = 0.3 if district else 0.5
            figures.append(Figure(f"page {title} ({scope.label}), first run after a write, median of {REPEATS}",
                                  _r(c), "s", cold_target, _within(c, limit_c) if cold_target else None))
            figures.append(Figure(f"page {title} ({scope.label}), warm run, median of {REPEATS}",
                                  _r(w), "s", warm_target, _within(w, limit_w) if warm_target else None))
    return figures


# ---- 2. logging one report ----------------------------------------------------------------------


def _team_sample(session, n: int, rng: random.Random) -> list[int]:  # type: ignore[no-untyped-def]
    since = (date.today() - timedelta(days=30)).isoformat()
    ids = session.execute(text("SELECT id FROM teams WHERE closed_on IS NULL AND established_on <= :d ORDER BY id"),
                          {"d": since}).scalars().all()
    return [rng.choice(ids) for _ in range(n)]


def measure_writes(backend: str, written: list[int] | None) -> tuple[float, float, int]:
    """p50 and p95 (seconds) of logging one report in its own transaction, over WRITES reports."""
    from db.engine import SessionLocal

    rng = random.Random(7)
    with SessionLocal() as session:
        teams = _team_sample(session, WRITES, rng)
    times, ids = [], []
    for i, team_id in enumerate(teams):
        day = date.today() - timedelta(days=rng.randint(0, 20))
        started = time.perf_counter()
        ids.append(write_report(team_id, day, note=f"bench {backend} {i}"))
        times.append(time.perf_counter() - started)
    if written is not None:
        written.extend(ids)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))], len(times)


def measure_postgres(villages: int, activities: int, *, writes: bool, campaign: bool) -> tuple[list[Figure], dict[str, int]]:
    """Load a 1% national dataset into a throwaway PostgreSQL; measure logging reports there, then campaign day."""
    import db.engine
    from bench.pg import throwaway_postgres
    from bench.writers import LOCK_LOGGING
    from db.migrate import upgrade
    from seed.national import load_national

    v, a = max(1, round(villages * PG_SCALE)), max(1, round(activities * PG_SCALE))
    label = f"PostgreSQL, 1% scale dataset: {v:_} villages, {a:_} reports".replace("_", ".")
    figures = []
    with throwaway_postgres(settings=LOCK_LOGGING) as server:  # the campaign figures count the logged waits
        engine = db.engine.configure(server.url)
        upgrade(engine)
        say(f"PostgreSQL: nạp bộ dữ liệu 1% ({v} thôn, {a} báo cáo)…")
        counts = load_national(engine, villages=v, activities=a, progress=lambda m: say("  " + m))
        if writes:
            p50, p95, n = measure_writes("postgresql", None)
            figures += [
                Figure(f"log one report, p50 ({label}; {n} reports)", _r(p50 * 1000, 2), "ms", None, None),
                Figure(f"log one report, p95 ({label}; {n} reports)", _r(p95 * 1000, 2), "ms", "≤ 50 ms",
                       _within(p95, 0.050)),
            ]
        if campaign:
            figures += measure_campaign(engine, server, label)
        engine.dispose()
    return figures, {"villages": counts.villages, "teams": counts.teams, "members": counts.members,
                     "activities": counts.activities}


def measure_campaign(engine, server, label: str) -> list[Figure]:  # type: ignore[no-untyped-def]
    """Writer processes at once (1 to 16), spread over 16 provinces and on the campaign-day pattern (figure 6)."""
    from bench import writers
    from db.counts import differences
    from db.engine import SessionLocal

    figures = []
    for pattern, words in (("spread", "spread over 16 provinces"), ("campaign", "campaign day: each a team's first report of the day")):
        rounds = {}
        for n in CAMPAIGN_PROCESSES:
            r, waits = writers.measured_round(engine, server, pattern=pattern, processes=n, per_process=CAMPAIGN_REPORTS)
            rounds[n] = r
            if r.errors:
                raise RuntimeError(f"{len(r.errors)} writes failed, e.g. {r.errors[0]}")
            say(f"  {words}, {n} tiến trình: {r.per_second:.0f} báo cáo/giây, p50 {r.quantile(0.5) * 1000:.0f} ms, "
                f"p95 {r.quantile(0.95) * 1000:.0f} ms, chờ khóa > 100 ms: {waits}, CPU {r.cpu_ms:.1f} ms/báo cáo")
            name = f"{words}, {n} writer process{'es' if n > 1 else ''} × {CAMPAIGN_REPORTS} ({label})"
            last = n == CAMPAIGN_PROCESSES[-1]
            p95 = r.quantile(0.95)
            figures += [
                Figure(f"{name}: reports per second", round(r.per_second, 1), "reports/s", None, None),
                Figure(f"{name}: p50", _r(r.quantile(0.5) * 1000, 1), "ms", None, None),
                Figure(f"{name}: p95", _r(p95 * 1000, 1), "ms", "≤ 200 ms" if last else None,
                       _within(p95, 0.200) if last else None),
                Figure(f"{name}: lock waits over 100 ms (server log)", waits, "waits", "0" if last else None,
                       waits == 0 if last else None),
                Figure(f"{name}: writer CPU per report, median", _r(r.cpu_ms, 2), "ms", None, None),
            ]
        ratio = rounds[2].per_second / rounds[1].per_second
        figures.append(Figure(f"{words}: throughput of 2 processes ÷ 1 process", round(ratio, 2), "ratio", "≥ 1.8",
                              _at_least(ratio, 1.8)))
    with SessionLocal() as session:
        wrong = differences(session)
    if wrong:
        raise RuntimeError(f"after the campaign the kept tables differ from a recount in {len(wrong)} rows")
    return figures


# ---- 3. aggregations against DuckDB and pandas --------------------------------------------------


def measure_aggregations(engine, province_id: int) -> list[Figure]:  # type: ignore[no-untyped-def]
    """Equal answers three ways; the dashboard's time against DuckDB's and naive pandas'."""
    from bench import reference as ref
    from db.engine import SessionLocal

    as_of = date.today()
    say("Sao chép dữ liệu thô vào DuckDB trong bộ nhớ (không tính giờ)…")
    con = ref.copy_to_duckdb(engine)
    say("Đọc dữ liệu thô bằng pandas (cách làm ngây thơ, có tính giờ)…")
    load_times: dict[str, float] = {}
    frames = {}
    for table in ref.RAW_TABLES:
        started = time.perf_counter()
        frames.update(ref.load_frames(engine, [table]))
        load_times[table] = time.perf_counter() - started
    figures = []
    total_dash = total_duck = 0.0
    with SessionLocal() as session:
        for case in ref.cases(province_id=province_id, as_of=as_of):
            dash, t_dash = ref.timed(lambda c=case: ref.dashboard_answer(session, c))
            duck, t_duck = ref.timed(lambda c=case: ref.duckdb_answer(con, c))
            naive, t_group = ref.timed(lambda c=case: ref.pandas_answer(frames, c), repeat=1)
            t_naive = t_group + sum(load_times[t] for t in ref.TABLES_NEEDED[case.name])
            if not (dash == duck == naive):
                raise AssertionError(f"{case.label}: the answers differ\n dashboard {dash!r:.800}\n duckdb {duck!r:.800}\n"
                                     f" pandas {naive!r:.800}")
            total_dash += t_dash
            total_duck += t_duck
            say(f"  {case.label}: bảng điều khiển {t_dash:.4f} giây, DuckDB {t_duck:.4f} giây, pandas {t_naive:.2f} giây"
                " — kết quả trùng khớp")
            figures += [
                Figure(f"{case.label}: dashboard time (answers equal DuckDB and pandas)", _r(t_dash), "s", None, None),
                Figure(f"{case.label}: dashboard ÷ DuckDB on raw rows", _r(t_dash / t_duck, 2), "ratio", "≤ 1",
                       _within(t_dash / t_duck, 1.0)),
                Figure(f"{case.label}: naive pandas (load + group) ÷ dashboard", _r(t_naive / t_dash, 1), "ratio", "≥ 100",
                       _at_least(t_naive / t_dash, 100.0)),
            ]
    figures.append(Figure("all six aggregations: dashboard ÷ DuckDB on raw rows", _r(total_dash / total_duck, 2),
                          "ratio", "≤ 1", _within(total_dash / total_duck, 1.0)))
    con.close()
    return figures


# ---- 4. server memory ---------------------------------------------------------------------------


def measure_memory(database_url: str, username: str, sessions: int = 10) -> Figure:
    """Peak RSS of one Streamlit server (process tree) while 10 Chromium sessions show the overview."""
    import threading

    import psutil
    from playwright.sync_api import sync_playwright

    from bench.browser import CHROMIUM, CHROMIUM_ARGS, serve

    peak = 0
    stop = threading.Event()

    def sample(pid: int) -> None:
        nonlocal peak
        root = psutil.Process(pid)
        while not stop.is_set():
            try:
                tree = [root, *root.children(recursive=True)]
                peak = max(peak, sum(p.memory_info().rss for p in tree))
            except psutil.Error:
                pass
            time.sleep(0.05)

    with serve(database_url, DATA / "files", DATA / "server.log") as (url, pid):
        sampler = threading.Thread(target=sample, args=(pid,), daemon=True)
        sampler.start()
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                pages = []
                for i in range(sessions):
                    context = browser.new_context(viewport={"width": 1366, "height": 768})
                    page = context.new_page()
                    page.goto(url)
                    page.get_by_label("Tên đăng nhập").fill(username)
                    page.get_by_label("Mật khẩu").fill(PASSWORD)
                    page.get_by_role("button", name="Đăng nhập").click()
                    page.get_by_text("Cả nước — số liệu đến").wait_for(timeout=180_000)
                    pages.append(page)
                    say(f"  phiên {i + 1}/{sessions} đã hiện trang Tổng quan")
                for page in pages:  # all ten at once: each reloads and resumes its sign-in from the cookie
                    page.reload(wait_until="commit")
                for page in pages:
                    page.get_by_text("Cả nước — số liệu đến").wait_for(timeout=180_000)
                time.sleep(2)
                browser.close()
        finally:
            stop.set()
            sampler.join()
    mb = peak / 1024 / 1024
    return Figure(f"Streamlit server peak RSS, {sessions} sessions of the overview (national account)", _r(mb, 1), "MB",
                  "≤ 500 MB", _within(mb, 500))


# ---- 5. importing from Excel ----------------------------------------------------------------------


def measure_import(*, postgres: bool) -> list[Figure]:
    """Preview and apply a 10,000-member Excel file on throwaway databases (bench/excel_import.py)."""
    from bench import excel_import

    figures = []
    for t in excel_import.measure(postgres=postgres, say=say):
        where = f"{t.backend}, fresh database with the official units"
        figures += [
            Figure(f"import 10,000 members from Excel, preview ({where})", _r(t.preview, 2), "s", None, None),
            Figure(f"import 10,000 members from Excel, apply ({where})", _r(t.apply, 2), "s", None, None),
            Figure(f"import 10,000 members from Excel, preview + apply ({where})", _r(t.total, 2), "s", "≤ 10 s",
                   _within(t.total, excel_import.TARGET_SECONDS)),
        ]
    return figures


# ---- 7. every page in Chromium --------------------------------------------------------------------


def measure_browser(database_url: str, scopes: list[Scope], written: list[int]) -> list[Figure]:
    """Medians of the sidebar click (warm, after a write), the full load and the websocket bytes of every page."""
    from bench import browser

    chosen = [s for s in scopes if s.label in ("cả nước", "huyện")]
    accounts = [(s.label, s.actor.username, s.team_id) for s in chosen]
    timings = browser.measure(database_url, DATA, accounts, PASSWORD, write_report, written, say)
    figures = []
    n = browser.REPEATS
    for label, pages in timings.items():
        for path, t in pages.items():
            title = browser.PAGES[path][0]
            warm, after, load = (statistics.median(x) for x in (t.warm, t.after_write, t.full_load))
            click_kb, load_kb = (statistics.median(x) / 1024 for x in (t.click_bytes, t.load_bytes))
            where = f"page {title} ({label}) in Chromium"
            figures += [
                Figure(f"{where}: sidebar click to usable, warm, median of {n}", _r(warm, 3), "s", "≤ 1.0 s",
                       _within(warm, browser.CLICK_TARGET)),
                Figure(f"{where}: sidebar click to usable, right after a write, median of {n}", _r(after, 3), "s",
                       "≤ 1.0 s", _within(after, browser.CLICK_TARGET)),
                Figure(f"{where}: full load to usable, median of {n}", _r(load, 3), "s", "≤ 2.0 s",
                       _within(load, browser.LOAD_TARGET)),
                Figure(f"{where}: websocket bytes of a click view, median of {n}", _r(click_kb, 1), "KB", "≤ 300 KB",
                       _within(click_kb, browser.BYTES_TARGET / 1024)),
                Figure(f"{where}: websocket bytes of a full load, median of {n}", _r(load_kb, 1), "KB", "≤ 300 KB",
                       _within(load_kb, browser.BYTES_TARGET / 1024)),
            ]
    return figures


# ---- 8. live figures ----------------------------------------------------------------------------


def measure_live(database_url: str, scopes: list[Scope], written: list[int], *, rounds: int = 1000) -> list[Figure]:
    """Commit to figure in Chromium (national dataset and PostgreSQL), idle tabs' queries, RSS over `rounds` writes."""
    from bench import live
    from bench.browser import serve

    figures = []
    n = 0

    def write(team_id: int) -> None:
        nonlocal n
        n += 1
        written.append(write_report(team_id, date.today() - timedelta(days=n % 3)))

    national, district = scopes[0], next(s for s in scopes if s.label == "huyện")
    marks = tuple(sorted({10, rounds // 4, rounds // 2, rounds}))
    with serve(database_url, DATA / "files", DATA / "live-server.log") as (url, pid):
        say("  tài khoản cả nước, trang Tổng quan, rồi ghi và xem liên tục:")
        top = live.measure_server(url, pid, national.actor.username, PASSWORD, lambda: write(national.team_id),
                                  memory_rounds=marks, say=say)
        say("  tài khoản huyện, trang Tổng quan:")
        low = live.measure_server(url, pid, district.actor.username, PASSWORD, lambda: write(district.team_id), say=say)
    for label, result in (("national account", top), ("district account", low)):
        median = statistics.median(result.latencies)
        figures.append(Figure(f"live: commit to figure on an open Tổng quan in Chromium ({label}, SQLite, national dataset), "
                              f"median of {len(result.latencies)}", _r(median, 3), "s", "≤ 2 s", _within(median, 2.0)))
    grown = top.rss[rounds] - top.rss[10]
    figures += [
        Figure("live: server RSS after 10 rounds of 'log a report, the national Tổng quan redraws'", _r(top.rss[10], 1), "MB",
               None, None),
        Figure(f"live: server RSS after {rounds:,} rounds minus after 10", _r(grown, 1), "MB", "≤ 20 MB", _within(grown, 20)),
    ]
    figures += _live_on_postgres()
    return figures


def _live_on_postgres() -> list[Figure]:
    """The demo data on a throwaway PostgreSQL logging every statement: idle tabs' queries, commit to figure."""
    from sqlalchemy import create_engine, select
    from sqlalchemy.orm import Session

    from bench import live
    from bench.browser import serve
    from bench.pg import throwaway_postgres
    from db.activities import ActivityInput, create_activity
    from db.auth import SYSTEM
    from db.models import Team, UnitPath, User
    from seed.demo import DEMO_PASSWORD

    leader = "lanhdao.phuninh"
    settings = {"log_statement": "all", "log_line_prefix": "[%a]"}
    with throwaway_postgres("live", settings) as server:
        env = {**os.environ, "DATABASE_URL": server.url}
        subprocess.run([sys.executable, "-m", "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
        subprocess.run([sys.executable, "-m", "seed", "demo"], cwd=ROOT, env=env, check=True, capture_output=True)
        engine = create_engine(server.url, connect_args={"application_name": live.WRITER})
        with Session(engine) as session:
            unit_id = session.scalar(select(User.unit_id).where(User.username == leader))
            team_id = session.scalar(select(Team.id).join(UnitPath, UnitPath.descendant_id == Team.unit_id).where(
                UnitPath.ancestor_id == unit_id, Team.closed_on.is_(None)).order_by(Team.id).limit(1))

        def write() -> None:
            with Session(engine) as session, session.begin():
                create_activity(session, actor=SYSTEM, today=date.today(), data=ActivityInput(
                    team_id=team_id, activity_date=date.today(), activity_type="app_install", people_reached=5))

        with serve(server.url, DATA / "files", DATA / "live-pg-server.log") as (url, pid):
            tabs, quiet, after_write = live.idle_queries(url, server.log, leader, DEMO_PASSWORD, write, say=say)
            result = live.measure_server(url, pid, leader, DEMO_PASSWORD, write, say=say)
        engine.dispose()
    median = statistics.median(result.latencies)
    per_tab = quiet / tabs
    return [
        Figure(f"live: commit to figure on an open Tổng quan in Chromium (PostgreSQL, demo data), median of "
               f"{len(result.latencies)}", _r(median, 3), "s", "≤ 2 s", _within(median, 2.0)),
        Figure(f"live: SQL statements per open tab per minute while nothing changes (PostgreSQL, {tabs} tabs)",
               _r(per_tab, 2), "statements", "0", per_tab == 0),
        Figure(f"live: SQL statements of the app server after one write, {tabs} tabs open (what the count sees)",
               after_write, "statements", None, None),
    ]


# ---- 9. the volunteer's phone ----------------------------------------------------------------------


def measure_phone() -> list[Figure]:
    """The light report page and the Streamlit form on a throttled phone, cold and warm (bench/phone.py)."""
    from bench import phone
    from seed.demo import DEMO_PASSWORD

    with phone.demo_server(DATA if DATA.exists() else None) as url:
        results = phone.measure(url, DEMO_PASSWORD, say=say)
    figures = []
    n = phone.REPEATS
    of = f", median of {n}" if n > 1 else ""
    totals: dict[tuple[str, str, str], float] = {}
    for r in results:
        edge = r.profile.key == "edge"
        light = r.flow is phone.LIGHT
        for kind, visits in (("cold", r.cold), ("warm", r.warm)):
            v = phone.median_visit(visits) if visits else None
            where = f"phone: {r.flow.title} ({r.profile.title}, CPU × {phone.CPU_RATE}, {kind}{of})"
            if v is not None:
                totals[(r.flow.key, r.profile.key, kind)] = v.total
            total_target = "≤ 15 s" if light and edge and kind == "cold" else None
            kb = None if v is None else v.bytes / 1024
            if light:
                bytes_target, bytes_limit = "≤ 100 KB", phone.LIGHT_BYTES_TARGET / 1024
            elif kind == "cold":
                bytes_target, bytes_limit = "≤ 2 MB", phone.STREAMLIT_BYTES_TARGET / 1024
            else:
                bytes_target, bytes_limit = None, None
            figures += [
                Figure(f"{where}: open to sign-in form usable", None if v is None else _r(v.sign_in, 2), "s", None, None),
                Figure(f"{where}: sign-in click to report form usable", None if v is None else _r(v.report, 2), "s",
                       None, None),
                Figure(f"{where}: open to report form usable, total", None if v is None else _r(v.total, 2), "s",
                       total_target, _within(None if v is None else v.total, phone.LIGHT_SECONDS_TARGET)
                       if total_target else None),
                Figure(f"{where}: bytes transferred until the report form is usable",
                       None if v is None else _r(v.usable_bytes / 1024, 1), "KB", None, None),
                Figure(f"{where}: bytes transferred in all, until the network is quiet"
                       f"{' (before the photo; none attached)' if light else ''}",
                       None if kb is None else _r(kb, 1), "KB", bytes_target,
                       _within(kb, bytes_limit) if bytes_limit is not None else None),
                Figure(f"{where}: requests in all", None if v is None else v.requests, "requests", None, None),
            ]
    for profile in phone.PROFILES:
        for kind in ("cold", "warm"):
            light_s = totals.get(("light", profile.key, kind))
            streamlit_s = totals.get(("streamlit", profile.key, kind))
            ratio = None if not (light_s and streamlit_s) else streamlit_s / light_s
            if light_s is None and streamlit_s is None:
                continue  # neither flow ran in this profile (BENCH_PHONE_PROFILES)
            target = profile.key == "edge" and kind == "cold"
            figures.append(Figure(
                f"phone: Streamlit form total ÷ light page total ({profile.title}, CPU × {phone.CPU_RATE}, {kind})",
                None if ratio is None else _r(ratio, 1), "ratio", "≥ 10" if target else None,
                _at_least(ratio, phone.RATIO_TARGET) if target else None))
    return figures


# ---- 10. hostile uploads -----------------------------------------------------------------------------


def measure_uploads() -> list[Figure]:
    """What a small file that is huge unpacked or decoded costs the server, each case in its own process."""
    from bench import uploads

    figures = []
    for c in uploads.measure(say=say):
        where = f"{c.title}, {c.kilobytes:,.0f} KB file"
        figures += [
            Figure(f"upload: {where}, seconds", _r(c.seconds, 3), "s", "≤ 5 s", _within(c.seconds, uploads.SECONDS_TARGET)),
            Figure(f"upload: {where}, memory above the bare process", round(c.extra_mb), "MB", "≤ 200 MB",
                   _within(c.extra_mb, uploads.EXTRA_MB_TARGET)),
        ]
    return figures


# ---- 11. the carry-over to the 2025 structure ----------------------------------------------------------


def measure_reform(villages: int, *, postgres: bool) -> list[Figure]:
    """The whole country's villages carried over to their 2025 communes, on each backend (bench/reform.py)."""
    from bench import reform

    backends = ("sqlite", "postgresql") if postgres else ("sqlite",)
    figures = []
    for run in reform.measure(villages, reform.ACTIVITIES, backends=backends, say=say):
        name = "SQLite" if run.backend == "sqlite" else "PostgreSQL"
        figures.append(Figure(
            f"carry-over to the 2025 structure ({name}, {run.villages:_} villages, {run.moved:_} moved, "
            f"{run.reports:_} reports from 01/07/2025)".replace("_", "."),
            _r(run.seconds, 1), "s", "≤ 60 s", _within(run.seconds, reform.SECONDS_TARGET)))
    return figures


def merged(previous: Path, scale: dict[str, Any], figures: list[Figure]) -> dict[str, Any]:
    """This run's figures over the last saved ones: a figure of a skipped part keeps its last value."""
    try:
        old = json.loads(previous.read_text())
    except (OSError, ValueError):
        old = {}
    new = {f.name: f.as_dict() for f in figures}
    kept = [f for f in old.get("figures", []) if f.get("name") not in new]
    return {"scale": {**old.get("scale", {}), **scale}, "figures": kept + list(new.values())}


# ---- the run --------------------------------------------------------------------------------------


def print_table(scale: dict[str, Any], figures: list[Figure]) -> None:
    """The figures as an aligned text table."""
    print("Scale: " + ", ".join(f"{k} {v}" for k, v in scale.items() if not isinstance(v, dict)))
    rows = [("figure", "value", "target", "met")]
    for f in figures:
        value = "not measured" if f.value is None else f"{f.value:g} {f.unit}"
        met = "–" if f.met is None else ("yes" if f.met else "NO")
        rows.append((f.name, value, f.target or "–", met))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for i, r in enumerate(rows):
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))


def main(argv: list[str] | None = None) -> int:
    """Build (or reuse) the dataset, measure everything, print the table, write bench/results.json."""
    parser = argparse.ArgumentParser(prog="python -m bench", description="Đo hiệu năng ở quy mô cả nước (issue 7).")
    parser.add_argument("--villages", type=int, default=int(os.environ.get("BENCH_VILLAGES", 100_000)))
    parser.add_argument("--activities", type=int, default=int(os.environ.get("BENCH_ACTIVITIES", 10_000_000)))
    parser.add_argument("--skip", default="",
                        help=f"comma-separated parts to skip: {','.join(PARTS)}")
    args = parser.parse_args(argv)
    skip = set(filter(None, args.skip.split(",")))
    unknown = skip - set(PARTS)
    if unknown:
        parser.error(f"unknown parts to skip: {', '.join(sorted(unknown))} (parts: {', '.join(PARTS)})")

    scale: dict[str, Any] = {}
    figures: list[Figure] = []
    url = None
    if set(PARTS) - DATASET_FREE - skip:
        url, scale, figures = measure_national(args.villages, args.activities, skip)
    else:
        say("Các phần được chọn không cần bộ dữ liệu cả nước: không tạo, không mở.")
    if "import" not in skip:
        say("5. Nhập 10.000 thành viên từ Excel (cơ sở dữ liệu mới, chỉ có các đơn vị hành chính chính thức)…")
        figures += measure_import(postgres="postgres" not in skip)
        if url:
            import db.engine

            db.engine.configure(url)
    if "phone" not in skip:
        say("9. Điện thoại của tình nguyện viên: trang nhẹ và biểu mẫu Streamlit, CPU × 4, không giới hạn / 3G / EDGE…")
        figures += measure_phone()
    if "uploads" not in skip:
        say("10. Tệp tải lên độc hại: bom Excel, danh sách định dạng tới dòng cuối, ảnh bom điểm ảnh, ảnh máy chụp…")
        figures += measure_uploads()
    if "reform" not in skip:
        say("11. Chuyển dữ liệu cả nước sang địa giới mới (SQLite, PostgreSQL)…")
        figures += measure_reform(args.villages, postgres="postgres" not in skip)
    # A partial run (--skip) keeps the last figures of the parts it skipped.
    saved = merged(RESULTS, scale, figures) if skip else {"scale": scale, "figures": [f.as_dict() for f in figures]}
    RESULTS.write_text(json.dumps(saved, ensure_ascii=False, indent=2) + "\n")
    print_table(scale, figures)
    print(f"\nWritten to {RESULTS.relative_to(ROOT)}")
    return 0


def measure_national(villages: int, activities: int, skip: set[str]) -> tuple[str, dict[str, Any], list[Figure]]:
    """Build (or reuse) the national dataset and measure every part that needs it (or PostgreSQL's 1% of it)."""
    path, meta = ensure_dataset(villages, activities)
    url = f"sqlite:///{path}"
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DATA_DIR", str(DATA / "files"))
    import db.engine
    from db.migrate import upgrade

    engine = db.engine.configure(url)
    upgrade(engine)  # a dataset built by an older checkout gets the newer indexes
    with db.engine.SessionLocal() as session:
        scale = scale_counts(session)
        scopes, province_id, _district_id = bench_scopes(session)
    scale["dataset_build_seconds"] = meta.get("build_seconds")
    scale["database_mb"] = round(path.stat().st_size / 1024 / 1024)
    figures: list[Figure] = [Figure(
        f"build the national dataset (python -m seed national --villages {villages} --activities {activities})",
        meta.get("build_seconds"), "s", "≤ 300 s", _within(meta.get("build_seconds"), 300))]
    written: list[int] = []
    try:
        if "pages" not in skip:
            say("1. Trang qua AppTest…")
            figures += measure_pages(scopes, written)
        if "writes" not in skip:
            say("2. Ghi một báo cáo (SQLite, bộ dữ liệu cả nước)…")
            p50, p95, n = measure_writes("sqlite", written)
            figures += [
                Figure(f"log one report, p50 (SQLite, national dataset; {n} reports)", _r(p50 * 1000, 2), "ms", None, None),
                Figure(f"log one report, p95 (SQLite, national dataset; {n} reports)", _r(p95 * 1000, 2), "ms",
                       "≤ 30 ms", _within(p95, 0.030)),
            ]
        if "aggregations" not in skip:
            say("3. Phép tổng hợp: bảng điều khiển, DuckDB, pandas…")
            figures += measure_aggregations(engine, province_id)
        if "browser" not in skip:
            say("7. Mọi trang trong Chromium: bấm ở thanh bên, sau khi ghi, tải lại; số byte qua websocket…")
            figures += measure_browser(url, scopes, written)
        if "live" not in skip:
            say("8. Số liệu trực tiếp: từ lúc ghi đến khi trang đổi, truy vấn của thẻ đang mở, bộ nhớ sau 1.000 lần ghi…")
            figures += measure_live(url, scopes, written, rounds=int(os.environ.get("BENCH_LIVE_ROUNDS", 1000)))
    finally:
        if written:
            delete_reports(written)
    if "memory" not in skip:
        say("4. Bộ nhớ của máy chủ Streamlit với 10 phiên…")
        figures.append(measure_memory(url, scopes[0].actor.username))
    if "postgres" not in skip and not {"writes", "campaign"} <= skip:
        say("2b và 6. Ghi báo cáo trên PostgreSQL: một người ghi, rồi nhiều tiến trình cùng lúc…")
        pg_figures, pg_scale = measure_postgres(villages, activities, writes="writes" not in skip,
                                                campaign="campaign" not in skip)
        figures += pg_figures
        scale["postgresql_dataset"] = pg_scale
        db.engine.configure(url)
    return url, scale, figures
