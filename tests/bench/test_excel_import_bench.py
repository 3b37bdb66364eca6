"""Figure 5 at small scale, as CI runs it: the benchmark's file imports whole on the official units; no timing."""

import io
from pathlib import Path

from openpyxl import load_workbook

import db.engine
from bench import excel_import


def test_the_benchmark_file_has_the_messy_shape():
    """Title rows, a header without diacritics, merged village cells, the signature block under the table."""
    data = excel_import.build_workbook([("Xã Tam Phước", "Tam Phước"), ("Thị trấn Phú Thịnh", "Phú Thịnh")], rows=25)
    ws = load_workbook(io.BytesIO(data)).active
    assert ws["A1"].value == "UBND HUYỆN PHÚ NINH" and ws["H4"].value == "HO VA TEN"
    assert {str(r) for r in ws.merged_cells.ranges} >= {"E5:E14", "F5:F14", "G5:G14", "E25:E29"}
    assert ws.cell(row=ws.max_row - 1, column=2).value == "Người lập biểu"
    assert [ws.cell(row=r, column=4).value for r in (5, 15, 25, 35)] == ["Xã Tam Phước", "Thị trấn Phú Thịnh",
                                                                          "Tam Phước", None]


def test_time_import_writes_every_row_on_a_fresh_database(tmp_path: Path):
    """250 members on a throwaway SQLite with the official units: 25 villages, teams and the members, checked."""
    try:
        timing = excel_import.time_import(f"sqlite:///{tmp_path / 'import.sqlite3'}", "SQLite", rows=250)
    finally:
        db.engine.get_engine().dispose()
    assert (timing.villages, timing.teams, timing.members) == (25, 25, 250)
    assert timing.preview > 0 and timing.apply > 0
