"""Both administrative structures in one database (issue 16): units named unambiguously, both trees in the
reads and in the kept counts, and a 2025 unit's accounts reading the legacy units it came from.

The world: create_tree's legacy Tỉnh Quảng Nam (valid until 30/06/2025) beside create_new_tree's Thành phố
Đà Nẵng (from 01/07/2025); Xã Tam Phước's three villages carried to Xã Phú Ninh, Xã Tam Xuân's one to the
2025 Xã Tam Xuân, each keeping its legacy closure rows.
"""

import random
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from db import counts, coverage, units, vocab
from db.access import Actor, ensure_can_read_team, ensure_can_read_unit
from db.activities import ActivityInput, create_activity, fetch_activity_by_child
from db.auth import SYSTEM
from db.errors import NotFound, PermissionDenied, UserError
from db.members import MemberInput, create_member
from db.models import Activity, Member, Team, Unit, UnitPath
from db.recommendations import create_recommendation, fetch_recommendation_counts
from db.reporting import fetch_reporting_by_child
from db.structures import REFORM_DAY
from db.teams import TeamInput, close_team, create_team
from tests import factories

TODAY = date(2026, 11, 20)
IN_2022 = date(2022, 8, 31)
DAYS = (date(2022, 1, 1), IN_2022, date(2024, 3, 1), date(2025, 6, 30), REFORM_DAY, date(2025, 8, 15), TODAY)


@dataclass
class Reform:
    """Both trees, teams from 2022, reports across the reform, the villages carried over."""

    tree: factories.Tree
    new: factories.NewTree
    team: Team  # of Thôn Phú Mỹ (carried to Xã Phú Ninh), 3 members
    commune_team: Team  # of the legacy Xã Tam Phước itself: not carried (an administrator decides)


def _report(session, team: Team, day: date, people: int) -> None:  # noqa: ANN001
    create_activity(session, actor=SYSTEM, today=TODAY, data=ActivityInput(
        team_id=team.id, activity_date=day, activity_type="public_service", people_reached=people))


@pytest.fixture
def reform(session) -> Reform:  # noqa: ANN001
    tree = factories.create_tree(session)
    team = factories.create_team(session, unit=tree.villages[0], established_on=date(2022, 7, 1), members=3)
    factories.create_team(session, unit=tree.village_other, established_on=date(2023, 1, 10), members=2)
    commune_team = factories.create_team(session, unit=tree.commune, established_on=date(2022, 8, 1), members=1)
    session.commit()
    for day, people in ((date(2022, 8, 20), 12), (date(2024, 5, 2), 7), (date(2025, 6, 30), 5), (date(2025, 9, 3), 9)):
        _report(session, team, day, people)
    _report(session, commune_team, date(2022, 8, 25), 4)
    session.commit()
    new = factories.create_new_tree(session, tree)
    for village in tree.villages:
        factories.carry_village(session, village, new.commune)
    factories.carry_village(session, tree.village_other, new.commune2)
    session.commit()
    return Reform(tree, new, team, commune_team)


def _ids(df) -> set[int]:  # noqa: ANN001
    return {int(i) for i in (df["unit_id"] if "unit_id" in df else df["id"])}


# ---- the country: one structure's provinces -------------------------------------------------------


def test_the_country_lists_the_provinces_of_the_structure_in_force_on_the_date(session, reform):  # noqa: ANN001
    old, new = reform.tree.province.id, reform.new.province.id
    by_child = coverage.fetch_coverage_by_child
    assert _ids(by_child(session, actor=SYSTEM, unit_id=None, as_of=IN_2022)) == {old}
    assert _ids(by_child(session, actor=SYSTEM, unit_id=None, as_of=TODAY)) == {new}
    assert _ids(by_child(session, actor=SYSTEM, unit_id=None, as_of=TODAY, structure="legacy")) == {old}
    assert _ids(by_child(session, actor=SYSTEM, unit_id=None, as_of=IN_2022, structure="2025")) == {new}
    assert _ids(units.fetch_children(session, actor=SYSTEM, parent_id=None)) == {new}  # today's
    assert _ids(units.fetch_children(session, actor=SYSTEM, parent_id=None, structure="legacy")) == {old}


