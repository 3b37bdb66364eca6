"""One set of figures on every surface of a meeting: Báo cáo's Tổng hợp tab, the first slide, the PDF and the
Excel workbook show, for the same unit and period, exactly what db.meeting.fetch_meeting returns.

Each surface is read from what it outputs (AppTest's metric elements, the PDF's text, the workbook's cells),
for the country, a province, a district and a commune, over four periods, on the demo dataset and both backends.
The demo crosses the 1 July 2025 reform: each period is read for the units of the structure in force on its last
day (Quảng Nam, Huyện Phú Ninh, Xã Tam Phước before; Thành phố Đà Nẵng and Xã Tây Hồ, which Tam Phước joined,
after; no districts after).
"""

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, aliased
from streamlit.testing.v1 import AppTest

import db.engine
from db.access import Actor
from db.auth import actor_of
from db.meeting import Meeting, fetch_meeting
from db.models import Unit, User
from db.structures import LEGACY, NEW, structure_on
from report import fmt
from report.excel import meeting_workbook
from report.pdf import build_meeting_report
from seed.demo import PHU_NINH, load_demo
from tests.conftest import BACKENDS, fresh_database
from tests.pages.conftest import APP
from ui import data, period

TODAY = date.today()
PERIODS = {
    "quarter so far": (period.quarter_bounds(TODAY)[0], TODAY),
    "mid-month span": (TODAY.replace(day=1) - timedelta(days=50), TODAY - timedelta(days=9)),
    "last year": (date(TODAY.year - 1, 1, 1), date(TODAY.year - 1, 12, 31)),
    "a year before the reform": (date(2024, 1, 1), date(2024, 12, 31)),
}
UNITS = ("country", "province", "district", "commune")
# Each period with the levels that exist on its last day: the 2025 structure has no districts.
CASES = [(level, span) for span, (_, end) in PERIODS.items() for level in UNITS
         if level != "district" or structure_on(end) == LEGACY]


@dataclass
class Demo:
    """The demo database, its administrator and the unit of each level the test reads, per structure."""

    engine: Engine
    admin: Actor
    units: dict[str, dict[str, int | None]]

    def unit(self, level: str, span: str) -> int | None:
        """The unit of a level in the structure in force on the period's last day."""
        return self.units[structure_on(PERIODS[span][1])][level]


@pytest.fixture(scope="module", params=BACKENDS)
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """The demo dataset on a fresh database, with the app bound to it."""
    tmp = tmp_path_factory.mktemp("meeting")
    with fresh_database(request.param, request, tmp) as url, pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATABASE_URL", url)
        patch.setenv("DATA_DIR", str(tmp / "data"))
        engine = db.engine.configure(url)
        with Session(engine) as session:
            load_demo(session, progress=lambda _: None)
            session.commit()
            district = session.scalars(select(Unit).where(Unit.name == PHU_NINH, Unit.tier == "district")).one()
            parent = aliased(Unit)
            commune = session.scalars(select(Unit).join(parent, parent.id == Unit.parent_id)
                                      .where(parent.id == district.id, Unit.name == "Xã Tam Phước")).one()
            admin = actor_of(session.scalars(select(User).where(User.role == "admin")).first())
            city = session.scalars(select(Unit).where(Unit.structure == NEW, Unit.name == "Thành phố Đà Nẵng")).one()
            tay_ho = session.scalars(select(Unit).where(Unit.parent_id == city.id, Unit.name == "Xã Tây Hồ")).one()
            units = {LEGACY: {"country": None, "province": district.parent_id, "district": district.id,
                              "commune": commune.id},
                     NEW: {"country": None, "province": city.id, "commune": tay_ho.id}}
        yield Demo(engine, admin, units)
        engine.dispose()


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _metrics(at: AppTest) -> dict[str, tuple[str, str]]:
    """Every metric card on the page: label → (value, delta)."""
    return {m.label: (m.value, m.delta) for m in at.metric}


def _expected_cards(m: Meeting, *, parts: bool) -> dict[str, tuple[str, str]]:
    """Each card as it must read: the label (with a share's "covered/all" on the page), the value, the change."""
    return {f.label + (f" ({fmt.figure_part(f)})" if parts and f.part else ""):
            (fmt.figure_value(f), f"{fmt.figure_change(f)} so với kỳ trước") for f in m.figures}


def _open(demo: Demo, unit_id: int | None, start: date, end: date, **extra: str) -> AppTest:
    """Báo cáo for the unit and custom period in the address, as the administrator."""
    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state["auth_actor"] = demo.admin
    if unit_id is not None:
        at.query_params["unit"] = str(unit_id)
    at.query_params.update({"ky": "custom", "tu": start.isoformat(), "den": end.isoformat(), **extra})
    at.run()
    at.switch_page("pages/reports_page.py").run()
    assert not at.exception
    return at


