"""What must hold after any fault: the rollups and kept counts equal a recount, every report has its audit row."""

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, func, select

from db import counts
from db.models import Activity, ActivityRollup, AuditEntry
from db.versions import fetch_data_version
from tests.factories import count_rows

SUMS = ["reports", "people_reached", "households_reached", "results"]
ROOT = Path(__file__).resolve().parents[2]


def assert_counts_check_passes(engine: Engine) -> None:
    """`python -m db counts check` on the engine's database, as an operator runs it: exit 0, nothing listed."""
    env = {**os.environ, "DATABASE_URL": engine.url.render_as_string(hide_password=False), "PYTHONIOENCODING": "utf-8"}
    done = subprocess.run([sys.executable, "-m", "db", "counts", "check"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, f"the kept tables drifted:\n{done.stdout}{done.stderr}"
    assert "khớp" in done.stdout


def rollups_and_recount(engine: Engine) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The kept rollups (rows that still count something) and the same sums recounted from the raw reports."""
    with engine.connect() as conn:
        raw = pd.DataFrame(conn.execute(select(Activity.commune_id, Activity.activity_date, Activity.activity_type,
                                               Activity.people_reached, Activity.households_reached,
                                               Activity.results)).all(),
                           columns=["commune_id", "day", "activity_type", "people_reached", "households_reached", "results"])
        kept = pd.DataFrame(conn.execute(select(ActivityRollup.commune_id, ActivityRollup.month, ActivityRollup.activity_type,
                                                *(getattr(ActivityRollup, c) for c in SUMS))).all(),
                            columns=["commune_id", "month", "activity_type", *SUMS])
    raw["month"] = [d.replace(day=1) for d in raw["day"]]
    raw["reports"] = 1
    recount = raw.groupby(["commune_id", "month", "activity_type"])[SUMS].sum().astype("int64").sort_index()
    kept = kept[kept["reports"] != 0].set_index(["commune_id", "month", "activity_type"])[SUMS].astype("int64").sort_index()
    return kept, recount


def assert_consistent(engine: Engine, *, new_connections: bool = True) -> dict[str, int]:
    """Rollups and kept counts equal a recount; every report has exactly its 'create' audit row and no audit row is orphaned;
    the data version counts every audited write. Returns a few counts for the test's own checks.

    The kept tables are checked by `python -m db counts check`, as an operator would, unless the server takes no
    new connection (`new_connections=False`: PostgreSQL on a full disk cannot start a backend); then the same
    check runs in-process on the engine's pooled connection.
    """
    kept, recount = rollups_and_recount(engine)
    pd.testing.assert_frame_equal(kept, recount, check_dtype=False)
    if new_connections:
        assert_counts_check_passes(engine)
    else:
        with engine.connect() as conn:
            assert counts.differences(conn) == [], "the kept tables drifted"
    with engine.connect() as conn:
        ids = set(conn.scalars(select(Activity.id)).all())
        audited = conn.execute(select(AuditEntry.entity_id, func.count()).where(
            AuditEntry.entity == "activities", AuditEntry.action == "create").group_by(AuditEntry.entity_id)).all()
        audit_rows = count_rows(conn, AuditEntry)
        version = fetch_data_version(conn)
        negative = count_rows(conn, ActivityRollup, ActivityRollup.reports < 0)
    assert {int(i) for i, _ in audited} == ids, "a report without its audit row, or an audit row without its report"
    assert all(n == 1 for _, n in audited)
    assert version == audit_rows, "every audited write bumps the data version once, in the same transaction"
    assert negative == 0
    return {"activities": len(ids), "audit_rows": int(audit_rows)}
