"""Độ phủ: any unit's children, down to the villages still without a team."""

from db import queries
from db.auth import actor_of
from tests import factories


def test_cascade_to_a_commune_lists_its_uncovered_villages(app, session):
    tree = factories.create_tree(session)
    factories.create_team(session, unit=tree.villages[0])
    user = factories.create_user(session, role="officer", unit=tree.province, username="canbo.tinh2")
    session.commit()
    actor = actor_of(user)
    at = app(actor).run()
    at.switch_page("pages/coverage_page.py").run()
    at.selectbox(key=f"coverage_unit_0_{tree.province.id}").select(tree.district.id).run()
    at.selectbox(key=f"coverage_unit_1_{tree.district.id}").select(tree.commune.id).run()
    assert not at.exception
    expected = queries.fetch_uncovered_villages(session, actor=actor, unit_id=tree.commune.id)
    table = at.dataframe[-1].value
    assert sorted(table["Thôn / khối phố"]) == sorted(expected["village"])
    assert tree.villages[0].name not in set(table["Thôn / khối phố"])


def test_search_without_diacritics_picks_the_unit(app, session):
    tree = factories.create_tree(session)
    user = factories.create_user(session, role="officer", unit=tree.province, username="canbo.tinh3")
    session.commit()
    at = app(actor_of(user)).run()
    at.switch_page("pages/coverage_page.py").run()
    folded = tree.commune.search_name.split(" ", 1)[1]  # "tam phuoc" for "Xã Tam Phước"
    at.text_input(key="coverage_unit_q").input(folded).run()
    hit = at.selectbox(key="coverage_unit_hit")
    assert hit.value == tree.commune.id
    assert f"{tree.commune.name} — đến" in " ".join(s.value for s in at.subheader)


def test_leader_cannot_pick_outside_their_scope(app, session):
    tree = factories.create_tree(session)
    user = factories.create_user(session, role="leader", unit=tree.district, username="lanhdao.huyen")
    session.commit()
    at = app(actor_of(user)).run()
    at.switch_page("pages/coverage_page.py").run()
    other = tree.commune2.search_name.split(" ", 1)[1]
    at.text_input(key="coverage_unit_q").input(other).run()
    assert "Không tìm thấy địa bàn nào khớp trong phạm vi của bạn." in [i.value for i in at.info]
