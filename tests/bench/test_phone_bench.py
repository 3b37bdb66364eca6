"""Figure 9's harness (bench/phone.py), as CI runs it: the profiles' DevTools parameters, the byte counter,
the "usable" predicates on small pages, and one unthrottled cold and warm visit of the real demo server.

No timing is asserted here; `make bench` measures.
"""

import base64
from concurrent.futures import ThreadPoolExecutor

import pytest

from bench import phone


def test_profiles_are_the_stated_figures_in_bytes_per_second():
    by_key = {p.key: p for p in phone.PROFILES}
    assert set(by_key) == {"none", "3g", "edge"}
    assert by_key["none"].conditions() == {"offline": False, "latency": 0, "downloadThroughput": -1,
                                           "uploadThroughput": -1}
    assert by_key["3g"].conditions() == {"offline": False, "latency": 150, "downloadThroughput": 200_000,
                                         "uploadThroughput": 93_750}
    assert by_key["edge"].conditions() == {"offline": False, "latency": 400, "downloadThroughput": 31_250,
                                           "uploadThroughput": 25_000}
    assert phone.CPU_RATE == 4 and phone.PHONE == {"width": 390, "height": 844}


def test_chosen_profiles_follow_the_environment(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("BENCH_PHONE_PROFILES", "edge,none")
    assert [p.key for p in phone.chosen_profiles()] == ["none", "edge"]
    monkeypatch.setenv("BENCH_PHONE_PROFILES", "4g")
    with pytest.raises(ValueError, match="4g"):
        phone.chosen_profiles()


class FakeCDP:
    """Records the handlers the counter registers, so a test can play DevTools events to it."""

    def __init__(self) -> None:
        self.handlers: dict[str, object] = {}

    def on(self, event: str, handler) -> None:  # noqa: ANN001
        self.handlers[event] = handler

    def emit(self, event: str, params: dict) -> None:
        self.handlers[event](params)  # type: ignore[operator]


def test_traffic_counts_the_network_not_the_cache():
    cdp = FakeCDP()
    traffic = phone.Traffic(cdp)
    cdp.emit("Network.responseReceived", {"requestId": "1", "response": {}})
    cdp.emit("Network.loadingFinished", {"requestId": "1", "encodedDataLength": 1200})
    cdp.emit("Network.responseReceived", {"requestId": "2", "response": {"fromDiskCache": True}})
    cdp.emit("Network.loadingFinished", {"requestId": "2", "encodedDataLength": 300})
    cdp.emit("Network.responseReceived", {"requestId": "3", "response": {"fromServiceWorker": True}})
    cdp.emit("Network.loadingFinished", {"requestId": "3", "encodedDataLength": 5000})
    cdp.emit("Network.requestServedFromCache", {"requestId": "4"})
    cdp.emit("Network.loadingFinished", {"requestId": "4", "encodedDataLength": 700})
    cdp.emit("Network.webSocketFrameReceived", {"response": {"opcode": 2,
                                                             "payloadData": base64.b64encode(b"x" * 99).decode()}})
    cdp.emit("Network.webSocketFrameReceived", {"response": {"opcode": 1, "payloadData": "héllo"}})
    assert (traffic.bytes, traffic.requests, traffic.websocket_bytes) == (1200 + 99 + 6, 1, 105)


FORM = """<form method="post"><label for="u">Tên đăng nhập</label><input id="u" name="u">
<label>Mật khẩu <input type="password" name="p"></label><button {disabled}>Đăng nhập</button></form>"""
LIGHT = """<html {ready}><body><form><input name="people"><button {disabled}>Gửi báo cáo</button></form></body></html>"""


@pytest.mark.browser
def test_usable_predicates_on_small_pages(chromium_path: str):
    """The sign-in and light-page predicates: true exactly when the contract holds (a server page, no Streamlit)."""
    from playwright.sync_api import sync_playwright

    from bench.browser import CHROMIUM_ARGS

    def checks() -> list[bool]:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport=phone.PHONE)

            def check(html: str, js: str) -> bool:
                page.set_content(html)
                return bool(page.evaluate(js))

            running = '<div data-testid="stApp" data-test-script-state="running">' + FORM.format(disabled="") + "</div>"
            found = [
                check(FORM.format(disabled=""), phone.SIGN_IN_JS),
                not check(FORM.format(disabled="disabled"), phone.SIGN_IN_JS),
                not check(FORM.format(disabled="").replace("Mật khẩu", "Mat khau"), phone.SIGN_IN_JS),
                check(LIGHT.format(ready='data-ready="1"', disabled=""), phone.LIGHT_READY_JS),
                not check(LIGHT.format(ready="", disabled=""), phone.LIGHT_READY_JS),
                not check(LIGHT.format(ready='data-ready="1"', disabled="disabled"), phone.LIGHT_READY_JS),
                not check(running, phone.SIGN_IN_JS),  # a Streamlit app still running is not usable, whatever it shows
                check(running.replace('"running"', '"notRunning"'), phone.SIGN_IN_JS),
            ]
            browser.close()
            return found

    # Its own thread: a browser test's Playwright may hold this thread's event loop.
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(checks).result() == [True] * 8


@pytest.mark.browser
@pytest.mark.slow
def test_one_unthrottled_run_on_the_demo_server(chromium_path: str):
    """Seed, serve, and run both flows, cold then warm, with no network limit and no CPU throttling (the
    harness is what is checked here, quickly; the figure throttles)."""
    from seed.demo import DEMO_PASSWORD

    lines: list[str] = []
    # The harness drives its own Playwright; its own thread keeps it apart from the session's browser.
    with phone.demo_server() as url, ThreadPoolExecutor(1) as pool:
        results = pool.submit(phone.measure, url, DEMO_PASSWORD, say=lines.append, profiles=[phone.PROFILES[0]],
                              repeats=1, cpu_rate=1).result()
    assert [(r.flow.key, r.profile.key) for r in results] == [("light", "none"), ("streamlit", "none")]
    light, streamlit = results
    for r in results:
        (cold,), (warm,) = r.cold, r.warm
        assert cold.sign_in > 0 and cold.report > 0 and warm.total > 0
        assert cold.requests > 0 and 0 < cold.usable_bytes <= cold.bytes
        assert cold.quiet and warm.quiet, f"{r.flow.title}: the network went quiet after the form was usable"
        assert warm.bytes < cold.bytes, f"{r.flow.title}: the second visit comes from the cache"
    # Streamlit's app is its script bundle (megabytes) and a websocket.
    cold = streamlit.cold[0]
    assert cold.bytes > 1024 * 1024 and cold.websocket_bytes > 0
    assert any("Streamlit form" in line for line in lines)


class FakeRequest:
    def __init__(self, body: int, headers: int, worker: object | None = object()) -> None:
        self.service_worker, self._sizes = worker, {"responseBodySize": body, "responseHeadersSize": headers}

    def sizes(self) -> dict:
        return self._sizes


def test_traffic_counts_a_service_workers_network_fetches_only():
    traffic = phone.Traffic(FakeCDP())
    traffic.worker_request(FakeRequest(2430, 216))  # from the network
    traffic.worker_request(FakeRequest(-350, 350))  # answered by the browser's cache
    traffic.worker_request(FakeRequest(900, 100, worker=None))  # the page's own: counted from DevTools instead
    assert (traffic.bytes, traffic.requests) == (2646, 1)
