"""The meeting report: PDF text with diacritics and the right figures, chart images, Excel, the command."""

import io
import subprocess
import sys
from datetime import date
from pathlib import Path

import pandas as pd
from openpyxl import load_workbook
from PIL import Image
from pypdf import PdfReader

from db import coverage
from db.auth import SYSTEM
from db.meeting import fetch_meeting
from report import charts, fmt
from report.excel import to_xlsx
from report.images import chart_png, chart_svg
from report.pdf import build_meeting_report
from tests import factories

ROOT = Path(__file__).resolve().parents[2]


def _pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_pdf_carries_unit_names_with_diacritics_and_the_figures(session):
    tree = factories.create_tree(session)
    factories.create_team(session, unit=tree.villages[0], established_on=date(2022, 7, 1), members=4)
    factories.create_team(session, unit=tree.village_other, established_on=date(2022, 8, 1), members=2)
    session.commit()
    end = date.today()
    pdf = build_meeting_report(session, actor=SYSTEM, unit_id=tree.province.id, start=date(end.year, 1, 1), end=end)
    assert pdf.startswith(b"%PDF")
    text = _pdf_text(pdf)
    ind = coverage.fetch_indicators(session, actor=SYSTEM, unit_id=tree.province.id, as_of=end)
    for name in (tree.province.name, tree.district.name, tree.district2.name):
        assert name in text, name
    assert f"{fmt.percent(ind.village_coverage)} ({fmt.number(ind.villages_covered)}/{fmt.number(ind.villages)})" in text
    assert f"Thành viên {fmt.number(ind.members)} " in text.replace("\n", " ")


def test_chart_images_decode(session):
    frame = pd.DataFrame({"unit_id": [1, 2], "name": ["Xã Tam Phước", "Xã Tam Đàn"], "villages": [4, 5],
                          "covered": [4, 2], "coverage": [1.0, 0.4]})
    chart = charts.build_coverage_chart(frame)
    png = Image.open(io.BytesIO(chart_png(chart)))
    png.load()
    assert png.format == "PNG" and png.width > 300
    svg = chart_svg(chart)
    assert svg.lstrip().startswith("<svg") and "Tam Phước" in svg


def test_excel_never_writes_a_formula():
    frame = pd.DataFrame({"Tên": ["=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)", "Thôn Phú Mỹ"], "Số": [1, 2, 3, 4, 5]})
    wb = load_workbook(io.BytesIO(to_xlsx({"Bảng": frame})))
    cells = list(wb["Bảng"]["A"][1:])
    assert [c.value for c in cells] == list(frame["Tên"])
    assert all(c.data_type == "s" for c in cells)


def test_coverage_chart_spec_lists_every_unit_with_its_label():
    frame = pd.DataFrame({"unit_id": [1, 2, 3], "name": ["A", "B", "C"], "villages": [4, 5, 0],
                          "covered": [4, 2, 0], "coverage": [1.0, 0.4, None]})
    spec = charts.build_coverage_chart(frame, selectable=True).to_dict()
    rows = next(iter(spec["datasets"].values()))
    assert [r["name"] for r in rows] == ["A", "B"]  # units without villages are left out
    assert [r["label"] for r in rows] == ["100%", "40%"]
    assert spec["config"]["locale"]["number"]["decimal"] == ","
    assert [p["name"] for p in spec["params"]] == [charts.PICK]  # clicking a bar drills down


def test_report_command_writes_a_pdf(tmp_path, engine, session):
    tree = factories.create_tree(session)
    factories.create_team(session, unit=tree.villages[0], established_on=date(2022, 7, 1), members=2)
    session.commit()
    out = tmp_path / "bao-cao.pdf"
    env = {**__import__("os").environ}
    workbook = tmp_path / "bang-so-lieu.xlsx"
    done = subprocess.run([sys.executable, "-m", "report", tree.district.code, "--from", "2022-01-01", "--to", "2022-12-31",
                           "--out", str(out), "--excel", str(workbook)], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    text = " ".join(_pdf_text(out.read_bytes()).split())
    m = fetch_meeting(session, actor=SYSTEM, unit_id=tree.district.id, start=date(2022, 1, 1), end=date(2022, 12, 31))
    # The administrative header, then every figure against the previous period (2021), as the function gives them.
    for part in (f"UBND {tree.province.name.upper()}", f"UBND {tree.district.name.upper()}", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                 "Độc lập - Tự do - Hạnh phúc", f"{tree.district.short_name}, ngày", "từ 01/01/2021 đến 31/12/2021"):
        assert part in text, part
    for f in m.figures:
        assert f"{f.label} {fmt.figure_value(f)}" in text and fmt.figure_change(f) in text, f.label
    sheet = load_workbook(workbook)["Tổng hợp"]
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)][:2] == ["Thôn, khối phố có tổ (%)", "Xã có tổ cấp xã (%)"]
    bad = subprocess.run([sys.executable, "-m", "report", "không có", "--from", "2022-01-01", "--to", "2022-12-31",
                          "--out", str(tmp_path / "x.pdf")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "Không tìm thấy địa bàn" in bad.stderr


def test_report_package_runs_without_streamlit():
    """report/ is shared by pages and the command line: importing it must not pull in ui/ or Streamlit."""
    code = ("import sys, report.charts, report.fmt, report.tables, report.pdf, report.excel, report.images; "
            "bad = [m for m in sys.modules if m == 'ui' or m.startswith(('ui.', 'streamlit'))]; "
            "sys.exit(f'imported: {bad}' if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).parents[2], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr or result.stdout
