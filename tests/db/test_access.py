"""Scope: an officer reads only their own subtree; leaders and volunteers write nothing."""

from collections.abc import Callable
from datetime import date, timedelta

import pytest

from db import activities, audit, coverage, meeting, members, recommendations, reporting, teams
from db.activities import ActivityInput
from db.auth import actor_of
from db.errors import PermissionDenied, UserError
from db.members import MemberInput, create_member
from db.models import AuditEntry, Member, Team, Unit
from db.teams import TeamInput, close_team, create_team, fetch_teams, update_team
from db.units import create_village, fetch_ancestors, fetch_children, fetch_unit, fetch_villages
from tests import factories
from tests.factories import row_counts

# ---- scope --------------------------------------------------------------------------------------

Read = Callable[..., object]
READS: dict[str, Read] = {
    "fetch_unit": lambda s, a, t: fetch_unit(s, actor=a, unit_id=t.commune.id),
    "fetch_children": lambda s, a, t: fetch_children(s, actor=a, parent_id=t.district.id),
    "fetch_ancestors": lambda s, a, t: fetch_ancestors(s, actor=a, unit_id=t.villages[0].id),
    "fetch_indicators": lambda s, a, t: coverage.fetch_indicators(s, actor=a, unit_id=t.district.id),
    "fetch_coverage_by_child": lambda s, a, t: coverage.fetch_coverage_by_child(s, actor=a, unit_id=t.district.id),
    "fetch_uncovered_villages": lambda s, a, t: coverage.fetch_uncovered_villages(s, actor=a, unit_id=t.commune.id),
    "fetch_villages": lambda s, a, t: fetch_villages(s, actor=a, commune_id=t.commune.id),
    "fetch_teams": lambda s, a, t: fetch_teams(s, actor=a, unit_id=t.commune.id),
    "fetch_commune_points": lambda s, a, t: coverage.fetch_commune_points(s, actor=a, unit_id=t.district.id),
    "fetch_district_points": lambda s, a, t: coverage.fetch_district_points(s, actor=a, unit_id=t.district.id),
}


@pytest.mark.parametrize("read", sorted(READS))
def test_an_officer_cannot_read_another_district(session, read):
    tree = factories.create_tree(session)
    outsider = factories.officer_of(session, tree.district2)
    insider = factories.officer_of(session, tree.district)
    session.commit()
    READS[read](session, insider, tree)  # inside: allowed
    with pytest.raises(PermissionDenied):
        READS[read](session, outsider, tree)


Write = Callable[..., object]
WRITES: dict[str, Write] = {
    "create_village": lambda s, a, t, team: create_village(s, actor=a, commune_id=t.commune.id, kind="Thôn", name="Mới"),
    "create_team": lambda s, a, t, team: create_team(s, actor=a, data=TeamInput(
        unit_id=t.villages[1].id, name="Tổ mới", established_on=date(2023, 1, 1))),
    "update_team": lambda s, a, t, team: update_team(s, actor=a, team_id=team.id, data=TeamInput(
        unit_id=team.unit_id, name="Tên khác", established_on=team.established_on)),
    "close_team": lambda s, a, t, team: close_team(s, actor=a, team_id=team.id, closed_on=date(2024, 1, 1)),
    "create_member": lambda s, a, t, team: create_member(s, actor=a, team_id=team.id, data=MemberInput(full_name="Lê Văn Tâm")),
}


@pytest.mark.parametrize("role", ["leader", "volunteer"])
@pytest.mark.parametrize("write", sorted(WRITES))
def test_leaders_and_volunteers_cannot_write(session, role, write):
    tree = factories.create_tree(session)
    team = factories.create_team(session, unit=tree.villages[0], members=1)
    user = factories.create_user(session, role=role, unit=tree.district if role == "leader" else None,
                                 team=team if role == "volunteer" else None)
    session.commit()
    counts_before = row_counts(session, (Unit, Team, Member, AuditEntry))
    with pytest.raises(PermissionDenied):
        WRITES[write](session, factories.actor_for(user), tree, team)
    session.rollback()
    assert row_counts(session, (Unit, Team, Member, AuditEntry)) == counts_before
    # An officer of the district may make the same write.
    WRITES[write](session, factories.officer_of(session, tree.district), tree, team)




