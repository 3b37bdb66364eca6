"""Caps on reports (issue 14): figures above the plausible need an officer, a per-account rate, bulk deletion."""

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from db import activities, limits
from db.access import Actor
from db.activities import ActivityInput, TooManyReports
from db.auth import actor_of
from db.errors import NotFound, PermissionDenied, UserError
from db.models import Activity, ActivityRollup, AuditEntry, Team
from tests import factories
from tests.db.test_activities import _assert_rollups_match
from tests.factories import count_rows, row_counts

TODAY = date(2026, 11, 20)
TABLES = (Activity, ActivityRollup, AuditEntry)


def _report(team: Team, **overrides: object) -> ActivityInput:
    values: dict = dict(team_id=team.id, activity_date=TODAY - timedelta(days=2), activity_type="public_service",
                        people_reached=12, households_reached=9, results=7)
    values.update(overrides)
    return ActivityInput(**values)


@dataclass
class Caps:
    team: Team  # Thôn Phú Mỹ, the volunteer's
    far: Team  # outside the district officer's scope
    volunteer: Actor


@pytest.fixture
def caps(session, world):  # noqa: ANN001, ANN201
    tree = world.tree
    team = factories.create_team(session, unit=tree.villages[0], established_on=date(2022, 7, 1), members=2)
    far = factories.create_team(session, unit=tree.village_other, established_on=date(2022, 8, 1), members=1)
    volunteer = actor_of(factories.create_user(session, role="volunteer", team=team, username="tnv.caps"))
    session.commit()
    return Caps(team, far, volunteer)


def _audits(session, action: str) -> list[AuditEntry]:  # noqa: ANN001
    return list(session.scalars(select(AuditEntry).where(AuditEntry.entity == "activities", AuditEntry.action == action)
                                .order_by(AuditEntry.id)))


# ---- plausibility -------------------------------------------------------------------------------

@pytest.mark.parametrize("field", ["people_reached", "households_reached", "results"])
def test_a_volunteers_figure_above_the_plausible_is_refused_and_nothing_written(session, world, caps, field):
    before = row_counts(session, TABLES)
    high = limits.PLAUSIBLE_REPORT[field] + 1
    with pytest.raises(UserError) as err:
        activities.create_activity(session, actor=caps.volunteer, today=TODAY,
                                   data=_report(caps.team, **{field: high}, confirmed_large=True))  # a volunteer cannot confirm
    session.rollback()
    assert err.value.field == field
    assert "cao bất thường" in err.value.message and "cán bộ xã" in err.value.message
    assert f"{high:,}".replace(",", ".") in err.value.message
    assert row_counts(session, TABLES) == before


def test_the_plausible_bound_itself_and_a_village_broadcast_need_no_confirmation(session, world, caps):
    at_bound = activities.create_activity(session, actor=caps.volunteer, today=TODAY, data=_report(
        caps.team, **limits.PLAUSIBLE_REPORT))
    broadcast = activities.create_activity(session, actor=caps.volunteer, today=TODAY, data=_report(
        caps.team, activity_type="loudspeaker", people_reached=800, households_reached=300, results=1))
    session.commit()
    assert session.get(Activity, at_bound.id).people_reached == limits.PLAUSIBLE_REPORT["people_reached"]
    assert session.get(Activity, broadcast.id).people_reached == 800
    with pytest.raises(UserError) as err:  # the broadcast's bound is its own, not unlimited
        activities.create_activity(session, actor=caps.volunteer, today=TODAY, data=_report(
            caps.team, activity_type="loudspeaker", people_reached=limits.PLAUSIBLE_BY_TYPE["loudspeaker"]["people_reached"] + 1))
    assert err.value.field == "people_reached"


def test_an_officer_confirms_a_large_report_and_the_audit_row_says_so(session, world, caps):
    before = row_counts(session, TABLES)
    with pytest.raises(UserError) as err:
        activities.create_activity(session, actor=world.officer, today=TODAY, data=_report(caps.team, people_reached=10_000))
    session.rollback()
    assert err.value.field == "people_reached" and "Tôi đã kiểm tra: số liệu này đúng" in err.value.message
    assert row_counts(session, TABLES) == before

    a = activities.create_activity(session, actor=world.officer, today=TODAY,
                                   data=_report(caps.team, people_reached=10_000, confirmed_large=True))
    small = activities.create_activity(session, actor=world.officer, today=TODAY,
                                       data=_report(caps.team, confirmed_large=True))  # ticked, nothing to confirm
    session.commit()
    assert session.get(Activity, a.id).people_reached == 10_000
    created = {e.entity_id: e for e in _audits(session, "create")}
    assert created[a.id].after["confirmed_large"] == activities.CONFIRMED["confirmed_large"]
    assert "confirmed_large" not in created[small.id].after
    _assert_rollups_match(session)


