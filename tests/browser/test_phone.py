"""The Streamlit pages on a phone and a bad line: compressed files, no outside host, a Vietnamese
message when the connection drops, the menu closing after a tap, lists that fit a 390 px screen."""

import gzip
import http.client
import os
import re
import subprocess
import sys
import urllib.parse
import urllib.request
from urllib.parse import urlparse

import pytest

from seed.demo import DEMO_PASSWORD
from tests.browser.conftest import ROOT, _free_port, serve, settle, shot
from ui import signin
from ui.style import OFFLINE_MESSAGE

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
OFFICER = "canbo.phuninh"
# Streamlit's own English texts for a lost connection (its dialog and its status widget).
ENGLISH = ("Connection error", "streamlit run", "not responding", "Connecting", "Are you connected")


def sign_in(page, url: str, username: str) -> None:  # noqa: ANN001
    """Sign in from `url` (a Streamlit page's address), whether the form is Streamlit's or a server page's."""
    page.goto(url)
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    # A server sign-in page (/dang-nhap) sends the browser back after the POST; Streamlit's form reruns in place.
    page.wait_for_url(lambda address: "dang-nhap" not in address, timeout=60_000)
    page.get_by_label("Mật khẩu").wait_for(state="detached", timeout=60_000)
    if page.url.rstrip("/") != url.rstrip("/"):  # landed elsewhere (a volunteer's light page): go where asked
        page.goto(url)
    page.locator("[data-testid=stApp]").wait_for(timeout=60_000)
    page.get_by_role("button", name="Đăng xuất").wait_for(state="attached", timeout=60_000)
    settle(page)


def go_to(page, label: str, path: str) -> None:  # noqa: ANN001
    """Open a page from the menu and wait for its run to end."""
    page.locator("[data-testid=stSidebar] a", has_text=label).first.click()
    page.wait_for_url(re.compile(f"/{path}$"))
    settle(page)


def _signed_in(url: str) -> str:
    """The Cookie header of a browser signed in through the server's form (the gate lets the app's pages through)."""
    host = urllib.parse.urlsplit(url).netloc
    connection = http.client.HTTPConnection(host, timeout=30)
    body = urllib.parse.urlencode({"username": OFFICER, "password": DEMO_PASSWORD, "next": "/"})
    connection.request("POST", "/dang-nhap", body, {"Content-Type": "application/x-www-form-urlencoded",
                                                    "Origin": url})
    answer = connection.getresponse()
    cookie = answer.getheader("set-cookie", "").split(";", 1)[0]
    connection.close()
    assert answer.status == 303 and cookie.startswith(f"{signin.COOKIE}=")
    return cookie


def _get(url: str, *, accept_gzip: bool, cookie: str = "") -> tuple[dict[str, str], bytes]:
    """One GET with or without `Accept-Encoding: gzip`; the headers (lower-case names) and the raw body."""
    headers = {"Accept-Encoding": "gzip"} if accept_gzip else {}
    if cookie:
        headers["Cookie"] = cookie
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as resp:
        return {k.lower(): v for k, v in resp.headers.items()}, resp.read()


def test_static_javascript_is_served_gzipped_to_a_client_that_accepts_it(demo_server):
    _, document = _get(demo_server.url + "/", accept_gzip=False, cookie=_signed_in(demo_server.url))
    script = re.search(r'src="\.?/?(static/js/[^"]+\.js)"', document.decode()).group(1)
    url = f"{demo_server.url}/{script}"

    plain_headers, plain = _get(url, accept_gzip=False)
    assert "content-encoding" not in plain_headers
    assert int(plain_headers["content-length"]) == len(plain)

    for _ in range(2):  # the second answer comes from the cache of compressed bytes
        headers, body = _get(url, accept_gzip=True)
        assert headers["content-encoding"] == "gzip"
        assert "Accept-Encoding" in headers["vary"]
        assert int(headers["content-length"]) == len(body) < len(plain) / 2
        assert headers["cache-control"] == plain_headers["cache-control"]  # Streamlit's year-long immutable cache
        assert gzip.decompress(body) == plain


def test_the_page_document_is_gzipped_and_images_are_not(demo_server):
    cookie = _signed_in(demo_server.url)
    headers, body = _get(demo_server.url + "/", accept_gzip=True, cookie=cookie)
    assert headers["content-encoding"] == "gzip"
    assert b"<html" in gzip.decompress(body).lower()
    _, document = _get(demo_server.url + "/", accept_gzip=False, cookie=cookie)
    icon = re.search(r'href="\.?/?([^"]+\.png)"', document.decode()).group(1)
    icon_headers, _ = _get(f"{demo_server.url}/{icon}", accept_gzip=True)
    assert "content-encoding" not in icon_headers


