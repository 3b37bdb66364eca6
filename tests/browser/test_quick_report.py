"""The volunteer's light report page in a real Chromium at phone size: offline, resent, refused, signed in by the server."""

import re
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from db.auth import SYSTEM, create_user
from db.models import Activity, AuditEntry, Team, User
from seed.demo import DEMO_PASSWORD
from tests.browser.conftest import shot
from ui import quick, signin

pytestmark = pytest.mark.browser
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "locale": "vi-VN"}
VOLUNTEER = "tnv.tamphuoc"
READY = "document.documentElement.dataset.ready === '1'"


def _db(database_url: str):  # noqa: ANN202
    return Session(create_engine(database_url))


def _reports(database_url: str, **where: object) -> list[Activity]:
    """The reports matching `where`, straight from the database."""
    with _db(database_url) as session:
        stmt = select(Activity).filter_by(**where).order_by(Activity.id)
        return list(session.scalars(stmt))


def _audited(database_url: str, ids: list[int]) -> list[int]:
    with _db(database_url) as session:
        stmt = select(AuditEntry.entity_id).where(AuditEntry.entity == "activities", AuditEntry.action == "create",
                                                  AuditEntry.entity_id.in_(ids))
        return sorted(session.scalars(stmt))


def _team_of(database_url: str, username: str) -> int:
    with _db(database_url) as session:
        return int(session.scalar(select(User.team_id).where(User.username == username)))


def _open(context, url: str, username: str):  # noqa: ANN001, ANN202
    """Open the light page: the gate asks for a sign-in first, the server's form answers, the page is ready."""
    page = context.new_page()
    page.goto(f"{url}/nhanh/")
    assert "/dang-nhap" in page.url
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_function(READY, timeout=30_000)
    assert page.url.endswith("/nhanh/")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")  # the page is kept for offline use
    return page


def _fill(page, people: int) -> None:  # noqa: ANN001
    page.get_by_label("Loại hoạt động").select_option("public_service")
    page.get_by_label("Số người được hỗ trợ").fill(str(people))
    page.get_by_label("Số hộ").fill("2")
    page.get_by_label("Số hồ sơ trực tuyến đã nộp").fill("1")


def _pending(page) -> str:  # noqa: ANN001
    return page.locator("#pending-title").inner_text()


def test_reports_made_offline_survive_a_reload_and_arrive_once_each(demo_server, browser):
    context = browser.new_context(**PHONE)
    page = _open(context, demo_server.url, VOLUNTEER)
    team = _team_of(demo_server.database_url, VOLUNTEER)
    values = [111, 112, 113]  # within a volunteer's plausible bounds, never made by the demo data
    before = _reports(demo_server.database_url, team_id=team)

    context.set_offline(True)
    for people in values:
        _fill(page, people)
        page.get_by_role("button", name="Gửi báo cáo").click()
        page.wait_for_function(f"document.getElementById('pending-title').textContent === 'Chờ gửi: {values.index(people) + 1}'")
    assert "mất mạng" in page.locator("#net").inner_text()
    page.reload()  # offline: the service worker serves the kept page, IndexedDB the waiting reports
    page.wait_for_function(READY, timeout=30_000)
    assert _pending(page) == "Chờ gửi: 3"
    assert page.get_by_role("button", name="Gửi báo cáo").is_enabled()
    waiting = page.locator("#pending li").all_inner_texts()
    assert [re.search(r"· (\d+) người", w).group(1) for w in waiting] == [str(v) for v in values]
    shot(page, "quick-1-offline")
    ids = [r.id for r in before]
    assert [r.id for r in _reports(demo_server.database_url, team_id=team)] == ids, "nothing reached the server offline"

    context.set_offline(False)
    page.wait_for_function("document.getElementById('pending-title').textContent === 'Chờ gửi: 0'", timeout=60_000)
    new = [r for r in _reports(demo_server.database_url, team_id=team) if r.id not in ids]
    assert sorted(r.people_reached for r in new) == values
    assert all(r.activity_date == date.today() and r.activity_type == "public_service" for r in new)
    assert _audited(demo_server.database_url, [r.id for r in new]) == sorted(r.id for r in new)
    sent = page.locator("#sent li").all_inner_texts()
    assert all(any(f"{v} người · đã ghi nhận" in s for s in sent) for v in values)
    shot(page, "quick-2-sent")
    context.close()


