"""The data version counters (db/versions.py) across the 01/07/2025 reform."""

from datetime import date

from db import versions
from db.activities import ActivityInput, create_activity
from db.teams import TeamInput, create_team
from db.transactions import run_write
from tests import factories


def test_a_report_in_a_carried_village_moves_both_provinces_counters(session, world):  # noqa: ANN001
    """A carried village sits under its legacy province and its 2025 province: a write there must move both
    counters, or the 2025 province's readers (today's leaders and officers) keep stale cached figures."""
    new = factories.create_new_tree(session, world.tree)
    village = factories.carry_village(session, world.tree.villages[0], new.commune)
    team = factories.create_team(session, unit=village, members=2, established_on=date(2023, 3, 1))
    session.commit()
    before = versions.fetch_scope_versions(session)
    today = date.today()
    run_write(create_activity, actor=factories.admin(), today=today,
              data=ActivityInput(team_id=team.id, activity_date=today, activity_type="other"))
    session.expire_all()
    after = versions.fetch_scope_versions(session)
    for province in (world.tree.province.id, new.province.id):
        assert after.get(province, 0) > before.get(province, 0), province


def test_a_team_registered_in_a_carried_village_moves_both_provinces_counters(session, world):  # noqa: ANN001
    """The officer's write of today (a team for a carried village without one) moves the 2025 province's counter too."""
    new = factories.create_new_tree(session, world.tree)
    village = factories.carry_village(session, world.tree.villages[0], new.commune)
    session.commit()
    before = versions.fetch_scope_versions(session)
    run_write(create_team, actor=factories.admin(), today=date.today(),
              data=TeamInput(unit_id=village.id, name="Tổ CNSCĐ thôn", established_on=date.today()))
    session.expire_all()
    after = versions.fetch_scope_versions(session)
    for province in (world.tree.province.id, new.province.id):
        assert after.get(province, 0) > before.get(province, 0), province
