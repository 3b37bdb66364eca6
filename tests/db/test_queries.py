"""Read functions: coverage and counts as of a date, subtree sums, search, filters, resolving units, scope."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import pytest


from db import queries, services
from db.auth import SYSTEM
from db.errors import NotFound, PermissionDenied, UserError
from db.models import AuditEntry, Member, Team, Unit
from db.services import MemberInput, TeamInput
from tests import factories
from tests.factories import count_rows, row_counts

ESTABLISHED = date(2022, 7, 1)
CLOSED = date(2023, 1, 1)
COUNTED = ("villages", "villages_covered", "communes", "communes_with_team", "teams", "members")
FRAME_TO_INDICATOR = {"villages": "villages", "covered": "villages_covered", "communes": "communes",
                      "communes_with_team": "communes_with_team", "teams": "teams", "members": "members"}


def _indicators(session, unit: Unit, as_of: date) -> queries.Indicators:  # noqa: ANN001
    return queries.fetch_indicators(session, actor=SYSTEM, unit_id=unit.id, as_of=as_of)


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
    uncovered = set(queries.fetch_uncovered_villages(session, actor=SYSTEM, unit_id=tree.commune.id, as_of=as_of)["unit_id"])
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
    listed = queries.fetch_teams(session, actor=SYSTEM, unit_id=tree.commune.id, as_of=as_of)
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
    by_child = queries.fetch_coverage_by_child(session, actor=SYSTEM, unit_id=tree.district.id, as_of=as_of)
    assert set(by_child["unit_id"]) == {tree.commune.id, tam_dan.id}
    for column, key in FRAME_TO_INDICATOR.items():
        assert int(by_child[column].sum()) == getattr(district, key), column
    province_rows = queries.fetch_coverage_by_child(session, actor=SYSTEM, unit_id=tree.province.id, as_of=as_of)
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
    whole_country = queries.fetch_indicators(session, actor=SYSTEM, unit_id=None, as_of=as_of)
    assert whole_country.teams == len(teams)
    assert whole_country.members == count_rows(session, Member)


def test_uncovered_villages_are_those_without_an_active_team(session, district_world):
    tree, tam_dan, dan_villages, teams = district_world
    as_of = date(2022, 12, 31)  # the Đàn Thượng team came in 2023
    covered = {t.unit_id for t in teams if t.established_on <= as_of}
    expected = {u.id for u in tree.villages + dan_villages} - covered
    got = queries.fetch_uncovered_villages(session, actor=SYSTEM, unit_id=tree.district.id, as_of=as_of)
    assert set(got["unit_id"]) == expected
    assert tree.villages[2].id in expected  # the case the date decides
    row = got.set_index("unit_id").loc[dan_villages[1].id]
    assert (row["village"], row["commune"], row["district"]) == ("Thôn Phú Xuân", "Xã Tam Dân", "Huyện Phú Ninh")
    assert tree.villages[2].id not in set(
        queries.fetch_uncovered_villages(session, actor=SYSTEM, unit_id=tree.district.id, as_of=date(2024, 1, 1))["unit_id"])


def test_fetch_villages_lists_a_commune_with_its_active_teams(session, district_world):
    tree, *_ = district_world
    got = queries.fetch_villages(session, actor=SYSTEM, commune_id=tree.commune.id, as_of=date(2022, 12, 31))
    assert sorted(got["name"]) == sorted(v.name for v in tree.villages)
    with_team = got.dropna(subset=["team_id"])
    assert list(with_team["unit_id"]) == [tree.villages[0].id]


# ---- search -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("tam phuoc", "Xã Tam Phước"),
        ("TAM PHƯỚC", "Xã Tam Phước"),
        ("  xã   tam phước ", "Xã Tam Phước"),
        ("dan thuong", "Thôn Đàn Thượng"),  # đ folds to d
        ("Đàn", "Thôn Đàn Thượng"),
        ("dan", "Xã Tam Dân"),
        ("núi thanh", "Huyện Núi Thành"),
    ],
)
def test_search_ignores_case_and_diacritics(session, query, expected):
    tree = factories.create_tree(session)
    factories.create_unit(session, parent=tree.district, tier="commune", kind="Xã", short="Tam Dân")
    session.commit()
    names = list(queries.search_units(session, actor=SYSTEM, query=query)["name"])
    assert expected in names


@pytest.mark.parametrize("query", ["", "   ", "%", "_", "xyz"])
def test_search_finds_nothing_for_empty_text_or_wildcards(session, query):
    factories.create_tree(session)
    session.commit()
    assert queries.search_units(session, actor=SYSTEM, query=query).empty


def test_search_labels_a_unit_with_its_parents_and_filters_tiers(session):
    tree = factories.create_tree(session)
    session.commit()
    found = queries.search_units(session, actor=SYSTEM, query="phu my")
    row = found.set_index("id").loc[tree.villages[0].id]
    assert row["label"] == "Thôn Phú Mỹ, Xã Tam Phước, Huyện Phú Ninh"
    communes = queries.search_units(session, actor=SYSTEM, query="tam", tiers=("commune",))
    assert set(communes["name"]) == {tree.commune.name, tree.commune2.name}


def test_search_stays_inside_the_actor_scope(session):
    tree = factories.create_tree(session)
    phu_ninh = factories.officer_of(session, tree.district)
    nui_thanh = factories.officer_of(session, tree.district2)
    session.commit()
    assert set(queries.search_units(session, actor=phu_ninh, query="tam")["name"]) == {tree.commune.name}
    assert set(queries.search_units(session, actor=nui_thanh, query="tam")["name"]) == {tree.commune2.name}
    assert set(queries.search_units(session, actor=factories.admin(), query="tam")["name"]) == {tree.commune.name, tree.commune2.name}
    assert queries.search_units(session, actor=nui_thanh, query="phu my").empty


# ---- team lists ---------------------------------------------------------------------------------


@pytest.fixture
def team_list(session):  # noqa: ANN001, ANN201
    """Three teams of Tam Phước (one stopped) and one of Núi Thành."""
    tree = factories.create_tree(session)
    open_ = factories.create_team(session, unit=tree.villages[0], members=3)
    other = factories.create_team(session, unit=tree.villages[1], name="Tổ số hai", members=2)
    closed = factories.create_team(session, unit=tree.villages[2], members=2, closed_on=CLOSED)
    far = factories.create_team(session, unit=tree.village_other, members=1)
    session.commit()
    return tree, dict(open=open_, other=other, closed=closed, far=far)


@pytest.mark.parametrize(
    ("status", "query", "expected"),
    [
        ("all", "", {"open", "other", "closed"}),
        ("active", "", {"open", "other"}),
        ("closed", "", {"closed"}),
        ("all", "phu my", {"open"}),  # the unit's name, without diacritics
        ("all", "PHÚ MỸ", {"open"}),
        ("all", "số hai", {"other"}),  # the team's own name
        ("all", "tổ cnscđ", {"open", "closed"}),  # its capitals "Đ", "Ổ" fold on both backends
        ("all", "TỔ CNSCĐ THÔN", {"open", "closed"}),
        ("active", "dan thuong", set()),  # a match that is not active
    ],
)
def test_fetch_teams_filters(session, team_list, status, query, expected):
    tree, teams = team_list
    got = queries.fetch_teams(session, actor=SYSTEM, unit_id=tree.district.id, status=status, query=query,
                              as_of=date(2024, 1, 1))
    assert set(got["team_id"]) == {teams[k].id for k in expected}


def test_fetch_teams_reports_status_and_active_members(session, team_list):
    tree, teams = team_list
    got = queries.fetch_teams(session, actor=SYSTEM, unit_id=None, as_of=date(2024, 1, 1)).set_index("team_id")
    assert set(got.index) == {t.id for t in teams.values()}
    assert bool(got.loc[teams["closed"].id, "active"]) is False
    assert got.loc[teams["closed"].id, "members"] == 0  # members left with the team
    assert got.loc[teams["open"].id, "members"] == 3
    assert got.loc[teams["open"].id, "parent"] == tree.commune.name


def test_an_officer_lists_only_the_teams_of_their_subtree(session, team_list):
    tree, teams = team_list
    officer = factories.officer_of(session, tree.district2)
    session.commit()
    got = queries.fetch_teams(session, actor=officer, unit_id=None, as_of=date(2024, 1, 1))
    assert set(got["team_id"]) == {teams["far"].id}


# ---- resolving a unit named on the command line -------------------------------------------------


@pytest.mark.parametrize("ref", ["512", "Huyện Phú Ninh", "huyen phu ninh", "  HUYỆN PHÚ NINH  "])
def test_resolve_unit_by_code_exact_or_folded_name(session, ref):
    tree = factories.create_tree(session)
    session.commit()
    assert queries.resolve_unit(session, actor=SYSTEM, ref=ref).id == tree.district.id


def test_resolve_unit_refuses_an_ambiguous_or_unknown_name(session):
    tree = factories.create_tree(session)
    twin = factories.create_unit(session, parent=tree.commune2, tier="village", kind="Thôn", short="Phú Mỹ")
    session.commit()
    with pytest.raises(UserError) as ambiguous:
        queries.resolve_unit(session, actor=SYSTEM, ref="Thôn Phú Mỹ")
    assert tree.commune.name in ambiguous.value.message and tree.commune2.name in ambiguous.value.message
    assert twin.id != tree.villages[0].id
    with pytest.raises(NotFound):
        queries.resolve_unit(session, actor=SYSTEM, ref="Huyện Không Có")


def test_resolve_unit_respects_scope(session):
    tree = factories.create_tree(session)
    officer = factories.officer_of(session, tree.district2)
    session.commit()
    with pytest.raises(PermissionDenied):
        queries.resolve_unit(session, actor=officer, ref="Huyện Phú Ninh")
    assert queries.resolve_unit(session, actor=officer, ref="Xã Tam Xuân").id == tree.commune2.id


def test_breadcrumb_starts_at_the_actor_root(session):
    tree = factories.create_tree(session)
    officer = factories.officer_of(session, tree.district)
    session.commit()
    chain = queries.fetch_ancestors(session, actor=officer, unit_id=tree.villages[0].id)
    assert [u.id for u in chain] == [tree.district.id, tree.commune.id, tree.villages[0].id]
    full = queries.fetch_ancestors(session, actor=SYSTEM, unit_id=tree.villages[0].id)
    assert [u.id for u in full] == [tree.province.id, tree.district.id, tree.commune.id, tree.villages[0].id]


# ---- scope --------------------------------------------------------------------------------------

Read = Callable[..., object]
READS: dict[str, Read] = {
    "fetch_unit": lambda s, a, t: queries.fetch_unit(s, actor=a, unit_id=t.commune.id),
    "fetch_children": lambda s, a, t: queries.fetch_children(s, actor=a, parent_id=t.district.id),
    "fetch_ancestors": lambda s, a, t: queries.fetch_ancestors(s, actor=a, unit_id=t.villages[0].id),
    "fetch_indicators": lambda s, a, t: queries.fetch_indicators(s, actor=a, unit_id=t.district.id),
    "fetch_coverage_by_child": lambda s, a, t: queries.fetch_coverage_by_child(s, actor=a, unit_id=t.district.id),
    "fetch_uncovered_villages": lambda s, a, t: queries.fetch_uncovered_villages(s, actor=a, unit_id=t.commune.id),
    "fetch_villages": lambda s, a, t: queries.fetch_villages(s, actor=a, commune_id=t.commune.id),
    "fetch_teams": lambda s, a, t: queries.fetch_teams(s, actor=a, unit_id=t.commune.id),
    "fetch_commune_points": lambda s, a, t: queries.fetch_commune_points(s, actor=a, unit_id=t.district.id),
}


@pytest.mark.parametrize("read", sorted(READS))
def test_an_officer_cannot_read_another_district(session, read):
    tree = factories.create_tree(session)
    outsider = factories.officer_of(session, tree.district2)
    insider = factories.officer_of(session, tree.district)
    session.commit()
    READS[read](session, insider, tree)  # inside: allowed
    with pytest.raises(PermissionDenied):
        READS[read](session, outsider, tree)


Write = Callable[..., object]
WRITES: dict[str, Write] = {
    "create_village": lambda s, a, t, team: services.create_village(s, actor=a, commune_id=t.commune.id, kind="Thôn", name="Mới"),
    "create_team": lambda s, a, t, team: services.create_team(s, actor=a, data=TeamInput(
        unit_id=t.villages[1].id, name="Tổ mới", established_on=date(2023, 1, 1))),
    "update_team": lambda s, a, t, team: services.update_team(s, actor=a, team_id=team.id, data=TeamInput(
        unit_id=team.unit_id, name="Tên khác", established_on=team.established_on)),
    "close_team": lambda s, a, t, team: services.close_team(s, actor=a, team_id=team.id, closed_on=date(2024, 1, 1)),
    "create_member": lambda s, a, t, team: services.create_member(s, actor=a, team_id=team.id, data=MemberInput(full_name="Lê Văn Tâm")),
}


@pytest.mark.parametrize("role", ["leader", "volunteer"])
@pytest.mark.parametrize("write", sorted(WRITES))
def test_leaders_and_volunteers_cannot_write(session, role, write):
    tree = factories.create_tree(session)
    team = factories.create_team(session, unit=tree.villages[0], members=1)
    user = factories.create_user(session, role=role, unit=tree.district if role == "leader" else None,
                                 team=team if role == "volunteer" else None)
    session.commit()
    counts_before = row_counts(session, (Unit, Team, Member, AuditEntry))
    with pytest.raises(PermissionDenied):
        WRITES[write](session, factories.actor_for(user), tree, team)
    session.rollback()
    assert row_counts(session, (Unit, Team, Member, AuditEntry)) == counts_before
    # An officer of the district may make the same write.
    WRITES[write](session, factories.officer_of(session, tree.district), tree, team)
