"""In a real Chromium at a projector's 1920 × 1080 and an older one's 1366 × 768: every slide fits one screen.

A leader opens Báo cáo → Trình chiếu and walks the six slides with the → key. On each: no vertical scroll,
the controls inside the window, a chart (where there is one) at least CHART_SHARE of the window's height
with every text in it at least PROJECTOR_MIN_FONT px, at most MAX_TICKS labels on a numeric axis and none
cut; and one figure checked against the db function the slide reads, computed here from the same database.
A screenshot of each slide at each size goes to test-artifacts/.
"""

import re
from datetime import date
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from db import recommendations
from db.auth import actor_of
from db.meeting import fetch_meeting
from db.models import User
from report import charts, fmt
from seed.demo import DEMO_PASSWORD
from tests.browser.conftest import settle, shot
from ui import slides

pytestmark = pytest.mark.browser

SIZES = {"1920x1080": (1920, 1080), "1366x768": (1366, 768)}
CHART_SHARE = 0.6  # of the window's height; measured 0.76–0.81
MAX_TICKS = 11
USERNAME = "lanhdao.danang"  # a leader of today (2025 Thành phố Đà Nẵng): the slides show this year's work

MEASURE = """() => {
  const box = (el) => { const b = el.getBoundingClientRect(); return {top: b.top, bottom: b.bottom, left: b.left, right: b.right, height: b.height}; };
  const chart = document.querySelector('.st-key-slides_body [data-testid=stVegaLiteChart]');
  const svg = chart && chart.querySelector('svg');
  const texts = svg ? [...svg.querySelectorAll('text')].filter((t) => t.textContent.trim()) : [];
  const numericAxes = svg ? [...svg.querySelectorAll('g[aria-roledescription=axis]')]
    .filter((g) => /linear|time|utc/.test(g.getAttribute('aria-label') || ''))
    .map((g) => g.querySelectorAll('.role-axis-label text').length) : [];
  const nav = ['slides_prev', 'slides_next', 'slides_auto', 'slides_exit']
    .map((key) => document.querySelector('.st-key-' + key)).filter(Boolean).map(box);
  return {
    scrollHeight: document.scrollingElement.scrollHeight, innerHeight, innerWidth, nav,
    page: [...document.querySelectorAll('.st-key-slides_nav p')].map((p) => p.textContent).join(' '),
    chart: chart && box(chart), drawing: svg && box(svg),
    fonts: texts.map((t) => parseFloat(getComputedStyle(t).fontSize)),
    texts: texts.map((t) => t.textContent), numericAxes,
    marks: svg ? [...svg.querySelectorAll('path[aria-label]')].map((p) => p.getAttribute('aria-label')) : [],
  };
}"""


def _expected(database_url: str, start: date, end: date) -> dict[int, object]:
    """What each slide must show, from the db functions the slides read (the meeting's one read, and the recommendations)."""
    engine = create_engine(database_url)
    with Session(engine) as session:
        actor = actor_of(session.query(User).filter_by(username=USERNAME).one())
        unit = actor.unit_id
        m = fetch_meeting(session, actor=actor, unit_id=unit, start=start, end=end)
        pending = sum(len(recommendations.fetch_recommendations(session, actor=actor, unit_id=unit, status=s))
                      for s in ("open", "in_progress"))
    engine.dispose()
    shown = slides.coverage_shown(m.children)
    last = m.progress.timeline.iloc[-1]
    return {
        1: {f.label: fmt.figure_value(f) for f in m.figures},
        2: {(name, fmt.percent(c)) for name, c in zip(shown["name"], shown["coverage"], strict=True)},
        3: (last["day"].strftime("%d/%m/%Y"), fmt.percent(last["coverage"])),
        4: fmt.number(int(m.months["reports"].sum())),
        5: (m.silent_count, len(m.silent)),
        6: pending,
    }


def _bars(marks: list[str]) -> set[tuple[str, str]]:
    """(unit, coverage) of the coverage chart's bars, read from the drawn marks' descriptions."""
    found = set()
    for label in marks:
        fields = dict(part.split(": ", 1) for part in label.split("; ") if ": " in part)
        if "Mức độ phủ" in fields:  # a bar, not its value label
            found.add((fields["Địa bàn"], fields["Độ phủ"]))
    return found