def test_every_by_child_read_lists_the_provinces_of_the_date_and_the_carried_villages(session, reform):  # noqa: ANN001
    old, new = reform.tree.province.id, reform.new.province.id
    for end, want in ((IN_2022, {old}), (TODAY, {new})):
        got = fetch_reporting_by_child(session, actor=SYSTEM, unit_id=None, start=end - timedelta(days=29), end=end)
        assert _ids(got) == want, end
        got = fetch_activity_by_child(session, actor=SYSTEM, unit_id=None, start=date(2022, 1, 1), end=end)
        assert _ids(got) == want, end
    category = next(iter(vocab.RECOMMENDATION_CATEGORIES))
    for village in (reform.tree.villages[0], reform.tree.village_other):  # under both provinces (a carried village)
        create_recommendation(session, actor=SYSTEM, unit_id=village.id, category=category, text="Thiếu điện thoại")
    session.commit()
    assert set(fetch_recommendation_counts(session, actor=SYSTEM, unit_id=None)["unit_id"]) == {new}
    carried = {v.id for v in reform.tree.villages}
    for commune in (reform.tree.commune, reform.new.commune):
        got = fetch_activity_by_child(session, actor=SYSTEM, unit_id=commune.id, start=date(2022, 1, 1), end=TODAY)
        assert carried <= _ids(got), commune.name
        got = fetch_reporting_by_child(session, actor=SYSTEM, unit_id=commune.id, start=date(2022, 8, 1), end=IN_2022)
        assert _ids(got) == {reform.tree.villages[0].id}, commune.name  # the children with a team


def test_a_legacy_only_database_lists_every_province_as_before(session):  # noqa: ANN001
    tree = factories.create_tree(session)
    session.commit()
    assert _ids(units.fetch_children(session, actor=SYSTEM, parent_id=None)) == {tree.province.id}
    assert _ids(coverage.fetch_coverage_by_child(session, actor=SYSTEM, unit_id=None, as_of=TODAY)) == {tree.province.id}


# ---- children in both trees -----------------------------------------------------------------------


def test_a_legacy_commune_and_its_2025_commune_both_list_the_carried_villages(session, reform):  # noqa: ANN001
    tree, new = reform.tree, reform.new
    carried = {v.id for v in tree.villages}
    for commune in (tree.commune, new.commune):
        assert _ids(units.fetch_children(session, actor=SYSTEM, parent_id=commune.id)) == carried, commune.name
        assert _ids(units.fetch_villages(session, actor=SYSTEM, commune_id=commune.id, as_of=IN_2022)) == carried
        teams = coverage.fetch_village_teams(session, actor=SYSTEM, commune_id=commune.id, as_of=IN_2022)
        assert _ids(teams) == carried
        assert set(teams["team_id"].dropna().astype(int)) == {reform.team.id}
        assert units.fetch_unit(session, actor=SYSTEM, unit_id=commune.id).has_children
    points = coverage.fetch_commune_points(session, actor=SYSTEM, unit_id=tree.district.id, as_of=IN_2022)
    assert points.set_index("unit_id").loc[tree.commune.id, "villages"] == 3
    points = coverage.fetch_commune_points(session, actor=SYSTEM, unit_id=new.province.id, as_of=IN_2022)
    assert points.set_index("unit_id").loc[new.commune.id, "villages"] == 3


def test_a_legacy_commune_and_its_2025_commune_both_count_the_carried_village(session, reform):  # noqa: ANN001
    tree, new = reform.tree, reform.new
    for day in (IN_2022, TODAY):
        for commune in (tree.commune, new.commune):
            ind = coverage.fetch_indicators(session, actor=SYSTEM, unit_id=commune.id, as_of=day)
            assert (ind.villages, ind.villages_covered) == (3, 1), (commune.name, day)
    # Communes count only while they exist: the legacy one until 30/06/2025, the 2025 one from 01/07/2025.
    got = {(c.id, d): coverage.fetch_indicators(session, actor=SYSTEM, unit_id=c.id, as_of=d).communes
           for c in (tree.commune, new.commune) for d in (date(2025, 6, 30), REFORM_DAY)}
    assert got == {(tree.commune.id, date(2025, 6, 30)): 1, (tree.commune.id, REFORM_DAY): 0,
                   (new.commune.id, date(2025, 6, 30)): 0, (new.commune.id, REFORM_DAY): 1}


