"""Activity reports: idempotent submission, bounds and dates, the 7-day rule, rollups, rates."""

import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd
import pytest
from PIL import Image
from sqlalchemy import select

from db import activities, counts, coverage, reporting
from db.access import Actor
from db.activities import ActivityInput
from db.auth import actor_of
from db.errors import PermissionDenied, UserError
from db.models import Activity, ActivityRollup, AuditEntry, Team
from db.text import collation_key
from tests import factories
from tests.factories import count_rows

TODAY = date(2026, 11, 20)


def _report(team, **overrides) -> ActivityInput:  # noqa: ANN001
    values = dict(team_id=team.id, activity_date=TODAY - timedelta(days=3), activity_type="public_service",
                  people_reached=12, households_reached=9, results=7, note="Hướng dẫn nộp hồ sơ")
    values.update(overrides)
    return ActivityInput(**values)


@dataclass
class Reporting:
    """Teams on top of the shared world: two in Tam Phước (a volunteer on the first), one in Núi Thành."""

    team: Team  # Thôn Phú Mỹ, 3 members, from 01/07/2022; the volunteer's
    team2: Team  # Thôn Khánh Thọ, 2 members, from 01/08/2022
    far: Team  # Thôn Long Khánh (Huyện Núi Thành, outside the officer's district), 2 members
    volunteer: Actor


@pytest.fixture
def reporters(session, world):  # noqa: ANN001, ANN201
    """The teams that report, and the volunteer of the first."""
    tree = world.tree
    team = factories.create_team(session, unit=tree.villages[0], established_on=date(2022, 7, 1), members=3)
    team2 = factories.create_team(session, unit=tree.villages[1], established_on=date(2022, 8, 1), members=2)
    far = factories.create_team(session, unit=tree.village_other, established_on=date(2022, 8, 1), members=2)
    volunteer = actor_of(factories.create_user(session, role="volunteer", team=team, username="tnv.a"))
    session.commit()
    return Reporting(team, team2, far, volunteer)


def _recount(session) -> pd.DataFrame:  # noqa: ANN001
    """Rollups recomputed from the raw reports, independently of the code under test."""
    rows = session.execute(select(Activity.commune_id, Activity.activity_date, Activity.activity_type,
                                  Activity.people_reached, Activity.households_reached, Activity.results)).all()
    raw = pd.DataFrame(rows, columns=["commune_id", "day", "activity_type", "people_reached", "households_reached", "results"])
    raw["month"] = [d.replace(day=1) for d in raw["day"]]
    grouped = raw.groupby(["commune_id", "month", "activity_type"], as_index=False).agg(
        reports=("day", "size"), people_reached=("people_reached", "sum"),
        households_reached=("households_reached", "sum"), results=("results", "sum"))
    return grouped.sort_values(["commune_id", "month", "activity_type"]).reset_index(drop=True)


def _rollups(session) -> pd.DataFrame:  # noqa: ANN001
    rows = session.execute(select(ActivityRollup.commune_id, ActivityRollup.month, ActivityRollup.activity_type,
                                  ActivityRollup.reports, ActivityRollup.people_reached,
                                  ActivityRollup.households_reached, ActivityRollup.results)
                           .where(ActivityRollup.reports != 0)).all()
    df = pd.DataFrame(rows, columns=["commune_id", "month", "activity_type", "reports", "people_reached", "households_reached", "results"])
    return df.sort_values(["commune_id", "month", "activity_type"]).reset_index(drop=True)


def _assert_rollups_match(session) -> None:  # noqa: ANN001
    got, want = _rollups(session), _recount(session)
    assert len(got) == len(want)
    for col in ("commune_id", "reports", "people_reached", "households_reached", "results"):
        assert list(got[col].astype("int64")) == list(want[col].astype("int64")), col


