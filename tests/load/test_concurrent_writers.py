"""Fifty concurrent writers, a hundred reports each, through the service layer: exactly 5,000 reports."""

import statistics
import threading
import time
from datetime import date, timedelta

import pandas as pd
import pytest
from sqlalchemy import select

from db import activities
from db.activities import ActivityInput
from db.auth import SYSTEM
from db.models import Activity, ActivityRollup
from db.transactions import run_write
from tests import factories
from tests.factories import count_rows
from tests.faults.checks import assert_counts_check_passes

pytestmark = pytest.mark.load
WRITERS, REPORTS = 50, 100
TYPES = ["loudspeaker", "public_service", "door_to_door", "cashless"]


def test_fifty_writers_make_exactly_five_thousand_reports(session, backend):
    tree = factories.create_tree(session)
    teams = [factories.create_team(session, unit=v, established_on=date(2022, 7, 1)) for v in tree.villages]
    session.commit()
    team_ids = [t.id for t in teams]
    today = date.today()
    latencies: list[float] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def writer(n: int) -> None:
        mine = []
        for i in range(REPORTS):
            # Few teams, types and months: writers collide on the same rollup rows on purpose.
            data = ActivityInput(team_id=team_ids[(n + i) % len(team_ids)], activity_date=today - timedelta(days=(n * 7 + i) % 90),
                                 activity_type=TYPES[i % len(TYPES)], people_reached=(n + i) % 40, households_reached=i % 9,
                                 results=i % 5, form_token=f"w{n}-r{i}")
            started = time.perf_counter()
            try:
                run_write(activities.create_activity, actor=SYSTEM, data=data)
                if i % 10 == 0:  # the same form sent again after a dropped connection
                    run_write(activities.create_activity, actor=SYSTEM, data=data)
            except BaseException as err:  # noqa: BLE001 - every failure is a test failure, collected
                with lock:
                    errors.append(err)
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started

    assert errors == []
    session.expire_all()
    assert count_rows(session, Activity) == WRITERS * REPORTS
    raw = pd.DataFrame(session.execute(select(Activity.commune_id, Activity.activity_date, Activity.activity_type,
                                              Activity.people_reached, Activity.results)).all(),
                       columns=["commune_id", "day", "activity_type", "people", "results"])
    raw["month"] = [d.replace(day=1) for d in raw["day"]]
    recount = raw.groupby(["commune_id", "month", "activity_type"]).agg(n=("day", "size"), people=("people", "sum"),
                                                                         results=("results", "sum")).sort_index()
    rollups = pd.DataFrame(session.execute(select(ActivityRollup.commune_id, ActivityRollup.month, ActivityRollup.activity_type,
                                                  ActivityRollup.reports, ActivityRollup.people_reached, ActivityRollup.results)
                                           .where(ActivityRollup.reports != 0)).all(),
                           columns=["commune_id", "month", "activity_type", "n", "people", "results"])
    rollups = rollups.set_index(["commune_id", "month", "activity_type"]).sort_index()
    assert rollups[["n", "people", "results"]].astype("int64").equals(recount[["n", "people", "results"]].astype("int64"))
    assert_counts_check_passes(session.get_bind())  # the district, province and country counts too
    p95 = statistics.quantiles(latencies, n=20)[18]
    print(f"\n[{backend}] {WRITERS * REPORTS} reports in {elapsed:.1f} s: {WRITERS * REPORTS / elapsed:.0f} reports/s, "
          f"p50 {statistics.median(latencies) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms")
