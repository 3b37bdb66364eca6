"""Người dùng and Tài khoản: officers create volunteer accounts in their area; everyone changes their password."""

from datetime import date

from sqlalchemy import select

from db import auth
from db.auth import actor_of
from db.models import User
from tests import factories
from tests.pages.conftest import button


def test_officer_creates_a_volunteer_account_for_a_team_in_scope(app, session):
    tree = factories.create_tree(session)
    team = factories.create_team(session, unit=tree.villages[0], established_on=date(2022, 7, 1))
    officer = factories.create_user(session, role="officer", unit=tree.district, username="canbo.u")
    session.commit()
    at = app(actor_of(officer)).run()
    at.switch_page("pages/users_page.py").run()
    assert at.selectbox(key="users_new_role").options == ["Thành viên tổ", "Lãnh đạo"]
    at.selectbox(key="users_new_role").select("volunteer").run()
    at.selectbox(key="users_new_team_pick").select(team.id).run()
    at.text_input(key="users_new_username_0").input("tnv.moi")
    at.text_input(key="users_new_name_0").input("Võ Thị Diệu")
    at.text_input(key="users_new_password_0").input("ngan")
    button(at, "Tạo tài khoản").click().run()
    assert [e.value for e in at.error] == ["Mật khẩu cần ít nhất 10 ký tự."]
    assert session.scalar(select(User.id).where(User.username == "tnv.moi")) is None

    at.text_input(key="users_new_password_0").input("Mat-khau-tinh-nguyen-1")
    button(at, "Tạo tài khoản").click().run()
    assert not at.error
    session.expire_all()
    user = session.scalars(select(User).where(User.username == "tnv.moi")).one()
    assert (user.role, user.team_id, user.unit_id) == ("volunteer", team.id, tree.commune.id)


def test_officer_disables_an_account_and_it_can_no_longer_sign_in(app, session):
    tree = factories.create_tree(session)
    officer = factories.create_user(session, role="officer", unit=tree.district, username="canbo.v")
    leader = factories.create_user(session, role="leader", unit=tree.commune, username="lanhdao.v")
    session.commit()
    at = app(actor_of(officer)).run()
    at.switch_page("pages/users_page.py").run()
    at.selectbox(key="users_manage_pick").select(leader.id).run()
    at.button(key=f"users_toggle_{leader.id}").click().run()
    assert not at.error
    session.expire_all()
    assert session.get(User, leader.id).is_active is False
    try:
        auth.authenticate(session, username="lanhdao.v", password=factories.DEFAULT_PASSWORD)
    except auth.UserError as err:
        assert err.message == auth.BAD_CREDENTIALS
    else:
        raise AssertionError("a disabled account signed in")


def test_everyone_changes_their_own_password(app, session):
    tree = factories.create_tree(session)
    leader = factories.create_user(session, role="leader", unit=tree.district, username="lanhdao.w")
    session.commit()
    at = app(actor_of(leader)).run()
    at.switch_page("pages/account_page.py").run()
    at.text_input(key="account_current_0").input(factories.DEFAULT_PASSWORD)
    at.text_input(key="account_new_0").input("Mat-khau-moi-cua-toi")
    at.text_input(key="account_again_0").input("Mat-khau-moi-khac")
    button(at, "Đổi mật khẩu").click().run()
    assert [e.value for e in at.error] == ["Hai lần nhập mật khẩu mới không khớp."]
    at.text_input(key="account_again_0").input("Mat-khau-moi-cua-toi")
    button(at, "Đổi mật khẩu").click().run()
    assert not at.error
    session.expire_all()
    assert auth.authenticate(session, username="lanhdao.w", password="Mat-khau-moi-cua-toi").user_id == leader.id