def test_the_country_counts_each_village_once_and_the_communes_of_the_date(session, reform):  # noqa: ANN001
    for day, communes in ((IN_2022, 2), (TODAY, 2)):
        ind = coverage.fetch_indicators(session, actor=SYSTEM, unit_id=None, as_of=day)
        assert (ind.villages, ind.communes) == (4, communes)
    # Xã Tam Phước's own team is not carried: it covers its legacy commune until 30/06/2025 only.
    assert coverage.fetch_indicators(session, actor=SYSTEM, unit_id=None, as_of=IN_2022).communes_with_team == 1
    assert coverage.fetch_indicators(session, actor=SYSTEM, unit_id=None, as_of=TODAY).communes_with_team == 0


# ---- kept == live ---------------------------------------------------------------------------------


def _live(session, unit_id: int, day: date) -> dict[str, int]:  # noqa: ANN001
    """A scope's counts from the live SQL (closure rows and raw teams), as a commune's page reads them."""
    (_, _, _, villages, covered, communes, with_team), = session.execute(coverage.coverage_stmt(as_of=day, unit_id=unit_id))
    teams = members = 0
    for _, t, m in session.execute(coverage.team_counts_stmt(as_of=day, unit_id=unit_id)):
        teams, members = int(t), int(m)
    return {"villages": villages, "villages_covered": covered, "communes": communes, "communes_with_team": with_team,
            "teams": teams, "members": members}


def _recount_country(session, day: date) -> dict[str, int]:  # noqa: ANN001
    """The country counted in Python: every village once, the communes existing on the day."""
    all_units = list(session.scalars(select(Unit)))
    teams = [t for t in session.scalars(select(Team))
             if t.established_on <= day and (t.closed_on is None or t.closed_on > day)]
    members = [m for m in session.scalars(select(Member)) if m.team_id in {t.id for t in teams}
               and m.joined_on <= day and (m.left_on is None or m.left_on > day)]
    covered = {t.unit_id for t in teams}
    villages = [u for u in all_units if u.tier == "village"]
    communes = [u for u in all_units if u.tier == "commune" and (u.valid_from or day) <= day <= (u.valid_to or day)]
    return {"villages": len(villages), "villages_covered": sum(u.id in covered for u in villages),
            "communes": len(communes), "communes_with_team": sum(u.id in covered for u in communes),
            "teams": len(teams), "members": len(members)}


def _check_kept_equals_live(session, reform: Reform) -> None:  # noqa: ANN001
    assert counts.differences(session) == []
    scopes = (reform.tree.province, reform.tree.district, reform.tree.district2, reform.new.province)
    keys = ("villages", "villages_covered", "communes", "communes_with_team", "teams", "members")
    for day in DAYS:
        kept = counts.scope_totals(session, [counts.COUNTRY, *(s.id for s in scopes)], day, today=TODAY)
        for scope in scopes:
            assert {k: kept[scope.id][k] for k in keys} == _live(session, scope.id, day), (scope.name, day)
        assert {k: kept[counts.COUNTRY][k] for k in keys} == _recount_country(session, day), day


def test_kept_counts_equal_the_live_sql_with_both_structures_and_carried_villages(session, reform):  # noqa: ANN001
    _check_kept_equals_live(session, reform)


def test_a_write_on_a_carried_village_updates_its_legacy_district_and_province_too(session, reform):  # noqa: ANN001
    tree = reform.tree
    before = counts.scope_totals(session, [tree.district.id, tree.province.id], TODAY, today=TODAY)
    village = tree.villages[1]  # carried to Xã Phú Ninh; its former commune is Xã Tam Phước (Huyện Phú Ninh)
    team = create_team(session, actor=SYSTEM, today=TODAY, data=TeamInput(
        unit_id=village.id, name="Tổ CNSCĐ Khánh Thọ", established_on=date(2026, 3, 1),
        members=[MemberInput(full_name="Lê Văn An", joined_on=date(2026, 3, 1))]))
    session.commit()
    create_member(session, actor=SYSTEM, team_id=reform.team.id, today=TODAY,
                  data=MemberInput(full_name="Trần Thị Bình", joined_on=date(2026, 4, 1)))
    _report(session, team, date(2026, 5, 4), 11)
    session.commit()
    after = counts.scope_totals(session, [tree.district.id, tree.province.id], TODAY, today=TODAY)
    for scope in (tree.district.id, tree.province.id):
        assert (after[scope]["teams"] - before[scope]["teams"], after[scope]["members"] - before[scope]["members"],
                after[scope]["villages_covered"] - before[scope]["villages_covered"]) == (1, 2, 1)
    _check_kept_equals_live(session, reform)
    # The report dated after the reform belongs to the 2025 commune (the rollups' key).
    assert session.scalar(select(Activity.commune_id).where(Activity.team_id == team.id)) == village.parent_id


