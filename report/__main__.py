"""Command line: python -m report UNIT --from YYYY-MM-DD --to YYYY-MM-DD --out FILE.pdf"""

import argparse
import sys
from datetime import date
from pathlib import Path

from db.auth import SYSTEM
from db.engine import SessionLocal
from db.errors import UserError
from db.units import resolve_unit
from report.pdf import build_meeting_report


def main(argv: list[str] | None = None) -> int:
    """Write the meeting report of a unit and period; a user error prints its message and exits 2."""
    parser = argparse.ArgumentParser(prog="python -m report", description="Xuất báo cáo họp (PDF) của một địa bàn.")
    parser.add_argument("unit", help="Mã hoặc đúng tên địa bàn")
    parser.add_argument("--from", dest="start", required=True, help="Ngày bắt đầu, YYYY-MM-DD")
    parser.add_argument("--to", dest="end", required=True, help="Ngày kết thúc, YYYY-MM-DD")
    parser.add_argument("--out", required=True, help="Tệp PDF ghi ra")
    args = parser.parse_args(argv)
    try:
        start, end = date.fromisoformat(args.start), date.fromisoformat(args.end)
    except ValueError:
        print("Ngày phải có dạng YYYY-MM-DD.", file=sys.stderr)
        return 2
    if start > end:
        print("Ngày bắt đầu phải trước ngày kết thúc.", file=sys.stderr)
        return 2
    try:
        with SessionLocal() as session:
            unit = resolve_unit(session, actor=SYSTEM, ref=args.unit)
            pdf = build_meeting_report(session, actor=SYSTEM, unit_id=unit.id, start=start, end=end)
    except UserError as err:
        print(err.message, file=sys.stderr)
        return 2
    Path(args.out).write_bytes(pdf)
    print(f"Đã ghi báo cáo {unit.name} ({len(pdf):,} byte) vào {args.out}.".replace(",", "."))
    return 0


if __name__ == "__main__":
    sys.exit(main())
