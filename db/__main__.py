"""Command line: python -m db upgrade | stats UNIT [--as-of DATE] [--json] | create-user … | import FILE.xlsx …
| counts check|rebuild [UNIT]
| reform --to 2025 [--dry-run] [--province REF] [--plan FILE.xlsx] [--result FILE.xlsx]"""

import argparse
import errno
import getpass
import json
import os
import sys
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import select

from db.auth import SYSTEM, create_user
from db.coverage import fetch_indicators
from db.engine import SessionLocal
from db.errors import UserError
from db.migrate import startup_lock, upgrade
from db.structures import VALIDITY
from db.units import resolve_unit
from db.versions import bump_data_version
from db.vocab import STRUCTURE_LABELS

if TYPE_CHECKING:
    from db.imports import ImportPlan


def structure_line(structure: str) -> str:
    """Which structure a figure was read in, with its days: "Địa giới: địa giới cũ (đến 30/06/2025)"."""
    start, end = VALIDITY.get(structure, (None, None))
    days = f"từ {start:%d/%m/%Y}" if start else f"đến {end:%d/%m/%Y}" if end else ""
    return f"Địa giới: {STRUCTURE_LABELS.get(structure, structure)}" + (f" ({days})" if days else "")


def _stats(args: argparse.Namespace) -> int:
    try:
        as_of = date.fromisoformat(args.as_of) if args.as_of else date.today()
    except ValueError:
        print("Ngày phải có dạng YYYY-MM-DD.", file=sys.stderr)
        return 2
    with SessionLocal() as session:
        # A name or code both structures use is settled by the date when only one of them existed then.
        unit = resolve_unit(session, actor=SYSTEM, ref=args.unit, as_of=as_of if args.as_of else None)
        ind = fetch_indicators(session, actor=SYSTEM, unit_id=unit.id, as_of=as_of)
    if args.json:
        print(json.dumps({**ind.as_dict(), "structure": unit.structure}, ensure_ascii=False))
    else:
        print(structure_line(unit.structure))
        for key, value in ind.as_dict().items():
            print(f"{key}: {value}")
    return 0


def _create_user(args: argparse.Namespace) -> int:
    password = os.environ.get("NEW_USER_PASSWORD") or getpass.getpass("Mật khẩu: ")
    with SessionLocal.begin() as session:
        unit_id = resolve_unit(session, actor=SYSTEM, ref=args.unit).id if args.unit else None
        user = create_user(
            session, actor=SYSTEM, username=args.username, password=password,
            full_name=args.full_name or args.username, role=args.role, unit_id=unit_id, team_id=args.team,
        )
        print(f"Đã tạo tài khoản “{user.username}” ({user.role}).")
    return 0


def _counts(args: argparse.Namespace) -> int:
    """Compare the kept aggregates with a recount (exit 1 on a difference), or recompute them."""
    from db import counts
    from db.models import Unit

    if args.action == "check":
        with SessionLocal() as session:
            found = counts.differences(session)
            names = dict(session.execute(select(Unit.id, Unit.name).where(
                Unit.id.in_({d.key[0] for d in found}))).all()) if found else {}
        if not found:
            print("Các bảng tổng hợp khớp với số đếm lại từ dữ liệu gốc.")
            return 0
        print(f"Có {len(found):,} dòng tổng hợp khác với số đếm lại:".replace(",", "."))
        for diff in found[:200]:
            print(f"- {counts.describe(diff, names)}")
        if len(found) > 200:
            print(f"… và {len(found) - 200:,} dòng khác.".replace(",", "."))
        print("Chạy “python -m db counts rebuild” để tính lại.")
        return 1
    with SessionLocal.begin() as session:
        unit = resolve_unit(session, actor=SYSTEM, ref=args.unit) if args.unit else None
        counts.rebuild(session, unit.id if unit else None)
        bump_data_version(session)  # cached figures read before the repair are dropped
    print(f"Đã tính lại các bảng tổng hợp của {unit.name if unit else 'cả nước'}.")
    return 0


def _backup(args: argparse.Namespace) -> int:
    from pathlib import Path

    from db.backup import backup_file, snapshot
    from db.engine import get_engine

    with snapshot(get_engine()) as conn:  # one snapshot: the app servers may be writing meanwhile
        counts = backup_file(conn, Path(args.file))
    print(f"Đã sao lưu {sum(counts.values()):,} dòng của {len(counts)} bảng vào {args.file}.".replace(",", "."))
    return 0


