"""db/history.py: which structure a page's day falls in, whether both are loaded, and an account's unit that ended."""

from datetime import date

from db import history
from db.models import Unit
from db.structures import LAST_LEGACY_DAY, REFORM_DAY
from db.text import fold
from db.units import insert_unit
from tests import factories


def add_new_province(session, short: str = "Đà Nẵng") -> Unit:  # noqa: ANN001
    """A 2025 province, valid from the reform day."""
    name = f"Thành phố {short}"
    return insert_unit(session, Unit(parent_id=None, structure="2025", tier="province", level=1, kind="Thành phố", name=name,
                                     short_name=short, search_name=fold(name), code="48", valid_from=REFORM_DAY))


def test_a_legacy_only_database_has_nothing_to_say(session, world):
    view = history.fetch_history_view(session, actor=world.leader, as_of=date(2026, 12, 1))
    assert view == history.HistoryView(both_loaded=False, structure="2025", own_unit_gone=None)
    assert history.fetch_history_view(session, actor=world.admin, as_of=date(2022, 8, 31)).structure == "legacy"


def test_with_both_structures_the_day_decides_and_an_ended_unit_is_named(session, world):
    add_new_province(session)
    world.tree.district.valid_to = LAST_LEGACY_DAY
    session.flush()
    before = history.fetch_history_view(session, actor=world.leader, as_of=LAST_LEGACY_DAY)
    after = history.fetch_history_view(session, actor=world.leader, as_of=REFORM_DAY)
    assert (before.both_loaded, before.structure, before.own_unit_gone) == (True, "legacy", None)
    assert (after.both_loaded, after.structure, after.own_unit_gone) == (True, "2025", "Huyện Phú Ninh")
    # The national administrator has no unit to lose.
    assert history.fetch_history_view(session, actor=world.admin, as_of=REFORM_DAY).own_unit_gone is None


def test_one_structure_alone_is_not_both(session):
    add_new_province(session)
    session.flush()
    assert history.both_structures_loaded(session) is False
    factories.create_tree(session)
    assert history.both_structures_loaded(session) is True