def test_report_is_stored_and_rollups_follow(session, world, reporters):
    a = activities.create_activity(session, actor=reporters.volunteer, data=_report(reporters.team), today=TODAY)
    activities.create_activity(session, actor=world.officer, data=_report(reporters.team2, activity_type="door_to_door", results=15), today=TODAY)
    activities.create_activity(session, actor=world.officer, data=_report(reporters.team, activity_date=date(2026, 9, 2)), today=TODAY)
    session.commit()
    stored = session.get(Activity, a.id)
    assert (stored.people_reached, stored.results, stored.reported_by) == (12, 7, reporters.volunteer.user_id)
    assert stored.commune_id == world.tree.commune.id
    _assert_rollups_match(session)


def test_same_form_token_twice_makes_one_report(session, world, reporters):
    data = _report(reporters.team, form_token="token-123")
    first = activities.create_activity(session, actor=reporters.volunteer, data=data, today=TODAY)
    session.commit()
    again = activities.create_activity(session, actor=reporters.volunteer, data=data, today=TODAY)
    session.commit()
    assert again.id == first.id
    assert count_rows(session, Activity) == 1
    _assert_rollups_match(session)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"activity_date": TODAY + timedelta(days=1)}, "activity_date"),
        ({"activity_date": date(2022, 6, 30)}, "activity_date"),  # before the team was established
        ({"activity_date": None}, "activity_date"),
        ({"activity_type": "picnic"}, "activity_type"),
        ({"people_reached": -1}, "people_reached"),
        ({"people_reached": 10_001}, "people_reached"),
        ({"households_reached": 2.5}, "households_reached"),
        ({"results": 10**9}, "results"),
        ({"note": "x" * 2001}, "note"),
    ],
)
def test_bad_reports_are_refused_and_nothing_is_written(session, world, reporters, overrides, field):
    before = (count_rows(session, Activity), count_rows(session, ActivityRollup), count_rows(session, AuditEntry))
    with pytest.raises(UserError) as err:
        activities.create_activity(session, actor=reporters.volunteer, data=_report(reporters.team, **overrides), today=TODAY)
    session.rollback()
    assert err.value.field == field
    assert err.value.message
    assert (count_rows(session, Activity), count_rows(session, ActivityRollup), count_rows(session, AuditEntry)) == before


def test_report_after_the_team_stopped_is_refused(session, world, reporters):
    team = factories.create_team(session, unit=world.tree.villages[2], established_on=date(2022, 7, 1), closed_on=date(2025, 1, 1))
    session.commit()
    with pytest.raises(UserError):
        activities.create_activity(session, actor=world.officer, data=_report(team, activity_date=date(2025, 2, 1)), today=TODAY)


def test_volunteer_reports_only_for_their_team_and_leaders_not_at_all(session, world, reporters):
    with pytest.raises(PermissionDenied):
        activities.create_activity(session, actor=reporters.volunteer, data=_report(reporters.team2), today=TODAY)
    with pytest.raises(PermissionDenied):
        activities.create_activity(session, actor=world.leader, data=_report(reporters.team), today=TODAY)
    with pytest.raises(PermissionDenied):  # the far team lies outside the district officer's scope
        activities.create_activity(session, actor=world.officer, data=_report(reporters.far), today=TODAY)


def test_seven_day_rule(session, world, reporters):
    a = activities.create_activity(session, actor=reporters.volunteer, data=_report(reporters.team), today=TODAY)
    session.commit()
    created = session.get(Activity, a.id).created_at.date()
    within, after = created + timedelta(days=7), created + timedelta(days=8)
    activities.update_activity(session, actor=reporters.volunteer, activity_id=a.id, data=_report(reporters.team, people_reached=20), today=within)
    session.commit()
    with pytest.raises(PermissionDenied):
        activities.update_activity(session, actor=reporters.volunteer, activity_id=a.id, data=_report(reporters.team, people_reached=30), today=after)
    with pytest.raises(PermissionDenied):
        activities.delete_activity(session, actor=reporters.volunteer, activity_id=a.id, today=after)
    session.rollback()
    activities.update_activity(session, actor=world.officer, activity_id=a.id, data=_report(reporters.team, people_reached=40), today=after)
    session.commit()
    assert session.get(Activity, a.id).people_reached == 40
    _assert_rollups_match(session)


