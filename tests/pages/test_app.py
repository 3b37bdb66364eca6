"""The frame: sign-in, the role's page list, typed addresses outside the role, sign-out."""

from datetime import datetime, timedelta

from sqlalchemy import delete, select

from db.auth import BAD_CREDENTIALS, actor_of
from db.models import AuthSession
from tests import factories
from tests.pages.conftest import open_address, texts
from ui.session import TOUCH_EVERY


def _link_labels(at) -> list[str]:  # noqa: ANN001
    """Labels of the sidebar page links (AppTest has no typed accessor for st.page_link)."""
    return [node.proto.label for node in at.sidebar.children.values() if node.type == "page_link"]


def _signed_in_officer(app, session, username: str):  # noqa: ANN001, ANN202
    """The tree, and an app signed in through the form as an officer of its district."""
    tree = factories.create_tree(session)
    factories.create_user(session, role="officer", unit=tree.district, username=username, password="Mat-khau-dai-2022")
    session.commit()
    at = app().run()
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input("Mat-khau-dai-2022")
    at.button[0].click().run()
    return tree, at


def test_wrong_password_is_refused_in_vietnamese(app, session):
    tree = factories.create_tree(session)
    factories.create_user(session, role="officer", unit=tree.district, username="canbo.a")
    session.commit()
    at = app().run()
    at.text_input(key="login_username").input("canbo.a")
    at.text_input(key="login_password").input("sai-mat-khau-roi")
    at.button[0].click().run()
    assert [e.value for e in at.error] == [BAD_CREDENTIALS]
    assert "auth_actor" not in at.session_state


def test_sign_in_then_overview_then_sign_out(app, session):
    tree, at = _signed_in_officer(app, session, "canbo.b")
    assert not at.exception
    assert at.session_state["auth_actor"].username == "canbo.b"
    at.run()
    assert tree.district.name in texts(at)
    at.button(key="app_sign_out").click().run()
    assert "auth_actor" not in at.session_state
    assert at.text_input(key="login_username") is not None


def test_volunteer_sees_their_pages_only(app, session):
    tree = factories.create_tree(session)
    team = factories.create_team(session, unit=tree.villages[0], members=2)
    user = factories.create_user(session, role="volunteer", team=team, username="tnv.a")
    session.commit()
    at = app(actor_of(user)).run()
    assert not at.exception
    assert _link_labels(at) == ["Tổng quan", "Hoạt động", "Kiến nghị", "Tài khoản"]


def test_officer_sees_the_registry_pages(app, session):
    tree = factories.create_tree(session)
    user = factories.create_user(session, role="officer", unit=tree.district, username="canbo.c")
    session.commit()
    at = app(actor_of(user)).run()
    assert _link_labels(at) == ["Tổng quan", "Độ phủ", "Tổ CNSCĐ", "Hoạt động", "Kiến nghị", "Báo cáo", "Địa bàn",
                                "Người dùng", "Tài khoản"]


def test_typed_address_outside_the_role_answers_not_found(app, session):
    tree = factories.create_tree(session)
    user = factories.create_user(session, role="leader", unit=tree.province, username="lanhdao.a")
    session.commit()
    at = open_address(app(actor_of(user)).run(), "teams")
    assert [t.value for t in at.title] == ["Không tìm thấy trang"]
    assert not at.text_input  # nothing of the registry was rendered


def test_an_unexpected_error_is_a_vietnamese_message_and_logged(app, session, monkeypatch, caplog):
    from ui import panels
    from ui.guard import UNEXPECTED

    def broken(*_args, **_kwargs):  # noqa: ANN002, ANN003, ANN202
        raise RuntimeError("lỗi thử nghiệm")

    tree = factories.create_tree(session)
    user = factories.create_user(session, role="officer", unit=tree.district, username="canbo.loi")
    session.commit()
    monkeypatch.setattr(panels, "indicator_cards", broken)
    at = app(actor_of(user)).run()
    assert not at.exception
    assert [e.value for e in at.error] == [UNEXPECTED]
    assert "lỗi thử nghiệm" not in texts(at) and "RuntimeError" not in texts(at)
    logged = [r for r in caplog.records if r.name == "ui.guard"]
    assert logged and logged[0].exc_info[0] is RuntimeError, "the details go to the server log"
    caplog.clear()


def test_an_open_tab_signed_out_elsewhere_is_signed_out_at_its_next_action(app, session):
    tree, at = _signed_in_officer(app, session, "canbo.c")
    at.run()
    assert tree.district.name in texts(at)
    # "Đăng xuất" in another tab of the browser, possibly through another app server, deletes the stored sign-in.
    session.execute(delete(AuthSession))
    session.commit()
    at.run()  # the next action of the open tab
    assert "auth_actor" not in at.session_state
    assert [w.value for w in at.warning] == ["Phiên đăng nhập đã kết thúc; vui lòng đăng nhập lại."]


def test_a_tab_in_use_records_its_use_every_few_minutes_only(app, session):
    _tree, at = _signed_in_officer(app, session, "canbo.t")
    at.run()
    seen = session.scalar(select(AuthSession.last_seen_at))
    at.run()
    session.expire_all()
    assert session.scalar(select(AuthSession.last_seen_at)) == seen, "a click reads the sign-in, it does not write it"
    at.session_state["auth_touched"] = datetime.now() - TOUCH_EVERY - timedelta(seconds=1)
    at.run()
    session.expire_all()
    assert session.scalar(select(AuthSession.last_seen_at)) > seen, "after a few minutes the use is recorded"


def test_signing_in_in_the_frame_hands_the_sign_in_to_the_server_for_its_cookie(app, session):
    from ui import signin

    _tree, at = _signed_in_officer(app, session, "canbo.h")
    scripts = [h.proto.body for h in at.get("html") if signin.HANDOFF in h.proto.body]
    assert len(scripts) == 1, "the browser is sent to exchange a one-time code for the HttpOnly cookie"
    code = scripts[0].split("ma=", 1)[1].split("&", 1)[0]
    token, device = signin._take_handoff(code)
    assert token == at.session_state["auth_token"]
    assert device and device.startswith(f"{at.session_state['auth_actor'].user_id}."), "and the known-browser cookie"
