"""Tổ CNSCĐ: register a team for an uncovered village, members, edit and close; bad input."""

from datetime import date

import pytest
from sqlalchemy import select

from db import coverage
from db.auth import actor_of
from db.models import Member, Team
from tests import factories
from tests.factories import count_rows
from tests.pages.conftest import button


def _officer(session, unit, username="canbo.dk"):  # noqa: ANN001, ANN202
    user = factories.create_user(session, role="officer", unit=unit, username=username)
    session.commit()
    return actor_of(user)


def _teams_page(app, actor, tab: str | None = None):  # noqa: ANN001, ANN202
    """The page with a tab open: only the open tab runs, as after a click on it (on_change="rerun")."""
    at = app(actor).run()
    if tab is not None:
        at.session_state["teams_tab"] = tab
    return at.switch_page("pages/teams_page.py").run()


def _pick_village_by_search(at, village):  # noqa: ANN001, ANN202
    at.text_input(key="teams_new_unit_q").input(village.search_name).run()
    at.selectbox(key="teams_new_unit_hit").select(village.id).run()
    return at


def test_register_team_for_uncovered_village_updates_coverage(app, session):
    tree = factories.create_tree(session)
    actor = _officer(session, tree.district)
    village = tree.villages[2]
    before = coverage.fetch_indicators(session, actor=actor, unit_id=tree.district.id)
    at = _pick_village_by_search(_teams_page(app, actor, tab="Đăng ký tổ mới"), village)
    at.text_input(key=f"teams_new_name_{village.id}_0").input("Tổ CNSCĐ thôn thử nghiệm")
    at.text_input(key="teams_new_decision_0").input("125/QĐ-UBND")
    button(at, "Đăng ký tổ").click().run()
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    assert any("Đã đăng ký “Tổ CNSCĐ thôn thử nghiệm”" in s.value for s in at.success)
    session.expire_all()
    team = session.scalars(select(Team).where(Team.unit_id == village.id)).one()
    assert (team.name, team.decision_no, team.established_on) == ("Tổ CNSCĐ thôn thử nghiệm", "125/QĐ-UBND", date.today())
    after = coverage.fetch_indicators(session, actor=actor, unit_id=tree.district.id)
    assert after.villages_covered == before.villages_covered + 1


def test_empty_name_is_refused_next_to_the_field_and_nothing_is_written(app, session):
    tree = factories.create_tree(session)
    actor = _officer(session, tree.district)
    village = tree.villages[1]
    at = _pick_village_by_search(_teams_page(app, actor, tab="Đăng ký tổ mới"), village)
    at.text_input(key=f"teams_new_name_{village.id}_0").input("   ")
    button(at, "Đăng ký tổ").click().run()
    assert [e.value for e in at.error] == ["Tên tổ không được để trống."]
    assert count_rows(session, Team) == 0


def test_second_active_team_on_a_village_is_refused(app, session):
    tree = factories.create_tree(session)
    existing = factories.create_team(session, unit=tree.villages[0], name="Tổ đang có")
    actor = _officer(session, tree.district)
    at = _pick_village_by_search(_teams_page(app, actor, tab="Đăng ký tổ mới"), tree.villages[0])
    button(at, "Đăng ký tổ").click().run()
    assert len(at.error) == 1 and existing.name in at.error[0].value
    assert count_rows(session, Team) == 1


def test_add_member_and_refuse_a_bad_phone(app, session):
    tree = factories.create_tree(session)
    team = factories.create_team(session, unit=tree.villages[0], name="Tổ thôn A")
    actor = _officer(session, tree.district)
    at = _teams_page(app, actor, tab="Thành viên")
    at.selectbox(key="teams_members_pick").select(team.id).run()
    at.text_input(key="teams_member_name_0").input("Nguyễn Thị Hoa")
    at.text_input(key="teams_member_phone_0").input("12345")
    button(at, "Thêm thành viên").click().run()
    assert len(at.error) == 1 and "Số điện thoại" in at.error[0].value
    assert count_rows(session, Member) == 0

    at.text_input(key="teams_member_phone_0").input("+84 905.123.456")
    at.selectbox(key="teams_member_role_0").select("leader")
    button(at, "Thêm thành viên").click().run()
    assert not at.error
    session.expire_all()
    member = session.scalars(select(Member)).one()
    assert (member.full_name, member.phone, member.role) == ("Nguyễn Thị Hoa", "0905123456", "leader")


