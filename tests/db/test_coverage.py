"""Coverage and counts as of a date, subtree sums, uncovered villages."""

from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from db import coverage, units
from db.auth import SYSTEM
from db.models import Member, Unit
from db.teams import fetch_teams
from tests import factories
from tests.factories import count_rows

ESTABLISHED = date(2022, 7, 1)
CLOSED = date(2023, 1, 1)
COUNTED = ("villages", "villages_covered", "communes", "communes_with_team", "teams", "members")
FRAME_TO_INDICATOR = {"villages": "villages", "covered": "villages_covered", "communes": "communes",
                      "communes_with_team": "communes_with_team", "teams": "teams", "members": "members"}


def _indicators(session, unit: Unit, as_of: date) -> coverage.Indicators:  # noqa: ANN001
    return coverage.fetch_indicators(session, actor=SYSTEM, unit_id=unit.id, as_of=as_of)


# ---- coverage and counts as of a date -----------------------------------------------------------


@pytest.mark.parametrize(
    ("as_of", "counted"),
    [
        (ESTABLISHED - timedelta(days=1), False),  # not yet established
        (ESTABLISHED, True),  # counts from its founding day
        (ESTABLISHED + timedelta(days=400), True),
    ],
)
def test_a_team_counts_from_the_day_it_was_established(session, as_of, counted):
    tree = factories.create_tree(session)
    factories.create_team(session, unit=tree.villages[0], established_on=ESTABLISHED, members=2)
    session.commit()
    got = _indicators(session, tree.commune, as_of)
    assert (got.villages_covered, got.teams, got.members) == ((1, 1, 2) if counted else (0, 0, 0))
    assert got.villages == len(tree.villages)
    assert got.village_coverage == pytest.approx(got.villages_covered / len(tree.villages))


@pytest.mark.parametrize(
    ("as_of", "counted"),
    [
        (CLOSED - timedelta(days=1), True),  # the last day it worked
        (CLOSED, False),  # stopped that day
        (CLOSED + timedelta(days=30), False),
    ],
)
def test_a_closed_team_counts_before_its_closing_day_only(session, as_of, counted):
    tree = factories.create_tree(session)
    factories.create_team(session, unit=tree.villages[0], established_on=ESTABLISHED, members=3, closed_on=CLOSED)
    session.commit()
    got = _indicators(session, tree.district, as_of)
    assert (got.villages_covered, got.teams, got.members) == ((1, 1, 3) if counted else (0, 0, 0))
    uncovered = set(coverage.fetch_uncovered_villages(session, actor=SYSTEM, unit_id=tree.commune.id, as_of=as_of)["unit_id"])
    assert (tree.villages[0].id in uncovered) is not counted


@dataclass
class Spell:
    """One member's joining and leaving dates."""

    joined: date
    left: date | None


SPELLS = [Spell(ESTABLISHED, None), Spell(ESTABLISHED, date(2023, 3, 1)), Spell(date(2023, 1, 1), None)]


@pytest.mark.parametrize("as_of", [date(2022, 12, 31), date(2023, 1, 1), date(2023, 2, 28), date(2023, 3, 1)])
def test_members_count_only_while_active(session, as_of):
    tree = factories.create_tree(session)
    team = factories.create_team(session, unit=tree.villages[0], established_on=ESTABLISHED)
    for i, spell in enumerate(SPELLS):
        session.add(Member(team_id=team.id, full_name=f"Người {i}", role="member", organisation="other",
                           joined_on=spell.joined, left_on=spell.left))
    session.commit()
    expected = sum(1 for s in SPELLS if s.joined <= as_of and (s.left is None or s.left > as_of))
    assert _indicators(session, tree.commune, as_of).members == expected
    listed = fetch_teams(session, actor=SYSTEM, unit_id=tree.commune.id, as_of=as_of)
    assert listed.set_index("team_id").loc[team.id, "members"] == expected


def test_commune_coverage_counts_commune_teams_not_village_teams(session):
    tree = factories.create_tree(session)
    factories.create_team(session, unit=tree.villages[0], members=2)  # a village team: not a commune team
    factories.create_team(session, unit=tree.commune2, members=4)  # the commune team of Tam Xuân
    session.commit()
    as_of = date(2024, 1, 1)
    province = _indicators(session, tree.province, as_of)
    assert (province.communes, province.communes_with_team) == (2, 1)
    assert province.commune_coverage == pytest.approx(0.5)
    # The commune team is a team with members, but covers no village.
    assert (province.teams, province.members) == (2, 6)
    assert (province.villages, province.villages_covered) == (len(tree.villages) + 1, 1)
    assert _indicators(session, tree.commune, as_of).communes_with_team == 0
    assert _indicators(session, tree.commune2, as_of).communes_with_team == 1


@pytest.fixture
def district_world(session, world):  # noqa: ANN001, ANN201
    """On the shared world: Huyện Phú Ninh with a second commune (Tam Dân), teams in some villages and one commune team."""
    tree = world.tree
    tam_dan = factories.create_unit(session, parent=tree.district, tier="commune", kind="Xã", short="Tam Dân", code="20383")
    dan_villages = [factories.create_unit(session, parent=tam_dan, tier="village", kind="Thôn", short=s)
                    for s in ("Đông An", "Phú Xuân")]
    teams = [
        factories.create_team(session, unit=tree.villages[0], members=5),
        factories.create_team(session, unit=tree.villages[2], members=3, established_on=date(2023, 5, 1)),
        factories.create_team(session, unit=dan_villages[0], members=4),
        factories.create_team(session, unit=tam_dan, members=6),
        factories.create_team(session, unit=tree.village_other, members=7),  # Núi Thành: outside the district
    ]
    session.commit()
    return tree, tam_dan, dan_villages, teams


