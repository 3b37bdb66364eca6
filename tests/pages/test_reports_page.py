"""Báo cáo: the period in the address, targets set by an officer, and the two-level 2025 structure."""

from datetime import date

from sqlalchemy import select

from db import coverage, targets
from db.auth import actor_of
from db.models import Target, Unit
from db.text import fold
from db.units import insert_unit
from tests import factories
from tests.pages.conftest import button


def test_period_is_kept_in_the_address(app, session):
    tree = factories.create_tree(session)
    leader = factories.create_user(session, role="leader", unit=tree.district, username="lanhdao.r")
    session.commit()
    at = app(actor_of(leader))
    at.query_params.update({"ky": "year", "tu": "2024-01-01", "den": "2024-12-31"})
    at.run()
    at.switch_page("pages/reports_page.py").run()
    assert not at.exception
    assert at.radio(key="reports_period_kind").value == "year"
    assert at.selectbox(key="reports_period_year").value == "Năm 2024"
    at.radio(key="reports_period_kind").set_value("month").run()
    assert at.query_params["ky"] == "month"
    assert date.fromisoformat(at.query_params["tu"]).day == 1


def test_officer_sets_a_coverage_target(app, session):
    tree = factories.create_tree(session)
    officer = factories.create_user(session, role="officer", unit=tree.district, username="canbo.r")
    session.commit()
    at = app(actor_of(officer)).run()
    at.session_state["reports_tab"] = "Chỉ tiêu"  # what a click on the tab sends: only the open tab runs
    at.switch_page("pages/reports_page.py").run()
    at.number_input(key="reports_target_value").set_value(90.0)
    at.date_input(key="reports_target_due").set_value(date(2027, 6, 30))
    button(at, "Lưu chỉ tiêu").click().run()
    assert not at.error, [e.value for e in at.error]
    session.expire_all()
    target = session.scalars(select(Target)).one()
    assert (target.unit_id, target.kind, target.value, target.due_on) == (tree.district.id, "village_coverage", 0.9, date(2027, 6, 30))


def test_two_level_2025_structure_groups_a_province_by_its_communes(app, session):
    province = insert_unit(session, Unit(structure="2025", tier="province", level=1, kind="Thành phố", name="Thành phố Đà Nẵng",
                                         short_name="Đà Nẵng", search_name=fold("Thành phố Đà Nẵng"), code="48"))
    communes = [insert_unit(session, Unit(parent_id=province.id, structure="2025", tier="commune", level=2, kind="Xã",
                                          name=f"Xã {n}", short_name=n, search_name=fold(f"Xã {n}"))) for n in ("Núi Thành", "Tam Xuân")]
    villages = [insert_unit(session, Unit(parent_id=c.id, structure="2025", tier="village", level=3, kind="Thôn",
                                          name=f"Thôn {i}", short_name=str(i), search_name=fold(f"Thôn {i}")))
                for c in communes for i in (1, 2)]
    factories.create_team(session, unit=villages[0], established_on=date(2025, 8, 1))
    leader = factories.create_user(session, role="leader", unit=province, username="lanhdao.dn")
    session.commit()
    actor = actor_of(leader)
    children = coverage.fetch_coverage_by_child(session, actor=actor, unit_id=province.id)
    assert set(children["tier"]) == {"commune"} and list(children["villages"]) == [2, 2]
    progress = targets.fetch_child_progress(session, actor=actor, unit_id=province.id)
    assert sorted(progress["name"]) == sorted(c.name for c in communes)
    at = app(actor).run()
    at.session_state["reports_tab"] = "Tiến độ"
    at.switch_page("pages/reports_page.py").run()
    assert not at.exception
    names = set(at.dataframe[0].value["Địa bàn"])
    assert names == {c.name for c in communes}


def test_quarterly_people_target_shows_its_progress(app, session):
    from db import activities
    from db.activities import ActivityInput
    from db.auth import SYSTEM
    from ui import period

    tree = factories.create_tree(session)
    team = factories.create_team(session, unit=tree.villages[0], established_on=date(2022, 7, 1))
    officer = factories.create_user(session, role="officer", unit=tree.district, username="canbo.q")
    session.commit()
    today = date.today()
    q_start, q_end = period.quarter_bounds(today)
    targets.set_target(session, actor=SYSTEM, unit_id=tree.district.id, kind="people_quarter", value=200, due_on=q_end)
    activities.create_activity(session, actor=SYSTEM, data=ActivityInput(team_id=team.id, activity_date=q_start,
                                                                          activity_type="training", people_reached=50))
    session.commit()
    at = app(actor_of(officer)).run()
    at.session_state["reports_tab"] = "Hoạt động"
    at.switch_page("pages/reports_page.py").run()
    metric = next(m for m in at.metric if m.label.startswith("Lượt người được hỗ trợ, quý"))
    assert metric.value == "50 / 200"
