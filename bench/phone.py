"""Figure 9: the volunteer's phone (issue 13, part 3): the light report page against the Streamlit form.

Debian's Chromium, driven by Playwright, plays a low-end phone: a 390 × 844 viewport (device scale 2), a
mobile user agent, touch, and the DevTools protocol's `Emulation.setCPUThrottlingRate` (4) and
`Network.emulateNetworkConditions` (the profiles below). Against a fresh demo database it signs in as the
volunteer `tnv.tamphuoc` and times two flows side by side, in the same run and the same profile:

- *light page*: open `/dang-nhap?next=/nhanh/`, sign in, the server-rendered report form usable
  (`document.documentElement.dataset.ready === "1"` and its "Gửi báo cáo" button enabled);
- *Streamlit form*: open `/dang-nhap?next=/activities`, sign in, the Hoạt động page usable (the app says
  its run is over, nothing is marked stale, the "Gửi báo cáo" button is shown and enabled).

Each flow runs *cold* (a fresh browser context: empty cache, no cookie, no service worker) and then *warm*
(a new tab of the same context, so the cache and any service worker are kept; the cookies are cleared
first, so the sign-in is done and timed again, as in the cold visit).

Times are the wall clock in this process: from just before the `goto` to the sign-in form usable (its two
fields and its button shown and enabled; on a Streamlit page also its run over), and from just before the
click on "Đăng nhập" (the fields are filled first, untimed) to the report form usable, both polled on every
animation frame. Bytes are what crossed the network for the tab, from the DevTools protocol: the
`encodedDataLength` of every `Network.loadingFinished` (headers and body as received, compressed if the
server compressed) of a response not served from the browser's cache or by a service worker, plus the
payloads of the websocket frames received (binary frames base64-decoded), plus what the page's service
worker fetched from the network (Playwright's request sizes: body and headers). Requests are the
responses counted in those bytes. Two sums: until the report form is usable, and in all, once the tab has
gone quiet after that (Streamlit goes on fetching script chunks after its form is usable).
"""

import base64
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.browser import CHROMIUM, CHROMIUM_ARGS, ROOT, serve

USERNAME = "tnv.tamphuoc"  # a volunteer of the demo dataset (Tổ CNSCĐ of Xã Tam Phước, Huyện Phú Ninh)
PHONE = {"width": 390, "height": 844}
SCALE = 2
USER_AGENT = ("Mozilla/5.0 (Linux; Android 11; SM-A125F) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/120.0.0.0 Mobile Safari/537.36")
CPU_RATE = 4
REPEATS = int(os.environ.get("BENCH_PHONE_REPEATS", 3))
QUIET_SECONDS = 1.5  # after the form is usable: no request in flight and nothing received for this long
SETTLE_LIMIT_SECONDS = float(os.environ.get("BENCH_PHONE_SETTLE_LIMIT", 300))
TIMEOUT_MS = int(os.environ.get("BENCH_PHONE_TIMEOUT_MS", 600_000))  # an EDGE line carries 5.7 MB in ~3 minutes

# Targets (issue 13).
LIGHT_SECONDS_TARGET = 15.0  # the light page, cold, on EDGE with CPU × 4: open to report form usable
LIGHT_BYTES_TARGET = 100 * 1024  # the light page's bytes, before the photo
RATIO_TARGET = 10.0  # Streamlit form's total ÷ light page's total, cold, EDGE
STREAMLIT_BYTES_TARGET = 2 * 1024 * 1024  # the Streamlit app, cold


@dataclass(frozen=True)
class Profile:
    """A network profile for `Network.emulateNetworkConditions`; None throughput means no limit."""

    key: str
    title: str
    down_kbps: float | None
    up_kbps: float | None
    latency_ms: float

    def conditions(self) -> dict[str, Any]:
        """The DevTools parameters: throughput in bytes per second (1 kbps = 1,000 bit/s), -1 for no limit."""
        def rate(kbps: float | None) -> float:
            return -1 if kbps is None else kbps * 1000 / 8
        return {"offline": False, "latency": self.latency_ms, "downloadThroughput": rate(self.down_kbps),
                "uploadThroughput": rate(self.up_kbps)}