def test_corrections_follow_the_same_rule_but_an_unchanged_confirmed_figure_is_not_asked_again(session, world, caps):
    own = activities.create_activity(session, actor=caps.volunteer, today=TODAY, data=_report(caps.team))
    session.commit()
    with pytest.raises(UserError) as err:
        activities.update_activity(session, actor=caps.volunteer, activity_id=own.id, today=TODAY,
                                   data=_report(caps.team, results=5_000))
    session.rollback()
    assert err.value.field == "results" and session.get(Activity, own.id).results == 7
    with pytest.raises(UserError):
        activities.update_activity(session, actor=world.officer, activity_id=own.id, today=TODAY,
                                   data=_report(caps.team, results=5_000))
    session.rollback()
    activities.update_activity(session, actor=world.officer, activity_id=own.id, today=TODAY,
                               data=_report(caps.team, results=5_000, confirmed_large=True))
    session.commit()
    (update,) = _audits(session, "update")
    assert update.after["confirmed_large"] and update.after["results"] == 5_000
    # The reporter fixes the note of the report the officer confirmed: the figure is unchanged, no confirmation.
    activities.update_activity(session, actor=caps.volunteer, activity_id=own.id, today=TODAY,
                               data=_report(caps.team, results=5_000, note="Đã sửa ghi chú"))
    session.commit()
    assert session.get(Activity, own.id).note == "Đã sửa ghi chú"


# ---- rate ---------------------------------------------------------------------------------------

def _age(session, minutes: float) -> None:  # noqa: ANN001
    """Move every stored report's creation `minutes` into the past (the clock of the rate limit)."""
    for activity in session.scalars(select(Activity)):
        activity.created_at = activity.created_at - timedelta(minutes=minutes)
    session.commit()


def test_the_31st_report_in_ten_minutes_is_refused_and_a_resend_still_answered(session, world, caps):
    most = dict(limits.REPORT_RATE["volunteer"])[10]
    sent = [activities.create_activity(session, actor=caps.volunteer, today=TODAY,
                                       data=_report(caps.team, people_reached=i, form_token=f"rate-{i}")) for i in range(most)]
    session.commit()
    before = row_counts(session, TABLES)
    with pytest.raises(TooManyReports) as err:
        activities.create_activity(session, actor=caps.volunteer, today=TODAY, data=_report(caps.team, form_token="rate-new"))
    session.rollback()
    assert "Bạn đã gửi quá nhiều báo cáo trong thời gian ngắn; hãy thử lại sau" in err.value.message
    assert 1 <= err.value.retry_minutes <= 10 and f"sau {err.value.retry_minutes} phút" in err.value.message
    assert row_counts(session, TABLES) == before
    # A phone that never heard the answer sends a stored report again: it is answered, and counts no more.
    again = activities.create_activity(session, actor=caps.volunteer, today=TODAY, data=_report(caps.team, form_token="rate-0"))
    session.commit()
    assert again.id == sent[0].id and row_counts(session, TABLES) == before
    # Another account is not held back by this one's count.
    activities.create_activity(session, actor=world.officer, today=TODAY, data=_report(caps.team))
    session.rollback()
    # Ten minutes later the window is free again.
    _age(session, 11)
    activities.create_activity(session, actor=caps.volunteer, today=TODAY, data=_report(caps.team, form_token="rate-new"))
    session.commit()
    assert count_rows(session, Activity) == most + 1


def test_the_daily_bound_says_how_many_hours_to_wait(session, world, caps):
    most = dict(limits.REPORT_RATE["volunteer"])[24 * 60]
    now = activities._database_now(session)
    session.add_all([Activity(team_id=caps.team.id, unit_id=caps.team.unit_id, commune_id=world.tree.commune.id,
                              activity_date=TODAY, activity_type="other", reported_by=caps.volunteer.user_id,
                              created_at=now - timedelta(hours=2)) for _ in range(most)])
    session.commit()
    with pytest.raises(TooManyReports) as err:
        activities.create_activity(session, actor=caps.volunteer, today=TODAY, data=_report(caps.team))
    session.rollback()
    assert "thử lại sau 22 giờ" in err.value.message  # the oldest of the day's reports leaves the window in 22 hours
    assert count_rows(session, Activity) == most


def test_officers_type_a_backlog_faster_than_volunteers(session, world, caps):
    volunteer_most = dict(limits.REPORT_RATE["volunteer"])[10]
    for i in range(volunteer_most + 1):
        activities.create_activity(session, actor=world.officer, today=TODAY, data=_report(caps.team, people_reached=i))
    session.commit()
    assert count_rows(session, Activity) == volunteer_most + 1


# ---- bulk deletion ------------------------------------------------------------------------------

