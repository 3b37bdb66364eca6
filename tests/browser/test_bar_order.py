"""In a real Chromium: the coverage chart's bars are on screen in the order computed in Python, then by name.

The chart is drawn as SVG (report.charts.SVG), so its y-axis labels are text in the page: read them top to
bottom and compare with the order the database and the Vietnamese collation key give.
"""

from datetime import date

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from db.auth import actor_of
from db.coverage import fetch_coverage_by_child
from db.models import Unit, User
from db.text import collation_key
from seed.demo import DEMO_PASSWORD
from tests.browser.conftest import settle, shot

pytestmark = pytest.mark.browser

USERNAME = "lanhdao.quangnam"
DISTRICT = "Huyện Phú Ninh"  # its communes: "Xã Tam Đàn" is where byte order and Vietnamese order part
TITLE = "Tỷ lệ thôn có Tổ CNSCĐ"


def expected_orders(database_url: str) -> tuple[int, list[str], list[str]]:
    """Huyện Phú Ninh's communes with villages: lowest coverage first (ties by name), and by name."""
    engine = create_engine(database_url)
    with Session(engine) as session:
        actor = actor_of(session.query(User).filter_by(username=USERNAME).one())
        district = session.query(Unit).filter_by(name=DISTRICT, parent_id=actor.unit_id).one().id
        children = fetch_coverage_by_child(session, actor=actor, unit_id=district, as_of=date.today())
    engine.dispose()
    rows = children[children["villages"] > 0]
    worst = [n for _, n in sorted(zip(rows["coverage"], rows["name"], strict=True), key=lambda r: (r[0], collation_key(r[1])))]
    return district, worst, sorted(rows["name"], key=collation_key)


def y_labels(page) -> list[str]:  # noqa: ANN001 - a Playwright page
    """The y-axis labels of the coverage chart, top to bottom, as drawn."""
    chart = page.locator("[data-testid=stVegaLiteChart]").filter(has=page.locator("svg")).filter(has_text=TITLE).first
    chart.locator("svg").first.wait_for(timeout=30_000)
    return chart.evaluate("""(root) => {
        const axes = [...root.querySelectorAll('g.role-axis')]
            .filter((g) => (g.getAttribute('aria-label') || '').startsWith('Y-axis'));
        const texts = axes.flatMap((g) => [...g.querySelectorAll('g.role-axis-label text')]);
        return texts.map((t) => [t.getBoundingClientRect().top, t.textContent])
            .sort((a, b) => a[0] - b[0]).map((pair) => pair[1]);
    }""")


def matches(shown: list[str], names: list[str]) -> bool:
    """Labels equal the names, a long one allowed to end in "…" where the axis cut it."""
    return len(shown) == len(names) and all(s == n or (s.endswith("…") and n.startswith(s[:-1])) for s, n in
                                            zip(shown, names, strict=True))


def wait_for_labels(page, names: list[str]) -> list[str]:  # noqa: ANN001 - a Playwright page
    """The labels once they match the names (the chart is redrawn after the rerun), or the last seen after 30 s."""
    shown: list[str] = []
    for _ in range(60):
        shown = y_labels(page)
        if matches(shown, names):
            break
        page.wait_for_timeout(500)
    return shown


def test_coverage_bars_lowest_first_then_by_name(demo_server, browser):  # noqa: ANN001
    district, worst, by_name = expected_orders(demo_server.database_url)
    assert worst != by_name and sorted(by_name) != by_name, "the demo tells the orders (and byte order) apart"

    context = browser.new_context(viewport={"width": 1600, "height": 1200})
    page = context.new_page()
    page.goto(f"{demo_server.url}/coverage")
    page.get_by_label("Tên đăng nhập").fill(USERNAME)
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_text(TITLE).first.wait_for(timeout=30_000)
    page.goto(f"{demo_server.url}/coverage?unit={district}")  # signed in by the cookie: the district's communes
    page.get_by_text(f"{DISTRICT} — đến").wait_for(timeout=30_000)
    settle(page)
    shown = wait_for_labels(page, worst)
    shot(page, "bar-order-1-worst-first")
    assert matches(shown, worst), (shown, worst)

    page.locator("[data-testid=stButtonGroup]").get_by_text("Theo tên", exact=True).click()
    settle(page)
    shown = wait_for_labels(page, by_name)
    shot(page, "bar-order-2-by-name")
    assert matches(shown, by_name), (shown, by_name)
    context.close()
