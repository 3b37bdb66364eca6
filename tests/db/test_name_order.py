"""Lists of names come back in Vietnamese order, not in the database's byte order ("Đ" after "Z" there)."""

from datetime import date

import pytest

from db import coverage, reporting, teams, units
from db.auth import SYSTEM
from tests import factories


@pytest.fixture
def named(session):  # noqa: ANN001, ANN201
    """Tỉnh Quảng Nam with Huyện Đại Lộc beside the tree's districts, and villages whose byte order is wrong."""
    tree = factories.create_tree(session)
    dai_loc = factories.create_unit(session, parent=tree.province, tier="district", kind="Huyện", short="Đại Lộc")
    commune = factories.create_unit(session, parent=dai_loc, tier="commune", kind="Xã", short="Đại Hiệp")
    villages = {short: factories.create_unit(session, parent=commune, tier="village", kind="Thôn", short=short)
                for short in ("Tây", "10", "Đông", "2", "An")}
    for short in ("Tây", "Đông"):
        factories.create_team(session, unit=villages[short], established_on=date(2022, 7, 1))
    factories.create_team(session, unit=tree.villages[0], established_on=date(2022, 7, 1))
    session.commit()
    return tree, commune


def test_children_coverage_and_reporting_by_vietnamese_name(session, named):  # noqa: ANN001
    tree, _ = named
    expected = ["Huyện Đại Lộc", "Huyện Núi Thành", "Huyện Phú Ninh"]
    assert list(units.fetch_children(session, actor=SYSTEM, parent_id=tree.province.id)["name"]) == expected
    by_child = coverage.fetch_coverage_by_child(session, actor=SYSTEM, unit_id=tree.province.id)
    assert list(by_child["name"]) == expected
    assert list(by_child.index) == [0, 1, 2]
    start, end = reporting.period_of(date.today())
    rates = reporting.fetch_reporting_by_child(session, actor=SYSTEM, unit_id=tree.province.id, start=start, end=end)
    assert list(rates["name"]) == ["Huyện Đại Lộc", "Huyện Phú Ninh"]  # Núi Thành has no team


def test_villages_with_numbers_and_đ(session, named):  # noqa: ANN001
    _, commune = named
    shown = units.fetch_villages(session, actor=SYSTEM, commune_id=commune.id)
    assert list(shown["name"]) == ["Thôn 2", "Thôn 10", "Thôn An", "Thôn Đông", "Thôn Tây"]
    missing = coverage.fetch_uncovered_villages(session, actor=SYSTEM, unit_id=commune.id)
    assert list(missing["village"]) == ["Thôn 2", "Thôn 10", "Thôn An"]


def test_team_list_and_search_in_vietnamese_order(session, named):  # noqa: ANN001
    tree, commune = named
    listed = teams.fetch_teams(session, actor=SYSTEM, unit_id=tree.province.id)
    assert list(zip(listed["parent"], listed["unit"], strict=True)) == [
        ("Xã Đại Hiệp", "Thôn Đông"), ("Xã Đại Hiệp", "Thôn Tây"), ("Xã Tam Phước", tree.villages[0].name)]
    found = units.search_units(session, actor=SYSTEM, query="thon", tiers=("village",))
    assert list(found["name"])[:5] == ["Thôn 2", "Thôn 10", "Thôn An", "Thôn Đàn Thượng", "Thôn Đông"]
    assert list(units.search_units(session, actor=SYSTEM, query="dai")["name"]) == ["Huyện Đại Lộc", "Xã Đại Hiệp"]
