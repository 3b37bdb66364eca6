"""Overview, coverage and reports say which structure their figures follow once both structures are loaded."""

from datetime import date

from db import vocab
from db.auth import actor_of
from db.models import Unit
from db.structures import LAST_LEGACY_DAY, REFORM_DAY
from db.text import fold
from db.units import insert_unit
from tests import factories
from tests.pages.conftest import open_page, texts

LEGACY_NOTE = vocab.STRUCTURE_NOTES["legacy"]
NEW_NOTE = vocab.STRUCTURE_NOTES["2025"]


def load_new_structure(session, tree: factories.Tree) -> Unit:  # noqa: ANN001
    """A 2025 province beside the legacy tree, and the legacy units' end, as `seed units` sets them with both loaded."""
    name = "Thành phố Đà Nẵng"
    province = insert_unit(session, Unit(parent_id=None, structure="2025", tier="province", level=1, kind="Thành phố",
                                         name=name, short_name="Đà Nẵng", search_name=fold(name), code="48",
                                         valid_from=REFORM_DAY))
    for unit in (tree.province, tree.district, tree.district2, tree.commune, tree.commune2):
        unit.valid_to = LAST_LEGACY_DAY
    session.flush()
    return province


def toggles(at) -> list[str]:  # noqa: ANN001
    return [t.label for t in at.toggle]


def test_a_legacy_only_database_shows_no_structure_notes(app, session):
    tree = factories.create_tree(session)
    leader = factories.create_user(session, role="leader", unit=tree.district, username="lanhdao.h1")
    session.commit()
    at = app(actor_of(leader)).run()
    at.date_input(key="overview_as_of").set_value(date(2022, 8, 31)).run()
    assert not at.exception and not at.warning
    shown = texts(at)
    assert LEGACY_NOTE not in shown and NEW_NOTE not in shown
    assert vocab.REGROUP_LABEL not in toggles(at)


def test_overview_says_the_structure_of_the_day_and_offers_the_regrouping_before_it(app, session):
    tree = factories.create_tree(session)
    province = load_new_structure(session, tree)
    officer = factories.create_user(session, role="officer", unit=province, username="canbo.danang")
    session.commit()
    at = app(actor_of(officer)).run()
    assert not at.exception and not at.warning
    assert NEW_NOTE in texts(at) and LEGACY_NOTE not in texts(at)
    assert vocab.REGROUP_LABEL not in toggles(at)  # today is already in today's units
    at.date_input(key="overview_as_of").set_value(LAST_LEGACY_DAY).run()
    assert LEGACY_NOTE in texts(at) and NEW_NOTE not in texts(at)
    assert toggles(at) == [vocab.REGROUP_LABEL]


def test_a_volunteer_reads_the_note_without_the_regrouping(app, session):
    tree = factories.create_tree(session)
    load_new_structure(session, tree)
    team = factories.create_team(session, unit=tree.villages[0])
    volunteer = factories.create_user(session, role="volunteer", unit=tree.commune, team=team, username="tnv.h")
    session.commit()
    at = app(actor_of(volunteer)).run()
    at.date_input(key="overview_as_of").set_value(date(2023, 3, 1)).run()
    assert LEGACY_NOTE in texts(at)
    assert vocab.REGROUP_LABEL not in toggles(at)


def test_an_account_of_a_unit_that_ended_is_warned_from_the_reform_day(app, session):
    tree = factories.create_tree(session)
    load_new_structure(session, tree)
    leader = factories.create_user(session, role="leader", unit=tree.district, username="lanhdao.h2")
    session.commit()
    at = app(actor_of(leader)).run()
    warned = ("Huyện Phú Ninh không còn từ 01/07/2025 (sắp xếp đơn vị hành chính); tài khoản đang chờ quản trị viên gán "
              "đơn vị mới. Số liệu dưới đây theo địa giới cũ.")
    assert [w.value for w in at.warning] == [warned]
    assert NEW_NOTE not in texts(at)  # the figures below are the legacy unit's: the 2025 note would contradict them
    at.date_input(key="overview_as_of").set_value(LAST_LEGACY_DAY).run()
    assert not at.warning and LEGACY_NOTE in texts(at)


def test_coverage_page_follows_its_own_date(app, session):
    tree = factories.create_tree(session)
    load_new_structure(session, tree)
    admin = factories.create_user(session, role="admin", username="quantri.h")
    session.commit()
    at = open_page(app(actor_of(admin)).run(), "coverage_page")
    assert NEW_NOTE in texts(at)
    at.date_input(key="coverage_as_of").set_value(date(2024, 12, 31)).run()
    assert not at.exception
    assert LEGACY_NOTE in texts(at) and toggles(at) == [vocab.REGROUP_LABEL]


def test_reports_page_follows_the_last_day_of_the_period(app, session):
    tree = factories.create_tree(session)
    load_new_structure(session, tree)
    admin = factories.create_user(session, role="admin", username="quantri.r")
    session.commit()
    at = app(actor_of(admin))
    at.query_params.update({"ky": "year", "tu": "2024-01-01", "den": "2024-12-31"})
    at.run()
    at = open_page(at, "reports_page")
    assert not at.exception
    assert LEGACY_NOTE in texts(at) and NEW_NOTE not in texts(at)
