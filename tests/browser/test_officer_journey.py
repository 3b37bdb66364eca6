"""In a real Chromium: an officer signs in, registers a team for an uncovered village, sees coverage change."""

import re
from datetime import datetime

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from db.auth import actor_of
from db.coverage import fetch_indicators, fetch_uncovered_villages
from db.models import Member, Team, Unit, UnitPath, User
from report import fmt
from seed.demo import DEMO_PASSWORD
from tests.browser.conftest import settle, shot
from tests.factories import count_rows

pytestmark = pytest.mark.browser

# An officer of today (December 2026): the 2025 commune Xã Phú Ninh (Thành phố Đà Nẵng), where Huyện Phú Ninh's
# villages were carried over on 01/07/2025; the legacy units no longer take new villages or teams.
OFFICER, COMMUNE = "canbo.xaphuninh", "Xã Phú Ninh"


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
    username = OFFICER
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


def _commune_figures(database_url: str, username: str, commune: str):  # noqa: ANN202
    """A commune's id, its villages and the indicators of the commune and of the officer's scope, from the database."""
    engine = create_engine(database_url)
    with Session(engine) as session:
        actor = actor_of(session.query(User).filter_by(username=username).one())
        unit = session.scalars(select(Unit).join(UnitPath, UnitPath.descendant_id == Unit.id).where(
            UnitPath.ancestor_id == actor.unit_id, Unit.name == commune, Unit.tier == "commune")).one()
        villages = count_rows(session, Unit, Unit.parent_id == unit.id, Unit.tier == "village")
        commune_ind = fetch_indicators(session, actor=actor, unit_id=unit.id)
        scope_ind = fetch_indicators(session, actor=actor, unit_id=actor.unit_id)
    engine.dispose()
    return unit.id, int(villages), commune_ind, scope_ind


def _team_members(database_url: str, village: str) -> list[tuple[str, str | None, str]]:
    """The members of the active team of a village: (name, phone, role)."""
    engine = create_engine(database_url)
    with Session(engine) as session:
        rows = session.execute(
            select(Member.full_name, Member.phone, Member.role).join(Team, Team.id == Member.team_id)
            .join(Unit, Unit.id == Team.unit_id).where(Unit.name == village, Team.closed_on.is_(None))
            .order_by(Member.id)).all()
    engine.dispose()
    return [tuple(r) for r in rows]


def _visible_tab(page):  # noqa: ANN001, ANN202
    """The open tab's panel: every tab of st.tabs is in the page, the others hidden."""
    return page.locator("[role=tabpanel]:visible").first


def _selected_tabs(page) -> list[str]:  # noqa: ANN001
    """The labels of the tabs shown open."""
    return page.locator("[role=tab][aria-selected=true]").all_inner_texts()


def _open_tab(page, name: str, marker: str):  # noqa: ANN001, ANN202
    """Open a tab of st.tabs and wait for a field of it; a rerun still in flight may reset the tabs, so retry."""
    for _ in range(5):
        page.get_by_role("tab", name=name).click()
        try:
            _visible_tab(page).get_by_label(marker).wait_for(timeout=5_000)
            page.wait_for_timeout(500)
            if page.get_by_role("tab", name=name).get_attribute("aria-selected") == "true":
                return _visible_tab(page)
        except PlaywrightTimeout:
            continue
    raise AssertionError(f"the tab {name} did not open")


