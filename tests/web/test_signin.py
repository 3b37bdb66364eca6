"""Sign-in and sign-out by server routes: an HttpOnly cookie, same-origin POSTs only, the gate, every tab signed out."""

import threading

from sqlalchemy import select

from db import auth
from db.models import AuthSession, SignInFailure, User
from tests import factories
from tests.web.conftest import ORIGIN, sign_in
from ui import signin


def _set_cookie(response) -> str:  # noqa: ANN001
    return "; ".join(response.headers.get_list("set-cookie"))


def _officer(session, username: str) -> None:  # noqa: ANN001
    """An officer account of a new tree's district."""
    tree = factories.create_tree(session)
    factories.create_user(session, role="officer", unit=tree.district, username=username)
    session.commit()


def _signed_in(client, session, username: str):  # noqa: ANN001, ANN202
    """A browser signed in as a new officer, and its sign-in token."""
    _officer(session, username)
    browser = client()
    sign_in(browser, username, factories.DEFAULT_PASSWORD)
    return browser, browser.cookies[signin.COOKIE]


def test_the_cookie_is_httponly_and_strict_and_a_volunteer_lands_on_the_light_page(client, session):
    tree = factories.create_tree(session)
    team = factories.create_team(session, unit=tree.villages[0])
    factories.create_user(session, role="volunteer", team=team, username="tnv.a")
    factories.create_user(session, role="officer", unit=tree.district, username="canbo.a")
    session.commit()

    answer = sign_in(client(), "tnv.a", factories.DEFAULT_PASSWORD)
    assert answer.status_code == 303 and answer.headers["location"] == "/nhanh/"
    cookie = _set_cookie(answer)
    assert f"{signin.COOKIE}=" in cookie
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain HTTP on this machine; behind HTTPS it is Secure (next test)

    officer = sign_in(client(), "canbo.a", factories.DEFAULT_PASSWORD)
    assert officer.headers["location"] == "/"
    asked = sign_in(client(), "tnv.a", factories.DEFAULT_PASSWORD, next_path="/activities?unit=3")
    assert asked.headers["location"] == "/activities?unit=3", "a page asked for is where the sign-in goes"
    assert session.scalar(select(User.last_login_at).where(User.username == "tnv.a")) is not None


def test_behind_https_the_cookie_is_secure(client, session):
    _officer(session, "canbo.s")
    answer = client().post("/dang-nhap", data={"username": "canbo.s", "password": factories.DEFAULT_PASSWORD},
                           headers={"Origin": ORIGIN, "X-Forwarded-Proto": "https"})
    assert "Secure" in _set_cookie(answer)


def test_a_wrong_password_is_refused_in_vietnamese_without_a_cookie(client, session):
    _officer(session, "canbo.b")
    answer = sign_in(client(), "canbo.b", "sai-mat-khau-roi")
    assert answer.status_code == 401
    assert "Tên đăng nhập hoặc mật khẩu không đúng, hoặc đã thử sai quá nhiều lần." in answer.text
    assert 'value="canbo.b"' in answer.text, "the username typed is kept"
    assert signin.COOKIE not in _set_cookie(answer) and signin.DEVICE_COOKIE not in _set_cookie(answer)
    session.expire_all()
    assert session.scalars(select(SignInFailure.failures)).all() == [1]