def test_random_writes_after_the_carry_over_keep_kept_equal_to_live(session, reform):  # noqa: ANN001
    """Teams, members, reports and closures on carried villages, on new villages of 2025 communes and on the
    communes of both structures, in a random order: every kept scope of both trees equals the live SQL."""
    rng = random.Random(16)
    tree, new = reform.tree, reform.new
    places = [*tree.villages, tree.village_other, tree.commune2, new.commune, new.commune2]
    teams = [reform.team.id]
    for step in range(40):
        action = rng.choice(["village", "team", "team", "member", "report", "report", "close"])
        day = date(2022, 1, 1) + timedelta(days=rng.randrange(0, (TODAY - date(2022, 1, 1)).days))
        try:
            if action == "village":
                commune = rng.choice([new.commune, new.commune2])
                places.append(units.create_village(session, actor=SYSTEM, commune_id=commune.id, kind="Thôn",
                                                   name=f"Mới {step}"))
            elif action == "team":
                teams.append(create_team(session, actor=SYSTEM, today=TODAY, data=TeamInput(
                    unit_id=rng.choice(places).id, name=f"Tổ {step}", established_on=day,
                    members=[MemberInput(full_name=f"Người {step}", joined_on=day)])).id)
            elif action == "member":
                create_member(session, actor=SYSTEM, team_id=rng.choice(teams), today=TODAY,
                              data=MemberInput(full_name=f"Người {step}", joined_on=day))
            elif action == "report":
                team = session.get(Team, rng.choice(teams))
                end = min(team.closed_on or TODAY, TODAY)
                _report(session, team, team.established_on + timedelta(days=rng.randrange(0, max(1, (end - team.established_on).days))), 3)
            else:
                close_team(session, actor=SYSTEM, team_id=rng.choice(teams), closed_on=day, today=TODAY)
            session.commit()
        except UserError:  # a refused write (overlapping team, date before the team…) leaves the counts as they were
            session.rollback()
    assert len(teams) > 5
    _check_kept_equals_live(session, reform)


def test_a_deleted_carried_village_is_taken_off_both_trees(session, reform):  # noqa: ANN001
    tree = reform.tree
    village = tree.villages[2]  # no team: nothing else refers to it
    before = counts.scope_totals(session, [tree.district.id, reform.new.province.id], TODAY, today=TODAY)
    session.execute(UnitPath.__table__.delete().where(UnitPath.descendant_id == village.id),
                    execution_options=counts.KEPT_BY_CALLER)
    session.delete(village)
    session.commit()
    after = counts.scope_totals(session, [tree.district.id, reform.new.province.id], TODAY, today=TODAY)
    assert [after[s]["villages"] - before[s]["villages"] for s in (tree.district.id, reform.new.province.id)] == [-1, -1]
    _check_kept_equals_live(session, reform)


def test_rebuild_keeps_the_same_figures_with_carried_villages(session, reform):  # noqa: ANN001
    scopes = [counts.COUNTRY, reform.tree.province.id, reform.tree.district.id, reform.new.province.id]
    before = {day: counts.scope_totals(session, scopes, day, today=TODAY) for day in DAYS}
    counts.rebuild(session)
    session.commit()
    assert counts.differences(session) == []
    assert {day: counts.scope_totals(session, scopes, day, today=TODAY) for day in DAYS} == before