def test_a_volunteer_cannot_change_someone_elses_report(session, world, reporters):
    a = activities.create_activity(session, actor=world.officer, data=_report(reporters.team), today=TODAY)
    session.commit()
    with pytest.raises(PermissionDenied):
        activities.delete_activity(session, actor=reporters.volunteer, activity_id=a.id, today=TODAY)


def test_delete_moves_rollups_and_keeps_an_audit_row(session, world, reporters):
    a = activities.create_activity(session, actor=reporters.volunteer, data=_report(reporters.team), today=TODAY)
    activities.create_activity(session, actor=reporters.volunteer, data=_report(reporters.team, people_reached=5), today=TODAY)
    session.commit()
    activities.delete_activity(session, actor=world.officer, activity_id=a.id, today=TODAY)
    session.commit()
    assert count_rows(session, Activity) == 1
    _assert_rollups_match(session)
    audit = session.scalars(select(AuditEntry).where(AuditEntry.entity == "activities", AuditEntry.action == "delete")).one()
    assert audit.before["people_reached"] == 12 and audit.after is None


def test_rebuild_equals_the_rollups_kept_write_by_write(session, world, reporters):
    for i in range(12):
        team = reporters.team if i % 2 else reporters.team2
        kind = ["loudspeaker", "cashless", "training"][i % 3]
        activities.create_activity(session, actor=world.officer, data=_report(team, activity_type=kind, people_reached=i,
                                   activity_date=TODAY - timedelta(days=20 * i)), today=TODAY)
    session.commit()
    incremental = _rollups(session)
    counts.rebuild(session)
    session.commit()
    rebuilt = _rollups(session)
    assert incremental[["commune_id", "reports", "people_reached"]].astype("int64").equals(rebuilt[["commune_id", "reports", "people_reached"]].astype("int64"))


def test_indicator_totals_and_rates_agree_with_the_raw_reports(session, world, reporters):
    days = [TODAY - timedelta(days=d) for d in (1, 5, 40, 70, 400)]
    for day in days:
        activities.create_activity(session, actor=world.officer, data=_report(reporters.team, activity_date=day, people_reached=day.day), today=TODAY)
    session.commit()
    officer = world.officer
    for as_of in (TODAY, TODAY - timedelta(days=30), date(2025, 11, 10)):
        ind = coverage.fetch_indicators(session, actor=officer, unit_id=world.tree.district.id, as_of=as_of)
        upto = [d for d in days if d <= as_of]
        assert ind.activities == len(upto)
        assert ind.people_reached == sum(d.day for d in upto)
    ind = coverage.fetch_indicators(session, actor=officer, unit_id=world.tree.district.id, as_of=TODAY)
    start, end = reporting.period_of(TODAY)
    by_child = reporting.fetch_reporting_by_child(session, actor=officer, unit_id=world.tree.district.id, start=start, end=end)
    silent = reporting.fetch_silent_teams(session, actor=officer, unit_id=world.tree.district.id, start=start, end=end)
    assert int(by_child["silent"].sum()) == ind.silent_teams == len(silent)
    assert reporters.team2.id in set(silent["team_id"]) and reporters.team.id not in set(silent["team_id"])
    assert ind.active_team_rate == pytest.approx(int(by_child["reporting"].sum()) / int(by_child["teams"].sum()))


def test_monthly_charts_read_the_same_sums_as_the_raw_reports(session, world, reporters):
    for i, kind in enumerate(["loudspeaker", "door_to_door", "door_to_door"]):
        activities.create_activity(session, actor=world.officer, data=_report(reporters.team, activity_type=kind, people_reached=10 + i), today=TODAY)
    session.commit()
    start = date(2026, 1, 1)
    unit = activities.fetch_unit_activity_by_month(session, actor=world.officer, unit_id=world.tree.commune.id, start=start, end=TODAY)
    team = activities.fetch_team_activity_by_month(session, actor=world.officer, team_id=reporters.team.id, start=start, end=TODAY)
    for frame in (unit, team):
        assert int(frame["reports"].sum()) == 3
        assert int(frame["people_reached"].sum()) == 10 + 11 + 12
        assert set(frame["activity_type"]) == {"loudspeaker", "door_to_door"}


