"""Two app servers on one PostgreSQL database, as behind a reverse proxy with sticky sessions (README,
"Several app servers on one PostgreSQL"): sign-in works on both and a browser's sign-in cookie is honoured
by either; a team registered through server A shows on server B's page when it is next shown, with the
figure the database gives and not the one B had cached before the write (tests/browser/test_live.py shows
that B's open page follows on its own, without a click).

Each server gets its own DATA_DIR, as two machines would: nothing these checks need lives there.
"""

import re
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

import db.engine
from db.auth import actor_of
from db.coverage import Indicators, fetch_indicators, fetch_uncovered_villages
from db.models import AuthSession, User
from report import fmt
from seed.__main__ import main as seed_main
from seed.demo import DEMO_PASSWORD
from tests.browser.conftest import serve_many, settle, shot
from tests.conftest import fresh_database
from tests.factories import count_rows

pytestmark = pytest.mark.browser

# Today's accounts (December 2026, after the 01/07/2025 reform): an officer of Xã Phú Ninh and a leader of
# Thành phố Đà Nẵng, the 2025 province holding it. Their scopes differ, so each page shows its own account's figures.
OFFICER, LEADER = "canbo.xaphuninh", "lanhdao.danang"


def _indicators(database_url: str, username: str) -> tuple[Indicators, str]:
    """The account's headline indicators, through the db function the overview shows, and its full name."""
    engine = create_engine(database_url)
    with Session(engine) as session:
        user = session.query(User).filter_by(username=username).one()
        actor = actor_of(user)
        ind = fetch_indicators(session, actor=actor, unit_id=actor.unit_id)
    engine.dispose()
    return ind, user.full_name


def _uncovered_village(database_url: str, username: str) -> tuple[str, str]:
    """A village of the account's scope without a team: (village, commune)."""
    engine = create_engine(database_url)
    with Session(engine) as session:
        actor = actor_of(session.query(User).filter_by(username=username).one())
        missing = fetch_uncovered_villages(session, actor=actor, unit_id=actor.unit_id)
    engine.dispose()
    assert not missing.empty, "the demo dataset leaves villages without a team"
    return str(missing.iloc[0]["village"]), str(missing.iloc[0]["commune"])


def _signed_in_browsers(database_url: str, username: str) -> int:
    """How many browsers hold a stored sign-in of the account."""
    engine = create_engine(database_url)
    with Session(engine) as session:
        user_id = session.query(User.id).filter_by(username=username).scalar()
        found = count_rows(session, AuthSession, AuthSession.user_id == user_id)
    engine.dispose()
    return int(found)


def _coverage_caption(ind: Indicators) -> str:
    return f"{fmt.number(ind.villages_covered)}/{fmt.number(ind.villages)} thôn, khối phố có tổ"


def _teams_card(page):  # noqa: ANN001, ANN202
    card = page.locator("[data-testid=stMetric]").filter(has_text="Tổ đang hoạt động")
    return card.locator("[data-testid=stMetricValue]")


def _sign_in(page, username: str) -> None:  # noqa: ANN001
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()


def fill_team_form(page, village: str, commune: str, *, decision: str) -> None:  # noqa: ANN001
    """On the open "Đăng ký tổ mới" tab: find the village, pick it, give the decision number (not yet sent)."""
    search = page.get_by_label("Tìm thôn hoặc xã (gõ có dấu hoặc không dấu)")
    search.fill(village)
    search.press("Enter")
    page.get_by_label(re.compile(r"Kết quả tìm")).click()
    page.get_by_role("option", name=re.compile(re.escape(f"{village}, {commune}"))).click()
    page.get_by_text(f"Địa bàn đã chọn: {village}").wait_for(timeout=15_000)
    page.get_by_label("Số quyết định thành lập").fill(decision)


