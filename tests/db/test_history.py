"""db/history.py: which structure a page's day falls in, whether both are loaded, and the unit in view against the day."""

from datetime import date

import pytest

from db import history, reform
from db.errors import PermissionDenied
from db.meeting import fetch_meeting
from db.models import Unit
from db.structures import LAST_LEGACY_DAY, REFORM_DAY
from db.text import fold
from db.units import insert_unit
from tests import factories
from tests.db.test_reform import build


def add_new_province(session) -> Unit:  # noqa: ANN001
    """A 2025 province, valid from the reform day."""
    name = "Thành phố Đà Nẵng"
    return insert_unit(session, Unit(parent_id=None, structure="2025", tier="province", level=1, kind="Thành phố", name=name,
                                     short_name="Đà Nẵng", search_name=fold(name), code="48", valid_from=REFORM_DAY))


def test_a_legacy_only_database_has_nothing_to_say(session, world):
    view = history.fetch_history_view(session, actor=world.leader, unit_id=None, as_of=date(2026, 12, 1))
    assert view == history.HistoryView(both_loaded=False, structure="2025", unit="Huyện Phú Ninh", unit_gone=False,
                                       unit_not_yet=False, own_unit=True)
    assert history.fetch_history_view(session, actor=world.admin, unit_id=None, as_of=date(2022, 8, 31)).structure == "legacy"


def test_with_both_structures_the_day_decides_and_an_ended_unit_is_named(session, world):
    add_new_province(session)
    world.tree.district.valid_to = LAST_LEGACY_DAY
    session.flush()
    before = history.fetch_history_view(session, actor=world.leader, unit_id=None, as_of=LAST_LEGACY_DAY)
    after = history.fetch_history_view(session, actor=world.leader, unit_id=None, as_of=REFORM_DAY)
    assert (before.both_loaded, before.structure, before.unit_gone) == (True, "legacy", False)
    assert (after.both_loaded, after.structure, after.unit, after.unit_gone, after.own_unit) == (
        True, "2025", "Huyện Phú Ninh", True, True)
    # The administrator looking at that district: the same end, not their own unit; the country has no end.
    seen = history.fetch_history_view(session, actor=world.admin, unit_id=world.tree.district.id, as_of=REFORM_DAY)
    assert (seen.unit_gone, seen.own_unit) == (True, False)
    country = history.fetch_history_view(session, actor=world.admin, unit_id=None, as_of=REFORM_DAY)
    assert (country.unit, country.unit_gone, country.unit_not_yet) == (None, False, False)


def test_a_2025_unit_before_the_reform_is_a_regrouping(session, world):
    province = add_new_province(session)
    session.flush()
    view = history.fetch_history_view(session, actor=world.admin, unit_id=province.id, as_of=date(2022, 8, 31))
    assert (view.structure, view.unit_not_yet, view.unit_gone) == ("legacy", True, False)
    assert not history.fetch_history_view(session, actor=world.admin, unit_id=province.id, as_of=REFORM_DAY).unit_not_yet


def test_a_unit_outside_the_scope_is_refused(session, world):
    with pytest.raises(PermissionDenied):
        history.fetch_history_view(session, actor=world.leader, unit_id=world.tree.district2.id, as_of=REFORM_DAY)


def test_the_meeting_of_a_past_year_regroups_the_country_by_todays_provinces_on_request(session):
    build(session)
    reform.apply_carry_over(session, actor=factories.admin())
    session.flush()
    kwargs = {"actor": factories.admin(), "unit_id": None, "start": date(2024, 1, 1), "end": date(2024, 12, 31)}
    by_day = fetch_meeting(session, **kwargs)
    regrouped = fetch_meeting(session, **kwargs, structure="2025")
    assert list(by_day.children["name"]) == ["Tỉnh Quảng Nam"]
    assert list(regrouped.children["name"]) == list(regrouped.child_progress["name"]) == ["Thành phố Đà Nẵng"]
    # The same villages either way: regrouping moves no figure.
    assert by_day.children["villages"].sum() == regrouped.children["villages"].sum()
    assert by_day.children["covered"].sum() == regrouped.children["covered"].sum()


def test_a_2025_unit_leads_to_the_legacy_units_it_was_formed_from(session):
    rw = build(session)
    admin = factories.admin()
    # A 2025 commune: the legacy communes mapped into it (the divided one went partly to two communes).
    assert history.fetch_predecessors(session, actor=admin, unit_id=rw.phu_ninh.id) == [(rw.tree.commune.id, rw.tree.commune.name)]
    assert history.fetch_predecessors(session, actor=admin, unit_id=rw.tam_hai.id) == [(rw.divided.id, rw.divided.name)]
    # A 2025 province: the legacy provinces above those communes, each readable by the province's leader.
    leader = factories.actor_for(factories.create_user(session, role="leader", unit=rw.province))
    found = history.fetch_predecessors(session, actor=leader, unit_id=rw.province.id)
    assert found == [(rw.tree.province.id, rw.tree.province.name)]
    assert history.fetch_history_view(session, actor=leader, unit_id=found[0][0], as_of=date(2022, 8, 31)).unit == rw.tree.province.name
    # A legacy unit has none.
    assert history.fetch_predecessors(session, actor=admin, unit_id=rw.tree.district.id) == []
