"""Figure 7: every page in a real Chromium at national scale (issue 17, part 5).

One `python -m ui.serve` serves the national dataset; Debian's Chromium, driven by Playwright,
signs in as the national administrator and as an officer of one district and opens every page of the
sidebar that shows figures, three ways:

- *click, warm*: from Tài khoản (a page that reads nothing), a click on the page's sidebar link, with
  nothing written since the page was last shown (its cached reads hit);
- *click, after a write*: the same, right after one report was logged with `create_activity` by this
  process (another connection than the server's), so the data version moved and every read misses;
- *full load*: `page.goto` of the page's address (a bookmark, a reload): a new websocket, a new script
  session that signs in again from the cookie, nothing written since.

The time runs from the click (or the goto) to the page *usable*: the app reports its script run over
(`data-test-script-state="notRunning"` on the app), the page's own title (its `h1`) is shown, no element
of the main area is still marked stale from an earlier run, and every Vega-Lite chart on show in the main
area has drawn its canvas or svg (a chart in a tab that is not open has no width and draws when opened).
The bytes are what the server sent over the websocket for that view (the binary frames' decoded payloads,
from the DevTools protocol's `Network.webSocketFrameReceived`), from the click (or goto) to usable.
"""

import base64
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
REPEATS = int(os.environ.get("BENCH_BROWSER_REPEATS", 5))
CLICK_TARGET, LOAD_TARGET, BYTES_TARGET = 1.0, 2.0, 300 * 1024
TIMEOUT_MS = 120_000

# url path → (sidebar label, the page's h1). Tài khoản is the page every click starts from.
PAGES: dict[str, tuple[str, str]] = {
    "overview": ("Tổng quan", "Tổng quan"),
    "coverage": ("Độ phủ", "Độ phủ Tổ CNSCĐ"),
    "teams": ("Tổ CNSCĐ", "Tổ công nghệ số cộng đồng"),
    "activities": ("Hoạt động", "Hoạt động của Tổ CNSCĐ"),
    "feedback": ("Kiến nghị", "Kiến nghị, đề xuất"),
    "reports": ("Báo cáo", "Báo cáo"),
    "villages": ("Địa bàn", "Địa bàn: thôn, khối phố"),
    "users": ("Người dùng", "Người dùng"),
}
BASE = ("account", "Tài khoản", "Tài khoản của tôi")

# Usable: the run is over, the page's own title is shown, nothing is stale, every chart is drawn.
USABLE_JS = """(heading) => {
  const app = document.querySelector('[data-testid=stApp]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  const main = document.querySelector('[data-testid=stMain]');
  if (!main) return false;
  if (![...main.querySelectorAll('h1')].some(h => h.textContent.trim() === heading)) return false;
  if (main.querySelector('[data-stale=true]')) return false;
  for (const c of main.querySelectorAll('[data-testid=stVegaLiteChart]')) {
    if (c.getBoundingClientRect().width > 0 && !c.querySelector('canvas, svg')) return false;
  }
  return true;
}"""


