"""Kiến nghị: a volunteer raises one; the officer above sees it on the overview and answers it."""

from datetime import date

from sqlalchemy import select

from db.auth import actor_of
from db.models import Recommendation
from tests import factories
from tests.pages.conftest import button


def test_raise_then_answer(app, session):
    tree = factories.create_tree(session)
    team = factories.create_team(session, unit=tree.villages[0], established_on=date(2022, 7, 1))
    volunteer = factories.create_user(session, role="volunteer", team=team, username="tnv.f")
    officer = factories.create_user(session, role="officer", unit=tree.district, username="canbo.f")
    session.commit()

    at = app(actor_of(volunteer)).run()
    at.switch_page("pages/feedback_page.py").run()
    at.text_area(key="feedback_text_0").input("   ")
    button(at, "Gửi kiến nghị").click().run()
    assert [e.value for e in at.error] == ["Nội dung không được để trống."]
    at.text_area(key="feedback_text_0").input("Cần thêm tài liệu hướng dẫn VNeID")
    button(at, "Gửi kiến nghị").click().run()
    assert not at.error
    session.expire_all()
    rec = session.scalars(select(Recommendation)).one()
    assert (rec.team_id, rec.status) == (team.id, "open")

    at = app(actor_of(officer)).run()
    assert any("Kiến nghị đang chờ bạn trả lời (1)" in s.value for s in at.subheader)
    at.switch_page("pages/feedback_page.py").run()
    at.text_area(key=f"feedback_answer_text_{rec.id}").input("Huyện sẽ gửi 200 bản hướng dẫn")
    at.radio(key=f"feedback_answer_status_{rec.id}").set_value("resolved")
    button(at, "Lưu trả lời").click().run()
    assert not at.error
    session.expire_all()
    rec = session.get(Recommendation, rec.id)
    assert (rec.status, rec.answer) == ("resolved", "Huyện sẽ gửi 200 bản hướng dẫn")
