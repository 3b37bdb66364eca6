"""In a real Chromium at 1920 × 1080: a leader runs presentation mode and downloads the meeting PDF."""

import io
import re

import pytest
from pypdf import PdfReader
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from db.auth import actor_of
from db.coverage import fetch_indicators
from db.models import User
from report import fmt
from seed.demo import DEMO_PASSWORD
from tests.browser.conftest import shot

pytestmark = pytest.mark.browser


def test_leader_presents_and_downloads_the_pdf(demo_server, browser):
    username = "lanhdao.phuninh"
    engine = create_engine(demo_server.database_url)
    with Session(engine) as session:
        actor = actor_of(session.query(User).filter_by(username=username).one())
        ind = fetch_indicators(session, actor=actor, unit_id=actor.unit_id)
    engine.dispose()

    context = browser.new_context(viewport={"width": 1920, "height": 1080}, accept_downloads=True)
    page = context.new_page()
    page.goto(f"{demo_server.url}/reports")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_role("button", name="Trình chiếu").click()
    page.get_by_text("Kết quả chính").wait_for(timeout=30_000)
    teams_card = page.locator("[data-testid=stMetric]").filter(has_text="Tổ đang hoạt động")
    assert teams_card.locator("[data-testid=stMetricValue]").inner_text().strip() == fmt.number(ind.teams)
    assert page.locator("[data-testid=stSidebar]").is_hidden()
    shot(page, "leader-1-presentation-kpis")
    for name in ("leader-2-coverage", "leader-3-progress"):  # of six slides
        page.get_by_role("button", name="Sau ▶").click()
        page.wait_for_timeout(2500)
        shot(page, name)
    assert re.search(r"trang=3", page.url)
    page.get_by_role("button", name="Thoát").click()
    page.get_by_role("tab", name="Tải về").click()
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name="Tải báo cáo PDF").click()
    pdf = info.value.path().read_bytes()
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert ind.unit in text and "BÁO CÁO TÌNH HÌNH TỔ CÔNG NGHỆ SỐ CỘNG ĐỒNG" in text
    context.close()
