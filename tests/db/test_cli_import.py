"""python -m db import FILE.xlsx [--dry-run] [--as USERNAME], run as an operator runs it, on both backends."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from db.models import AuditEntry, Member, Team, Unit
from tests import factories
from tests.db.test_imports import MESSY, MESSY_MERGES, xlsx
from tests.factories import row_counts

ROOT = Path(__file__).resolve().parents[2]


def _counts(session) -> dict[str, int]:  # noqa: ANN001
    session.expire_all()
    return row_counts(session, (Unit, Team, Member, AuditEntry))


@pytest.fixture
def cli(session, db_url, tmp_path):  # noqa: ANN001, ANN201
    """Run `python -m db import …` against the test's database; the unit tree and an officer are there."""
    tree = factories.create_tree(session)
    factories.create_user(session, role="officer", unit=tree.district, username="canbo.phuninh")
    session.commit()
    env = {k: v for k, v in os.environ.items() if k != "NEW_USER_PASSWORD"}
    env.update(DATABASE_URL=db_url, DATA_DIR=str(tmp_path / "data"), PYTHONIOENCODING="utf-8")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "db", "import", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=300)

    return run


def test_dry_run_prints_the_preview_and_writes_nothing(cli, session, tmp_path):
    path = tmp_path / "danh-sach.xlsx"
    path.write_bytes(xlsx(*MESSY, merges=MESSY_MERGES))
    before = _counts(session)
    done = cli(str(path), "--dry-run", "--as", "canbo.phuninh")
    assert done.returncode == 0, done.stderr
    assert "Nguyễn Văn Hùng\tThêm mới" in done.stdout
    assert "thêm 1 thôn, 3 tổ, 6 thành viên" in done.stdout
    assert "--dry-run" in done.stdout
    assert _counts(session) == before


def test_import_writes_once_and_a_second_run_adds_nothing(cli, session, tmp_path):
    path = tmp_path / "danh-sach.xlsx"
    path.write_bytes(xlsx(*MESSY, merges=MESSY_MERGES))
    before = _counts(session)
    done = cli(str(path))  # as the system administrator
    assert done.returncode == 0, done.stderr
    assert "Đã nhập: 1 thôn, 3 tổ, 6 thành viên mới" in done.stdout
    after = _counts(session)
    assert (after["units"], after["teams"], after["members"]) == (before["units"] + 1, before["teams"] + 3, before["members"] + 6)
    again = cli(str(path))
    assert again.returncode == 0, again.stderr
    assert "không có gì mới" in again.stdout
    assert _counts(session) == after


def test_problems_exit_non_zero_with_nothing_written(cli, session, tmp_path):
    rows = [list(r) for r in MESSY]
    rows[8][9] = "12345"
    path = tmp_path / "co-loi.xlsx"
    path.write_bytes(xlsx(*rows, merges=MESSY_MERGES))
    before = _counts(session)
    done = cli(str(path))
    assert done.returncode == 1
    assert "dòng 9, cột “SO DIEN THOAI”: Số điện thoại “12345”" in done.stderr
    assert _counts(session) == before


def test_a_unit_outside_the_account_is_a_problem(cli, session, tmp_path):
    path = tmp_path / "nui-thanh.xlsx"
    path.write_bytes(xlsx(["Xã", "Thôn"], ["Tam Xuân", "Thôn Mới"]))
    done = cli(str(path), "--as", "canbo.phuninh")
    assert done.returncode == 1
    assert "nằm ngoài phạm vi tài khoản của bạn" in done.stderr
    assert cli(str(path), "--as", "khong.co.ai").returncode == 2


def test_a_file_that_is_not_excel_is_refused(cli, tmp_path):
    path = tmp_path / "that-ra-la-csv.xlsx"
    path.write_text("STT,Ho ten\n1,Nguyen Van A\n", encoding="utf-8")
    done = cli(str(path))
    assert done.returncode == 2
    assert "không phải bảng tính Excel .xlsx" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_missing_file_or_a_folder_is_refused_in_vietnamese(cli, tmp_path):
    done = cli(str(tmp_path / "khong-co.xlsx"))
    assert (done.returncode, done.stderr.strip()) == (2, f"Không tìm thấy tệp “{tmp_path / 'khong-co.xlsx'}”.")
    done = cli(str(tmp_path))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith("Đây là thư mục, không phải tệp")


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(cli, session, tmp_path):
    path = tmp_path / "qua-lon.xlsx"
    path.write_bytes(xlsx(*MESSY, merges=MESSY_MERGES) + b"\0" * (10 * 1024 * 1024))
    before = _counts(session)
    done = cli(str(path))
    assert (done.returncode, done.stderr.strip()) == (2, "Tệp lớn hơn 10 MB; hãy chia thành nhiều tệp nhỏ hơn.")
    assert _counts(session) == before