@dataclass
class Timing:
    """The samples of one page and scope: seconds and websocket bytes."""

    warm: list[float]
    after_write: list[float]
    full_load: list[float]
    click_bytes: list[int]
    load_bytes: list[int]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(database_url: str, data_dir: Path, log_path: Path) -> Iterator[tuple[str, int]]:
    """`python -m ui.serve` on a free port against `database_url`; yield its address and process id."""
    env = {**os.environ, "DATABASE_URL": database_url, "DATA_DIR": str(data_dir)}
    port = _free_port()
    log = open(log_path, "w")  # noqa: SIM115 - closed after the server stops
    proc = subprocess.Popen([sys.executable, "-m", "ui.serve", "--server.port", str(port),
                             "--server.address", "127.0.0.1", "--server.headless", "true",
                             "--browser.gatherUsageStats", "false"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError(f"the server did not start; see {log_path}") from None
                time.sleep(0.3)
        yield url, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


class WebSocketBytes:
    """Sums the payloads the page receives over its websockets (binary frames decoded from base64)."""

    def __init__(self, page: Any) -> None:
        self.total = 0
        self._cdp = page.context.new_cdp_session(page)
        self._cdp.on("Network.webSocketFrameReceived", self._frame)
        self._cdp.send("Network.enable")

    def _frame(self, params: dict[str, Any]) -> None:
        response = params["response"]
        payload = response.get("payloadData", "")
        self.total += len(base64.b64decode(payload)) if response.get("opcode") == 2 else len(payload.encode())


def _usable(page: Any, heading: str) -> None:
    page.wait_for_function(USABLE_JS, arg=heading, timeout=TIMEOUT_MS, polling="raf")


def _click(page: Any, label: str, heading: str, counter: WebSocketBytes) -> tuple[float, int]:
    """Click a sidebar link; seconds and websocket bytes until the page is usable."""
    link = page.locator("[data-testid=stSidebar]").get_by_role("link", name=label, exact=True)
    before = counter.total
    started = time.perf_counter()
    link.click()
    _usable(page, heading)
    return time.perf_counter() - started, counter.total - before


def _load(page: Any, url: str, heading: str, counter: WebSocketBytes) -> tuple[float, int]:
    """Open an address from scratch (a bookmark, a reload); seconds and websocket bytes until usable."""
    before = counter.total
    started = time.perf_counter()
    page.goto(url, wait_until="commit")
    _usable(page, heading)
    return time.perf_counter() - started, counter.total - before


def sign_in(page: Any, url: str, username: str, password: str) -> None:
    """The sign-in form, then the overview."""
    page.goto(url)
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    _usable(page, PAGES["overview"][1])


def measure_scope(browser: Any, url: str, *, username: str, password: str, write: Callable[[], None],
                  say: Callable[[str], None], label: str, pages: list[str]) -> dict[str, Timing]:
    """Every page for one account: warm clicks, clicks right after a write, full loads."""
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    counter = WebSocketBytes(page)
    sign_in(page, url, username, password)
    results: dict[str, Timing] = {}
    base_path, base_label, base_heading = BASE
    for path in pages:
        link, heading = PAGES[path]
        t = Timing([], [], [], [], [])
        _click(page, base_label, base_heading, counter)
        _click(page, link, heading, counter)  # once, unmeasured: the page's reads are cached from here on
        for _ in range(REPEATS):
            _click(page, base_label, base_heading, counter)
            seconds, size = _click(page, link, heading, counter)
            t.warm.append(seconds)
            t.click_bytes.append(size)
        for _ in range(REPEATS):
            _click(page, base_label, base_heading, counter)
            write()
            seconds, _size = _click(page, link, heading, counter)
            t.after_write.append(seconds)
        for _ in range(REPEATS):
            address = f"{url}/" if path == "overview" else f"{url}/{path}"  # the default page lives at the root
            seconds, size = _load(page, address, heading, counter)
            t.full_load.append(seconds)
            t.load_bytes.append(size)
        say(f"  {link} ({label}): bấm {statistics.median(t.warm):.2f} giây, sau khi ghi "
            f"{statistics.median(t.after_write):.2f} giây, tải lại {statistics.median(t.full_load):.2f} giây, "
            f"{statistics.median(t.click_bytes) / 1024:.0f} KB / {statistics.median(t.load_bytes) / 1024:.0f} KB "
            f"(lâu nhất sau khi ghi {max(t.after_write):.2f} giây)")
        results[path] = t
    context.close()
    return results


def measure(database_url: str, data_dir: Path, accounts: list[tuple[str, str, int]], password: str,
            write_report: Callable[[int, date], int], written: list[int], say: Callable[[str], None],
            pages: list[str] | None = None) -> dict[str, dict[str, Timing]]:
    """Serve the app on the dataset and time every page for each (label, username, team to write for)."""
    from playwright.sync_api import sync_playwright

    # BENCH_BROWSER_PAGES=reports,teams limits a run to some pages (while working on them).
    pages = pages or [p for p in os.environ.get("BENCH_BROWSER_PAGES", "").split(",") if p] or list(PAGES)
    out: dict[str, dict[str, Timing]] = {}
    with serve(database_url, data_dir, data_dir / "browser-server.log") as (url, _), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for label, username, team_id in accounts:
                n = 0

                def write(team_id: int = team_id) -> None:
                    nonlocal n
                    n += 1
                    written.append(write_report(team_id, date.today() - timedelta(days=n % 3)))

                out[label] = measure_scope(browser, url, username=username, password=password, write=write, say=say,
                                           label=label, pages=pages)
        finally:
            browser.close()
    return out