# ---- a volunteer reads their own team's rows, the commune's figures --------------------------------


@pytest.fixture
def neighbours(session, world):  # noqa: ANN001, ANN201
    """Two teams of Xã Tam Phước, each with a member with a phone and a report; a volunteer of the second."""
    tree = world.tree
    other, own = (factories.create_team(session, unit=v, established_on=date(2022, 7, 1)) for v in tree.villages[:2])
    session.flush()
    for team, phone in ((other, "0905111222"), (own, "0935444555")):
        create_member(session, actor=world.officer, team_id=team.id,
                      data=MemberInput(full_name="Lê Thị Hoa", phone=phone, joined_on=date(2023, 1, 1)))
    day = date.today() - timedelta(days=1)
    reports = {
        team.id: activities.create_activity(session, actor=world.officer, data=ActivityInput(
            team_id=team.id, activity_date=day, activity_type="public_service", people_reached=n, note=note))
        for team, n, note in ((other, 40, "Ghi chú của tổ Phú Mỹ"), (own, 3, "Ghi chú của tổ Khánh Thọ"))
    }
    volunteer = actor_of(factories.create_user(session, role="volunteer", team=own, username="tnv.khantho"))
    session.commit()
    return tree, other, own, reports, volunteer


def test_a_volunteer_cannot_read_another_teams_reports_or_record(session, neighbours):
    """Issue 14: inside the commune a volunteer read other teams' reports one by one and in the recent list."""
    tree, other, own, reports, volunteer = neighbours
    start, end = date(2022, 1, 1), date.today()
    refused = {
        "fetch_team": lambda t, r: teams.fetch_team(session, actor=volunteer, team_id=t),
        "fetch_recent_activities": lambda t, r: activities.fetch_recent_activities(session, actor=volunteer, team_id=t),
        "fetch_team_activity_by_month": lambda t, r: activities.fetch_team_activity_by_month(
            session, actor=volunteer, team_id=t, start=start, end=end),
        "fetch_activity": lambda t, r: activities.fetch_activity(session, actor=volunteer, activity_id=r),
        "fetch_activity_history": lambda t, r: audit.fetch_activity_history(session, actor=volunteer, activity_id=r),
    }
    for read in refused.values():
        with pytest.raises(PermissionDenied):
            read(other.id, reports[other.id].id)
        read(own.id, reports[own.id].id)  # their own team: allowed
    # The list of a unit's latest reports: the volunteer's own team's only, whichever unit in scope is asked.
    for unit_id in (None, tree.commune.id, tree.villages[0].id):
        listed = activities.fetch_recent_activities(session, actor=volunteer, unit_id=unit_id)
        assert set(listed["activity_id"]) <= {reports[own.id].id}
        assert reports[other.id].id not in set(listed["activity_id"])
    # ...while the commune's charts keep both teams' figures.
    months = activities.fetch_unit_activity_by_month(session, actor=volunteer, unit_id=tree.commune.id, start=start, end=end)
    assert int(months["people_reached"].sum()) == 43


def test_an_officer_still_lists_every_teams_reports(session, neighbours, world):
    tree, other, own, reports, _ = neighbours
    for reader in (world.officer, world.leader):
        listed = activities.fetch_recent_activities(session, actor=reader, unit_id=tree.commune.id)
        assert set(listed["activity_id"]) == {reports[other.id].id, reports[own.id].id}


