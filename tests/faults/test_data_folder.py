"""The data folder's disk full or read-only: a clear Vietnamese message, no report row, no half-written file.

Photos live under DATA_DIR/photos and the embedded SQLite file under DATA_DIR. A real full disk is a tmpfs
of a few kilobytes mounted for the test (the tests run as root here, as in CI); a read-only disk is the
same tmpfs remounted read-only (chmod does not stop root). Where mount is not permitted (an unprivileged
run), the full disk is simulated by a write that stops half-way with ENOSPC and the read-only folder by
chmod, which then does stop writes; the test says which it used.
"""

import errno
import io
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import date
from pathlib import Path

import pytest
from PIL import Image

import db.engine
from db import activities
from db.activities import ActivityInput
from db.auth import SYSTEM
from db.errors import UserError
from db.models import Activity
from db.transactions import STORAGE_MESSAGE, run_write
from tests import factories
from tests.factories import count_rows
from tests.faults.checks import assert_consistent

pytestmark = pytest.mark.faults
VIETNAMESE = set("ảãạăằắẳẵặâầấẩẫậẻẽẹêềếểễệỉĩịỏõọôồốổỗộơờớởỡợủũụưừứửữựỳỷỹỵđ")


def _vietnamese(message: str) -> bool:
    return bool(VIETNAMESE & set(message.lower()))


@contextmanager
def tmpfs(path: Path, *, size: str, options: str = "mode=0777") -> Iterator[bool]:
    """Mount a size-limited tmpfs at `path`; yield False (nothing mounted) where mount is not permitted."""
    path.mkdir(parents=True, exist_ok=True)
    mounted = os.geteuid() == 0 and subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},{options}", "tmpfs", str(path)], capture_output=True).returncode == 0
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(path)], check=True)


def _remount(path: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(path)], check=True, capture_output=True)


def _png(side: int, *, noise: bool) -> bytes:
    """A valid PNG; random pixels do not compress, so its size is about 3 × side² bytes."""
    pixels = os.urandom(side * side * 3) if noise else bytes(side * side * 3)
    buf = io.BytesIO()
    Image.frombytes("RGB", (side, side), pixels).save(buf, format="PNG")
    return buf.getvalue()


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*")) if folder.exists() else []


@pytest.fixture
def team_id(session):  # noqa: ANN001, ANN201
    tree = factories.create_tree(session)
    team = factories.create_team(session, unit=tree.villages[0], established_on=date(2022, 7, 1))
    session.commit()
    return team.id


def _report(team_id: int, photo: bytes | None = None, note: str | None = None, token: str | None = None) -> ActivityInput:
    return ActivityInput(team_id=team_id, activity_date=date.today(), activity_type="app_install", people_reached=12,
                         households_reached=5, results=7, note=note, photo=photo, form_token=token)


def _reports(session) -> int:  # noqa: ANN001
    session.rollback()  # a fresh transaction sees what others committed
    return count_rows(session, Activity)


def _refused_with_nothing_written(session, team_id: int, photo: bytes, photos: Path) -> UserError:  # noqa: ANN001
    before, files = _reports(session), _files(photos)
    with pytest.raises(UserError) as caught:
        run_write(activities.create_activity, actor=SYSTEM, data=_report(team_id, photo))
    assert _vietnamese(caught.value.message), caught.value.message
    assert caught.value.field == "photo"
    assert _reports(session) == before, "a report row was written although its photo was not"
    assert _files(photos) == files, f"a half-written photo was left behind: {_files(photos)}"
    return caught.value


def test_photo_on_a_full_disk(engine, session, team_id, tmp_path, monkeypatch):
    data = tmp_path / "full"
    with tmpfs(data, size="64k") as mounted:
        monkeypatch.setenv("DATA_DIR", str(data))
        photos = data / "photos"
        small = _png(16, noise=False)  # a few hundred bytes: fits
        saved = run_write(activities.create_activity, actor=SYSTEM, data=_report(team_id, small))
        stored = _files(photos)  # the photo, re-encoded, and its thumbnail
        kept = {name: (photos / name).read_bytes() for name in stored}
        assert saved.photo in stored and len(stored) == 2
        big = _png(200, noise=True)  # ~120 KB: the disk fills half-way through the write
        assert len(big) > 64 * 1024
        if not mounted:
            real_write = Path.write_bytes

            def write_until_full(self: Path, content: bytes) -> int:  # a write that stops half-way, like ENOSPC
                real_write(self, content[: len(content) // 2])
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))

            monkeypatch.setattr(Path, "write_bytes", write_until_full)
            print("\nmount not permitted: ENOSPC simulated by a write that stops half-way")
        err = _refused_with_nothing_written(session, team_id, big, photos)
        assert "đầy" in err.message
        assert {name: (photos / name).read_bytes() for name in _files(photos)} == kept  # what was stored before is intact


def test_photo_on_a_read_only_disk(engine, session, team_id, tmp_path, monkeypatch):
    data = tmp_path / "ro"
    with tmpfs(data, size="1m") as mounted:
        monkeypatch.setenv("DATA_DIR", str(data))
        if mounted:
            _remount(data, "ro")
        else:
            os.chmod(data, 0o555)  # not root here, so chmod does stop writes
            print("\nmount not permitted: read-only folder by chmod")
        _refused_with_nothing_written(session, team_id, _png(16, noise=True), data / "photos")
        if not mounted:
            os.chmod(data, 0o755)


