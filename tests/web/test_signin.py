"""Sign-in and sign-out by server routes: an HttpOnly cookie, same-origin POSTs only, the gate, every tab signed out."""

from sqlalchemy import select

from db.models import AuthSession, User
from tests import factories
from tests.web.conftest import ORIGIN, sign_in
from ui import signin


def _set_cookie(response) -> str:  # noqa: ANN001
    return "; ".join(response.headers.get_list("set-cookie"))


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
    tree = factories.create_tree(session)
    factories.create_user(session, role="officer", unit=tree.district, username="canbo.s")
    session.commit()
    answer = client().post("/dang-nhap", data={"username": "canbo.s", "password": factories.DEFAULT_PASSWORD},
                           headers={"Origin": ORIGIN, "X-Forwarded-Proto": "https"})
    assert "Secure" in _set_cookie(answer)


def test_a_wrong_password_is_refused_in_vietnamese_without_a_cookie(client, session):
    tree = factories.create_tree(session)
    factories.create_user(session, role="officer", unit=tree.district, username="canbo.b")
    session.commit()
    answer = sign_in(client(), "canbo.b", "sai-mat-khau-roi")
    assert answer.status_code == 401
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in answer.text
    assert 'value="canbo.b"' in answer.text, "the username typed is kept"
    assert signin.COOKIE not in _set_cookie(answer)
    session.expire_all()
    assert session.scalar(select(User.failed_logins).where(User.username == "canbo.b")) == 1


def test_a_post_from_another_site_is_refused_and_nothing_is_started(client, session):
    tree = factories.create_tree(session)
    factories.create_user(session, role="officer", unit=tree.district, username="canbo.c")
    session.commit()
    browser = client()
    foreign = browser.post("/dang-nhap", data={"username": "canbo.c", "password": factories.DEFAULT_PASSWORD},
                           headers={"Origin": "http://example.invalid"})
    assert foreign.status_code == 403 and signin.FOREIGN in foreign.text
    cross = browser.post("/dang-nhap", data={"username": "canbo.c", "password": factories.DEFAULT_PASSWORD},
                         headers={"Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 403
    assert session.scalars(select(AuthSession)).all() == []


def test_only_addresses_on_this_site_are_followed_after_signing_in():
    assert signin.safe_next("/reports?tu=2026-01-01") == "/reports?tu=2026-01-01"
    for hostile in ("//example.invalid/x", "https://example.invalid", "/\\example.invalid", "javascript:alert(1)", "", None,
                    "/x\nSet-Cookie: a=b"):
        assert signin.safe_next(hostile) == "/"


def test_the_gate_sends_a_page_without_sign_in_to_the_form_and_back(client, session):
    tree = factories.create_tree(session)
    factories.create_user(session, role="officer", unit=tree.district, username="canbo.d")
    session.commit()
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
    tree = factories.create_tree(session)
    factories.create_user(session, role="officer", unit=tree.district, username="canbo.e")
    session.commit()
    browser = client()
    sign_in(browser, "canbo.e", factories.DEFAULT_PASSWORD)
    token = browser.cookies[signin.COOKIE]
    assert signin.signed_in_actor(token) is not None
    out = browser.post("/dang-xuat", headers={"Origin": ORIGIN})
    assert out.status_code == 303 and out.headers["location"] == "/dang-nhap?next=/&ra=1"
    assert signin.COOKIE + '=""' in _set_cookie(out) or "Max-Age=0" in _set_cookie(out)
    assert signin.signed_in_actor(token) is None, "the stored sign-in is gone: every tab holding the cookie is out"
    assert "Bạn đã đăng xuất." in browser.get("/dang-nhap?ra=1").text


def test_a_link_from_another_site_does_not_sign_out(client, session):
    tree = factories.create_tree(session)
    factories.create_user(session, role="officer", unit=tree.district, username="canbo.f")
    session.commit()
    browser = client()
    sign_in(browser, "canbo.f", factories.DEFAULT_PASSWORD)
    token = browser.cookies[signin.COOKIE]
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
