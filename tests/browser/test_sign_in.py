"""Signing in and out through the server's routes, in a real Chromium with the Streamlit pages behind them."""

import re

import pytest

from seed.demo import DEMO_PASSWORD
from tests.browser.conftest import settle
from ui import signin

pytestmark = pytest.mark.browser
OFFICER = "canbo.phuninh"


def test_a_bookmark_survives_sign_in_and_sign_out_ends_every_tab(demo_server, browser):
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    first = context.new_page()
    first.goto(f"{demo_server.url}/teams")
    assert "/dang-nhap?next=/teams" in first.url, "the gate asks for a sign-in before Streamlit loads"
    first.get_by_label("Tên đăng nhập").fill(OFFICER)
    first.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    first.get_by_role("button", name="Đăng nhập").click()
    first.wait_for_url(f"{demo_server.url}/teams")
    settle(first)
    first.get_by_role("heading", name="Tổ công nghệ số cộng đồng").wait_for()
    assert next(c for c in context.cookies() if c["name"] == signin.COOKIE)["httpOnly"]

    second = context.new_page()  # another tab of the same browser: signed in by the cookie
    second.goto(f"{demo_server.url}/reports")
    settle(second)
    second.get_by_role("heading", name="Báo cáo").first.wait_for()

    first.get_by_role("button", name="Đăng xuất").click()
    first.wait_for_url(re.compile(r"/dang-nhap\?next=/teams&ra=1$"))
    first.get_by_text("Bạn đã đăng xuất.").wait_for()
    assert all(c["name"] != signin.COOKIE for c in context.cookies()), "the server cleared the HttpOnly cookie"

    # The other tab's next action finds its sign-in ended and goes to the sign-in form, keeping its page.
    second.get_by_role("link", name="Tổng quan").click()
    second.wait_for_url(re.compile(r"/dang-nhap\?next=.*&het=1$"), timeout=30_000)
    second.get_by_text(signin.ENDED).wait_for()
    second.get_by_label("Tên đăng nhập").fill(OFFICER)
    second.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    second.get_by_role("button", name="Đăng nhập").click()
    settle(second)
    assert "/dang-nhap" not in second.url
    context.close()