def test_a_lost_connection_says_so_in_vietnamese_and_keeps_what_was_typed(browser, tmp_path):
    database_url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    env = {**os.environ, "DATABASE_URL": database_url, "DATA_DIR": str(tmp_path)}
    subprocess.run([sys.executable, "-m", "seed", "demo"], cwd=ROOT, env=env, check=True, capture_output=True)
    port = _free_port()
    typed = "Thôn Tân Phước cần thêm điểm phát sóng ở nhà văn hóa"
    page = browser.new_page(viewport=PHONE, is_mobile=True, has_touch=True)

    with serve(database_url, tmp_path, port) as url:
        sign_in(page, f"{url}/feedback", "tnv.tamphuoc")
        page.get_by_role("tab", name="Gửi kiến nghị").click()
        field = page.get_by_label("Nội dung")
        field.fill(typed)
        assert page.locator("#cnscd-offline").count() == 0

    # The server is stopped: our banner comes, and Streamlit's dialog, once it is there, is not seen.
    banner = page.locator("#cnscd-offline")
    banner.wait_for(timeout=60_000)
    assert banner.inner_text() == OFFLINE_MESSAGE
    page.locator("[data-testid=stDialog]").wait_for(state="attached", timeout=60_000)
    assert not page.locator("[data-testid=stDialog]").is_visible()
    shot(page, "phone-connection-lost")
    seen = page.inner_text("body")
    assert OFFLINE_MESSAGE in seen
    assert [word for word in ENGLISH if word in seen] == []
    assert field.input_value() == typed

    with serve(database_url, tmp_path, port):
        banner.wait_for(state="detached", timeout=120_000)
        settle(page)
        shot(page, "phone-connection-back")
        assert page.get_by_label("Nội dung").input_value() == typed
    page.close()


def test_no_request_leaves_the_app_s_host_on_any_page(demo_server, browser):
    app_host = urlparse(demo_server.url).netloc
    walks = {
        "canbo.phuninh": ["Tổng quan", "Độ phủ", "Tổ CNSCĐ", "Hoạt động", "Kiến nghị", "Báo cáo", "Địa bàn",
                          "Người dùng", "Tài khoản"],
        "tnv.tamphuoc": ["Tổng quan", "Hoạt động", "Kiến nghị", "Tài khoản"],
    }
    paths = {"Tổng quan": "", "Độ phủ": "coverage", "Tổ CNSCĐ": "teams", "Hoạt động": "activities",
             "Kiến nghị": "feedback", "Báo cáo": "reports", "Địa bàn": "villages", "Người dùng": "users",
             "Tài khoản": "account"}
    for username, labels in walks.items():
        context = browser.new_context(viewport=DESKTOP)
        page = context.new_page()
        requested: list[str] = []
        page.on("request", lambda req, seen=requested: seen.append(req.url))
        page.on("websocket", lambda ws, seen=requested: seen.append(ws.url))
        sign_in(page, demo_server.url, username)
        for label in labels:
            go_to(page, label, paths[label])
            # Late requests (fonts, images a chart asks for) come after the run ends; a loaded machine can take
            # longer than Playwright's default 30 s to fall quiet, which is not what this test is about.
            page.wait_for_load_state("networkidle", timeout=120_000)
        hosts = {urlparse(u).netloc for u in requested if urlparse(u).scheme in ("http", "https", "ws", "wss")}
        assert hosts == {app_host}, (username, sorted(u for u in requested if urlparse(u).netloc != app_host))
        assert len(requested) > 20  # the walk did load the app
        context.close()


def test_on_a_phone_the_menu_closes_after_a_tap_and_nothing_scrolls_sideways(demo_server, browser):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    sign_in(page, demo_server.url, "canbo.phuninh")
    sidebar = page.locator("[data-testid=stSidebar]")
    for label, path in [("Tổ CNSCĐ", "teams"), ("Hoạt động", "activities"), ("Kiến nghị", "feedback"),
                        ("Địa bàn", "villages")]:
        page.locator("[data-testid=stExpandSidebarButton]").tap()
        page.wait_for_function("document.querySelector('[data-testid=stSidebar]').getBoundingClientRect().left >= 0")
        sidebar.locator("a", has_text=label).first.tap()
        page.wait_for_url(re.compile(f"/{path}$"))
        settle(page)
        # Closed: slid out to the left of the screen (Streamlit keeps it in the document).
        page.wait_for_function("document.querySelector('[data-testid=stSidebar]').getBoundingClientRect().right <= 0")
        widths = page.evaluate("""() => [document.documentElement, document.body,
            document.querySelector('[data-testid=stAppViewContainer]'), document.querySelector('[data-testid=stMain]')]
            .map(el => [el.scrollWidth, el.clientWidth])""")
        assert all(scroll <= client for scroll, client in widths), (label, widths)
        shot(page, f"phone-{path}")
    context.close()