def _seed_demo(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """`python -m seed demo` with DATABASE_URL pointing at the database, run in this process: it takes half
    the time of a new process here, and overlaps the servers' start-up."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    engine = db.engine.configure(database_url)
    try:
        assert seed_main(["demo"]) == 0
    finally:
        engine.dispose()


def test_two_servers_on_one_postgresql(browser, pg_server, request, tmp_path, monkeypatch):
    dirs = [tmp_path / "server-a", tmp_path / "server-b"]
    for folder in dirs:
        folder.mkdir()
    with fresh_database("postgresql", request, tmp_path) as database_url, ExitStack() as stack:
        started = stack.enter_context(serve_many(database_url, dirs))
        # The demo data loads while the servers start and the browsers open their sign-in pages (the first
        # script run of a new server is the slow one).
        seeding = stack.enter_context(ThreadPoolExecutor(max_workers=1)).submit(_seed_demo, database_url, monkeypatch)
        url_a, url_b = started()
        context_a = browser.new_context(viewport={"width": 1366, "height": 768})
        context_b = browser.new_context(viewport={"width": 1366, "height": 768})
        stack.callback(context_a.close)
        stack.callback(context_b.close)
        page_a, page_b = context_a.new_page(), context_b.new_page()
        page_a.goto(url_a)
        page_b.goto(url_b)
        for page in (page_a, page_b):
            page.get_by_label("Mật khẩu").wait_for(timeout=30_000)
        seeding.result()
        before, _ = _indicators(database_url, LEADER)
        officer_before, officer_name = _indicators(database_url, OFFICER)
        village, commune = _uncovered_village(database_url, OFFICER)

        # Sign-in works on both servers, each with its own account.
        _sign_in(page_a, OFFICER)
        page_a.get_by_text(_coverage_caption(officer_before)).wait_for(timeout=30_000)
        _sign_in(page_b, LEADER)
        page_b.get_by_text(_coverage_caption(before)).wait_for(timeout=30_000)
        settle(page_b)
        assert _teams_card(page_b).inner_text().strip() == fmt.number(before.teams)  # now in B's cache
        shot(page_b, "two-servers-1-b-before")

        # The sign-in cookie A gave this browser holds a random token checked against the database, so
        # server B honours it too: a browser the proxy moves to another server stays signed in.
        # (Both servers are on 127.0.0.1, and cookies do not tell ports apart.)
        moved = context_a.new_page()
        moved.goto(url_b)
        moved.locator("[data-testid=stSidebar]").get_by_text(officer_name).wait_for(timeout=30_000)
        assert moved.get_by_label("Mật khẩu").count() == 0

        # A write through server A: register a team for a village without one.
        page_a.get_by_role("link", name="Tổ CNSCĐ").click()
        page_a.get_by_role("tab", name="Đăng ký tổ mới").click()
        fill_team_form(page_a, village, commune, decision="17/QĐ-UBND")
        page_a.get_by_role("button", name="Đăng ký tổ").click()
        page_a.get_by_text(re.compile("Đã đăng ký")).wait_for(timeout=30_000)

        after, _ = _indicators(database_url, LEADER)
        assert (after.villages_covered, after.teams) == (before.villages_covered + 1, before.teams + 1)
        officer_after, _ = _indicators(database_url, OFFICER)
        assert (officer_after.villages_covered, officer_after.teams) == (officer_before.villages_covered + 1,
                                                                         officer_before.teams + 1)

        # B's open page, rerun by a click, shows the database's new figures, not the ones it cached.
        settle(page_b)
        page_b.locator("[data-testid=stSidebar]").get_by_role("link", name="Tổng quan").click()
        page_b.get_by_text(_coverage_caption(after)).first.wait_for(timeout=15_000)  # the live card, then the rerun's
        settle(page_b)
        assert _teams_card(page_b).inner_text().strip() == fmt.number(after.teams)
        assert page_b.get_by_text(_coverage_caption(before)).count() == 0
        shot(page_b, "two-servers-2-b-after")
        # A, where the write happened, agrees.
        page_a.get_by_role("link", name="Tổng quan").click()
        page_a.get_by_text(_coverage_caption(officer_after)).first.wait_for(timeout=15_000)
        settle(page_a)
        assert _teams_card(page_a).inner_text().strip() == fmt.number(officer_after.teams)

        # Signing out through server B ends this browser's sign-in everywhere: its token is deleted.
        moved.get_by_role("button", name="Đăng xuất").click()
        moved.get_by_label("Mật khẩu").wait_for(timeout=15_000)
        assert _signed_in_browsers(database_url, OFFICER) == 0
        page_a.reload()
        page_a.get_by_label("Mật khẩu").wait_for(timeout=30_000)
        # The other browser, signed in on B, is untouched.
        assert _signed_in_browsers(database_url, LEADER) == 1