def test_a_double_tap_and_a_resend_after_a_dropped_answer_make_one_report(demo_server, browser):
    context = browser.new_context(**PHONE)
    page = _open(context, demo_server.url, VOLUNTEER)
    dropped: list[int] = []

    def drop_the_answer(route) -> None:  # noqa: ANN001
        response = route.fetch()  # the server receives the report and writes it...
        dropped.append(response.status)
        route.abort("connectionreset")  # ...but the line drops before the phone hears back

    page.route(f"**{quick.API}", drop_the_answer)
    _fill(page, 124)
    page.get_by_role("button", name="Gửi báo cáo").dblclick()
    page.wait_for_function("document.getElementById('pending-title').textContent === 'Chờ gửi: 1'")
    page.wait_for_timeout(500)
    assert dropped == [200], "one report went out, and the server wrote it"
    assert _pending(page) == "Chờ gửi: 1", "unanswered, so it is kept"

    page.unroute(f"**{quick.API}")
    page.evaluate("window.dispatchEvent(new Event('online'))")  # the line is back
    page.wait_for_function("document.getElementById('pending-title').textContent === 'Chờ gửi: 0'", timeout=30_000)
    team = _team_of(demo_server.database_url, VOLUNTEER)
    assert len(_reports(demo_server.database_url, team_id=team, people_reached=124)) == 1
    context.close()


def test_the_cookie_is_httponly_and_a_post_from_another_origin_is_refused(demo_server, browser):
    context = browser.new_context(**PHONE)
    page = _open(context, demo_server.url, VOLUNTEER)
    cookie = next(c for c in context.cookies() if c["name"] == signin.COOKIE)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert signin.COOKIE not in page.evaluate("document.cookie"), "no script on the page can read the sign-in"
    team = _team_of(demo_server.database_url, VOLUNTEER)
    answer = context.request.post(f"{demo_server.url}{quick.API}", headers={"Origin": "http://example.invalid"},
                                  multipart={"token": "e" * 32, "to": str(team), "ngay": date.today().isoformat(),
                                             "loai": "other", "nguoi": "505"})
    assert answer.status == 403 and answer.json()["message"] == signin.FOREIGN
    assert _reports(demo_server.database_url, team_id=team, people_reached=505) == []
    context.close()


def test_a_volunteer_of_another_team_cannot_post_for_this_team(demo_server, browser):
    target = _team_of(demo_server.database_url, VOLUNTEER)
    with _db(demo_server.database_url) as session:
        other = session.scalar(select(Team).where(Team.id != target, Team.closed_on.is_(None)).order_by(Team.id))
        create_user(session, actor=SYSTEM, username="tnv.doikhac", password=DEMO_PASSWORD, full_name="Thành viên tổ khác",
                    role="volunteer", unit_id=None, team_id=other.id)
        session.commit()
    context = browser.new_context(**PHONE)
    page = _open(context, demo_server.url, "tnv.doikhac")
    answer = page.evaluate(
        """async ([api, team]) => {
            const body = new FormData();
            for (const [k, v] of Object.entries({token: "d".repeat(32), to: team, ngay: new Date().toISOString().slice(0, 10),
                                                  loai: "other", nguoi: "606"})) body.append(k, v);
            const r = await fetch(api, {method: "POST", body});
            return {status: r.status, body: await r.json()};
        }""",
        [quick.API, str(target)],
    )
    assert answer["status"] == 403
    assert answer["body"]["message"] == "Bạn chỉ báo cáo được cho tổ của mình."
    assert _reports(demo_server.database_url, people_reached=606) == []
    context.close()


def _camera_photo(path) -> int:  # noqa: ANN001
    """A 4000 × 3000 JPEG as a phone camera makes it (a few megabytes); its size in bytes."""
    y, x = np.mgrid[0:3000, 0:4000]
    picture = np.stack([x * 255 // 4000, y * 255 // 3000, (x + y) * 255 // 7000], axis=-1)
    picture = picture + np.random.default_rng(1).integers(-20, 20, size=picture.shape)
    Image.fromarray(np.clip(picture, 0, 255).astype(np.uint8)).save(path, "JPEG", quality=92)
    return path.stat().st_size


def test_a_camera_photo_is_shrunk_on_the_phone_before_it_travels(demo_server, browser, tmp_path):
    original = _camera_photo(tmp_path / "camera.jpg")
    assert original > 3_000_000
    context = browser.new_context(**PHONE)
    page = _open(context, demo_server.url, VOLUNTEER)
    sent: list[int] = []
    page.on("request", lambda r: sent.append(len(r.post_data_buffer or b"")) if r.url.endswith(quick.API) else None)
    _fill(page, 137)
    page.locator("#f-photo").set_input_files(str(tmp_path / "camera.jpg"))
    page.get_by_text("Ảnh: camera.jpg").wait_for()
    page.get_by_role("button", name="Gửi báo cáo").click()
    page.wait_for_function("document.querySelectorAll('#sent li:not(.empty)').length >= 1 && "
                           "document.getElementById('pending-title').textContent === 'Chờ gửi: 0'", timeout=60_000)
    assert len(sent) == 1 and sent[0] < original / 10, f"{sent} bytes sent for a {original}-byte photo"
    (report,) = _reports(demo_server.database_url, people_reached=137)
    photos = Path(demo_server.database_url.split("///", 1)[1]).parent / "photos"  # the server's DATA_DIR
    with Image.open(photos / report.photo) as stored:
        assert max(stored.size) == 1280 and stored.format == "JPEG"
    context.close()
