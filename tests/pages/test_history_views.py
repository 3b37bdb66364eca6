"""Overview, coverage and reports say which structure their figures follow once both structures are loaded; the
country's past days can be regrouped by today's provinces; an account whose unit ended is warned."""

from datetime import date

import pytest

from db import reform, vocab
from db.auth import actor_of
from db.structures import LAST_LEGACY_DAY
from tests import factories
from tests.db.test_reform import ReformWorld, build
from tests.pages.conftest import open_page, texts

LEGACY_NOTE = vocab.STRUCTURE_NOTES["legacy"]
NEW_NOTE = vocab.STRUCTURE_NOTES["2025"]


@pytest.fixture
def carried(session) -> ReformWorld:  # noqa: ANN001
    """Both structures loaded (legacy Quảng Nam, 2025 Đà Nẵng) and the registry carried over."""
    world = build(session)
    reform.apply_carry_over(session, actor=factories.admin())
    session.commit()
    return world


def toggles(at) -> list[str]:  # noqa: ANN001
    return [t.label for t in at.toggle]


def child_names(at) -> list[str]:  # noqa: ANN001
    """The units of the overview's coverage list."""
    return list(at.dataframe[0].value["Địa bàn"])


def test_a_legacy_only_database_shows_no_structure_notes(app, session):
    tree = factories.create_tree(session)
    leader = factories.create_user(session, role="leader", unit=tree.district, username="lanhdao.h1")
    session.commit()
    at = app(actor_of(leader)).run()
    at.date_input(key="overview_as_of").set_value(date(2022, 8, 31)).run()
    assert not at.exception and not at.warning
    shown = texts(at)
    assert LEGACY_NOTE not in shown and NEW_NOTE not in shown and vocab.REGROUP_NOTE not in shown
    assert vocab.REGROUP_LABEL not in toggles(at)


def test_the_country_follows_the_day_and_a_past_day_can_be_regrouped_by_todays_provinces(app, session, carried):
    admin = factories.create_user(session, role="admin", username="quantri.h")
    session.commit()
    at = app(actor_of(admin)).run()
    assert not at.exception and not at.warning
    assert NEW_NOTE in texts(at) and LEGACY_NOTE not in texts(at)
    assert vocab.REGROUP_LABEL not in toggles(at)  # today is already in today's units
    assert child_names(at) == ["Thành phố Đà Nẵng"]
    at.date_input(key="overview_as_of").set_value(date(2024, 12, 31)).run()
    assert LEGACY_NOTE in texts(at) and NEW_NOTE not in texts(at)
    assert toggles(at) == [vocab.REGROUP_LABEL]
    assert child_names(at) == ["Tỉnh Quảng Nam"]
    at.toggle(key="overview_regroup").set_value(True).run()
    assert not at.exception
    assert vocab.REGROUP_NOTE in texts(at)
    assert child_names(at) == ["Thành phố Đà Nẵng"]


def test_a_2025_units_past_is_said_to_be_regrouped(app, session, carried):
    officer = factories.create_user(session, role="officer", unit=carried.province, username="canbo.danang")
    session.commit()
    at = app(actor_of(officer)).run()
    assert NEW_NOTE in texts(at) and not at.warning
    at.date_input(key="overview_as_of").set_value(LAST_LEGACY_DAY).run()
    assert vocab.REGROUP_NOTE in texts(at) and LEGACY_NOTE not in texts(at)
    assert vocab.REGROUP_LABEL not in toggles(at)  # nothing to switch: its villages are today's units already


def test_a_volunteer_reads_the_note_without_the_regrouping(app, session):
    world = build(session)
    volunteer = factories.create_user(session, role="volunteer", unit=world.tree.commune,
                                      team=factories.create_team(session, unit=world.tree.villages[2]), username="tnv.h")
    session.commit()
    at = app(actor_of(volunteer)).run()
    at.date_input(key="overview_as_of").set_value(date(2023, 3, 1)).run()
    assert LEGACY_NOTE in texts(at) and not at.warning
    assert vocab.REGROUP_LABEL not in toggles(at)


def test_an_account_of_a_unit_that_ended_is_warned_from_the_reform_day(app, session, carried):
    leader = factories.create_user(session, role="leader", unit=carried.tree.district, username="lanhdao.h2")
    session.commit()
    at = app(actor_of(leader)).run()
    warned = ("Huyện Phú Ninh không còn từ 01/07/2025 (sắp xếp đơn vị hành chính); tài khoản đang chờ quản trị viên gán "
              "đơn vị mới. Số liệu dưới đây theo địa giới cũ.")
    assert [w.value for w in at.warning] == [warned]
    assert NEW_NOTE not in texts(at)  # the figures below are the legacy unit's: the 2025 note would contradict them
    at.date_input(key="overview_as_of").set_value(LAST_LEGACY_DAY).run()
    assert not at.warning and LEGACY_NOTE in texts(at)
    assert vocab.REGROUP_LABEL not in toggles(at)  # a legacy unit's children are legacy units


def test_coverage_page_follows_its_own_date_and_the_unit_in_view(app, session, carried):
    admin = factories.create_user(session, role="admin", username="quantri.c")
    session.commit()
    at = app(actor_of(admin))
    at.query_params["unit"] = str(carried.tree.district.id)
    at = open_page(at.run(), "coverage_page")
    assert [w.value for w in at.warning] == [
        "Huyện Phú Ninh không còn từ 01/07/2025 (sắp xếp đơn vị hành chính). Số liệu dưới đây theo địa giới cũ."]
    at.query_params.pop("unit")
    at.date_input(key="coverage_as_of").set_value(date(2024, 12, 31)).run()
    assert not at.exception and not at.warning
    assert LEGACY_NOTE in texts(at) and toggles(at) == [vocab.REGROUP_LABEL]
    at.toggle(key="coverage_regroup").set_value(True).run()
    assert not at.exception and vocab.REGROUP_NOTE in texts(at)


def test_reports_page_follows_the_last_day_of_the_period(app, session, carried):
    admin = factories.create_user(session, role="admin", username="quantri.r")
    session.commit()
    at = app(actor_of(admin))
    at.query_params.update({"ky": "year", "tu": "2024-01-01", "den": "2024-12-31"})
    at = open_page(at.run(), "reports_page")
    assert not at.exception
    assert LEGACY_NOTE in texts(at) and NEW_NOTE not in texts(at)
    at.toggle(key="reports_regroup").set_value(True).run()
    assert not at.exception and vocab.REGROUP_NOTE in texts(at)
