"""Command line: python -m report UNIT --from YYYY-MM-DD --to YYYY-MM-DD --out FILE.pdf [--excel FILE.xlsx]"""

import argparse
import sys
from datetime import date
from pathlib import Path

from db.auth import SYSTEM
from db.engine import SessionLocal
from db.errors import UserError
from db.meeting import fetch_meeting
from db.units import resolve_unit
from report.excel import meeting_workbook
from report.pdf import render


def main(argv: list[str] | None = None) -> int:
    """Write the meeting report of a unit and period; a user error prints its message and exits 2."""
    parser = argparse.ArgumentParser(prog="python -m report", description="Xuất báo cáo họp (PDF) của một địa bàn.")
    parser.add_argument("unit", help="Mã hoặc đúng tên địa bàn")
    parser.add_argument("--from", dest="start", required=True, help="Ngày bắt đầu, YYYY-MM-DD")
    parser.add_argument("--to", dest="end", required=True, help="Ngày kết thúc, YYYY-MM-DD")
    parser.add_argument("--out", required=True, help="Tệp PDF ghi ra")
    parser.add_argument("--excel", help="Tệp Excel ghi ra (không bắt buộc): các bảng số liệu của cùng báo cáo")
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
            figures = fetch_meeting(session, actor=SYSTEM, unit_id=unit.id, start=start, end=end)
        pdf = render(figures)
    except UserError as err:
        print(err.message, file=sys.stderr)
        return 2
    Path(args.out).write_bytes(pdf)
    print(f"Đã ghi báo cáo {unit.name} ({len(pdf):,} byte) vào {args.out}.".replace(",", "."))
    if args.excel:
        Path(args.excel).write_bytes(meeting_workbook(figures))
        print(f"Đã ghi bảng số liệu vào {args.excel}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
