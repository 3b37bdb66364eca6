"""Every list a page shows can be taken to Excel, and the file never runs a formula someone typed."""

import io

import pytest
from openpyxl import load_workbook

from db import recommendations
from db.auth import SYSTEM
from report.excel import to_xlsx
from tests import factories
from tests.pages.conftest import open_page
from ui import downloads

FORMULAS = ["=HYPERLINK(\"http://x\",\"bấm\")", "+84 cmd", "-2+3", "@SUM(A1)"]


@pytest.fixture
def exported(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """The sheets each "Tải Excel" button would write, recorded instead of waiting for a click."""
    seen: list[dict] = []
    real = downloads.excel_button

    def record(sheets, **kwargs) -> None:  # noqa: ANN001, ANN003
        seen.append(sheets)
        real(sheets, **kwargs)

    monkeypatch.setattr(downloads, "excel_button", record)
    return seen


def _with_formulas(session, world) -> None:  # noqa: ANN001
    """On top of the shared world: a team in Thôn Phú Mỹ and recommendations that look like formulas."""
    factories.create_team(session, unit=world.tree.villages[0], name="Tổ CNSCĐ Thôn Phú Mỹ", members=3)
    for text in FORMULAS:
        recommendations.create_recommendation(session, actor=SYSTEM, unit_id=world.tree.commune.id, category="recommendation",
                                              text=text)
    session.commit()


@pytest.mark.parametrize("page", ["overview_page", "coverage_page", "feedback_page", "activities_page", "users_page"])
def test_each_list_on_a_page_has_its_excel_button(app, session, world, exported, page):
    _with_formulas(session, world)
    at = app(world.admin if page == "users_page" else world.officer).run()
    if page == "activities_page":  # its list (the silent teams) is on the second tab: open it, as a click does
        at.session_state["activities_tab"] = "Tình hình báo cáo"
    at = open_page(at, page)
    assert not at.exception
    shown = [list(df.value.columns) for df in at.dataframe]
    assert shown, "the page shows at least one list"
    offered = [list(frame.columns) for sheets in exported for frame in sheets.values()]
    assert all(columns in offered for columns in shown), (shown, offered)
    labels = [b.label for b in at.get("download_button")]
    assert labels.count("Tải Excel") >= len(shown)


def test_the_exported_recommendations_keep_formula_text_as_text(app, session, world, exported):
    _with_formulas(session, world)
    at = open_page(app(world.officer).run(), "feedback_page")
    assert not at.exception
    sheets = next(s for s in exported if "Kiến nghị" in s)
    ws = load_workbook(io.BytesIO(to_xlsx(sheets))).active
    header = [c.value for c in ws[1]]
    column = header.index("Nội dung") + 1
    cells = {ws.cell(row=r, column=column).value: ws.cell(row=r, column=column) for r in range(2, ws.max_row + 1)}
    assert set(FORMULAS) <= set(cells)
    assert all(cells[text].data_type == "s" and cells[text].quotePrefix for text in FORMULAS)