def _restore(args: argparse.Namespace) -> int:
    from db.backup import restore
    from db.engine import get_engine

    upgrade()
    with get_engine().begin() as conn, open(args.file, "rb") as fh:
        counts = restore(conn, fh)
    print(f"Đã phục hồi {sum(counts.values()):,} dòng từ {args.file}.".replace(",", "."))
    return 0


def _import(args: argparse.Namespace) -> int:
    """Preview an Excel file and, unless --dry-run or a problem stops it, import it in one transaction."""
    from pathlib import Path

    from sqlalchemy import select

    from db.auth import actor_of
    from db.imports import apply_import, import_summary, plan_import, read_workbook
    from db.models import User

    path = Path(args.file)
    if path.stat().st_size > 10 * 1024 * 1024:  # before reading it all into memory
        raise UserError("Tệp lớn hơn 10 MB; hãy chia thành nhiều tệp nhỏ hơn.")
    book = read_workbook(path.read_bytes())
    with SessionLocal.begin() as session:
        actor = SYSTEM
        if args.as_user:
            user = session.scalar(select(User).where(User.username == args.as_user.strip().lower()))
            if user is None or not user.is_active:
                raise UserError(f"Không có tài khoản đang hoạt động “{args.as_user}”.")
            actor = actor_of(user)
        plan = plan_import(session, actor=actor, source=book)
        _print_plan(plan)
        if not plan.ok:
            print(f"Có {len(plan.problems)} lỗi; chưa có gì được ghi. Hãy sửa tệp rồi chạy lại.", file=sys.stderr)
            return 1
        if args.dry_run:
            print("Chạy thử (--dry-run): chưa ghi gì vào cơ sở dữ liệu.")
            return 0
        plan = apply_import(session, actor=actor, source=book)
    print(import_summary(plan))
    return 0


def _reform(args: argparse.Namespace) -> int:
    """Carry the legacy villages over to the 2025 structure (or, with --dry-run, only show what would move)."""
    from pathlib import Path

    from db.reform import apply_carry_over, plan_carry_over, plan_workbook, result_workbook, summary_lines

    with SessionLocal.begin() as session:
        province = resolve_unit(session, actor=SYSTEM, ref=args.province).id if args.province else None
        plan = plan_carry_over(session, actor=SYSTEM, province_id=province)
        for line in summary_lines(plan):
            print(line)
        if plan.missing_mapping:
            print(f"Thôn của xã cũ không có xã mới tương ứng (giữ nguyên): {plan.missing_mapping:,}".replace(",", "."))
        if args.plan:
            Path(args.plan).write_bytes(plan_workbook(plan))
            print(f"Đã ghi kế hoạch vào {args.plan}.")
        if args.dry_run:
            print("Chạy thử (--dry-run): chưa ghi gì vào cơ sở dữ liệu.")
            return 0
        result = apply_carry_over(session, actor=SYSTEM, province_id=province)
    n = {k: f"{getattr(result, k):,}".replace(",", ".") for k in ("villages", "teams", "members", "reports")}
    print(f"Đã chuyển {n['villages']} thôn ({n['teams']} tổ, {n['members']} thành viên, "
          f"{n['reports']} báo cáo từ 01/07/2025) sang địa giới mới.")
    if args.result:
        Path(args.result).write_bytes(result_workbook(result))
        print(f"Đã ghi kết quả vào {args.result}.")
    return 0


def _print_plan(plan: "ImportPlan") -> None:
    """The preview row by row, the problems, then the counts."""
    preview = plan.preview_frame()
    print("\t".join(preview.columns))
    for values in preview.itertuples(index=False):
        print("\t".join("" if v is None else str(v) for v in values))
    if plan.skipped_sheets:
        print("Bỏ qua trang tính không có bảng: " + ", ".join(plan.skipped_sheets))
    if plan.problems:
        print("\nLỖI:", file=sys.stderr)
        for p in plan.problems:
            where = ", ".join(x for x in (f"trang “{p.sheet}”", f"dòng {p.row}" if p.row else "",
                                          f"cột “{p.column}”" if p.column else "") if x)
            print(f"- {where}: {p.message}", file=sys.stderr)
    print(plan.summary())


