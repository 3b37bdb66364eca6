"""Campaign day: separate writer processes at once, every report its team's first of the day, on both backends."""

from datetime import date

import pytest
from sqlalchemy import func, select

from bench import writers
from db import coverage
from db.models import Activity
from tests import factories
from tests.faults.checks import assert_counts_check_passes

pytestmark = pytest.mark.load
PROCESSES, REPORTS = 4, 25


def test_writer_processes_on_campaign_day_count_every_report_once(session, engine, db_url):  # noqa: ANN001
    """Four processes, each with its own engine, as app servers are: every report is written once, each (team, day)
    has its one report, and every kept figure of the district, province and country equals a recount."""
    world = factories.create_world(session)
    teams = [factories.create_team(session, unit=v, established_on=date(2022, 7, 1), members=2)
             for v in (*world.tree.villages, world.tree.village_other)]
    session.commit()
    before = coverage.fetch_indicators(session, actor=world.admin, unit_id=None)

    jobs = writers.plan(engine, pattern="campaign", processes=PROCESSES, per_process=REPORTS, seed=11, tag="campaign")
    result = writers.run_round(db_url, jobs)

    assert result.errors == []
    session.expire_all()
    written = session.execute(select(Activity.team_id, Activity.activity_date)).all()
    assert len(written) == PROCESSES * REPORTS
    assert sorted(written) == sorted((job.team_id, job.day) for mine in jobs for job in mine)
    assert {team_id for team_id, _ in written} <= {t.id for t in teams}
    after = coverage.fetch_indicators(session, actor=world.admin, unit_id=None)
    assert after.activities - before.activities == PROCESSES * REPORTS
    assert after.people_reached - before.people_reached == session.scalar(select(func.sum(Activity.people_reached)))
    assert_counts_check_passes(engine)  # every kept row of every unit, district, province and the country
