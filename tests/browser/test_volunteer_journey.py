"""In a real Chromium at phone size: a volunteer reports with a photo; a double tap makes one report."""

import io
import re

import pytest
from PIL import Image
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from db.models import Activity, User
from seed.demo import DEMO_PASSWORD
from tests.browser.conftest import settle, shot
from tests.factories import count_rows

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def _team_reports(database_url: str, username: str) -> tuple[int, int]:
    """The volunteer's team's report count and how many carry a photo, straight from the database."""
    engine = create_engine(database_url)
    with Session(engine) as session:
        team_id = session.scalar(select(User.team_id).where(User.username == username))
        total = count_rows(session, Activity, Activity.team_id == team_id)
        photos = count_rows(session, Activity, Activity.team_id == team_id, Activity.photo.is_not(None))
    engine.dispose()
    return int(total), int(photos)


def _reports_in_caption(page) -> int:  # noqa: ANN001
    text = page.get_by_text(re.compile(r"12 tháng qua: [\d.]+ báo cáo")).inner_text()
    return int(re.search(r"12 tháng qua: ([\d.]+) báo cáo", text).group(1).replace(".", ""))


def test_volunteer_reports_with_a_photo_and_a_double_tap_counts_once(demo_server, browser, tmp_path):
    username = "tnv.xaphuninh"  # a volunteer of today: a 2025 commune's team, reporting under it
    before, photos_before = _team_reports(demo_server.database_url, username)
    photo = tmp_path / "hoat-dong.png"
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 120, 200)).save(buf, format="PNG")
    photo.write_bytes(buf.getvalue())

    page = browser.new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    page.goto(demo_server.url)
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url("**/nhanh/")  # a volunteer lands on the light report page, which links to the full app
    page.get_by_role("link", name="Mở ứng dụng đầy đủ").click()
    page.get_by_role("link", name="Báo cáo hoạt động của tổ").click()
    page.get_by_role("button", name="Gửi báo cáo").wait_for(timeout=30_000)
    settle(page)
    chart_before = _reports_in_caption(page)

    # The quick form, by its button: the correction forms of the list (in a folded expander) hold earlier reports'
    # fields under the same labels (the session's other tests report for this team too).
    form = page.locator("[data-testid=stForm]").filter(has=page.get_by_role("button", name="Gửi báo cáo"))
    form.get_by_label("Số người được hỗ trợ").fill("14")
    form.get_by_label("Số hộ").fill("9")
    page.locator("input[type=file]").set_input_files(str(photo))
    page.get_by_text("hoat-dong.png").wait_for(timeout=15_000)
    shot(page, "volunteer-1-form")
    page.get_by_role("button", name="Gửi báo cáo").click()
    page.get_by_text(re.compile("Đã ghi nhận báo cáo")).wait_for(timeout=30_000)
    grouped = f"{chart_before + 1:,}".replace(",", ".")
    page.get_by_text(f"12 tháng qua: {grouped} báo cáo").wait_for(timeout=30_000)
    assert _reports_in_caption(page) == chart_before + 1
    after, photos_after = _team_reports(demo_server.database_url, username)
    assert (after, photos_after) == (before + 1, photos_before + 1)
    shot(page, "volunteer-2-after-report")

    settle(page)
    form.get_by_label("Số người được hỗ trợ").fill("3")
    page.get_by_role("button", name="Gửi báo cáo").dblclick()
    page.get_by_text(re.compile("Đã ghi nhận báo cáo")).wait_for(timeout=30_000)
    page.wait_for_timeout(3000)  # let a second submission, if any, land before counting
    final, _ = _team_reports(demo_server.database_url, username)
    assert final == after + 1
    shot(page, "volunteer-3-double-tap")
    page.close()
