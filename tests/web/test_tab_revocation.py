"""An open Streamlit tab whose account was disabled or whose password was replaced is sent to sign in again at its next write."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from db import auth
from db.auth import actor_of
from db.transactions import SignedOut, run_write
from tests import factories
from ui import data

APP = str(Path(__file__).resolve().parents[2] / "app.py")


@pytest.mark.parametrize("revoke", ["disable", "reset"])
def test_a_tab_read_before_the_revocation_is_signed_out_at_its_next_write(engine, session, revoke):  # noqa: ANN001
    data.forget()
    tree = factories.create_tree(session)
    user = factories.create_user(session, role="leader", unit=tree.district, username="lanhdao.tab")
    officer = factories.officer_of(session, tree.district, username="canbo.tab")
    session.commit()
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["auth_actor"] = actor_of(user)  # the tab signed in before the officer's action
    at.switch_page("pages/account_page.py").run()
    assert not at.exception and "Tài khoản của tôi" in [t.value for t in at.title]
    if revoke == "disable":
        run_write(auth.set_user_active, actor=officer, user_id=user.id, active=False)
    else:
        run_write(auth.reset_password, actor=officer, user_id=user.id, new_password="Mat-khau-moi-2026")
    at.text_input(key="account_current_0").input(factories.DEFAULT_PASSWORD)
    at.text_input(key="account_new_0").input("Mat-khau-khac-2026")
    at.text_input(key="account_again_0").input("Mat-khau-khac-2026")
    next(b for b in at.button if b.label == "Đổi mật khẩu").click().run()
    assert not at.exception
    assert "auth_actor" not in at.session_state, "the tab is signed out"
    assert at.session_state["auth_notice"] == SignedOut().message, "the frame's sign-in form says why"
    # The frame's next run sends the browser to the server's sign-out (it clears the cookie), then to the sign-in form.
    assert at.session_state["auth_navigate"].startswith("/dang-xuat?het=1")