def test_past_figures_of_the_legacy_district_are_unchanged_by_the_carry_over(session):  # noqa: ANN001
    tree = factories.create_tree(session)
    team = factories.create_team(session, unit=tree.villages[0], established_on=date(2022, 7, 1), members=3)
    session.commit()
    _report(session, team, date(2022, 8, 20), 12)
    session.commit()
    before = coverage.fetch_indicators(session, actor=SYSTEM, unit_id=tree.district.id, as_of=IN_2022)
    new = factories.create_new_tree(session, tree)
    for village in tree.villages:
        factories.carry_village(session, village, new.commune)
    session.commit()
    assert coverage.fetch_indicators(session, actor=SYSTEM, unit_id=tree.district.id, as_of=IN_2022) == before


# ---- naming units ---------------------------------------------------------------------------------


def test_a_name_or_code_of_both_structures_is_refused_with_their_qualified_codes(session, reform):  # noqa: ANN001
    for ref in ("Xã Tam Xuân", "20968", "xa tam xuan"):
        with pytest.raises(NotFound) as err:
            units.resolve_unit(session, actor=SYSTEM, ref=ref)
        text = str(err.value)
        for part in ("địa giới cũ", "địa giới mới", "“cũ:20968”", "“mới:20968”", "Hãy dùng mã có tiền tố"):
            assert part in text, (ref, part, text)


@pytest.mark.parametrize(("ref", "structure"), [
    ("mới:20968", "2025"), ("moi:20968", "2025"), ("2025:20968", "2025"),
    ("cũ:20968", "legacy"), ("cu:20968", "legacy"), ("legacy:20968", "legacy"),
    ("mới:Xã Tam Xuân", "2025"), ("cũ:xa tam xuan", "legacy"),
])
def test_a_qualified_code_or_name_names_one_unit(session, reform, ref, structure):  # noqa: ANN001
    got = units.resolve_unit(session, actor=SYSTEM, ref=ref)
    assert (got.name, got.structure) == ("Xã Tam Xuân", structure)
    want = reform.new.commune2 if structure == "2025" else reform.tree.commune2
    assert (got.id, got.valid_from, got.valid_to) == (want.id, want.valid_from, want.valid_to)


def test_the_date_settles_a_reference_only_one_structure_had_then(session, reform):  # noqa: ANN001
    assert units.resolve_unit(session, actor=SYSTEM, ref="20380", as_of=IN_2022).id == reform.tree.commune.id
    assert units.resolve_unit(session, actor=SYSTEM, ref="20380", as_of=TODAY).id == reform.new.commune.id
    assert units.resolve_unit(session, actor=SYSTEM, ref="Huyện Phú Ninh", as_of=TODAY).id == reform.tree.district.id


def test_search_labels_each_hit_with_its_structure_and_can_keep_one(session, reform):  # noqa: ANN001
    found = units.search_units(session, actor=SYSTEM, query="tam xuan", tiers=("commune",))
    assert set(found["label"]) == {"Xã Tam Xuân, Huyện Núi Thành, Tỉnh Quảng Nam · địa giới cũ",
                                   "Xã Tam Xuân, Thành phố Đà Nẵng · địa giới mới"}
    only_new = units.search_units(session, actor=SYSTEM, query="tam xuan", structure="2025")
    assert set(only_new["id"]) == {reform.new.commune2.id}


def test_a_carried_village_is_labelled_with_its_former_commune(session, reform):  # noqa: ANN001
    """Two merged communes' villages of one name share a 2025 commune: the search tells them apart."""
    tree, new = reform.tree, reform.new
    twin = factories.create_unit(session, parent=tree.commune2, tier="village", kind="Thôn", short=tree.villages[0].short_name)
    session.flush()
    factories.carry_village(session, twin, new.commune)
    session.commit()
    found = units.search_units(session, actor=SYSTEM, query=tree.villages[0].short_name, tiers=("village",))
    mine = found[found["id"].isin([tree.villages[0].id, twin.id])]
    assert len(mine) == 2 and mine["label"].nunique() == 2
    for row in mine.itertuples():
        former = tree.commune.name if row.id == tree.villages[0].id else tree.commune2.name
        assert row.label.startswith(f"{tree.villages[0].name}, {new.commune.name}, ")
        assert row.label.endswith(f" · trước 01/07/2025 thuộc {former}")


# ---- breadcrumbs ----------------------------------------------------------------------------------