def test_no_read_a_volunteer_can_call_returns_another_teams_phone_or_note(session, neighbours):
    """A sweep of the reads that return rows, on the commune, the volunteer's team and the other team."""
    tree, other, own, reports, volunteer = neighbours
    start, end = date(2022, 1, 1), date.today()
    c = tree.commune.id
    reads: dict[str, Callable[[int, int], object]] = {
        "fetch_members": lambda t, r: members.fetch_members(session, actor=volunteer, team_id=t),
        "fetch_team": lambda t, r: teams.fetch_team(session, actor=volunteer, team_id=t),
        "fetch_teams": lambda t, r: teams.fetch_teams(session, actor=volunteer, unit_id=c),
        "fetch_recent_activities(team)": lambda t, r: activities.fetch_recent_activities(session, actor=volunteer, team_id=t),
        "fetch_recent_activities(unit)": lambda t, r: activities.fetch_recent_activities(session, actor=volunteer, unit_id=c),
        "fetch_activity": lambda t, r: activities.fetch_activity(session, actor=volunteer, activity_id=r),
        "fetch_activity_history": lambda t, r: audit.fetch_activity_history(session, actor=volunteer, activity_id=r),
        "fetch_village_teams": lambda t, r: coverage.fetch_village_teams(session, actor=volunteer, commune_id=c),
        "fetch_silent_teams": lambda t, r: reporting.fetch_silent_teams(session, actor=volunteer, unit_id=c, start=start, end=end),
        "fetch_recommendations": lambda t, r: recommendations.fetch_recommendations(session, actor=volunteer, unit_id=c),
        "fetch_meeting": lambda t, r: meeting.fetch_meeting(session, actor=volunteer, unit_id=c, start=start, end=end),
    }
    shown: list[str] = []
    for name, read in reads.items():
        for team, report in ((own, reports[own.id]), (other, reports[other.id])):
            try:
                result = read(team.id, report.id)
            except PermissionDenied:
                continue
            finally:
                session.rollback()
            text = repr(result.to_dict("records")) if hasattr(result, "to_dict") else repr(result)
            for secret in ("0905111222", "Ghi chú của tổ Phú Mỹ"):
                assert secret not in text, f"{name} showed the other team's {secret!r} to a volunteer"
            shown.append(text)
    # The sweep can see a phone or a note: the volunteer's own team's are there.
    assert any("0935444555" in text for text in shown) and any("Ghi chú của tổ Khánh Thọ" in text for text in shown)


def test_a_form_token_is_looked_up_only_after_the_permission_check(session, neighbours, world):
    """Issue 14: reusing another account's form token returned that account's report before any permission check."""
    from db.models import Activity

    tree, other, own, _reports, volunteer = neighbours
    owner = actor_of(factories.create_user(session, role="volunteer", team=other, username="tnv.phumy"))
    session.commit()
    day = date.today() - timedelta(days=1)
    first = activities.create_activity(session, actor=owner, data=ActivityInput(
        team_id=other.id, activity_date=day, activity_type="training", people_reached=9, form_token="tok-phu-my-1"))
    session.commit()
    before = factories.count_rows(session, Activity)
    outsider = factories.officer_of(session, tree.district2)
    session.commit()

    def reuse(actor, team_id: int):  # noqa: ANN001, ANN202
        return activities.create_activity(session, actor=actor, data=ActivityInput(
            team_id=team_id, activity_date=day, activity_type="training", people_reached=9, form_token="tok-phu-my-1"))

    # Not allowed to report for that team: refused as such, whatever the token.
    for actor in (volunteer, world.leader, outsider):
        with pytest.raises(PermissionDenied):
            reuse(actor, other.id)
        session.rollback()
    # Allowed to report for the team, but the token is someone else's: a plain refusal that shows nothing of it.
    for actor, team_id in ((volunteer, own.id), (world.officer, other.id)):
        with pytest.raises(UserError) as err:
            reuse(actor, team_id)
        session.rollback()
        assert "9" not in err.value.message and other.name not in err.value.message
    assert factories.count_rows(session, Activity) == before
    assert reuse(owner, other.id).id == first.id  # the sender's own resend: the first report, unchanged
