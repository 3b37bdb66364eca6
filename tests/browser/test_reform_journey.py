"""In a real Chromium, across the 1 July 2025 reform: an administrator previews and applies the carry-over, a 2026
commune officer registers a team under the new commune, and a leader reads 2026 by commune and 2022 by district.

The server serves the demo as it stands before the carry-over (`python -m seed demo --before-reform`). Every
figure the pages show is compared with the db/ function that defines it.
"""

import io
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import date

import openpyxl
import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from db import reform
from db.auth import actor_of
from db.coverage import fetch_coverage_by_child, fetch_indicators, fetch_uncovered_villages
from db.models import Unit, User
from db.structures import LEGACY
from db.text import collation_key
from report import fmt
from seed.demo import DEADLINE, DEMO_PASSWORD, PHU_NINH
from tests.browser.conftest import ROOT, Server, serve, settle, shot
from tests.browser.test_bar_order import matches, wait_for_labels

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def prereform_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The demo with its registry still in the legacy structure, served by `make run`'s launcher."""
    data_dir = tmp_path_factory.mktemp("prereform")
    database_url = f"sqlite:///{data_dir / 'demo.sqlite3'}"
    env = {**os.environ, "DATABASE_URL": database_url, "DATA_DIR": str(data_dir)}
    subprocess.run([sys.executable, "-m", "seed", "demo", "--before-reform"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    with serve(database_url, data_dir) as url:
        yield Server(url=url, database_url=database_url)


def _read(database_url: str, fn):  # noqa: ANN001, ANN202
    """Run `fn(session)` on its own connection (the server holds the file too)."""
    engine = create_engine(database_url)
    try:
        with Session(engine) as session:
            return fn(session)
    finally:
        engine.dispose()


def _actor(session: Session, username: str):  # noqa: ANN202
    return actor_of(session.query(User).filter_by(username=username).one())


def _sign_in(browser, url: str, username: str, path: str = ""):  # noqa: ANN001, ANN202
    page = browser.new_page(viewport={"width": 1366, "height": 768}, accept_downloads=True)
    page.goto(f"{url}/{path}")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    settle(page)
    return page


def _phu_ninh_on_deadline(session: Session) -> tuple[int, int]:
    """Huyện Phú Ninh's teams and members on 31/08/2022 (the legacy district, named with its structure)."""
    district = session.scalars(select(Unit).where(Unit.name == PHU_NINH, Unit.structure == LEGACY)).one()
    ind = fetch_indicators(session, actor=_actor(session, "admin"), unit_id=district.id, as_of=DEADLINE)
    return ind.teams, ind.members


def _worst_first(frame) -> list[str]:  # noqa: ANN001 - a coverage-by-child DataFrame
    """The names a coverage chart draws, lowest coverage first, ties in Vietnamese order."""
    rows = frame[frame["villages"] > 0]
    return [n for _, n in sorted(zip(rows["coverage"], rows["name"], strict=True), key=lambda r: (r[0], collation_key(r[1])))]


def test_carry_over_then_a_2026_officer_and_a_leader_of_both_eras(prereform_server, browser):  # noqa: ANN001
    db_url, url = prereform_server.database_url, prereform_server.url
    plan = _read(db_url, lambda s: reform.plan_carry_over(s, actor=_actor(s, "admin")))
    moving = int(plan.villages["new_commune_id"].notna().sum())
    assert moving > 0 and len(plan.commune_teams) > 0, "the demo before the reform has villages and commune teams to carry"
    past_before = _read(db_url, _phu_ninh_on_deadline)

    # 1. The administrator previews, confirms and applies; the result workbook lists every village moved.
    page = _sign_in(browser, url, "admin", "reform")
    card = page.locator("[data-testid=stMetric]").filter(has_text="Thôn sẽ chuyển")
    assert card.locator("[data-testid=stMetricValue]").inner_text().strip() == fmt.number(moving)
    page.get_by_text(f"Tổ cấp xã của xã cũ ({fmt.number(len(plan.commune_teams))})").wait_for(timeout=15_000)
    shot(page, "reform-1-preview")
    apply = page.get_by_role("button", name="Chuyển sổ sang địa giới mới")
    assert apply.is_disabled(), "nothing is applied before the preview is acknowledged"
    page.get_by_text("Tôi đã xem bản xem trước và đồng ý chuyển sổ sang địa giới mới.").click()
    settle(page)
    apply.click()
    page.get_by_text(re.compile(rf"đã chuyển {re.escape(fmt.number(moving))} thôn")).wait_for(timeout=60_000)
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name="Tải kết quả (Excel)").click()
    book = openpyxl.load_workbook(io.BytesIO(info.value.path().read_bytes()), read_only=True)
    assert book["Thôn đã chuyển"].max_row - 1 == moving  # one row per village under its header
    shot(page, "reform-2-applied")
    page.close()

    carried, remaining, past_after = _read(db_url, lambda s: (
        s.scalar(select(func.count()).select_from(Unit).where(Unit.former_parent_id.is_not(None))),
        len(reform.plan_carry_over(s, actor=_actor(s, "admin")).villages),
        _phu_ninh_on_deadline(s),
    ))
    assert (carried, remaining) == (moving, 0)
    assert past_after == past_before, "Huyện Phú Ninh's 31/08/2022 figures do not move with the carry-over"

    # 2. A 2026 officer of Xã Phú Ninh registers a team for one of the commune's villages still without one.
    def officer_view(s: Session):  # noqa: ANN202
        actor = _actor(s, "canbo.xaphuninh")
        return fetch_indicators(s, actor=actor, unit_id=actor.unit_id), fetch_uncovered_villages(s, actor=actor, unit_id=actor.unit_id)

    before, missing = _read(db_url, officer_view)
    assert not missing.empty, "some of Xã Phú Ninh's villages have no team yet"
    village = missing.iloc[0]
    page = _sign_in(browser, url, "canbo.xaphuninh")
    shot(page, "reform-3-officer-signed-in")
    page.get_by_text(f"{before.villages_covered}/{before.villages} thôn").first.wait_for(timeout=30_000)
    page.get_by_role("link", name="Tổ CNSCĐ").click()
    page.get_by_role("tab", name="Đăng ký tổ mới").click()
    search = page.get_by_label("Tìm thôn hoặc xã (gõ có dấu hoặc không dấu)")
    search.fill(str(village["village"]))
    search.press("Enter")
    results = page.get_by_label(re.compile(r"Kết quả tìm"))
    results.wait_for(timeout=15_000)
    results.click()
    page.get_by_role("option", name=re.compile(re.escape(f"{village['village']}, {village['commune']}"))).first.click()
    page.get_by_text(f"Địa bàn đã chọn: {village['village']}").wait_for(timeout=15_000)
    page.get_by_label("Số quyết định thành lập").fill("12/QĐ-UBND")
    page.get_by_role("button", name="Đăng ký tổ").click()
    page.get_by_text(re.compile("Đã đăng ký")).wait_for(timeout=30_000)
    after, _ = _read(db_url, officer_view)
    assert after.villages_covered == before.villages_covered + 1
    page.get_by_role("link", name="Tổng quan").click()
    page.get_by_text(f"{after.villages_covered}/{after.villages} thôn").first.wait_for(timeout=30_000)
    shot(page, "reform-3-officer-2026")
    page.close()

    # 3. A leader of Thành phố Đà Nẵng: today by the 2025 communes, then 31/08/2022 by Quảng Nam's districts.
    def leader_view(s: Session):  # noqa: ANN202
        actor = _actor(s, "lanhdao.danang")
        quang_nam = s.scalars(select(Unit).where(Unit.structure == LEGACY, Unit.tier == "province",
                                                 Unit.name == "Tỉnh Quảng Nam")).one()
        return (_worst_first(fetch_coverage_by_child(s, actor=actor, unit_id=actor.unit_id, as_of=date.today())),
                _worst_first(fetch_coverage_by_child(s, actor=actor, unit_id=quang_nam.id, as_of=DEADLINE)))

    communes_today, districts_2022 = _read(db_url, leader_view)
    assert communes_today and all(n.startswith(("Xã ", "Phường ")) for n in communes_today)
    assert districts_2022 and all(n.startswith("Huyện ") for n in districts_2022)
    page = _sign_in(browser, url, "lanhdao.danang", "coverage")
    page.get_by_text("Số liệu theo địa giới mới (tỉnh → xã) từ 01/07/2025.").wait_for(timeout=30_000)
    assert matches(wait_for_labels(page, communes_today), communes_today)
    shot(page, "reform-4-leader-2026-by-commune")
    # The date field is three segments (day, month, year): typing fills one after the other; Enter keeps the date,
    # Escape closes the calendar it opened, and leaving the field sends it.
    page.get_by_role("spinbutton", name="day, Tính đến ngày").click()
    page.keyboard.type(f"{DEADLINE:%d%m%Y}")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    page.get_by_role("heading", name="Độ phủ Tổ CNSCĐ").click()
    settle(page)
    page.get_by_text("gộp theo các đơn vị hành chính hiện nay").wait_for(timeout=30_000)
    page.get_by_role("button", name="Tỉnh Quảng Nam").click()
    settle(page)
    page.get_by_text(re.compile(r"Số liệu theo địa giới cũ \(tỉnh → huyện → xã\)")).wait_for(timeout=30_000)
    assert matches(wait_for_labels(page, districts_2022), districts_2022)
    shot(page, "reform-5-leader-2022-by-district")
    page.close()