def test_a_carried_villages_breadcrumb_follows_the_chain_of_the_actors_unit(session, reform):  # noqa: ANN001
    tree, new = reform.tree, reform.new
    village = tree.villages[0]
    legacy_officer = factories.officer_of(session, tree.district)
    new_officer = factories.officer_of(session, new.commune)
    session.commit()

    def names(actor: Actor) -> list[str]:
        return [u.name for u in units.fetch_ancestors(session, actor=actor, unit_id=village.id)]

    assert names(SYSTEM) == ["Thành phố Đà Nẵng", "Xã Phú Ninh", village.name]
    assert names(legacy_officer) == ["Huyện Phú Ninh", "Xã Tam Phước", village.name]
    assert names(new_officer) == ["Xã Phú Ninh", village.name]


def test_uncovered_villages_are_named_under_the_units_own_structure(session, reform):  # noqa: ANN001
    tree, new = reform.tree, reform.new
    legacy = coverage.fetch_uncovered_villages(session, actor=SYSTEM, unit_id=tree.district.id, as_of=TODAY)
    assert set(legacy["commune"]) == {"Xã Tam Phước"} and set(legacy["district"]) == {"Huyện Phú Ninh"}
    current = coverage.fetch_uncovered_villages(session, actor=SYSTEM, unit_id=new.province.id, as_of=TODAY)
    assert set(current["commune"]) == {"Xã Phú Ninh"}
    assert set(legacy["unit_id"]) == set(current["unit_id"]) == {tree.villages[1].id, tree.villages[2].id}


# ---- reading history ------------------------------------------------------------------------------


def test_a_2025_units_accounts_read_the_legacy_units_it_came_from(session, reform):  # noqa: ANN001
    tree, new = reform.tree, reform.new
    officer = factories.officer_of(session, new.commune, "canbo.xaphuninh")
    leader = factories.actor_of(factories.create_user(session, role="leader", unit=new.province, username="lanhdao.danang"))
    other = factories.officer_of(session, new.commune2, "canbo.tamxuan")
    session.commit()
    for actor in (officer, leader):
        got = coverage.fetch_indicators(session, actor=actor, unit_id=tree.district.id, as_of=IN_2022)
        assert (got.unit, got.teams, got.members) == ("Huyện Phú Ninh", 2, 4)
        by_commune = coverage.fetch_coverage_by_child(session, actor=actor, unit_id=tree.district.id, as_of=IN_2022)
        assert _ids(by_commune) == {tree.commune.id}
    coverage.fetch_indicators(session, actor=leader, unit_id=tree.district2.id, as_of=IN_2022)
    coverage.fetch_indicators(session, actor=leader, unit_id=tree.province.id, as_of=IN_2022)
    coverage.fetch_indicators(session, actor=other, unit_id=tree.district2.id, as_of=IN_2022)
    # Xã Tam Xuân's officer: Huyện Phú Ninh's communes went elsewhere; Xã Phú Ninh's: not Huyện Núi Thành's.
    with pytest.raises(PermissionDenied):
        ensure_can_read_unit(session, other, tree.district.id)
    with pytest.raises(PermissionDenied):
        coverage.fetch_indicators(session, actor=officer, unit_id=tree.district2.id, as_of=IN_2022)


def test_reading_history_shows_figures_not_the_people_of_teams_elsewhere(session, reform):  # noqa: ANN001
    tree, new = reform.tree, reform.new
    other = factories.officer_of(session, new.commune2, "canbo.tamxuan")
    session.commit()
    history = next(t for t in session.scalars(select(Team).where(Team.unit_id == tree.village_other.id)))
    # Huyện Núi Thành is Xã Tam Xuân's history, but Xã Phú Ninh's commune team of the legacy Xã Tam Phước is not
    # its own: its members and phones stay hidden; its own carried village's team is read as always.
    coverage.fetch_indicators(session, actor=other, unit_id=tree.district2.id, as_of=IN_2022)
    assert ensure_can_read_team(session, other, history.id) == tree.village_other.id
    with pytest.raises(PermissionDenied):
        ensure_can_read_team(session, other, reform.commune_team.id)
    officer = factories.officer_of(session, new.commune, "canbo.xaphuninh")
    session.commit()
    with pytest.raises(PermissionDenied):  # the legacy Xã Tam Phước is its history; its commune team's people are not
        ensure_can_read_team(session, officer, reform.commune_team.id)
    ensure_can_read_unit(session, officer, tree.commune.id)


