"""Figure 5: importing 10,000 members from Excel, preview and apply, on a fresh database with the official units.

The national dataset is not needed: the import's cost is reading the file and matching it against the units,
villages and teams of the communes it names, so a throwaway database with the official provinces, districts and
communes (`python -m seed units`) is what an officer's first bulk load meets. The file is the shape officers keep,
built here with openpyxl: a title above the header, headers without diacritics, the village and team cells merged
down over each team's ten members, dates as real Excel dates and as dd/mm/yyyy text, phones written four ways and
the signature block under the table; 1,000 new villages under the communes of Huyện Phú Ninh (Tỉnh Quảng Nam).

Timed as the Địa bàn and Tổ CNSCĐ pages run it (ui/imports.py), as an officer of Huyện Phú Ninh:
- preview: `read_workbook` + `plan_import` in a read-only session (what the officer waits for after the upload);
- apply: `apply_import` through `db.transactions.run_write` (plans again inside the write transaction, then
  writes every village, team, member and audit row in bulk and commits).

Run alone: `.venv/bin/python -m bench.excel_import [--rows N] [--skip-postgres]`; `make bench` runs it as figure 5.
"""

import argparse
import io
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import func, select

ROWS = 10_000
TEAM_SIZE = 10
DISTRICT = "Huyện Phú Ninh"
PROVINCE = "Tỉnh Quảng Nam"
TARGET_SECONDS = 10.0


@dataclass(frozen=True)
class ImportTiming:
    """One backend's measurement, with what the import wrote (checked, so a fast wrong import does not count)."""

    backend: str
    rows: int
    preview: float
    apply: float
    villages: int
    teams: int
    members: int

    @property
    def total(self) -> float:
        """Preview plus apply: the officer's whole wait."""
        return self.preview + self.apply


