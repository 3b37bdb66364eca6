"""Hoạt động: the quick report through the page, its bad input, and the officer's silent-team list."""

from datetime import date, timedelta

from sqlalchemy import select

from db import activities
from db.auth import actor_of
from db.models import Activity
from tests import factories
from tests.factories import count_rows
from tests.pages.conftest import button


def _volunteer_page(app, session):  # noqa: ANN001, ANN202
    tree = factories.create_tree(session)
    team = factories.create_team(session, unit=tree.villages[0], established_on=date(2022, 7, 1), members=2)
    user = factories.create_user(session, role="volunteer", team=team, username="tnv.p")
    session.commit()
    at = app(actor_of(user)).run()
    at.switch_page("pages/activities_page.py").run()
    return at, team


def test_volunteer_reports_and_the_team_chart_counts_it(app, session):
    at, team = _volunteer_page(app, session)
    assert not at.exception
    token = at.session_state["activities_token"]
    at.selectbox(key="activities_type").select("door_to_door").run()
    assert at.number_input(key=f"activities_results_{token}").label == "Số hộ đã đến"
    at.number_input(key=f"activities_people_{token}").set_value(25)
    at.number_input(key=f"activities_results_{token}").set_value(12)
    button(at, "Gửi báo cáo").click().run()
    assert not at.error, [e.value for e in at.error]
    assert count_rows(session, Activity) == 1
    stored = session.scalars(select(Activity)).one()
    assert (stored.activity_type, stored.people_reached, stored.results, stored.form_token) == ("door_to_door", 25, 12, token)
    assert at.session_state["activities_token"] != token  # the next report is a new form
    assert any("12 tháng qua: 1 báo cáo, 25 lượt người" in c.value for c in at.caption)


def test_the_same_form_sent_twice_makes_one_report(app, session):
    at, team = _volunteer_page(app, session)
    token = at.session_state["activities_token"]
    at.number_input(key=f"activities_people_{token}").set_value(7)
    button(at, "Gửi báo cáo").click().run()
    # A resend after a dropped connection carries the same token.
    at.session_state["activities_token"] = token
    at.run()
    at.number_input(key=f"activities_people_{token}").set_value(7)
    button(at, "Gửi báo cáo").click().run()
    assert count_rows(session, Activity) == 1


def test_a_renamed_non_image_is_refused_next_to_the_photo_field(app, session, tmp_path, monkeypatch):
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    at, team = _volunteer_page(app, session)
    token = at.session_state["activities_token"]
    at.file_uploader(key=f"activities_photo_{token}").set_value(("anh.jpg", b"%PDF-1.7 this is not a photo", "image/jpeg"))
    button(at, "Gửi báo cáo").click().run()
    assert [e.value for e in at.error] == ["Tệp này không phải ảnh JPEG hoặc PNG hợp lệ."]
    assert count_rows(session, Activity) == 0
    assert not (tmp_path / "photos").exists() or not any((tmp_path / "photos").iterdir())


def test_officer_sees_the_silent_teams_of_the_period(app, session):
    tree = factories.create_tree(session)
    busy = factories.create_team(session, unit=tree.villages[0], established_on=date(2022, 7, 1))
    quiet = factories.create_team(session, unit=tree.villages[1], established_on=date(2022, 7, 1))
    officer = factories.create_user(session, role="officer", unit=tree.district, username="canbo.p")
    session.commit()
    actor = actor_of(officer)
    activities.create_activity(session, actor=actor, data=activities.ActivityInput(
        team_id=busy.id, activity_date=date.today() - timedelta(days=3), activity_type="training", people_reached=20))
    session.commit()
    at = app(actor).run()
    at.session_state["activities_tab"] = "Tình hình báo cáo"  # what a click on the tab sends
    at.switch_page("pages/activities_page.py").run()
    silent_tables = [df.value for df in at.dataframe if "Báo cáo gần nhất" in df.value.columns]
    assert len(silent_tables) == 1
    assert list(silent_tables[0]["Tổ"]) == [quiet.name]
    assert {m.label: m.value for m in at.metric}["Tổ chưa báo cáo"] == "1"