def test_an_officer_deletes_many_reports_each_audited(session, world, caps):
    ids = [activities.create_activity(session, actor=caps.volunteer, today=TODAY, data=_report(caps.team, people_reached=i)).id
           for i in range(4)]
    session.commit()
    assert activities.delete_activities(session, actor=world.officer, activity_ids=ids[:3], today=TODAY) == 3
    session.commit()
    assert [a.id for a in session.scalars(select(Activity))] == ids[3:]
    deleted = _audits(session, "delete")
    assert sorted(e.entity_id for e in deleted) == sorted(ids[:3])
    assert {e.before["people_reached"] for e in deleted} == {0, 1, 2} and all(e.after is None for e in deleted)
    assert all(e.user_id == world.officer.user_id for e in deleted)
    _assert_rollups_match(session)


def test_one_report_outside_the_scope_deletes_none(session, world, caps):
    mine = activities.create_activity(session, actor=world.officer, today=TODAY, data=_report(caps.team)).id
    far = activities.create_activity(session, actor=factories.admin(), today=TODAY, data=_report(caps.far)).id
    session.commit()
    before = row_counts(session, TABLES)
    with pytest.raises(PermissionDenied) as err:
        activities.delete_activities(session, actor=world.officer, activity_ids=[mine, far], today=TODAY)
    session.rollback()
    assert "Chưa xóa báo cáo nào" in err.value.message
    assert row_counts(session, TABLES) == before
    with pytest.raises(NotFound):  # a report already gone: none of the others either
        activities.delete_activities(session, actor=world.officer, activity_ids=[mine, far + 1000], today=TODAY)
    session.rollback()
    assert row_counts(session, TABLES) == before


def test_bulk_deletion_is_for_officers_and_capped(session, world, caps):
    own = activities.create_activity(session, actor=caps.volunteer, today=TODAY, data=_report(caps.team)).id
    session.commit()
    with pytest.raises(PermissionDenied):  # even their own report: volunteers delete one at a time
        activities.delete_activities(session, actor=caps.volunteer, activity_ids=[own], today=TODAY)
    with pytest.raises(PermissionDenied):
        activities.delete_activities(session, actor=world.leader, activity_ids=[own], today=TODAY)
    with pytest.raises(UserError) as err:
        activities.delete_activities(session, actor=world.officer, activity_ids=list(range(1, limits.BULK_DELETE_MAX + 2)),
                                     today=TODAY)
    assert f"tối đa {limits.BULK_DELETE_MAX}" in err.value.message
    with pytest.raises(UserError):
        activities.delete_activities(session, actor=world.officer, activity_ids=[], today=TODAY)
    session.rollback()
    assert count_rows(session, Activity) == 1


# ---- the officers' review list ------------------------------------------------------------------

def test_the_review_list_puts_outliers_first_within_scope_team_and_period(session, world, caps):
    team2 = factories.create_team(session, unit=world.tree.villages[1], established_on=date(2022, 7, 1))
    session.commit()
    made = {
        "small": activities.create_activity(session, actor=world.officer, today=TODAY, data=_report(caps.team, people_reached=3)),
        "flood": activities.create_activity(session, actor=world.officer, today=TODAY, data=_report(
            caps.team, people_reached=10_000, confirmed_large=True)),
        "other_team": activities.create_activity(session, actor=world.officer, today=TODAY, data=_report(team2, people_reached=50)),
        "old": activities.create_activity(session, actor=world.officer, today=TODAY, data=_report(
            caps.team, people_reached=9_000, confirmed_large=True, activity_date=TODAY - timedelta(days=60))),
        "far": activities.create_activity(session, actor=factories.admin(), today=TODAY, data=_report(caps.far, people_reached=99)),
    }
    session.commit()
    ids = {a.id: name for name, a in made.items()}
    period = dict(start=TODAY - timedelta(days=29), end=TODAY)
    district = activities.fetch_reports_to_review(session, actor=world.officer, **period)
    assert [ids[i] for i in district["activity_id"]] == ["flood", "other_team", "small"]
    one_team = activities.fetch_reports_to_review(session, actor=world.officer, team_id=caps.team.id, **period)
    assert [ids[i] for i in one_team["activity_id"]] == ["flood", "small"]
    everything = activities.fetch_reports_to_review(session, actor=world.admin, start=date(2022, 1, 1), end=TODAY)
    assert [ids[i] for i in everything["activity_id"]] == ["flood", "old", "far", "other_team", "small"]
    with pytest.raises(PermissionDenied):
        activities.fetch_reports_to_review(session, actor=world.officer, team_id=caps.far.id, **period)
    with pytest.raises(PermissionDenied):
        activities.fetch_reports_to_review(session, actor=caps.volunteer, team_id=caps.team.id, **period)
    with pytest.raises(UserError) as err:
        activities.fetch_reports_to_review(session, actor=world.officer, start=TODAY, end=TODAY - timedelta(days=1))
    assert err.value.field == "period"