def build_workbook(communes: list[tuple[str, str]], *, rows: int = ROWS, team_size: int = TEAM_SIZE) -> bytes:
    """The member list as officers keep it, one row per member, teams of `team_size` spread over `communes`.

    `communes` holds (name, short name) pairs: "Xã Tam Phước" on one team's rows, "Tam Phước" on the next.
    """
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Danh sách thành viên"
    ws.append(["UBND HUYỆN PHÚ NINH"])
    ws.append(["DANH SÁCH THÀNH VIÊN TỔ CÔNG NGHỆ SỐ CỘNG ĐỒNG"])
    ws.append([])
    ws.append(["STT", "TINH", "HUYEN", "XA, PHUONG, THI TRAN", "THON, KHOI PHO", "SO QUYET DINH", "NGAY THANH LAP",
               "HO VA TEN", "GIOI TINH", "NAM SINH", "SO DIEN THOAI", "CHUC DANH TRONG TO", "DON VI", "CHUC VU"])
    first = 5
    phones = ("09{:08d}", "+84 9{:02d} {:03d} {:03d}", "09{:02d}.{:03d}.{:03d}", "09{:02d} {:03d} {:03d}")
    roles = ("Tổ trưởng", "Tổ phó") + ("Thành viên",) * max(0, team_size - 2)
    organisations = ("Đoàn Thanh niên", "Hội LHPN", "VNPT", "Công an xã", "Trưởng thôn", "UBND xã", "Giáo viên",
                     "Hội Nông dân", "Hội CCB", "Viettel")
    for i in range(rows):
        team = i // team_size
        commune = communes[team % len(communes)][team // len(communes) % 2]
        started = date(2022, 7 + team % 6, 1 + team % 28)
        phone = phones[i % 4]
        number = phone.format(i) if i % 4 == 0 else phone.format(i // 1_000_000 % 100, i // 1000 % 1000, i % 1000)
        ws.append([
            i + 1, "Quảng Nam", "Phú Ninh", commune, f"Thôn Số {team + 1}",
            f"{team + 1}/QĐ-UBND", started if team % 2 else f"{started:%d/%m/%Y}", f"Nguyễn Văn Số {i + 1}",
            "Nữ" if i % 2 else "Nam", 1965 + i % 40, number, roles[i % team_size], organisations[i % len(organisations)],
            "Đoàn viên" if i % 3 else None,
        ])
    for team in range((rows + team_size - 1) // team_size):  # village, decision and date merged over the team
        top, bottom = first + team * team_size, min(first + rows, first + (team + 1) * team_size) - 1
        if bottom > top:
            for column in ("E", "F", "G"):
                ws.merge_cells(f"{column}{top}:{column}{bottom}")
    ws.append([])
    ws.append([None, "Người lập biểu", None, None, None, None, None, None, None, None, "Phú Ninh, ngày 25 tháng 8 năm 2022"])
    ws.append([None, "(Ký, ghi rõ họ tên)", None, None, None, None, None, None, None, None, "TM. UBND HUYỆN"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _prepare(url: str) -> tuple[object, list[tuple[str, str]]]:
    """Migrate, load the official units, create an officer of the district; its actor and its communes."""
    import db.engine
    from db.auth import SYSTEM, actor_of, create_user
    from db.migrate import upgrade
    from db.models import Unit
    from seed.units import load_units

    engine = db.engine.configure(url)
    upgrade(engine)
    with db.engine.SessionLocal.begin() as session:
        load_units(session, structure="legacy", progress=lambda _m: None)
    with db.engine.SessionLocal.begin() as session:
        province = session.scalar(select(Unit).where(Unit.name == PROVINCE, Unit.tier == "province"))
        district = session.scalar(select(Unit).where(Unit.name == DISTRICT, Unit.parent_id == province.id))
        communes = [(name, short) for name, short in session.execute(
            select(Unit.name, Unit.short_name).where(Unit.parent_id == district.id).order_by(Unit.id))]
        user = create_user(session, actor=SYSTEM, username="bench.nhap", password="Bench@CNSCD2026",
                           full_name="Cán bộ huyện Phú Ninh (đo nhập Excel)", role="officer", unit_id=district.id)
        session.flush()
        actor = actor_of(user)
    return actor, communes


def time_import(url: str, backend: str, *, rows: int = ROWS) -> ImportTiming:
    """Preview and apply a `rows`-member file on a fresh database at `url`; the counts written are checked."""
    import db.engine
    from db.imports import apply_import, plan_import, read_workbook
    from db.models import Member, Team, Unit
    from db.transactions import run_write

    actor, communes = _prepare(url)
    data = build_workbook(communes, rows=rows)
    teams = (rows + TEAM_SIZE - 1) // TEAM_SIZE
    started = time.perf_counter()
    book = read_workbook(data)
    with db.engine.SessionLocal() as session:
        plan = plan_import(session, actor=actor, source=book)
    previewed = time.perf_counter()
    if not plan.ok or (plan.villages_created, plan.teams_created, plan.members_created) != (teams, teams, rows):
        raise AssertionError(f"the preview is wrong: {plan.summary()} {plan.problems[:3]}")
    run_write(apply_import, actor=actor, source=book)
    applied = time.perf_counter()
    with db.engine.SessionLocal() as session:
        written = (session.scalar(select(func.count()).select_from(Unit).where(Unit.tier == "village")),
                   session.scalar(select(func.count()).select_from(Team)),
                   session.scalar(select(func.count()).select_from(Member)))
        again = plan_import(session, actor=actor, source=book)
    if written != (teams, teams, rows) or again.changes:
        raise AssertionError(f"the import wrote {written}, and {again.changes} changes remain on a second run")
    db.engine.get_engine().dispose()
    return ImportTiming(backend, rows, previewed - started, applied - previewed, *written)


def measure(*, rows: int = ROWS, postgres: bool = True, say=print) -> list[ImportTiming]:  # type: ignore[no-untyped-def]
    """Time the import on a throwaway SQLite file and, unless told not to, on a throwaway PostgreSQL server."""
    timings = []
    with tempfile.TemporaryDirectory(prefix="tocnscd-bench-import-") as tmp:
        shown = f"{rows:,}".replace(",", ".")
        say(f"  SQLite: cơ sở dữ liệu mới với các đơn vị hành chính chính thức, nhập {shown} thành viên…")
        timings.append(time_import(f"sqlite:///{Path(tmp) / 'import.sqlite3'}", "SQLite", rows=rows))
    if postgres:
        from bench.pg import throwaway_postgres

        say("  PostgreSQL: máy chủ tạm, cơ sở dữ liệu mới với các đơn vị hành chính chính thức…")
        with throwaway_postgres("bench_import") as server:
            timings.append(time_import(server.url, "PostgreSQL", rows=rows))
    for t in timings:
        say(f"  {t.backend}: xem trước {t.preview:.2f} giây, nhập {t.apply:.2f} giây, tổng {t.total:.2f} giây")
    return timings


def main(argv: list[str] | None = None) -> int:
    """Print figure 5 alone (no national dataset, nothing written to bench/results.json)."""
    parser = argparse.ArgumentParser(prog="python -m bench.excel_import", description="Đo thời gian nhập Excel.")
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args(argv)
    for t in measure(rows=args.rows, postgres=not args.skip_postgres, say=lambda m: print(m, file=sys.stderr)):
        print(f"{t.backend}: {t.rows} rows, preview {t.preview:.2f} s, apply {t.apply:.2f} s, total {t.total:.2f} s "
              f"(target ≤ {TARGET_SECONDS:g} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