PROFILES = [
    Profile("none", "no network limit", None, None, 0),
    Profile("3g", "3G: 1.6 Mbps down, 750 kbps up, 150 ms", 1600, 750, 150),
    Profile("edge", "EDGE: 250 kbps down, 200 kbps up, 400 ms", 250, 200, 400),
]


# The sign-in form usable: both fields and the button shown and enabled, and on a Streamlit page its run over
# (a field typed into while a run is still going is replaced by the run's new form).
SIGN_IN_JS = """() => {
  const app = document.querySelector('[data-testid=stApp]');
  if (app && app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (document.querySelector('[data-stale=true]')) return false;
  const shown = (el) => !!el && !el.disabled && el.getBoundingClientRect().width > 0;
  const field = (text) => {
    const byAria = document.querySelector(`input[aria-label="${text}"]`);
    if (byAria) return byAria;
    const label = [...document.querySelectorAll('label')].find(l => l.textContent.trim() === text);
    return label ? (label.control || label.querySelector('input')) : null;
  };
  const button = [...document.querySelectorAll('button, input[type=submit]')]
    .find(b => (b.innerText || b.value || '').trim() === 'Đăng nhập');
  return shown(field('Tên đăng nhập')) && shown(field('Mật khẩu')) && shown(button);
}"""
_SUBMIT_JS = """const submit = [...document.querySelectorAll('button, input[type=submit]')]
    .find(b => (b.innerText || b.value || '').trim() === 'Gửi báo cáo' && b.getBoundingClientRect().width > 0);
  if (!submit || submit.disabled) return false;"""
# The light page says it is ready (its script has run: the form is wired and the pending list read).
LIGHT_READY_JS = "() => {\n  if (document.documentElement.dataset.ready !== '1') return false;\n  " + _SUBMIT_JS + \
    "\n  return true;\n}"
# The Streamlit Hoạt động page: the run is over, nothing stale, the quick form's submit button enabled.
STREAMLIT_READY_JS = """() => {
  const app = document.querySelector('[data-testid=stApp]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (document.querySelector('[data-stale=true]')) return false;
  """ + _SUBMIT_JS + "\n  return true;\n}"


def chosen_profiles() -> list[Profile]:
    """Every profile, or those named in BENCH_PHONE_PROFILES (e.g. `none,edge`, while working on a page)."""
    keys = [k for k in os.environ.get("BENCH_PHONE_PROFILES", "").split(",") if k]
    unknown = set(keys) - {p.key for p in PROFILES}
    if unknown:
        raise ValueError(f"unknown BENCH_PHONE_PROFILES: {sorted(unknown)}; known: {[p.key for p in PROFILES]}")
    return [p for p in PROFILES if not keys or p.key in keys]


@dataclass(frozen=True)
class Flow:
    """One way for the volunteer to reach a report form: where it starts and when the form is usable."""

    key: str
    title: str
    start: str
    ready_js: str


LIGHT = Flow("light", "light page", "/dang-nhap?next=/nhanh/", LIGHT_READY_JS)
STREAMLIT = Flow("streamlit", "Streamlit form", "/dang-nhap?next=/activities", STREAMLIT_READY_JS)
FLOWS = [LIGHT, STREAMLIT]


@dataclass
class Visit:
    """One visit: seconds of each step, bytes and requests over the network."""

    sign_in: float
    report: float
    bytes: int  # until the network is quiet after the form is usable
    requests: int
    websocket_bytes: int
    usable_bytes: int = 0  # until the form is usable
    usable_requests: int = 0
    quiet: bool = True  # False: still loading when SETTLE_LIMIT_SECONDS ran out (bytes then a lower bound)

    @property
    def total(self) -> float:
        """Open to report form usable."""
        return self.sign_in + self.report


@dataclass
class Result:
    """The visits of one flow in one profile (REPEATS of each)."""

    flow: Flow
    profile: Profile
    cold: list[Visit] = field(default_factory=list)
    warm: list[Visit] = field(default_factory=list)


