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
    assert [e.value for e in at.error] == ["Tệp này không phải ảnh JPEG, PNG hoặc WebP hợp lệ."]
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


def test_a_leader_sees_the_units_activity_full_width_without_the_report_form(app, session, world):
    """A leader reports nothing: the page opens on their unit (Huyện Phú Ninh), by commune and by month, no form."""
    tree = world.tree
    officer = world.officer
    near = factories.create_team(session, unit=tree.villages[0], established_on=date(2022, 7, 1))
    commune_team = factories.create_team(session, unit=tree.commune, established_on=date(2022, 7, 1))
    session.commit()
    today = date.today()
    for team, days, people, kind in ((near, 3, 20, "training"), (near, 40, 15, "cashless"), (commune_team, 10, 7, "training")):
        activities.create_activity(session, actor=officer, data=activities.ActivityInput(
            team_id=team.id, activity_date=today - timedelta(days=days), activity_type=kind, people_reached=people))
    session.commit()
    at = app(world.leader).run()
    at.switch_page("pages/activities_page.py").run()
    assert not at.exception
    assert not [b for b in at.button if b.label == "Gửi báo cáo"] and "Báo cáo nhanh" not in [s.value for s in at.subheader]
    charts = at.get("vega_lite_chart")
    assert len(charts) == 2, "the children's bars and the months"
    assert at.columns and all(not column.get("vega_lite_chart") for column in at.columns), "no chart in a narrow column"
    start = (today.replace(day=1) - timedelta(days=365)).replace(day=1)
    expected = activities.fetch_activity_by_child(session, actor=world.leader, unit_id=tree.district.id, start=start, end=today)
    months = activities.fetch_unit_activity_by_month(session, actor=world.leader, unit_id=tree.district.id, start=start, end=today)
    table = next(df.value for df in at.dataframe if "Số báo cáo" in df.value.columns)
    assert list(table["Địa bàn"]) == list(expected["name"])
    assert list(table["Số báo cáo"]) == [str(n) for n in expected["reports"]]
    assert list(table["Lượt người được hỗ trợ"]) == [str(n) for n in expected["people_reached"]]
    assert dict(zip(expected["name"], expected["reports"], strict=True))[tree.commune.name] == 3
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Số báo cáo"] == str(int(months["reports"].sum())) == str(int(expected["reports"].sum()))
    assert metrics["Lượt người được hỗ trợ"] == str(int(expected["people_reached"].sum())) == "42"
    # Inside the commune, the villages and the commune's own team add up to the commune's figures.
    in_commune = activities.fetch_activity_by_child(session, actor=world.leader, unit_id=tree.commune.id, start=start, end=today)
    assert int(in_commune["reports"].sum()) == 3
    assert activities.COMMUNE_TEAM_ROW in set(in_commune["name"])


def test_officers_keep_the_form_first_and_find_the_unit_view_in_its_tab(app, session, world):
    team = factories.create_team(session, unit=world.tree.villages[0], established_on=date(2022, 7, 1))
    session.commit()
    activities.create_activity(session, actor=world.officer, data=activities.ActivityInput(
        team_id=team.id, activity_date=date.today() - timedelta(days=2), activity_type="training", people_reached=9))
    session.commit()
    at = app(world.officer).run()
    at.switch_page("pages/activities_page.py").run()
    assert "Báo cáo nhanh" in [s.value for s in at.subheader]  # the officer's first tab: the form, as before
    at.session_state["activities_tab"] = "Theo địa bàn"
    at.run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["Lượt người được hỗ trợ"] == "9"
    # A leader's "Theo tổ" tab shows a team's charts without the form.
    leader = app(world.leader).run()
    leader.session_state["activities_tab"] = "Theo tổ"
    leader.switch_page("pages/activities_page.py").run()
    assert not leader.exception
    assert "Báo cáo nhanh" not in [s.value for s in leader.subheader]
    assert "Báo cáo gần đây" in [s.value for s in leader.subheader]


def test_recent_reports_show_the_stored_thumbnail_not_the_photo(app, session, tmp_path, monkeypatch):
    """The page shows the thumbnail made at upload: with the photo itself gone it still shows (before, it decoded
    the full photo on every run, and showed "Ảnh không còn" once that file was gone)."""
    import io

    from PIL import Image

    from db import photos

    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    tree = factories.create_tree(session)
    team = factories.create_team(session, unit=tree.villages[0], established_on=date(2022, 7, 1), members=2)
    user = factories.create_user(session, role="volunteer", team=team, username="tnv.p")
    session.commit()
    buf = io.BytesIO()
    Image.new("RGB", (1600, 1200), (200, 30, 30)).save(buf, format="JPEG")
    report = activities.create_activity(session, actor=actor_of(user), data=activities.ActivityInput(
        team_id=team.id, activity_date=date.today() - timedelta(days=1), activity_type="training", photo=buf.getvalue()))
    session.commit()
    (tmp_path / "photos" / report.photo).unlink()
    at = app(actor_of(user)).run()
    at.switch_page("pages/activities_page.py").run()
    assert not at.exception
    assert not [c.value for c in at.caption if "Ảnh không còn" in c.value]
    images = [caption for element in at.get("image") for caption in element.captions]
    assert len(images) == 1 and images[0].startswith(f"{report.activity_date:%d/%m/%Y} · ")
    assert (tmp_path / "photos" / photos.thumb_name(report.photo)).is_file()