def test_reading_history_gives_no_write_on_it(session, reform):  # noqa: ANN001
    tree, new = reform.tree, reform.new
    officer = factories.officer_of(session, new.commune, "canbo.xaphuninh")
    session.commit()
    with pytest.raises(PermissionDenied):
        units.create_village(session, actor=officer, commune_id=tree.commune.id, kind="Thôn", name="Mới")
    with pytest.raises(PermissionDenied):
        create_team(session, actor=officer, today=TODAY, data=TeamInput(
            unit_id=tree.commune.id, name="Tổ mới", established_on=date(2026, 1, 5)))
    with pytest.raises(PermissionDenied):  # a report for the legacy commune's own team
        create_activity(session, actor=officer, today=TODAY, data=ActivityInput(
            team_id=reform.commune_team.id, activity_date=TODAY - timedelta(days=3), activity_type="other"))
    session.rollback()
    # Inside its own subtree it still writes: a village under Xã Phú Ninh.
    units.create_village(session, actor=officer, commune_id=new.commune.id, kind="Thôn", name="Mới")
    session.commit()
    assert session.scalar(select(UnitPath.ancestor_id).where(UnitPath.ancestor_id == new.province.id,
                                                             UnitPath.depth == 2).limit(1)) == new.province.id


# ---- python -m db stats -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reform_cli(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """A SQLite file migrated by the command itself, holding the reform world (SQLite only: the CLI's own test)."""
    import os

    from sqlalchemy.orm import Session

    from db.engine import make_engine
    from tests.db.test_cli import Cli

    tmp = tmp_path_factory.mktemp("reform_cli")
    url = f"sqlite:///{tmp / 'tocnscd.sqlite3'}"
    env = {**os.environ, "DATABASE_URL": url, "DATA_DIR": str(tmp / "data"), "PYTHONIOENCODING": "utf-8"}
    runner = Cli(env, make_engine(url))
    assert runner.run("db", "upgrade").returncode == 0
    with Session(runner.engine) as session:
        tree = factories.create_tree(session)
        team = factories.create_team(session, unit=tree.villages[0], established_on=date(2022, 7, 1), members=3)
        session.commit()
        _report(session, team, date(2022, 8, 20), 12)
        session.commit()
        new = factories.create_new_tree(session, tree)
        for village in tree.villages:
            factories.carry_village(session, village, new.commune)
        session.commit()
    yield runner
    runner.engine.dispose()


def test_stats_says_which_structure_it_used(reform_cli):  # noqa: ANN001
    import json

    done = reform_cli.run("db", "stats", "Huyện Phú Ninh", "--as-of", IN_2022.isoformat())
    assert done.returncode == 0, done.stderr
    assert "Địa giới: địa giới cũ (đến 30/06/2025)" in done.stdout.splitlines()
    got = json.loads(reform_cli.run("db", "stats", "Huyện Phú Ninh", "--as-of", IN_2022.isoformat(), "--json").stdout)
    assert (got["structure"], got["teams"], got["members"], got["villages"]) == ("legacy", 1, 3, 3)
    got = json.loads(reform_cli.run("db", "stats", "mới:20380", "--as-of", IN_2022.isoformat(), "--json").stdout)
    assert (got["unit"], got["structure"], got["teams"], got["members"]) == ("Xã Phú Ninh", "2025", 1, 3)
    done = reform_cli.run("db", "stats", "mới:20380")
    assert "Địa giới: địa giới mới (từ 01/07/2025)" in done.stdout.splitlines()
    # The date settles a code both structures use; without one it is refused, naming both.
    got = json.loads(reform_cli.run("db", "stats", "20380", "--as-of", IN_2022.isoformat(), "--json").stdout)
    assert (got["unit"], got["structure"]) == ("Xã Tam Phước", "legacy")
    done = reform_cli.run("db", "stats", "20380", "--json")
    assert done.returncode != 0 and done.stdout == "" and "Traceback" not in done.stderr
    assert "“cũ:20380”" in done.stderr and "“mới:20380”" in done.stderr