class Traffic:
    """What crossed the network for one tab, from the DevTools protocol (and its service worker's fetches)."""

    def __init__(self, cdp: Any) -> None:
        self.bytes = 0
        self.requests = 0
        self.websocket_bytes = 0
        self._cached: set[str] = set()
        self.in_flight: set[str] = set()
        self.last_event = time.monotonic()
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.loadingFailed", self._failed)
        cdp.on("Network.responseReceived", self._response)
        cdp.on("Network.requestServedFromCache", lambda p: self._cached.add(p["requestId"]))
        cdp.on("Network.loadingFinished", self._finished)
        cdp.on("Network.webSocketFrameReceived", self._frame)

    def _sent(self, params: dict[str, Any]) -> None:
        self.in_flight.add(params["requestId"])
        self.last_event = time.monotonic()

    def _failed(self, params: dict[str, Any]) -> None:
        self.in_flight.discard(params["requestId"])
        self.last_event = time.monotonic()

    def _response(self, params: dict[str, Any]) -> None:
        r = params["response"]
        if r.get("fromDiskCache") or r.get("fromServiceWorker") or r.get("fromPrefetchCache"):
            self._cached.add(params["requestId"])

    def _finished(self, params: dict[str, Any]) -> None:
        self.in_flight.discard(params["requestId"])
        self.last_event = time.monotonic()
        if params["requestId"] in self._cached:
            return
        size = int(params.get("encodedDataLength", 0))
        if size > 0:
            self.bytes += size
            self.requests += 1

    def _frame(self, params: dict[str, Any]) -> None:
        response = params["response"]
        payload = response.get("payloadData", "")
        size = len(base64.b64decode(payload)) if response.get("opcode") == 2 else len(payload.encode())
        self.websocket_bytes += size
        self.bytes += size
        self.last_event = time.monotonic()

    def settle(self, page: Any, quiet: float = QUIET_SECONDS, limit: float = SETTLE_LIMIT_SECONDS) -> bool:
        """Wait until no request is in flight and nothing arrived for `quiet` seconds (False: `limit` reached)."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            page.wait_for_timeout(250)  # lets Playwright deliver the DevTools events meanwhile
            if not self.in_flight and time.monotonic() - self.last_event >= quiet:
                return True
        return False

    def worker_request(self, request: Any) -> None:
        """A request a service worker sent to the network (Playwright's `requestfinished` of the context)."""
        if getattr(request, "service_worker", None) is None:
            return
        try:
            sizes = request.sizes()
        except Exception:  # noqa: BLE001 - a request whose sizes the browser no longer has: counted as 0
            return
        # Playwright's body size is the wire's length less the headers: their sum is what came over the wire
        # (0, the body then negative, for a fetch the browser's cache answered).
        size = int(sizes.get("responseBodySize", 0)) + int(sizes.get("responseHeadersSize", 0))
        if size > 0:
            self.bytes += size
            self.requests += 1
            self.last_event = time.monotonic()


def _wait(page: Any, js: str) -> None:
    page.wait_for_function(js, timeout=TIMEOUT_MS, polling="raf")


def visit(context: Any, url: str, flow: Flow, profile: Profile, password: str, cpu_rate: float = CPU_RATE) -> Visit:
    """One tab in `context`, throttled: open the flow's start, sign in, wait for the report form."""
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    traffic = Traffic(cdp)
    context.on("requestfinished", traffic.worker_request)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", profile.conditions())
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": cpu_rate})
    try:
        started = time.perf_counter()
        page.goto(url + flow.start, wait_until="commit", timeout=TIMEOUT_MS)
        _wait(page, SIGN_IN_JS)
        sign_in = time.perf_counter() - started
        page.get_by_label("Tên đăng nhập").fill(USERNAME)
        page.get_by_label("Mật khẩu").fill(password)
        button = page.get_by_role("button", name="Đăng nhập", exact=True)
        started = time.perf_counter()
        button.click(timeout=TIMEOUT_MS)
        _wait(page, flow.ready_js)
        report = time.perf_counter() - started
        page.wait_for_timeout(200)  # the last frames and loadingFinished events of the view reach the counter
        usable_bytes, usable_requests = traffic.bytes, traffic.requests
        # What the page goes on loading after it is usable (Streamlit's lazy script chunks) uses the same line.
        quiet = traffic.settle(page)
        return Visit(sign_in, report, traffic.bytes, traffic.requests, traffic.websocket_bytes, usable_bytes,
                     usable_requests, quiet)
    finally:
        context.remove_listener("requestfinished", traffic.worker_request)
        cdp.detach()
        page.close()


def measure(url: str, password: str, say: Callable[[str], None] = print,
            profiles: list[Profile] | None = None, repeats: int = REPEATS, cpu_rate: float = CPU_RATE) -> list[Result]:
    """Every flow in every profile, cold then warm, flows interleaved within a profile (`cpu_rate` 1: the
    smoke test's quick run, not a figure)."""
    from playwright.sync_api import sync_playwright

    results = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for profile in profiles or chosen_profiles():
                results.extend(Result(flow, profile) for flow in FLOWS)
                for _ in range(repeats):
                    for result in results[-len(FLOWS):]:
                        context = browser.new_context(viewport=PHONE, device_scale_factor=SCALE, is_mobile=True,
                                                      has_touch=True, user_agent=USER_AGENT, locale="vi-VN")
                        try:
                            cold = visit(context, url, result.flow, profile, password, cpu_rate)
                            context.clear_cookies()  # signed out; the cache and any service worker stay
                            warm = visit(context, url, result.flow, profile, password, cpu_rate)
                        finally:
                            context.close()
                        result.cold.append(cold)
                        result.warm.append(warm)
                        say(f"  {result.flow.title}, {profile.title}, CPU × {cpu_rate:g}: "
                            f"lần đầu {cold.sign_in:.1f} + {cold.report:.1f} = {cold.total:.1f} giây, "
                            f"{cold.usable_bytes / 1024:.0f} KB / {cold.usable_requests} yêu cầu đến lúc dùng được, "
                            f"{cold.bytes / 1024:.0f} KB / {cold.requests} yêu cầu tất cả"
                            f"{'' if cold.quiet else ' (chưa tải xong)'}; "
                            f"lần sau {warm.sign_in:.1f} + {warm.report:.1f} = {warm.total:.1f} giây, "
                            f"{warm.usable_bytes / 1024:.0f} KB / {warm.bytes / 1024:.0f} KB, {warm.requests} yêu cầu"
                            f"{'' if warm.quiet else ' (chưa tải xong)'}")
        finally:
            browser.close()
    return results


@contextmanager
def demo_server(log_dir: Path | None = None) -> Iterator[str]:
    """A fresh SQLite with `python -m seed demo` in a temporary DATA_DIR, served by `python -m ui.serve`."""
    with tempfile.TemporaryDirectory(prefix="bench-phone-") as tmp:
        data_dir = Path(tmp)
        database_url = f"sqlite:///{data_dir / 'demo.sqlite3'}"
        env = {**os.environ, "DATABASE_URL": database_url, "DATA_DIR": str(data_dir)}
        subprocess.run([sys.executable, "-m", "seed", "demo"], cwd=ROOT, env=env, check=True, capture_output=True)
        with serve(database_url, data_dir, (log_dir or data_dir) / "phone-server.log") as (url, _pid):
            yield url


def median_visit(visits: list[Visit]) -> Visit:
    """The median of each measure over the repeats."""
    def mid(values: Iterator[int]) -> int:
        return int(statistics.median(values))
    return Visit(statistics.median(v.sign_in for v in visits), statistics.median(v.report for v in visits),
                 mid(v.bytes for v in visits), mid(v.requests for v in visits), mid(v.websocket_bytes for v in visits),
                 mid(v.usable_bytes for v in visits), mid(v.usable_requests for v in visits),
                 all(v.quiet for v in visits))


def main() -> int:
    """`python -m bench.phone`: the figure alone on the demo data, printed (results.json is left alone)."""
    from seed.demo import DEMO_PASSWORD

    with demo_server() as url:
        results = measure(url, DEMO_PASSWORD, say=lambda m: print(m, file=sys.stderr, flush=True))
    print("| flow | profile | visit | open → sign-in usable | sign-in → report form usable | total "
          "| bytes until usable | bytes in all | requests in all |")
    print("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        for kind, visits in (("cold", r.cold), ("warm", r.warm)):
            if not visits:
                print(f"| {r.flow.title} | {r.profile.title} | {kind} | – | – | – | – | – | – |")
                continue
            v = median_visit(visits)
            print(f"| {r.flow.title} | {r.profile.title} | {kind} | {v.sign_in:.2f} s | {v.report:.2f} s | "
                  f"{v.total:.2f} s | {v.usable_bytes / 1024:.1f} KB | {v.bytes / 1024:.1f} KB"
                  f"{'' if v.quiet else ' (still loading)'} | {v.requests} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