def test_close_team_needs_confirmation_then_stops_it(app, session):
    tree = factories.create_tree(session)
    team = factories.create_team(session, unit=tree.villages[0], established_on=date(2022, 7, 1), members=2)
    actor = _officer(session, tree.district)
    at = _teams_page(app, actor, tab="Sửa / ngừng hoạt động")
    at.selectbox(key="teams_edit_pick").select(team.id).run()
    at.date_input(key=f"teams_close_date_{team.id}").set_value(date(2024, 3, 31))
    button(at, "Ngừng hoạt động tổ").click().run()
    assert [e.value for e in at.error] == ["Hãy đánh dấu ô xác nhận trước khi ngừng hoạt động tổ."]
    session.expire_all()
    assert session.get(Team, team.id).closed_on is None

    at.checkbox(key=f"teams_close_confirm_{team.id}").check()
    button(at, "Ngừng hoạt động tổ").click().run()
    assert not at.error
    session.expire_all()
    assert session.get(Team, team.id).closed_on == date(2024, 3, 31)
    covered = coverage.fetch_indicators(session, actor=actor, unit_id=tree.district.id, as_of=date(2024, 3, 30))
    stopped = coverage.fetch_indicators(session, actor=actor, unit_id=tree.district.id, as_of=date(2024, 3, 31))
    assert covered.villages_covered == stopped.villages_covered + 1


def test_edit_team_name(app, session):
    tree = factories.create_tree(session)
    team = factories.create_team(session, unit=tree.villages[0], name="Tên cũ")
    actor = _officer(session, tree.district)
    at = _teams_page(app, actor, tab="Sửa / ngừng hoạt động")
    at.selectbox(key="teams_edit_pick").select(team.id).run()
    at.text_input(key=f"teams_edit_name_{team.id}").input("Tên mới của tổ")
    button(at, "Lưu thay đổi").click().run()
    assert not at.error
    session.expire_all()
    assert session.get(Team, team.id).name == "Tên mới của tổ"


def test_leader_cannot_reach_the_registry(app, session):
    tree = factories.create_tree(session)
    user = factories.create_user(session, role="leader", unit=tree.district, username="lanhdao.dk")
    session.commit()
    at = app(actor_of(user)).run()
    # The registry file is not among a leader's pages, so AppTest cannot even switch to it.
    with pytest.raises(ValueError):
        at.switch_page("pages/teams_page.py")


def _open_tab(at) -> str:  # noqa: ANN001
    """The label of the tab the browser shows: the one the tab container sends as its default."""
    containers = [node for node in _walk(at._tree) if getattr(node, "type", None) == "tab_container"]  # noqa: SLF001
    assert len(containers) == 1
    tabs = list(containers[0].children.values())
    return tabs[containers[0].proto.tab_container.default_tab_index].label


def _walk(node):  # noqa: ANN001, ANN202
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _walk(child)


def test_the_open_tab_stays_open_after_a_write_and_its_message(app, session):
    tree = factories.create_tree(session)
    team = factories.create_team(session, unit=tree.villages[0], name="Tổ thôn A")
    actor = _officer(session, tree.district)
    at = _teams_page(app, actor)
    assert _open_tab(at) == "Danh sách tổ"
    at.session_state["teams_tab"] = "Đăng ký tổ mới"  # what a click on the tab sends (on_change="rerun")
    at = _pick_village_by_search(at.run(), tree.villages[2])
    assert _open_tab(at) == "Đăng ký tổ mới"
    button(at, "Đăng ký tổ").click().run()
    assert at.success and "Đã đăng ký" in at.success[0].value  # the message above the tabs…
    assert _open_tab(at) == "Đăng ký tổ mới"  # …does not send the user back to the first tab
    at.run()
    assert not at.success and _open_tab(at) == "Đăng ký tổ mới"  # nor does its going away

    at.session_state["teams_tab"] = "Thành viên"
    at.run().selectbox(key="teams_members_pick").select(team.id).run()
    for n, name in enumerate(["Nguyễn Thị Hoa", "Trần Văn Bình"]):
        at.text_input(key=f"teams_member_name_{n}").input(name)
        button(at, "Thêm thành viên").click().run()
        assert len(at.success) == 1 and f"Đã thêm {name}" in at.success[0].value
        assert _open_tab(at) == "Thành viên"
        assert at.selectbox(key="teams_members_pick").value == team.id, "the picked team stays"
    assert count_rows(session, Member) == 2