def _press(page, key: str, number: int) -> None:  # noqa: ANN001
    """Press a key and wait until slide `number` is drawn: its address, then its title, then the run's end
    (a key pressed while the previous run is still on screen would press that run's buttons)."""
    page.keyboard.press(key)
    page.wait_for_url(re.compile(rf"trang={number}(&|$)"), timeout=30_000)
    page.locator(".st-key-slides_body h1").filter(has_text=slides.SLIDES[number - 1][0]).wait_for(timeout=30_000)
    settle(page)


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
def test_every_slide_fits_the_screen_and_reads_from_across_the_room(demo_server, browser, size):
    width, height = size
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto(f"{demo_server.url}/reports")
    page.get_by_label("Tên đăng nhập").fill(USERNAME)
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_role("button", name="Trình chiếu").click()
    page.locator(".st-key-slides_body h1").filter(has_text="Kết quả chính").wait_for(timeout=30_000)
    query = parse_qs(urlparse(page.url).query)
    start, end = date.fromisoformat(query["tu"][0]), date.fromisoformat(query["den"][0])
    expected = _expected(demo_server.database_url, start, end)

    for number, (title, _render) in enumerate(slides.SLIDES, start=1):
        if number > 1:
            _press(page, "ArrowRight", number)
        page.locator(".st-key-slides_body h1").filter(has_text=title).wait_for(timeout=30_000)
        settle(page)
        body = page.locator(".st-key-slides_body")
        if number in (2, 3, 4):
            # Drawn to the body's size once the element is laid out: wait until the drawing fills it.
            page.wait_for_function("""() => { const c = document.querySelector('.st-key-slides_body [data-testid=stVegaLiteChart]');
              const s = c && c.querySelector('svg'); return s && s.getBoundingClientRect().height > c.getBoundingClientRect().height * 0.9; }""",
                                   timeout=30_000)
        m = page.evaluate(MEASURE)
        shot(page, f"slides-{width}x{height}-{number}")

        assert m["scrollHeight"] <= m["innerHeight"] + 2, (number, m["scrollHeight"])
        assert len(m["nav"]) == 4
        for box in m["nav"]:
            assert box["top"] >= 0 and box["bottom"] <= m["innerHeight"] and box["right"] <= m["innerWidth"], (number, box)
        assert f"Trang {number}/{len(slides.SLIDES)}" in m["page"]
        if number in (2, 3, 4):
            share = m["drawing"]["height"] / m["innerHeight"]
            print(f"slide {number} at {width}×{height}: chart {m['drawing']['height']:.0f} px = {share:.0%} of the height, "
                  f"smallest text {min(m['fonts'])} px")
            assert share >= CHART_SHARE, (number, share)
            assert min(m["fonts"]) >= charts.PROJECTOR_MIN_FONT, (number, sorted(set(m["fonts"])))
            assert not [t for t in m["texts"] if "…" in t], number
            assert m["numericAxes"] and all(0 < n <= MAX_TICKS for n in m["numericAxes"]), (number, m["numericAxes"])
        else:
            assert m["chart"] is None

        if number == 1:
            cards = page.locator("[data-testid=stMetric]")
            shown = {cards.nth(i).locator("[data-testid=stMetricLabel]").inner_text().strip():
                     cards.nth(i).locator("[data-testid=stMetricValue]").inner_text().strip() for i in range(cards.count())}
            assert shown == expected[1]
            nav_top = min(box["top"] for box in m["nav"])
            for i in range(cards.count()):  # every card whole on screen, above the controls
                card = cards.nth(i).bounding_box()
                assert card is not None and card["y"] >= 0 and card["y"] + card["height"] <= nav_top, (i, card)
        elif number == 2:
            assert _bars(m["marks"]) == expected[2]
        elif number == 3:
            day, percent = expected[3]
            assert any(f"Ngày: {day}" in label and f"Độ phủ: {percent}" in label for label in m["marks"]), expected[3]
        elif number == 4:
            assert f"Tổng cộng {expected[4]} báo cáo trong kỳ" in body.inner_text()
            if charts.partial_month(end) is not None:
                assert any(f"(đến {end:%d/%m})" in t for t in m["texts"])
                assert charts.partial_month_note(end) in body.inner_text()
        elif number == 5:
            count, listed = expected[5]
            assert f"{fmt.number(count)} tổ đang hoạt động vào ngày cuối kỳ chưa gửi báo cáo" in body.inner_text()
            assert body.locator("table.slides-table tbody tr").count() == min(listed, slides.SILENT_ROWS)
        elif number == 6:
            assert f"{fmt.number(expected[6])} kiến nghị, đề xuất đang chờ giải quyết" in body.inner_text()
            assert body.locator("table.slides-table tbody tr").count() == min(expected[6], slides.RECOMMENDATION_ROWS)

    # A clicker's keys: PageUp goes back, PageDown forward; → on the last slide stays there.
    page.keyboard.press("ArrowRight")
    page.wait_for_timeout(1500)
    settle(page)
    assert re.search(r"trang=6(&|$)", page.url)
    for key, number in (("PageUp", 5), ("PageDown", 6), ("ArrowLeft", 5), ("ArrowLeft", 4)):
        _press(page, key, number)

    # The laptop of the first report (1280 × 800), and the window resized under an open chart slide
    # (F11 on the projector): the chart follows the window without a rerun, the controls stay on screen.
    page.set_viewport_size({"width": 1280, "height": 800})
    page.wait_for_function(f"() => {{ const s = document.querySelector('.st-key-slides_body [data-testid=stVegaLiteChart] svg');"
                           f" return s && s.getBoundingClientRect().height >= innerHeight * {CHART_SHARE}; }}", timeout=30_000)
    m = page.evaluate(MEASURE)
    shot(page, f"slides-{width}x{height}-resized-1280x800-4")
    assert m["scrollHeight"] <= m["innerHeight"] + 2
    assert all(box["top"] >= 0 and box["bottom"] <= m["innerHeight"] and box["right"] <= m["innerWidth"] for box in m["nav"])
    context.close()
