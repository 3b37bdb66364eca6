"""The app process killed with SIGKILL in the middle of a large Excel import: all or nothing.

A child process imports a workbook of 600 new villages, each with its team and four members, through
run_write(db.imports.apply_import); it is killed while the write transaction is open (after the villages
and teams are staged, while the members are written). Nothing of the import may remain; the same file
imported again, without a kill, then lands whole.
"""

import importlib.util
import os
import signal
import sqlite3
import subprocess
import sys
from contextlib import closing
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import create_engine, func, select

from db.models import AuditEntry, Member, Team, Unit, UnitPath
from db.versions import fetch_data_version
from tests import factories
from tests.conftest import require_component
from tests.factories import count_rows

pytestmark = pytest.mark.faults
ROOT = Path(__file__).resolve().parents[2]
VILLAGES, MEMBERS = 600, 4


def _workbook(path: Path) -> None:
    """The members template filled with new villages of Xã Tam Phước, a team and four members each."""
    from db.imports import MEMBER_TEMPLATE

    wb = Workbook()
    ws = wb.active
    ws.append(["DANH SÁCH THÀNH VIÊN TỔ CÔNG NGHỆ SỐ CỘNG ĐỒNG"])
    ws.append(MEMBER_TEMPLATE)
    seq = 0
    roles = ["Tổ trưởng", "Tổ phó", "Thành viên", "Thành viên"]
    for v in range(VILLAGES):
        for m in range(MEMBERS):
            seq += 1
            ws.append([seq, "Tỉnh Quảng Nam", "Huyện Phú Ninh", "Xã Tam Phước", f"Thôn Nhập Mới {v + 1}",
                       f"Tổ CNSCĐ thôn Nhập Mới {v + 1}", f"{v + 1}/QĐ-UBND", "15/08/2022",
                       f"Thành viên {v + 1}-{m + 1}", "Nữ" if m % 2 else "Nam", 1980 + m, f"09051{v:03d}{m:02d}",
                       roles[m], "Đoàn Thanh niên", ""])
    wb.save(path)


def _counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                "villages": count_rows(conn, Unit, Unit.tier == "village"),
                "unit_paths": count_rows(conn, UnitPath),
                "teams": count_rows(conn, Team),
                "members": count_rows(conn, Member),
                "audit_rows": count_rows(conn, AuditEntry),
                "data_version": fetch_data_version(conn),
            }
    finally:
        engine.dispose()


def _import(url: str, path: Path, *, pause_at: str | None) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url}
    if pause_at is not None:
        env["PAUSE_AT"] = pause_at
    return subprocess.Popen([sys.executable, "-m", "tests.faults.importer", str(path)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_kill_9_in_the_middle_of_an_import_leaves_nothing_then_it_lands_whole(request, engine, session, db_url,
                                                                               backend, tmp_path):
    require_component(request, importlib.util.find_spec("db.imports") is not None, "db/imports/ (the Excel import)")
    factories.create_tree(session)
    session.commit()
    engine.dispose()
    book = tmp_path / "nhap-thanh-vien.xlsx"
    _workbook(book)
    before = _counts(db_url)

    child = _import(db_url, book, pause_at="0.8")  # stops while writing the members, transaction open
    seen = []
    for line in child.stdout:  # type: ignore[union-attr]
        seen.append(line.strip())
        if line.startswith("progress 0.80"):
            os.kill(child.pid, signal.SIGKILL)
            break
    assert child.wait(timeout=30) == -signal.SIGKILL, f"the import ended before the kill: {seen} {child.stderr.read()}"
    child.stdout.close()  # type: ignore[union-attr]
    child.stderr.close()  # type: ignore[union-attr]
    assert any("thôn" in s for s in seen) and any("tổ" in s for s in seen), seen  # villages and teams were staged

    if backend == "sqlite":
        with closing(sqlite3.connect(db_url.split("///", 1)[1])) as raw:
            assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert _counts(db_url) == before, "a killed import left part of its rows"

    child = _import(db_url, book, pause_at=None)
    out, err = child.communicate(timeout=300)
    assert child.returncode == 0 and "done" in out, err
    after = _counts(db_url)
    assert after["villages"] == before["villages"] + VILLAGES
    assert after["teams"] == before["teams"] + VILLAGES
    assert after["members"] == before["members"] + VILLAGES * MEMBERS
    assert after["unit_paths"] == before["unit_paths"] + VILLAGES * 4  # self, commune, district, province
    assert after["audit_rows"] == before["audit_rows"] + VILLAGES * (2 + MEMBERS)
    engine = create_engine(db_url)
    with engine.connect() as conn:
        assert conn.scalar(select(func.min(Team.established_on))) == date(2022, 8, 15)
    engine.dispose()