def test_photo_when_the_data_folder_is_not_a_folder(engine, session, team_id, tmp_path, monkeypatch):
    blocker = tmp_path / "data-is-a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("DATA_DIR", str(blocker / "data"))  # mkdir fails: NotADirectoryError
    _refused_with_nothing_written(session, team_id, _png(16, noise=True), blocker / "data" / "photos")
    assert blocker.read_text() == "not a folder"


# ---- the database itself on a full or read-only disk ---------------------------------------------


def _fill_until_refused(team_id: int, limit: int = 5000) -> tuple[int, UserError]:
    """Write reports with long notes until the disk is full; return how many were saved and the refusal."""
    note = "Hướng dẫn cài đặt VNeID mức 2 cho bà con trong thôn. " * 36  # ~2,000 characters
    for i in range(limit):
        try:
            run_write(activities.create_activity, actor=SYSTEM, data=_report(team_id, note=note[:2000], token=f"fill-{i}"))
        except UserError as err:
            return i, err
    raise AssertionError(f"{limit} reports fitted: the disk never filled")


def _world(url: str) -> int:
    """Bind the app to `url` and give it a unit tree and one team; return the team's id."""
    db.engine.configure(url)
    with db.engine.SessionLocal() as session:
        tree = factories.create_tree(session)
        team = factories.create_team(session, unit=tree.villages[0], established_on=date(2022, 7, 1))
        session.commit()
        return team.id


def _check_full_then_freed(url: str, team_id: int, free_space) -> None:  # noqa: ANN001
    """Fill the disk: a Vietnamese refusal, exactly the acknowledged reports, consistent; then space again."""
    saved, err = _fill_until_refused(team_id)
    assert err.message == STORAGE_MESSAGE and _vietnamese(err.message)
    assert saved > 10
    engine = db.engine.get_engine()
    with engine.connect() as conn:
        assert count_rows(conn, Activity) == saved
    assert_consistent(engine, new_connections=False)  # the disk is still full: no new server connection
    free_space()
    run_write(activities.create_activity, actor=SYSTEM, data=_report(team_id, token="after-space-freed"))
    assert_consistent(engine)
    print(f"\n[{url.split(':', 1)[0]}] disk full after {saved} reports: refused with the storage message, then saved again")


def test_sqlite_database_on_a_full_then_read_only_disk(sqlite_template, tmp_path, monkeypatch):
    data = tmp_path / "dbdisk"
    size = sqlite_template.stat().st_size + 1024 * 1024
    with tmpfs(data, size=str(size)) as mounted:
        if not mounted:
            pytest.fail("mount is needed to fill a real disk under SQLite", pytrace=False)
        target = data / "tocnscd.sqlite3"
        shutil.copy(sqlite_template, target)
        url = f"sqlite:///{target}"
        monkeypatch.setenv("DATA_DIR", str(data))
        try:
            team_id = _world(url)
            _check_full_then_freed(url, team_id, lambda: _remount(data, f"size={size * 4}"))
            db.engine.get_engine().dispose()
            with closing(sqlite3.connect(target)) as raw:
                assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
                raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            # The same file on a read-only disk: refused with the same message.
            _remount(data, "ro")
            db.engine.configure(url)
            with pytest.raises(UserError) as caught:
                run_write(activities.create_activity, actor=SYSTEM, data=_report(team_id, token="on-read-only"))
            assert caught.value.message == STORAGE_MESSAGE
        finally:
            db.engine.get_engine().dispose()


def test_postgresql_database_on_a_full_disk(pg_server, pg_admin, pg_template, monkeypatch):
    """The database's tablespace on a small tmpfs (WAL stays on the server's own disk, as is usual)."""
    import pwd
    import tempfile

    from sqlalchemy import text

    owner = pwd.getpwnam("postgres") if os.geteuid() == 0 else pwd.getpwuid(os.geteuid())
    mountpoint = Path(tempfile.mkdtemp(prefix="tocnscd-tablespace-"))
    with tmpfs(mountpoint, size="64m", options=f"mode=0700,uid={owner.pw_uid},gid={owner.pw_gid}") as mounted:
        if not mounted:
            pytest.fail("mount is needed to fill a real disk under PostgreSQL", pytrace=False)
        name = f"full{os.getpid()}"
        with pg_admin.connect() as conn:
            conn.execute(text(f"CREATE TABLESPACE small_{name} LOCATION '{mountpoint}'"))
            conn.execute(text(f"CREATE DATABASE {name} TEMPLATE {pg_template} TABLESPACE small_{name}"))
        try:
            url = f"{pg_server}/{name}"
            team_id = _world(url)
            stat = os.statvfs(mountpoint)
            used = (stat.f_blocks - stat.f_bfree) * stat.f_frsize
            _remount(mountpoint, f"size={used + 1024 * 1024}")
            _check_full_then_freed(url, team_id, lambda: _remount(mountpoint, "size=64m"))
        finally:
            db.engine.get_engine().dispose()
            with pg_admin.connect() as conn:
                conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                conn.execute(text(f"DROP TABLESPACE IF EXISTS small_{name}"))
    mountpoint.rmdir()