@pytest.mark.parametrize(("level", "span"), CASES)
def test_page_slide_pdf_and_excel_show_the_same_figures(demo: Demo, level: str, span: str) -> None:
    data.forget()  # the cache is keyed on data versions, which restart with each module's database
    start, end = PERIODS[span]
    unit_id = demo.unit(level, span)
    with Session(demo.engine) as session:
        m = fetch_meeting(session, actor=demo.admin, unit_id=unit_id, start=start, end=end)
        pdf = build_meeting_report(session, actor=demo.admin, unit_id=unit_id, start=start, end=end)
    assert m.figure("reports").value + m.figure("reports").previous > 0, "the demo has reports around every period"
    page = _open(demo, unit_id, start, end)
    assert _metrics(page) == _expected_cards(m, parts=True)

    slide = _open(demo, unit_id, start, end, trinhchieu="1", trang="1")
    assert _metrics(slide) == _expected_cards(m, parts=False)

    text = _normal("\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages))
    for f in m.figures:
        part = f" ({fmt.figure_part(f)})" if f.part else ""
        row = f"{f.label} {fmt.figure_value(f)}{part} {fmt.figure_previous(f)} {fmt.figure_change(f)}"
        assert row in text, row
    assert f"Tổ chưa báo cáo trong kỳ ({fmt.number(m.silent_count)})" in text
    assert f"từ {fmt.day(m.previous_start)} đến {fmt.day(m.previous_end)}" in text

    sheet = load_workbook(io.BytesIO(meeting_workbook(m)))["Tổng hợp"]
    cells = {row[0]: row[1:4] for row in sheet.iter_rows(min_row=2, values_only=True)}
    for f in m.figures:
        scale = 100 if f.kind == "ratio" else 1
        now, before, change = cells[f.label + (" (%)" if f.kind == "ratio" else "")]
        assert (now, before) == (pytest.approx(round(f.value * scale, 1)), pytest.approx(round(f.previous * scale, 1)))
        assert change == pytest.approx(round(f.change * scale, 1))


def _lines_with_heights(pdf: bytes) -> list[list[tuple[str, float]]]:
    """Each page's text pieces with their height on the page (PDF points from the bottom)."""
    def read(page) -> list[tuple[str, float]]:  # noqa: ANN001 - a pypdf page
        pieces: list[tuple[str, float]] = []
        page.extract_text(visitor_text=lambda text, _cm, tm, _font, _size: pieces.append((text.strip(), tm[5]))
                          if text.strip() else None)
        return pieces

    return [read(page) for page in PdfReader(io.BytesIO(pdf)).pages]


@pytest.mark.parametrize("level", UNITS)
def test_the_pdf_has_an_administrative_header_and_no_orphaned_heading(demo: Demo, level: str) -> None:
    span = "last year" if ("last year", level) in {(s, lv) for lv, s in CASES} else "a year before the reform"
    start, end = PERIODS[span]
    unit_id = demo.unit(level, span)
    with Session(demo.engine) as session:
        m = fetch_meeting(session, actor=demo.admin, unit_id=unit_id, start=start, end=end)
        pdf = build_meeting_report(session, actor=demo.admin, unit_id=unit_id, start=start, end=end)
        issued = date.today()  # the day the PDF was made (a suite may run past midnight)
    pages = _lines_with_heights(pdf)
    first = _normal(" ".join(text for text, _ in pages[0]))
    issuer = "BỘ KHOA HỌC VÀ CÔNG NGHỆ" if m.unit_id is None else f"UBND {m.unit.upper()}"
    for part in (issuer, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                 f"ngày {issued:%d} tháng {issued:%m} năm {issued:%Y}", "BÁO CÁO TÌNH HÌNH TỔ CÔNG NGHỆ SỐ CỘNG ĐỒNG"):
        assert part in first, part
    assert first.index(issuer) < first.index("BÁO CÁO TÌNH HÌNH") and first.index("Độc lập") < first.index("BÁO CÁO TÌNH HÌNH")
    headings = 0
    for pieces in pages:
        footer = min(y for _, y in pieces)  # the page number line is the lowest text of every page
        for text, y in pieces:
            if re.match(r"^\d\. \S", text):
                headings += 1
                below = [t for t, y2 in pieces if footer < y2 < y]
                assert below, f"heading {text!r} ends its page"
    assert headings >= 3
