"""Command line: python -m seed units [--structure legacy|2025] (default both) | demo [--first-start] [--before-reform]
| national …"""

import argparse
import sys
import time

from sqlalchemy import func, select

from db.engine import SessionLocal, get_engine
from db.migrate import startup_lock, upgrade
from db.models import Unit
from seed.demo import load_demo
from seed.national import _fmt, load_national
from seed.units import load_both


def _count(value: str) -> int:
    """A whole number ≥ 0 (underscores allowed: 10_000_000)."""
    number = int(value.replace("_", ""))
    if number < 0:
        raise argparse.ArgumentTypeError("phải là số không âm")
    return number


def main(argv: list[str] | None = None) -> int:
    """Parse the command and run it in one transaction."""
    parser = argparse.ArgumentParser(prog="python -m seed", description="Nạp dữ liệu địa bàn và dữ liệu mẫu.")
    sub = parser.add_subparsers(dest="command", required=True)
    units = sub.add_parser("units", help="Nạp danh mục tỉnh, huyện, xã chính thức")
    units.add_argument("--structure", choices=["legacy", "2025"], default=None,
                       help="Chỉ nạp một cấu trúc (mặc định: cả hai, kèm bảng chuyển đổi xã cũ → xã mới)")
    demo = sub.add_parser("demo", help="Nạp đơn vị chính thức và bộ dữ liệu mẫu (chạy lại không nhân đôi)")
    demo.add_argument("--first-start", action="store_true", help="Chỉ nạp khi cơ sở dữ liệu còn trống")
    demo.add_argument("--before-reform", action="store_true",
                      help="Chưa chuyển sổ sang địa giới mới: để quản trị viên tự làm ở trang Sắp xếp địa giới")
    national = sub.add_parser("national", help="Bộ dữ liệu tổng hợp quy mô cả nước để đo hiệu năng (cơ sở dữ liệu mới)")
    national.add_argument("--villages", type=_count, default=100_000, help="Số thôn, khối phố (mặc định 100000)")
    national.add_argument("--activities", type=_count, default=10_000_000, help="Số báo cáo hoạt động (mặc định 10000000)")
    national.add_argument("--seed", type=int, default=42, help="Hạt giống ngẫu nhiên (mặc định 42)")
    args = parser.parse_args(argv)
    # Servers started together by `make run` each seed on start: one loads, the others wait and find it done.
    with startup_lock():
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    upgrade()
    started = time.perf_counter()
    if args.command == "national":
        print(f"Đang tạo bộ dữ liệu cả nước: {_fmt(args.villages)} thôn, {_fmt(args.activities)} báo cáo…", flush=True)
        load_national(get_engine(), villages=args.villages, activities=args.activities, seed=args.seed,
                      progress=lambda m: print(m, flush=True))
        print(f"Xong sau {time.perf_counter() - started:.1f} giây.".replace(".", ",", 1))
        return 0
    with SessionLocal.begin() as session:
        if args.command == "units":
            load_both(session, structures=(args.structure,) if args.structure else ("legacy", "2025"))
        elif args.first_start and session.scalar(select(func.count()).select_from(Unit)):
            print("Cơ sở dữ liệu đã có dữ liệu: bỏ qua nạp dữ liệu mẫu.")
        else:
            print("Đang nạp dữ liệu mẫu lần đầu (chừng vài giây)…", flush=True)
            load_demo(session, carry_over=not args.before_reform)
    print(f"Xong sau {time.perf_counter() - started:.1f} giây.".replace(".", ",", 1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
