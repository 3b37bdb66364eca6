"""In a real Chromium: an officer signs in, registers a team for an uncovered village, sees coverage change."""

import re

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from db.auth import actor_of
from db.models import User
from db.queries import fetch_indicators, fetch_uncovered_villages
from seed.demo import DEMO_PASSWORD
from tests.browser.conftest import shot

pytestmark = pytest.mark.browser


def _figures(database_url: str, username: str):  # noqa: ANN202
    """The officer's indicators and one uncovered village, read straight from the database."""
    engine = create_engine(database_url)
    with Session(engine) as session:
        user = session.query(User).filter_by(username=username).one()
        actor = actor_of(user)
        ind = fetch_indicators(session, actor=actor, unit_id=actor.unit_id)
        missing = fetch_uncovered_villages(session, actor=actor, unit_id=actor.unit_id)
    engine.dispose()
    return ind, missing


def test_officer_registers_a_team_and_coverage_rises(demo_server, browser):
    username = "canbo.phuninh"
    before, missing = _figures(demo_server.database_url, username)
    assert not missing.empty, "the demo dataset leaves villages without a team"
    village = missing.iloc[0]

    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.goto(demo_server.url)
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    covered_text = f"{before.villages_covered}/{before.villages} thôn"
    page.get_by_text(covered_text).wait_for(timeout=30_000)
    shot(page, "officer-1-overview")

    page.get_by_role("link", name="Tổ CNSCĐ").click()
    page.get_by_role("tab", name="Đăng ký tổ mới").click()
    search = page.get_by_label("Tìm thôn hoặc xã (gõ có dấu hoặc không dấu)")
    search.fill(f"{village['village']}")
    search.press("Enter")
    results = page.get_by_label(re.compile(r"Kết quả tìm"))
    results.wait_for(timeout=15_000)
    results.click()
    page.get_by_role("option", name=re.compile(re.escape(f"{village['village']}, {village['commune']}"))).click()
    page.get_by_text(f"Địa bàn đã chọn: {village['village']}").wait_for(timeout=15_000)
    page.get_by_label("Số quyết định thành lập").fill("301/QĐ-UBND")
    shot(page, "officer-2-register")
    page.get_by_role("button", name="Đăng ký tổ").click()
    page.get_by_text(re.compile("Đã đăng ký")).wait_for(timeout=30_000)

    after, _ = _figures(demo_server.database_url, username)
    assert after.villages_covered == before.villages_covered + 1
    page.get_by_role("link", name="Tổng quan").click()
    page.get_by_text(f"{after.villages_covered}/{after.villages} thôn").wait_for(timeout=30_000)
    shot(page, "officer-3-coverage-after")
    page.close()