def _png(size: tuple[int, int] = (8, 8)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buf, format="PNG")
    return buf.getvalue()


def test_photo_is_checked_by_content_and_stored_by_hash(session, world, reporters, tmp_path, monkeypatch):
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    content = _png()
    a = activities.create_activity(session, actor=reporters.volunteer, data=_report(reporters.team, photo=content), today=TODAY)
    session.commit()
    import hashlib

    stored = (tmp_path / "photos" / a.photo).read_bytes()  # re-encoded (no metadata), named by its own hash
    assert a.photo == hashlib.sha256(stored).hexdigest() + ".png"
    with Image.open(io.BytesIO(stored)) as img:
        assert (img.format, img.size, img.getpixel((0, 0))) == ("PNG", (8, 8), (200, 30, 30))
    with pytest.raises(UserError) as err:
        activities.create_activity(session, actor=reporters.volunteer, data=_report(reporters.team, photo=b"%PDF-1.4 not an image"), today=TODAY)
    assert err.value.field == "photo"
    with pytest.raises(UserError):
        activities.create_activity(session, actor=reporters.volunteer, data=_report(reporters.team, photo=content + b"\0" * (5 * 1024 * 1024)), today=TODAY)


def test_recent_reports_mark_what_the_actor_may_change(session, world, reporters):
    mine = activities.create_activity(session, actor=reporters.volunteer, data=_report(reporters.team), today=TODAY)
    theirs = activities.create_activity(session, actor=world.officer, data=_report(reporters.team), today=TODAY)
    session.commit()
    today = datetime.now().date()
    recent = activities.fetch_recent_activities(session, actor=reporters.volunteer, team_id=reporters.team.id, today=today)
    flags = dict(zip(recent["activity_id"], recent["can_change"], strict=True))
    assert flags == {mine.id: True, theirs.id: False}


def _vietnamese(names: tuple[str, ...]) -> tuple:
    """Sort key of a row of names, each in Vietnamese order."""
    return tuple(collation_key(n) for n in names)


def test_silent_teams_listed_by_commune_and_village_and_cut_at_the_limit(session, world):
    tree = world.tree
    teams = [factories.create_team(session, unit=v, established_on=date(2026, 1, 1)) for v in [*tree.villages, tree.village_other]]
    factories.create_team(session, unit=tree.commune, established_on=date(2026, 1, 1))
    session.commit()
    activities.create_activity(session, actor=world.admin, data=_report(teams[1], activity_date=TODAY), today=TODAY)
    session.commit()
    start, end = reporting.period_of(TODAY)
    every = reporting.fetch_silent_teams(session, actor=world.admin, unit_id=None, start=start, end=end)
    assert teams[1].id not in set(every["team_id"]) and len(every) == 4  # 5 active teams, one reported
    keys = list(zip(every["parent"].fillna(""), every["unit"], strict=True))
    assert keys == sorted(keys, key=_vietnamese)  # "Thôn Đàn Thượng" before "Thôn Phú Mỹ"
    for limit in (1, 2, 3):
        cut = reporting.fetch_silent_teams(session, actor=world.admin, unit_id=None, start=start, end=end, limit=limit)
        assert len(cut) == limit and set(cut["team_id"]) <= set(every["team_id"])
        cut_keys = list(zip(cut["parent"].fillna(""), cut["unit"], strict=True))
        assert cut_keys == sorted(cut_keys, key=_vietnamese)
    district = reporting.fetch_silent_teams(session, actor=world.officer, unit_id=tree.district.id, start=start, end=end)
    assert set(district["team_id"]) == set(every["team_id"]) - {teams[3].id}  # Núi Thành's village is outside
