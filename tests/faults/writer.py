"""A child "app process" for the kill -9 tests: it writes reports through the service layer until killed.

Run as `python -m tests.faults.writer TEAM_ID[,TEAM_ID…] TAG` with DATABASE_URL set. After each committed
report it prints `ok <activity id>`, so the parent knows which writes were acknowledged to the user.
"""

import sys
from datetime import date, timedelta

from db import activities
from db.activities import ActivityInput
from db.auth import SYSTEM
from db.transactions import run_write

TYPES = ["loudspeaker", "public_service", "app_install", "cashless", "ecommerce", "door_to_door", "training", "other"]


def main() -> None:
    """Write reports forever (the parent kills us), acknowledging each commit on stdout."""
    team_ids = [int(t) for t in sys.argv[1].split(",")]
    tag = sys.argv[2]
    today = date.today()
    i = 0
    while True:
        data = ActivityInput(
            team_id=team_ids[i % len(team_ids)], activity_date=today - timedelta(days=i % 120),
            activity_type=TYPES[i % len(TYPES)], people_reached=i % 50, households_reached=i % 13, results=i % 7,
            note=f"Báo cáo {tag}-{i} — đi từng ngõ, gõ từng nhà", form_token=f"{tag}-{i}",
        )
        activity = run_write(activities.create_activity, actor=SYSTEM, data=data)
        print(f"ok {activity.id}", flush=True)
        i += 1


if __name__ == "__main__":
    main()