def test_officer_registers_villages_a_team_and_its_members_then_follows_coverage(demo_server, browser):
    username, commune = OFFICER, COMMUNE
    commune_id, villages_before, commune_before, scope_before = _commune_figures(demo_server.database_url, username, commune)
    suffix = datetime.now().strftime("%H%M%S")
    new_villages = [f"Gò Nổi {suffix}", f"Bến Đò {suffix}"]
    members = [("Lê Thị Hồng Nhung", "0905 123 456", "0905123456"), ("Phạm Văn Đức", "+84 935 222 333", "0935222333"),
               ("Trần Ngọc Ánh", "0912.345.678", "0912345678")]

    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.goto(demo_server.url)
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_text(f"{scope_before.villages_covered}/{scope_before.villages} thôn").first.wait_for(timeout=30_000)

    # Địa bàn: pick the commune, then add two villages with the "Thêm" form.
    page.get_by_role("link", name="Địa bàn").click()
    search = page.get_by_label("Tìm xã, phường, thị trấn (gõ có dấu hoặc không dấu)")
    search.fill("phu ninh")
    search.press("Enter")
    page.get_by_label(re.compile(r"Kết quả tìm")).click()
    page.get_by_role("option", name=re.compile(commune)).first.click()
    page.get_by_text(f"{commune}: {villages_before} thôn, khối phố").wait_for(timeout=30_000)
    for n, name in enumerate(new_villages, start=1):
        page.get_by_label("Tên (không cần gõ chữ “Thôn”)").fill(name)
        page.get_by_role("button", name="Thêm", exact=True).click()
        page.get_by_text(f"Đã thêm Thôn {name} vào {commune}.").wait_for(timeout=30_000)
        page.get_by_text(f"{commune}: {villages_before + n} thôn, khối phố").wait_for(timeout=30_000)
        settle(page)  # the next name goes into the new, empty form, not the one this run replaces
    _, villages_after, _, _ = _commune_figures(demo_server.database_url, username, commune)
    assert villages_after == villages_before + 2
    shot(page, "officer-4-villages-added")

    # Tổ CNSCĐ: register a team for the first new village…
    village = f"Thôn {new_villages[0]}"
    page.get_by_role("link", name="Tổ CNSCĐ").click()
    tab = _open_tab(page, "Đăng ký tổ mới", "Tìm thôn hoặc xã (gõ có dấu hoặc không dấu)")
    find = tab.get_by_label("Tìm thôn hoặc xã (gõ có dấu hoặc không dấu)")
    find.fill(new_villages[0])
    find.press("Enter")
    tab.get_by_label(re.compile(r"Kết quả tìm")).click()
    page.get_by_role("option", name=re.compile(re.escape(f"{village}, {commune}"))).click()
    tab.get_by_text(f"Địa bàn đã chọn: {village}").wait_for(timeout=15_000)
    tab.get_by_label("Số quyết định thành lập").fill(f"{suffix}/QĐ-UBND")
    tab.get_by_role("button", name="Đăng ký tổ").click()
    page.get_by_text(re.compile("Đã đăng ký")).wait_for(timeout=30_000)
    settle(page)
    assert _selected_tabs(page) == ["Đăng ký tổ mới"], "the message after a write sent the user to another tab"

    # …then add its members one at a time on the "Thành viên" tab, the first as Tổ trưởng. The tabs are
    # keyed: after each member's message the tab stays open, with the team still picked, without a click.
    members_tab = ("Thành viên", "Tìm tổ theo tên tổ hoặc tên thôn, xã")
    tab = _open_tab(page, *members_tab)
    tab.get_by_label(members_tab[1]).fill(new_villages[0])
    tab.get_by_label(members_tab[1]).press("Enter")
    page.wait_for_timeout(1500)
    _open_tab(page, *members_tab).get_by_text("Chọn tổ (1)").wait_for(timeout=15_000)
    for n, (name, typed_phone, _) in enumerate(members):
        tab = _visible_tab(page)
        tab.get_by_text(f"{n} thành viên đang tham gia").wait_for(timeout=30_000)
        if n == 0:  # the role first: a text box losing focus to the dropdown reruns and closes it
            role = tab.get_by_label("Vai trò").first
            role.scroll_into_view_if_needed()
            page.mouse.wheel(0, 300)  # room under the box for its list of options
            role.click()
            page.get_by_role("option", name="Tổ trưởng").click()
            settle(page)
        tab.get_by_label("Họ và tên").first.fill(name)
        tab.get_by_label("Điện thoại di động").first.fill(typed_phone)
        tab.get_by_role("button", name="Thêm thành viên").click()
        page.get_by_text(f"Đã thêm {name} vào tổ.").wait_for(timeout=30_000)
        settle(page)
        assert _selected_tabs(page) == [members_tab[0]], f"after adding {name} the user was sent to another tab"
    _visible_tab(page).get_by_text(f"{len(members)} thành viên đang tham gia").wait_for(timeout=30_000)
    shot(page, "officer-5-members-added")
    stored = _team_members(demo_server.database_url, village)
    assert stored == [(name, phone, "leader" if i == 0 else "member") for i, (name, _, phone) in enumerate(members)]

    # Độ phủ of the commune: the figures on screen are the database's.
    _, _, commune_after, scope_after = _commune_figures(demo_server.database_url, username, commune)
    assert commune_after.villages == commune_before.villages + 2
    assert commune_after.villages_covered == commune_before.villages_covered + 1
    assert scope_after.villages_covered == scope_before.villages_covered + 1
    page.goto(f"{demo_server.url}/coverage?unit={commune_id}")
    page.get_by_text(f"{commune_after.villages_covered}/{commune_after.villages} thôn, khối phố có tổ").wait_for(timeout=30_000)
    uncovered = commune_after.villages - commune_after.villages_covered
    page.get_by_text(f"Thôn, khối phố chưa có tổ ({fmt.number(uncovered)})").wait_for(timeout=30_000)
    card = page.locator("[data-testid=stMetric]").filter(has_text="Độ phủ thôn có Tổ CNSCĐ")
    assert card.locator("[data-testid=stMetricValue]").inner_text().strip() == fmt.percent(commune_after.village_coverage)
    shot(page, "officer-6-commune-coverage")
    page.get_by_role("link", name="Tổng quan").click()
    page.get_by_text(f"{scope_after.villages_covered}/{scope_after.villages} thôn").first.wait_for(timeout=30_000)
    shot(page, "officer-7-overview-after")
    # Tables leave through "Tải Excel" (formula-guarded) only: the table toolbar has no CSV download.
    page.locator("[data-testid=stDataFrame]").first.hover()
    page.wait_for_timeout(500)
    toolbar = [b.get_attribute("aria-label") for b in page.locator("[data-testid=stElementToolbar] button").all()]
    assert toolbar and "Download as CSV" not in toolbar
    assert page.get_by_role("button", name=re.compile("Tải Excel")).count() > 0
    page.close()
