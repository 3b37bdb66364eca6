"""Figure 8: live figures (issue 18): commit to figure, queries of idle tabs, memory over a thousand writes.

- *Commit to figure*: a Chromium tab shows Tổng quan; this process logs a report with `create_activity`
  (another connection than the server's, as another server or a volunteer's request would) and times
  from its commit to the tab's "Báo cáo hoạt động" card showing a new number, without a reload.
- *Queries of idle tabs*: on a PostgreSQL server started with `log_statement=all`, several tabs stay
  open on pages with live figures; every statement the server's connections send in a minute of quiet is
  counted from the server's log. One write then shows what the same count sees when something changes.
- *Memory*: the server's RSS (process tree) after 10 and after 1,000 rounds of "log a report, the
  national Tổng quan redraws"; the difference is what a day of writes would leave behind.
"""

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.browser import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, sign_in

CARD = "Báo cáo hoạt động"
# The number on a metric card, by its label (what the leader reads on the projector).
CARD_JS = """(label) => {
  const card = [...document.querySelectorAll('[data-testid=stMetric]')].find(m => m.innerText.includes(label));
  const value = card && card.querySelector('[data-testid=stMetricValue]');
  return value ? value.innerText : null;
}"""
CHANGED_JS = """([label, old]) => {
  const card = [...document.querySelectorAll('[data-testid=stMetric]')].find(m => m.innerText.includes(label));
  const value = card && card.querySelector('[data-testid=stMetricValue]');
  return value && value.innerText !== old;
}"""
# Tabs kept open while the server is watched for queries: every kind of live page.
WRITER = "bench-writer"  # the application_name of the benchmark's own connection, left out of the count
IDLE_PAGES = ["", "coverage", "reports", "reports?trinhchieu=1&trang=1", "reports?trinhchieu=1&trang=2", "activities",
              "teams"]


@dataclass
class Live:
    """What one server showed: seconds from commit to figure, and the RSS samples (MB) by round."""

    latencies: list[float]
    rss: dict[int, float]


def card(page: Any) -> str:
    """The text of the open page's "Báo cáo hoạt động" card."""
    page.wait_for_function(f"() => ({CARD_JS})({CARD!r}) !== null", timeout=TIMEOUT_MS)
    return str(page.evaluate(CARD_JS, CARD))


def commit_to_figure(page: Any, write: Callable[[], None]) -> float:
    """Write once; seconds from the commit to the card showing another number, in the same page (no reload)."""
    before = card(page)
    page.evaluate("() => { window.__benchNotReloaded = true; }")
    write()
    committed = time.perf_counter()
    page.wait_for_function(CHANGED_JS, arg=[CARD, before], timeout=TIMEOUT_MS, polling="raf")
    seconds = time.perf_counter() - committed
    if not page.evaluate("() => window.__benchNotReloaded === true"):
        raise RuntimeError("the page reloaded: not a live update")
    return seconds


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB."""
    import psutil

    root = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [root, *root.children(recursive=True)]) / 1024 / 1024


def measure_server(url: str, pid: int, username: str, password: str, write: Callable[[], None], *,
                   latency_rounds: int = 10, memory_rounds: tuple[int, ...] = (),
                   say: Callable[[str], None] = print) -> Live:
    """One tab on Tổng quan: commit-to-figure rounds, then (optionally) memory rounds with RSS samples."""
    from playwright.sync_api import sync_playwright

    live = Live([], {})
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
            sign_in(page, url, username, password)
            commit_to_figure(page, write)  # once unmeasured: the first redraw loads the component's code
            live.latencies = [commit_to_figure(page, write) for _ in range(latency_rounds)]
            say(f"  từ lúc ghi đến khi số trên trang đổi: trung vị {statistics.median(live.latencies):.2f} giây, "
                f"lâu nhất {max(live.latencies):.2f} giây ({latency_rounds} lần)")
            for n in range(1, (max(memory_rounds) if memory_rounds else 0) + 1):
                commit_to_figure(page, write)
                if n in memory_rounds:
                    time.sleep(1)  # let the run finish and the garbage go
                    live.rss[n] = rss_mb(pid)
                    say(f"  sau {n} lượt ghi và xem: {live.rss[n]:.1f} MB")
        finally:
            browser.close()
    return live


def idle_queries(url: str, log: Path, username: str, password: str, write: Callable[[], None], *,
                 quiet_seconds: float = 60, say: Callable[[str], None] = print) -> tuple[int, int, int]:
    """Tabs open on every live page; statements the server sent in `quiet_seconds` of quiet, then for one write.

    Returns (tabs, statements while quiet, statements in the 5 s after one write).
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1366, "height": 768})
            first = context.new_page()
            sign_in(first, url, username, password)
            pages = [first]
            for path in IDLE_PAGES[1:]:
                page = context.new_page()  # the same browser: the sign-in cookie serves every tab
                page.goto(f"{url}/{path}")
                pages.append(page)
            for page in pages:
                page.locator('[data-testid=stApp][data-test-script-state="notRunning"]').wait_for(timeout=TIMEOUT_MS)
            time.sleep(5)  # the last runs' statements reach the log
            start = log.stat().st_size
            time.sleep(quiet_seconds)
            quiet = _statements(log, start)
            say(f"  {len(pages)} thẻ mở, {quiet_seconds:.0f} giây không ai ghi: {quiet} câu lệnh SQL")
            start = log.stat().st_size
            before = card(first)
            write()
            first.wait_for_function(CHANGED_JS, arg=[CARD, before], timeout=TIMEOUT_MS, polling="raf")
            time.sleep(5)
            after_write = _statements(log, start)
            say(f"  một lần ghi: {after_write} câu lệnh SQL của máy chủ ứng dụng (cả {len(pages)} thẻ vẽ lại)")
        finally:
            browser.close()
    return len(pages), quiet, after_write


def _statements(log: Path, start: int) -> int:
    """Statements PostgreSQL logged (log_statement=all) since byte `start` of its log, the writer's own excepted."""
    with log.open("rb") as f:
        f.seek(start)
        text = f.read().decode("utf-8", "replace")
    return sum(1 for line in text.splitlines() if "statement: " in line and f"[{WRITER}]" not in line)
