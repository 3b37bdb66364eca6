"""Độ phủ: the unit in the address, search that ignores diacritics, the villages still without a team."""

import re
from datetime import date

from db import coverage
from db.auth import actor_of
from tests import factories


def _coverage(app, actor, unit_id=None):  # noqa: ANN001, ANN202
    at = app(actor)
    if unit_id is not None:
        at.query_params["unit"] = str(unit_id)
    at.run()
    return at.switch_page("pages/coverage_page.py").run()


def test_a_commune_in_the_address_lists_its_uncovered_villages(app, session):
    tree = factories.create_tree(session)
    factories.create_team(session, unit=tree.villages[0])
    user = factories.create_user(session, role="officer", unit=tree.province, username="canbo.tinh2")
    session.commit()
    actor = actor_of(user)
    at = _coverage(app, actor, tree.commune.id)
    assert not at.exception
    expected = coverage.fetch_uncovered_villages(session, actor=actor, unit_id=tree.commune.id)
    table = at.dataframe[-1].value
    assert sorted(table["Thôn / khối phố"]) == sorted(expected["village"])
    assert tree.villages[0].name not in set(table["Thôn / khối phố"])
    # The breadcrumb leads back up to the account's own unit.
    crumbs = [b.label for b in at.button if b.key and b.key.startswith("coverage_nav_crumb_")]
    assert crumbs == [tree.province.name, tree.district.name, tree.commune.name]


def test_search_without_diacritics_jumps_to_the_unit(app, session):
    tree = factories.create_tree(session)
    user = factories.create_user(session, role="officer", unit=tree.province, username="canbo.tinh3")
    session.commit()
    at = _coverage(app, actor_of(user))
    folded = tree.commune.search_name.split(" ", 1)[1]  # "tam phuoc" for "Xã Tam Phước"
    at.text_input(key="coverage_nav_q_0").input(folded).run()
    assert at.selectbox(key="coverage_nav_hit").value == tree.commune.id
    at.button(key="coverage_nav_go").click().run()
    assert at.query_params["unit"] == str(tree.commune.id)
    assert f"{tree.commune.name} — đến" in " ".join(s.value for s in at.subheader)


def test_an_address_outside_the_scope_falls_back_to_the_own_unit(app, session):
    tree = factories.create_tree(session)
    user = factories.create_user(session, role="leader", unit=tree.district, username="lanhdao.huyen")
    session.commit()
    at = _coverage(app, actor_of(user), tree.commune2.id)
    assert any("ngoài phạm vi" in w.value for w in at.warning)
    assert f"{tree.district.name} — đến" in " ".join(s.value for s in at.subheader)
    other = tree.commune2.search_name.split(" ", 1)[1]
    at.text_input(key="coverage_nav_q_0").input(other).run()
    assert "Không tìm thấy địa bàn nào khớp trong phạm vi của bạn." in [i.value for i in at.info]


HOSTILE = "![](http://example.invalid/p.png) [Cổng dịch vụ công](http://example.invalid/login)"


def test_a_unit_name_is_shown_as_typed_never_as_a_link_or_an_image(app, session):
    """The breadcrumb's buttons and the sidebar's caption render names as Markdown: the name is escaped there.

    A commune named like a Markdown image and link would otherwise make every viewer's browser fetch the
    outside image and show a real link (issue 14).
    """
    tree = factories.create_tree(session)
    commune = factories.create_unit(session, parent=tree.district, tier="commune", kind="Xã", short=HOSTILE)
    user = factories.create_user(session, role="officer", unit=commune, username="canbo.xa.la")
    session.commit()
    at = _coverage(app, actor_of(user), commune.id)
    assert not at.exception
    crumb = next(b.label for b in at.button if b.key and b.key.startswith("coverage_nav_crumb_") and "Cổng" in b.label)
    captions = [c.value for c in at.sidebar.caption if "Cổng" in c.value]
    assert captions, "the sidebar names the account's unit"
    for shown in (crumb, *captions):
        assert not re.search(r"(?<!\\)\]\(|(?<!\\)!\[|https?://", shown), shown  # no Markdown link, image or autolink
        # and, unescaped (backslashes and the invisible joiners gone), it is the name as typed
        assert commune.name in shown.replace("\\", "").replace("\u2060", "")


def test_a_commune_shows_its_villages_with_their_teams_covered_or_not(app, session):
    """Clicking a commune's bar opens it: its "Theo địa bàn trực thuộc" tab lists every village, team or "Chưa có tổ"."""
    tree = factories.create_tree(session)
    factories.create_team(session, unit=tree.villages[0], members=4, name="Tổ CNSCĐ thôn Phú Mỹ")
    factories.create_team(session, unit=tree.villages[2], members=2, closed_on=date(2023, 3, 1))  # closed: not counted
    user = factories.create_user(session, role="leader", unit=tree.district, username="lanhdao.villages")
    session.commit()
    actor = actor_of(user)
    at = _coverage(app, actor, tree.commune.id)
    assert not at.exception
    expected = coverage.fetch_village_teams(session, actor=actor, commune_id=tree.commune.id)
    table = next(d.value for d in at.dataframe if "Thôn, khối phố" in d.value.columns)
    assert list(table["Thôn, khối phố"]) == list(expected["name"])
    assert sorted(expected["name"]) == sorted(v.name for v in tree.villages)  # covered or not, every village
    teams = dict(zip(table["Thôn, khối phố"], table["Tổ CNSCĐ"], strict=True))
    shown = dict(zip(expected["name"], expected["team_name"].where(expected["team_id"].notna(), "Chưa có tổ"), strict=True))
    assert teams == shown
    assert teams[tree.villages[0].name] == "Tổ CNSCĐ thôn Phú Mỹ" and teams[tree.villages[2].name] == "Chưa có tổ"
    members = dict(zip(table["Thôn, khối phố"], table["Thành viên đang hoạt động"], strict=True))
    assert members[tree.villages[0].name] == str(int(expected.loc[expected["name"] == tree.villages[0].name, "members"].iloc[0]))
    assert [b.label for b in at.download_button if b.key == "coverage_villages_export"] == ["Tải Excel"]
    # The breadcrumb leads back to the district.
    crumbs = [b.label for b in at.button if b.key and b.key.startswith("coverage_nav_crumb_")]
    assert crumbs == [tree.district.name, tree.commune.name]


def test_only_the_open_tab_is_drawn_and_the_map_tab_shows_the_communes(app, session):
    """The map (the page's dearest chart) is built only when its tab is open; opened, it names what it draws."""
    tree = factories.create_tree(session)
    factories.create_team(session, unit=tree.villages[0])
    tree.commune.lat, tree.commune.lon = 15.52, 108.49  # the factory's units have no position; the map needs one
    user = factories.create_user(session, role="leader", unit=tree.district, username="lanhdao.map")
    session.commit()
    actor = actor_of(user)
    at = _coverage(app, actor, tree.district.id)
    assert not at.exception
    captions = " ".join(c.value for c in at.caption)
    assert "Bấm vào một cột" in captions and "Mỗi điểm là một xã" not in captions
    at.session_state["coverage_tab"] = "Bản đồ"  # what a click on the tab sends
    at.run()
    assert not at.exception
    captions = " ".join(c.value for c in at.caption)
    assert "Mỗi điểm là một xã" in captions and "Bấm vào một cột" not in captions