def main(argv: list[str] | None = None) -> int:
    """Parse the command and run it; a user error prints its Vietnamese message and exits 2."""
    parser = argparse.ArgumentParser(prog="python -m db", description="Quản trị cơ sở dữ liệu Tổ CNSCĐ.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("upgrade", help="Tạo hoặc nâng cấp lược đồ cơ sở dữ liệu")
    stats = sub.add_parser("stats", help="Chỉ tiêu của một địa bàn (mã hoặc đúng tên)")
    stats.add_argument("unit")
    stats.add_argument("--as-of", help="Ngày tính, dạng YYYY-MM-DD (mặc định: hôm nay)")
    stats.add_argument("--json", action="store_true")
    user = sub.add_parser("create-user", help="Tạo tài khoản (mật khẩu đọc từ NEW_USER_PASSWORD hoặc hỏi)")
    user.add_argument("username")
    user.add_argument("--role", required=True, choices=["admin", "officer", "volunteer", "leader"])
    user.add_argument("--unit", help="Mã hoặc đúng tên địa bàn (bỏ trống với quản trị toàn quốc)")
    user.add_argument("--team", type=int, help="Mã tổ (với thành viên tổ)")
    user.add_argument("--full-name")
    sub.add_parser("backup", help="Sao lưu toàn bộ dữ liệu ra một tệp").add_argument("file")
    sub.add_parser("restore", help="Phục hồi từ tệp sao lưu vào cơ sở dữ liệu trống").add_argument("file")
    imp = sub.add_parser("import", help="Nhập thôn, tổ, thành viên từ tệp Excel (.xlsx)")
    imp.add_argument("file")
    imp.add_argument("--dry-run", action="store_true", help="Chỉ kiểm tra và in bản xem trước, không ghi gì")
    imp.add_argument("--as", dest="as_user", metavar="USERNAME",
                     help="Nhập với quyền của tài khoản này (mặc định: quản trị hệ thống, cả nước)")
    kept = sub.add_parser("counts", help="Kiểm tra hoặc tính lại các bảng tổng hợp (số đếm, tổng hợp báo cáo)")
    kept.add_argument("action", choices=["check", "rebuild"],
                      help="check: so với số đếm lại (mã thoát 1 nếu khác); rebuild: tính lại")
    kept.add_argument("unit", nargs="?", help="Với rebuild: chỉ tính lại phần của địa bàn này (mã hoặc đúng tên)")
    reform = sub.add_parser("reform", help="Chuyển thôn, tổ, báo cáo sang địa giới mới (từ 01/07/2025)")
    reform.add_argument("--to", required=True, choices=["2025"], help="Địa giới đích (chỉ có 2025)")
    reform.add_argument("--dry-run", action="store_true", help="Chỉ in kế hoạch, không ghi gì")
    reform.add_argument("--province", help="Chỉ một tỉnh (cũ hoặc mới): mã, “cũ:49”, “mới:48” hoặc đúng tên")
    reform.add_argument("--plan", metavar="FILE.xlsx", help="Ghi kế hoạch ra tệp Excel")
    reform.add_argument("--result", metavar="FILE.xlsx", help="Ghi kết quả ra tệp Excel")
    args = parser.parse_args(argv)
    try:
        if args.command == "upgrade":
            with startup_lock():
                upgrade()
            print("Lược đồ cơ sở dữ liệu đã ở phiên bản mới nhất.")
            return 0
        if args.command == "stats":
            return _stats(args)
        if args.command == "backup":
            return _backup(args)
        if args.command == "restore":
            return _restore(args)
        if args.command == "import":
            return _import(args)
        if args.command == "counts":
            return _counts(args)
        if args.command == "reform":
            return _reform(args)
        return _create_user(args)
    except UserError as err:
        print(err.message, file=sys.stderr)
        return 2
    except ValueError as err:
        print(str(err), file=sys.stderr)
        return 2
    except OSError as err:
        print(_file_error(err), file=sys.stderr)
        return 2


def _file_error(err: OSError) -> str:
    """A file error in Vietnamese (the system's strerror is English)."""
    name = f" “{err.filename}”" if err.filename else ""
    reasons: dict[int | None, str] = {errno.ENOENT: "Không tìm thấy tệp", errno.EACCES: "Không có quyền đọc/ghi tệp",
               errno.EPERM: "Không có quyền đọc/ghi tệp", errno.EISDIR: "Đây là thư mục, không phải tệp",
               errno.ENOSPC: "Ổ đĩa đã đầy, không ghi được tệp"}
    return f"{reasons.get(err.errno, 'Không đọc/ghi được tệp')}{name}."


if __name__ == "__main__":
    sys.exit(main())
