"""Hoạt động: figures above the usual need an officer's tick; officers find outliers and delete many reports at once."""

from datetime import date, timedelta

from sqlalchemy import select

from db import activities, limits
from db.activities import ActivityInput
from db.auth import actor_of
from db.models import Activity, AuditEntry
from tests import factories
from tests.factories import count_rows
from tests.pages.conftest import button

HIGH = limits.PLAUSIBLE_REPORT["people_reached"] + 200


def _page(app, actor, tab: str | None = None):  # noqa: ANN001, ANN202
    at = app(actor).run()
    if tab:
        at.session_state["activities_tab"] = tab  # what a click on the tab sends
    at.switch_page("pages/activities_page.py").run()
    if not tab:  # the form opens on the village broadcast, whose bound is higher: report a help session
        at.selectbox(key="activities_type").select("public_service").run()
    return at


def test_a_volunteer_sees_no_tick_and_a_large_figure_is_refused_under_its_field(app, session):
    tree = factories.create_tree(session)
    team = factories.create_team(session, unit=tree.villages[0], established_on=date(2022, 7, 1), members=2)
    volunteer = actor_of(factories.create_user(session, role="volunteer", team=team, username="tnv.caps"))
    session.commit()
    at = _page(app, volunteer)
    assert not [c for c in at.checkbox if c.label == "Tôi đã kiểm tra: số liệu này đúng"]
    token = at.session_state["activities_token"]
    at.number_input(key=f"activities_people_{token}").set_value(HIGH)
    button(at, "Gửi báo cáo").click().run()
    (error,) = [e.value for e in at.error]
    assert "cao bất thường" in error and "cán bộ xã" in error
    assert count_rows(session, Activity) == 0


def test_an_officer_ticks_the_confirmation_and_the_large_report_is_stored_and_audited(app, session, world):
    team = factories.create_team(session, unit=world.tree.villages[0], established_on=date(2022, 7, 1))
    session.commit()
    at = _page(app, world.officer)
    token = at.session_state["activities_token"]
    at.number_input(key=f"activities_people_{token}").set_value(HIGH)
    button(at, "Gửi báo cáo").click().run()
    (error,) = [e.value for e in at.error]
    assert "Tôi đã kiểm tra: số liệu này đúng" in error
    assert count_rows(session, Activity) == 0
    at.checkbox(key=f"activities_confirm_{token}").check()
    button(at, "Gửi báo cáo").click().run()
    assert not at.error, [e.value for e in at.error]
    stored = session.scalars(select(Activity)).one()
    assert (stored.team_id, stored.people_reached) == (team.id, HIGH)
    audit = session.scalars(select(AuditEntry).where(AuditEntry.entity == "activities")).one()
    assert audit.after["confirmed_large"] == activities.CONFIRMED["confirmed_large"]


def test_an_officer_finds_the_outliers_first_and_deletes_the_chosen_after_confirming(app, session, world):
    tree = world.tree
    team = factories.create_team(session, unit=tree.villages[0], established_on=date(2022, 7, 1))
    other = factories.create_team(session, unit=tree.villages[1], established_on=date(2022, 7, 1))
    volunteer = actor_of(factories.create_user(session, role="volunteer", team=team, username="tnv.flood"))
    session.commit()
    day = date.today() - timedelta(days=2)
    normal = [activities.create_activity(session, actor=volunteer, data=ActivityInput(
        team_id=team.id, activity_date=day, activity_type="training", people_reached=10 + i)).id for i in range(3)]
    flood = [activities.create_activity(session, actor=world.officer, data=ActivityInput(
        team_id=team.id, activity_date=day, activity_type="training", people_reached=10_000 - i, confirmed_large=True)).id
        for i in range(2)]
    elsewhere = activities.create_activity(session, actor=world.officer, data=ActivityInput(
        team_id=other.id, activity_date=day, activity_type="training", people_reached=5)).id
    session.commit()

    at = _page(app, world.officer, "Rà soát báo cáo")
    assert not at.exception
    at.selectbox(key="activities_review_team").select(team.id).run()
    table = next(df.value for df in at.dataframe if "Người báo cáo" in df.value.columns)
    assert list(table["Người"]) == ["10.000", "9.999", "12", "11", "10"], "the largest first, only the chosen team"
    assert not [b for b in at.button if b.label.startswith("Xác nhận xóa")]
    at.multiselect(key="activities_review_pick_0").select(flood[0]).select(flood[1]).run()
    button(at, "Xóa các báo cáo đã chọn").click().run()
    assert count_rows(session, Activity) == 6, "nothing deleted before the confirmation"
    assert any("Xóa 2 báo cáo đã chọn?" in w.value for w in at.warning)
    button(at, "Xác nhận xóa 2 báo cáo").click().run()
    assert not at.error, [e.value for e in at.error]
    assert sorted(session.scalars(select(Activity.id))) == sorted([*normal, elsewhere])
    deleted = session.scalars(select(AuditEntry.entity_id).where(AuditEntry.entity == "activities",
                                                                  AuditEntry.action == "delete")).all()
    assert sorted(deleted) == sorted(flood)
    assert any(s.value.startswith("Đã xóa 2 báo cáo") for s in at.success)


def test_leaders_have_no_review_tab_and_officers_do(app, session, world):
    assert "Rà soát báo cáo" not in [t.label for t in _page(app, world.leader, "Theo địa bàn").tabs]
    assert "Rà soát báo cáo" in [t.label for t in _page(app, world.officer, "Báo cáo của tổ").tabs]