@pytest.mark.parametrize("as_of", [date(2022, 12, 31), date(2024, 1, 1)])
def test_a_unit_is_the_sum_of_its_children(session, district_world, as_of):
    tree, tam_dan, dan_villages, teams = district_world
    district = _indicators(session, tree.district, as_of)
    communes = [_indicators(session, c, as_of) for c in (tree.commune, tam_dan)]
    for key in COUNTED:
        assert getattr(district, key) == sum(getattr(c, key) for c in communes), key
    by_child = coverage.fetch_coverage_by_child(session, actor=SYSTEM, unit_id=tree.district.id, as_of=as_of)
    assert set(by_child["unit_id"]) == {tree.commune.id, tam_dan.id}
    for column, key in FRAME_TO_INDICATOR.items():
        assert int(by_child[column].sum()) == getattr(district, key), column
    province_rows = coverage.fetch_coverage_by_child(session, actor=SYSTEM, unit_id=tree.province.id, as_of=as_of)
    province = _indicators(session, tree.province, as_of)
    for column, key in FRAME_TO_INDICATOR.items():
        assert int(province_rows[column].sum()) == getattr(province, key), column


def test_district_counts_match_the_data_created(session, district_world):
    tree, tam_dan, dan_villages, teams = district_world
    as_of = date(2024, 1, 1)
    in_district = [t for t in teams if t.unit_id != tree.village_other.id]
    village_units = {u.id for u in tree.villages + dan_villages}
    got = _indicators(session, tree.district, as_of)
    assert got.villages == len(village_units)
    assert got.villages_covered == len({t.unit_id for t in in_district} & village_units)
    assert got.teams == len(in_district)
    members = count_rows(session, Member, Member.team_id.in_([t.id for t in in_district]))
    assert got.members == members
    assert (got.communes, got.communes_with_team) == (2, 1)
    whole_country = coverage.fetch_indicators(session, actor=SYSTEM, unit_id=None, as_of=as_of)
    assert whole_country.teams == len(teams)
    assert whole_country.members == count_rows(session, Member)


def test_uncovered_villages_are_those_without_an_active_team(session, district_world):
    tree, tam_dan, dan_villages, teams = district_world
    as_of = date(2022, 12, 31)  # the Đàn Thượng team came in 2023
    covered = {t.unit_id for t in teams if t.established_on <= as_of}
    expected = {u.id for u in tree.villages + dan_villages} - covered
    got = coverage.fetch_uncovered_villages(session, actor=SYSTEM, unit_id=tree.district.id, as_of=as_of)
    assert set(got["unit_id"]) == expected
    assert tree.villages[2].id in expected  # the case the date decides
    row = got.set_index("unit_id").loc[dan_villages[1].id]
    assert (row["village"], row["commune"], row["district"]) == ("Thôn Phú Xuân", "Xã Tam Dân", "Huyện Phú Ninh")
    assert tree.villages[2].id not in set(
        coverage.fetch_uncovered_villages(session, actor=SYSTEM, unit_id=tree.district.id, as_of=date(2024, 1, 1))["unit_id"])


def test_fetch_villages_lists_a_commune_with_its_active_teams(session, district_world):
    tree, *_ = district_world
    got = units.fetch_villages(session, actor=SYSTEM, commune_id=tree.commune.id, as_of=date(2022, 12, 31))
    assert sorted(got["name"]) == sorted(v.name for v in tree.villages)
    with_team = got.dropna(subset=["team_id"])
    assert list(with_team["unit_id"]) == [tree.villages[0].id]


def test_district_points_are_their_communes_points_added_up(session):
    tree = factories.create_tree(session)
    tree.commune.lat, tree.commune.lon = 15.5, 108.4
    tree.commune2.lat, tree.commune2.lon = 15.4, 108.7
    extra = factories.create_unit(session, parent=tree.district, tier="commune", kind="Xã", short="Tam Dân")
    extra.lat, extra.lon = 15.7, 108.2
    factories.create_unit(session, parent=extra, tier="village", kind="Thôn", short="Phú Thạnh")
    factories.create_team(session, unit=tree.villages[0], established_on=date(2022, 7, 1))
    factories.create_team(session, unit=tree.villages[2], established_on=date(2022, 9, 1), closed_on=date(2023, 2, 1))
    factories.create_team(session, unit=tree.village_other, established_on=date(2023, 1, 1))
    session.commit()
    admin = factories.admin()
    for day in (date(2022, 8, 1), date(2022, 12, 1), date(2024, 1, 1)):
        communes = coverage.fetch_commune_points(session, actor=admin, unit_id=None, as_of=day)
        districts = coverage.fetch_district_points(session, actor=admin, unit_id=None, as_of=day).set_index("unit_id")
        assert sorted(districts.index) == sorted([tree.district.id, tree.district2.id])
        for district, kids in ((tree.district, [tree.commune.id, extra.id]), (tree.district2, [tree.commune2.id])):
            mine = communes[communes["unit_id"].isin(kids)]
            row = districts.loc[district.id]
            assert (row["name"], row["parent"]) == (district.name, tree.province.name)
            assert (row["villages"], row["covered"]) == (mine["villages"].sum(), mine["covered"].sum()), day
            assert (row["lat"], row["lon"]) == pytest.approx((mine["lat"].mean(), mine["lon"].mean()))
    officer = factories.officer_of(session, tree.district)
    session.commit()
    own = coverage.fetch_district_points(session, actor=officer, unit_id=tree.district.id)
    assert list(own["unit_id"]) == [tree.district.id]
