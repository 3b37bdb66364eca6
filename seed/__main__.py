"""Command line: python -m seed units [--structure legacy|2025] | demo [--first-start]."""

import argparse
import sys
import time

from sqlalchemy import func, select

from db.engine import SessionLocal
from db.migrate import upgrade
from db.models import Unit
from seed.demo import load_demo
from seed.units import load_units


def main(argv: list[str] | None = None) -> int:
    """Parse the command and run it in one transaction."""
    parser = argparse.ArgumentParser(prog="python -m seed", description="Nạp dữ liệu địa bàn và dữ liệu mẫu.")
    sub = parser.add_subparsers(dest="command", required=True)
    units = sub.add_parser("units", help="Nạp danh mục tỉnh, huyện, xã chính thức")
    units.add_argument("--structure", choices=["legacy", "2025"], default="legacy")
    demo = sub.add_parser("demo", help="Nạp đơn vị chính thức và bộ dữ liệu mẫu (chạy lại không nhân đôi)")
    demo.add_argument("--first-start", action="store_true", help="Chỉ nạp khi cơ sở dữ liệu còn trống")
    args = parser.parse_args(argv)

    upgrade()
    started = time.perf_counter()
    with SessionLocal.begin() as session:
        if args.command == "units":
            load_units(session, structure=args.structure)
        elif args.first_start and session.scalar(select(func.count()).select_from(Unit)):
            print("Cơ sở dữ liệu đã có dữ liệu: bỏ qua nạp dữ liệu mẫu.")
        else:
            print("Đang nạp dữ liệu mẫu lần đầu (chừng vài giây)…", flush=True)
            load_demo(session)
    print(f"Xong sau {time.perf_counter() - started:.1f} giây.".replace(".", ",", 1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