def test_a_post_from_another_site_is_refused_and_nothing_is_started(client, session):
    _officer(session, "canbo.c")
    browser = client()
    foreign = browser.post("/dang-nhap", data={"username": "canbo.c", "password": factories.DEFAULT_PASSWORD},
                           headers={"Origin": "http://example.invalid"})
    assert foreign.status_code == 403 and signin.FOREIGN in foreign.text
    cross = browser.post("/dang-nhap", data={"username": "canbo.c", "password": factories.DEFAULT_PASSWORD},
                         headers={"Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 403
    huge = browser.post("/dang-nhap", data={"username": "canbo.c", "password": "x" * (signin.FORM_MAX + 1)},
                        headers={"Origin": ORIGIN})
    assert huge.status_code == 413 and "quá lớn" in huge.text
    assert session.scalars(select(AuthSession)).all() == []


def test_only_addresses_on_this_site_are_followed_after_signing_in():
    assert signin.safe_next("/reports?tu=2026-01-01") == "/reports?tu=2026-01-01"
    for hostile in ("//example.invalid/x", "https://example.invalid", "/\\example.invalid", "javascript:alert(1)", "", None,
                    "/x\nSet-Cookie: a=b"):
        assert signin.safe_next(hostile) == "/"


def test_the_gate_sends_a_page_without_sign_in_to_the_form_and_back(client, session):
    _officer(session, "canbo.d")
    browser = client()
    first = browser.get("/reports?tu=2026-01-01")
    assert first.status_code == 303
    assert first.headers["location"] == "/dang-nhap?next=/reports%3Ftu%3D2026-01-01"
    form = browser.get(first.headers["location"])
    assert 'name="next" value="/reports?tu=2026-01-01"' in form.text
    assert "Tên đăng nhập" in form.text and "Mật khẩu" in form.text
    assert browser.get("/_stcore/health").status_code == 404, "Streamlit's own routes pass the gate untouched"

    signed = sign_in(browser, "canbo.d", factories.DEFAULT_PASSWORD, next_path="/reports?tu=2026-01-01")
    assert signed.headers["location"] == "/reports?tu=2026-01-01"
    page = browser.get("/reports?tu=2026-01-01")
    assert page.status_code == 200 and page.text == "trang Streamlit"
    assert "HttpOnly" in _set_cookie(page), "a page load renews the cookie's lifetime in the browser"
    assert browser.get("/dang-nhap?next=/teams").headers["location"] == "/teams", "signed in: the form is skipped"


def test_sign_out_ends_the_sign_in_for_every_tab_of_the_browser(client, session):
    browser, token = _signed_in(client, session, "canbo.e")
    assert signin.signed_in_actor(token) is not None
    out = browser.post("/dang-xuat", headers={"Origin": ORIGIN})
    assert out.status_code == 303 and out.headers["location"] == "/dang-nhap?next=/&ra=1"
    assert signin.COOKIE + '=""' in _set_cookie(out) or "Max-Age=0" in _set_cookie(out)
    assert signin.signed_in_actor(token) is None, "the stored sign-in is gone: every tab holding the cookie is out"
    assert "Bạn đã đăng xuất." in browser.get("/dang-nhap?ra=1").text


def test_a_link_from_another_site_does_not_sign_out(client, session):
    browser, token = _signed_in(client, session, "canbo.f")
    browser.get("/dang-xuat", headers={"Sec-Fetch-Site": "cross-site"})
    browser.post("/dang-xuat", headers={"Origin": "http://example.invalid"})
    assert signin.signed_in_actor(token) is not None


def test_a_handed_over_sign_in_is_exchanged_once(client, session):
    tree = factories.create_tree(session)
    officer = factories.officer_of(session, tree.district, username="canbo.g")
    session.commit()
    from db.auth import start_session
    from db.engine import SessionLocal

    with SessionLocal.begin() as s:
        token = start_session(s, actor=officer)
    code = signin.hand_off(token)
    browser = client()
    taken = browser.get(f"/dang-nhap/tiep?ma={code}&next=/teams")
    assert taken.status_code == 303 and taken.headers["location"] == "/teams"
    assert browser.cookies[signin.COOKIE] == token and "HttpOnly" in _set_cookie(taken)
    again = client().get(f"/dang-nhap/tiep?ma={code}&next=/teams")
    assert again.headers["location"].startswith("/dang-nhap?next=/teams"), "a code works once"
    assert signin.COOKIE not in _set_cookie(again)


# ---- wrong attempts held back per (username, client) -------------------------------------------

ATTACKER, OWNER_ELSEWHERE = "203.0.113.7", "198.51.100.20"


def _error(page) -> str:  # noqa: ANN001
    """The error paragraph of the sign-in page as shown."""
    start = page.text.index(auth.BAD_CREDENTIALS[:20])
    return page.text[start : start + len(auth.BAD_CREDENTIALS)]


def test_a_signed_in_browser_is_remembered_by_a_strict_httponly_cookie(client, session):
    _officer(session, "canbo.h")
    answer = sign_in(client(), "canbo.h", factories.DEFAULT_PASSWORD)
    device = next(c for c in answer.headers.get_list("set-cookie") if c.startswith(signin.DEVICE_COOKIE + "="))
    assert "HttpOnly" in device and "SameSite=strict" in device and f"Max-Age={signin.DEVICE_MAX_AGE}" in device
    secure = client().post("/dang-nhap", data={"username": "canbo.h", "password": factories.DEFAULT_PASSWORD},
                           headers={"Origin": ORIGIN, "X-Forwarded-Proto": "https"})
    assert "Secure" in next(c for c in secure.headers.get_list("set-cookie") if c.startswith(signin.DEVICE_COOKIE))


def test_an_attacker_cannot_lock_the_owner_out_from_elsewhere_or_from_the_owners_browser(client, session, monkeypatch):
    monkeypatch.setattr(signin, "FAILURE_DELAY", 0)  # the waits are not what is tested here
    _officer(session, "canbo.i")
    owners_browser = client(ATTACKER)  # the owner's usual browser, behind the same router as the attacker
    assert sign_in(owners_browser, "canbo.i", factories.DEFAULT_PASSWORD).status_code == 303
    owners_browser.post("/dang-xuat", headers={"Origin": ORIGIN})
    attacker = client(ATTACKER)
    for _ in range(auth.FREE_FAILURES + 2):
        assert sign_in(attacker, "canbo.i", "Doan-mat-khau-1").status_code == 401
    held = sign_in(attacker, "canbo.i", factories.DEFAULT_PASSWORD)
    assert held.status_code == 401 and signin.COOKIE not in _set_cookie(held), "the attacker's pair is held back"
    assert sign_in(client(OWNER_ELSEWHERE), "canbo.i", factories.DEFAULT_PASSWORD).status_code == 303
    assert sign_in(owners_browser, "canbo.i", factories.DEFAULT_PASSWORD).status_code == 303, "the known browser"


def test_wrong_unknown_and_held_back_get_one_identical_answer(client, session, monkeypatch):
    monkeypatch.setattr(signin, "FAILURE_DELAY", 0)  # the waits are not what is tested here
    _officer(session, "canbo.j")
    browser = client(ATTACKER)
    answers = [sign_in(browser, "canbo.j", "Doan-mat-khau-1") for _ in range(auth.FREE_FAILURES)]
    answers.append(sign_in(browser, "canbo.j", factories.DEFAULT_PASSWORD))  # held back
    answers += [sign_in(browser, "khong.co.ai", "Doan-mat-khau-1") for _ in range(auth.FREE_FAILURES)]
    answers.append(sign_in(browser, "khong.co.ai", factories.DEFAULT_PASSWORD))  # unknown, held back just the same
    assert {a.status_code for a in answers} == {401}
    assert {_error(a) for a in answers} == {auth.BAD_CREDENTIALS}
    assert "tạm khóa" not in " ".join(a.text for a in answers)
    session.expire_all()
    assert [row.held_until is not None for row in session.scalars(select(SignInFailure))] == [True, True]


def test_a_busy_server_answers_503_without_checking(client, session, monkeypatch):
    _officer(session, "canbo.k")
    monkeypatch.setattr(auth, "_checks", threading.BoundedSemaphore(1))
    monkeypatch.setattr(auth, "CHECK_WAIT_SECONDS", 0.01)
    auth._checks.acquire()  # noqa: SLF001 - every slot taken, as by a burst of sign-ins
    try:
        answer = sign_in(client(), "canbo.k", factories.DEFAULT_PASSWORD)
    finally:
        auth._checks.release()  # noqa: SLF001
    assert answer.status_code == 503 and "Máy chủ đang bận, hãy thử lại sau ít phút." in answer.text
    assert signin.COOKIE not in _set_cookie(answer)
    assert session.scalars(select(SignInFailure)).all() == []
    assert sign_in(client(), "canbo.k", factories.DEFAULT_PASSWORD).status_code == 303
