"""Backup then restore into an empty database gives the same rows, on both backends, and across them."""

import gzip
import io
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

import db.engine
from db import activities, counts, coverage, recommendations
from db.activities import ActivityInput
from db.auth import SYSTEM
from db.backup import backup, restore, snapshot
from db.engine import make_engine
from db.migrate import upgrade
from db.models import Base, Recommendation, Unit
from tests import factories
from tests.factories import count_rows

ROOT = Path(__file__).resolve().parents[2]


def _snapshot(conn) -> dict[str, list[tuple]]:  # noqa: ANN001
    return {t.name: sorted(tuple(r) for r in conn.execute(select(t)).all()) for t in Base.metadata.sorted_tables}


def _fill(session) -> None:  # noqa: ANN001
    tree = factories.create_tree(session)
    team = factories.create_team(session, unit=tree.villages[0], established_on=date(2022, 7, 1), members=3)
    factories.create_user(session, role="officer", unit=tree.district, username="canbo.b")
    activities.create_activity(session, actor=SYSTEM, data=ActivityInput(team_id=team.id, activity_date=date(2024, 5, 2),
                                                                          activity_type="training", people_reached=30,
                                                                          note="Tập huấn “VNeID” — mức 2"))
    recommendations.create_recommendation(session, actor=SYSTEM, unit_id=tree.commune.id, category="proposal", text="Đề xuất")
    session.commit()



def _restored(tmp_path, data: bytes):  # noqa: ANN001, ANN202
    """A new, migrated SQLite file with the backup restored into it."""
    target = make_engine(f"sqlite:///{tmp_path / 'restored.sqlite3'}")
    upgrade(target)
    with target.begin() as conn:
        restore(conn, io.BytesIO(data))
    return target


def test_backup_then_restore_gives_the_same_rows(engine, session, tmp_path):
    _fill(session)
    buf = io.BytesIO()
    with engine.connect() as conn:
        counts = backup(conn, buf)
        before = _snapshot(conn)
    assert counts["activities"] == 1 and counts["members"] == 3
    target = _restored(tmp_path, buf.getvalue())
    with target.connect() as conn:
        assert _snapshot(conn) == before
    with target.begin() as conn, pytest.raises(ValueError):
        restore(conn, io.BytesIO(buf.getvalue()))  # the target is no longer empty
    target.dispose()


def test_a_sqlite_backup_restores_into_postgresql_and_new_rows_still_get_ids(sqlite_template, pg_server, tmp_path):
    source_path = tmp_path / "source.sqlite3"
    source_path.write_bytes(sqlite_template.read_bytes())
    source = db.engine.configure(f"sqlite:///{source_path}")
    with db.engine.SessionLocal() as session:
        _fill(session)
    buf = io.BytesIO()
    with source.connect() as conn:
        backup(conn, buf)
        before = _snapshot(conn)
    server = pg_server
    admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql("CREATE DATABASE restored")
    target = create_engine(f"{server}/restored")
    try:
        upgrade(target)
        with target.begin() as conn:
            restore(conn, io.BytesIO(buf.getvalue()))
        with target.connect() as conn:
            assert _snapshot(conn) == before
        with target.begin() as conn:  # the id sequences moved past the restored rows
            from db.models import Unit

            conn.execute(Unit.__table__.insert().values(structure="legacy", tier="village", level=4, kind="Thôn", name="Thôn Mới",
                                                        short_name="Mới", search_name="thon moi"))
    finally:
        target.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql("DROP DATABASE restored WITH (FORCE)")
        admin.dispose()


def test_backup_and_restore_commands(engine, session, tmp_path, backend):
    _fill(session)
    file = tmp_path / "sao-luu.jsonl.gz"
    env = {**__import__("os").environ}
    done = subprocess.run([sys.executable, "-m", "db", "backup", str(file)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    done = subprocess.run([sys.executable, "-m", "db", "restore", str(file)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    again = subprocess.run([sys.executable, "-m", "db", "restore", str(file)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 2 and "đã có dữ liệu" in again.stderr


def test_a_backup_from_before_the_kept_counts_restores_with_them_recomputed(engine, session, tmp_path):
    """An older backup file has no kept tables: the restore computes them from the restored rows."""
    _fill(session)
    buf = io.BytesIO()
    with engine.connect() as conn:
        backup(conn, buf)
        national = coverage.fetch_indicators(session, actor=SYSTEM, unit_id=None)
    kept = {"scope_rollups", "leaf_counts", "scope_counts"}
    old = io.BytesIO()
    with gzip.open(io.BytesIO(buf.getvalue()), "rt", encoding="utf-8") as src, gzip.open(old, "wt", encoding="utf-8") as out:
        header = json.loads(src.readline())
        header["tables"] = [t for t in header["tables"] if t not in kept]
        out.write(json.dumps(header) + "\n")
        out.writelines(line for line in src if json.loads(line)["t"] not in kept)
    target = make_engine(f"sqlite:///{tmp_path / 'restored.sqlite3'}")
    upgrade(target)
    with target.begin() as conn:
        restore(conn, io.BytesIO(old.getvalue()))
    with target.connect() as conn:
        assert counts.differences(conn) == []
    with Session(target) as restored:
        again = coverage.fetch_indicators(restored, actor=SYSTEM, unit_id=None)
    assert again == national and again.teams == 1 and again.villages == 4
    target.dispose()


def test_a_backup_reads_one_snapshot_while_others_write(engine, session, tmp_path):
    _fill(session)
    commune_id = session.scalar(select(Unit.id).where(Unit.tier == "commune"))
    with snapshot(engine) as conn:
        before = _snapshot(conn)  # the snapshot starts with the first read…
        with Session(engine) as other:  # …so a write another server commits now is not in the backup
            recommendations.create_recommendation(other, actor=SYSTEM, unit_id=commune_id, category="proposal",
                                                  text="Gửi trong lúc sao lưu")
            other.commit()
        buf = io.BytesIO()
        backup(conn, buf)
    assert count_rows(session, Recommendation) == len(before["recommendations"]) + 1
    target = _restored(tmp_path, buf.getvalue())
    with target.connect() as conn:
        assert _snapshot(conn) == before
    target.dispose()
