"""The permission matrix: every role × every read and write function × inside and outside its scope.

One table of rules drives it: for each function, which roles may call it on a target inside their
scope. Outside their scope nobody may (an administrator has no outside). Each cell runs in its own
transaction, rolled back afterwards, so one cell's write never changes the next cell's answer.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from db import activities, audit, auth, coverage, meeting, members, recommendations, reporting, targets, teams, units
from db.access import Actor
from db.activities import ActivityInput
from db.auth import actor_of
from db.errors import PermissionDenied
from db.members import MemberInput
from db.models import Member
from db.teams import TeamInput
from tests import factories

TODAY = date.today()
READERS = {"admin", "officer", "leader", "volunteer"}
WRITERS = {"admin", "officer"}


@dataclass
class Side:
    """The records on one side of the scope line."""

    district: object
    commune: object
    village: object
    team: object
    member: object
    activity: object
    user: object


def _side(session, *, district, commune, village, reporter: Actor, tag: str) -> Side:  # noqa: ANN001
    team = factories.create_team(session, unit=village, established_on=date(2022, 7, 1), members=1)
    session.flush()
    member = session.query(Member).filter_by(team_id=team.id).first()
    activity = activities.create_activity(
        session, actor=reporter if reporter.team_id in (None, team.id) else auth.SYSTEM,
        data=ActivityInput(team_id=team.id, activity_date=TODAY - timedelta(days=1), activity_type="training", people_reached=5),
    )
    user = factories.create_user(session, role="leader", unit=commune, username=f"lanhdao.{tag}")
    return Side(district, commune, village, team, member, activity, user)


@dataclass
class Scope:
    """The shared world's actors, a volunteer added, and the records inside and outside their scope."""

    actors: dict[str, Actor]  # role → actor; all but the admin bound to Huyện Phú Ninh (or a team in it)
    inside: Side  # Huyện Phú Ninh: Xã Tam Phước, Thôn Phú Mỹ and its team
    outside: Side  # Huyện Núi Thành: Xã Tam Xuân, Thôn Long Khánh and its team
    own_team: object  # the volunteer's team (Thôn Khánh Thọ)
    own_report: object  # the volunteer's own report


@pytest.fixture
def scope(session, world):  # noqa: ANN001, ANN201
    """A district inside every non-admin actor's scope and another district outside it."""
    tree = world.tree
    volunteer_team = factories.create_team(session, unit=tree.villages[1], established_on=date(2022, 7, 1), members=1)
    session.flush()
    actors = {
        "admin": world.admin,
        "officer": world.officer,
        "leader": world.leader,
        "volunteer": actor_of(factories.create_user(session, role="volunteer", team=volunteer_team, username="tnv.pm")),
    }
    inside = _side(session, district=tree.district, commune=tree.commune, village=tree.villages[0],
                   reporter=actors["officer"], tag="in")
    # The volunteer's own team and report: what "inside" means for a volunteer's writes.
    own_report = activities.create_activity(
        session, actor=actors["volunteer"],
        data=ActivityInput(team_id=volunteer_team.id, activity_date=TODAY - timedelta(days=1), activity_type="cashless"),
    )
    outside = _side(session, district=tree.district2, commune=tree.commune2, village=tree.village_other,
                    reporter=auth.SYSTEM, tag="out")
    session.commit()
    return Scope(actors=actors, inside=inside, outside=outside, own_team=volunteer_team, own_report=own_report)


def _member_input() -> MemberInput:
    return MemberInput(full_name="Ngô Thị Mai", joined_on=date(2023, 3, 1))


def _report(team_id: int) -> ActivityInput:
    return ActivityInput(team_id=team_id, activity_date=TODAY - timedelta(days=2), activity_type="door_to_door", people_reached=4)


# function name → (roles allowed inside their scope, call(session, actor, side, scope))
Call = Callable[..., object]
RULES: dict[str, tuple[set[str], Call]] = {
    # reads
    "fetch_unit": (READERS, lambda s, a, x, w: units.fetch_unit(s, actor=a, unit_id=x.commune.id)),
    "fetch_children": (READERS, lambda s, a, x, w: units.fetch_children(s, actor=a, parent_id=x.commune.id)),
    "fetch_ancestors": (READERS, lambda s, a, x, w: units.fetch_ancestors(s, actor=a, unit_id=x.village.id)),
    "fetch_coverage_by_child": (READERS, lambda s, a, x, w: coverage.fetch_coverage_by_child(s, actor=a, unit_id=x.commune.id)),
    "fetch_indicators": (READERS, lambda s, a, x, w: coverage.fetch_indicators(s, actor=a, unit_id=x.commune.id)),
    "fetch_uncovered_villages": (READERS, lambda s, a, x, w: coverage.fetch_uncovered_villages(s, actor=a, unit_id=x.commune.id)),
    "fetch_villages": (READERS, lambda s, a, x, w: units.fetch_villages(s, actor=a, commune_id=x.commune.id)),
    "fetch_teams": (READERS, lambda s, a, x, w: teams.fetch_teams(s, actor=a, unit_id=x.commune.id)),
    "fetch_team": (READERS, lambda s, a, x, w: teams.fetch_team(s, actor=a, team_id=x.team.id)),
    "fetch_members": (READERS, lambda s, a, x, w: members.fetch_members(s, actor=a, team_id=x.team.id)),
    "fetch_member_composition": (READERS, lambda s, a, x, w: members.fetch_member_composition(s, actor=a, unit_id=x.commune.id)),
    "fetch_unit_activity_by_month": (READERS, lambda s, a, x, w: activities.fetch_unit_activity_by_month(
        s, actor=a, unit_id=x.commune.id, start=date(2022, 1, 1), end=TODAY)),
    "fetch_team_activity_by_month": (READERS, lambda s, a, x, w: activities.fetch_team_activity_by_month(
        s, actor=a, team_id=x.team.id, start=date(2022, 1, 1), end=TODAY)),
    "fetch_recent_activities": (READERS, lambda s, a, x, w: activities.fetch_recent_activities(s, actor=a, team_id=x.team.id)),
    "fetch_activity": (READERS, lambda s, a, x, w: activities.fetch_activity(s, actor=a, activity_id=x.activity.id)),
    "fetch_reporting_by_child": (READERS, lambda s, a, x, w: reporting.fetch_reporting_by_child(
        s, actor=a, unit_id=x.commune.id, start=TODAY - timedelta(days=29), end=TODAY)),
    "fetch_silent_teams": (READERS, lambda s, a, x, w: reporting.fetch_silent_teams(
        s, actor=a, unit_id=x.commune.id, start=TODAY - timedelta(days=29), end=TODAY)),
    "fetch_team_history": (WRITERS, lambda s, a, x, w: audit.fetch_team_history(s, actor=a, team_id=x.team.id)),
    "fetch_activity_history": (READERS, lambda s, a, x, w: audit.fetch_activity_history(s, actor=a, activity_id=x.activity.id)),
    # writes
    "create_village": (WRITERS, lambda s, a, x, w: units.create_village(s, actor=a, commune_id=x.commune.id, kind="Thôn", name="Mới Lập")),
    "create_team": (WRITERS, lambda s, a, x, w: teams.create_team(s, actor=a, data=TeamInput(
        unit_id=x.commune.id, name="Tổ cấp xã", established_on=date(2023, 1, 1)))),
    "update_team": (WRITERS, lambda s, a, x, w: teams.update_team(s, actor=a, team_id=x.team.id, data=TeamInput(
        unit_id=x.village.id, name="Tên mới", established_on=date(2022, 7, 1)))),
    "close_team": (WRITERS, lambda s, a, x, w: teams.close_team(s, actor=a, team_id=x.team.id, closed_on=TODAY)),
    "create_member": (WRITERS, lambda s, a, x, w: members.create_member(s, actor=a, team_id=x.team.id, data=_member_input())),
    "update_member": (WRITERS, lambda s, a, x, w: members.update_member(s, actor=a, member_id=x.member.id, data=_member_input())),
    "end_membership": (WRITERS, lambda s, a, x, w: members.end_membership(s, actor=a, member_id=x.member.id, left_on=TODAY)),
    "create_activity": ({"admin", "officer", "volunteer"}, lambda s, a, x, w: activities.create_activity(
        s, actor=a, data=_report(w.own_team.id if a.role == "volunteer" and x is w.inside else x.team.id))),
    "update_activity": ({"admin", "officer", "volunteer"}, lambda s, a, x, w: activities.update_activity(
        s, actor=a, activity_id=(w.own_report.id if a.role == "volunteer" and x is w.inside else x.activity.id),
        data=_report(w.own_team.id if a.role == "volunteer" and x is w.inside else x.team.id))),
    "delete_activity": ({"admin", "officer", "volunteer"}, lambda s, a, x, w: activities.delete_activity(
        s, actor=a, activity_id=(w.own_report.id if a.role == "volunteer" and x is w.inside else x.activity.id))),
    "delete_activities": (WRITERS, lambda s, a, x, w: activities.delete_activities(s, actor=a, activity_ids=[x.activity.id])),
    "fetch_reports_to_review": (WRITERS, lambda s, a, x, w: activities.fetch_reports_to_review(
        s, actor=a, unit_id=x.commune.id, start=date(2022, 1, 1), end=TODAY)),
    "fetch_users": (WRITERS, lambda s, a, x, w: auth.fetch_users(s, actor=a) if x is w.inside else _users_outside(s, a, x)),
    "create_user": (WRITERS, lambda s, a, x, w: auth.create_user(
        s, actor=a, username="moi.taikhoan", password="Mat-khau-rat-dai-9", full_name="Mới", role="leader", unit_id=x.commune.id)),
    "set_user_active": (WRITERS, lambda s, a, x, w: auth.set_user_active(s, actor=a, user_id=x.user.id, active=False)),
    "reset_password": (WRITERS, lambda s, a, x, w: auth.reset_password(s, actor=a, user_id=x.user.id, new_password="Mat-khau-moi-2026")),
    # units, the map
    "resolve_unit": (READERS, lambda s, a, x, w: units.resolve_unit(s, actor=a, ref=x.commune.name)),
    "search_units": (READERS, lambda s, a, x, w: _search_outside(s, a, x, w)),
    "fetch_commune_points": (READERS, lambda s, a, x, w: coverage.fetch_commune_points(s, actor=a, unit_id=x.commune.id)),
    "fetch_district_points": (READERS, lambda s, a, x, w: coverage.fetch_district_points(s, actor=a, unit_id=x.commune.id)),
    "fetch_activity_by_child": (READERS, lambda s, a, x, w: activities.fetch_activity_by_child(
        s, actor=a, unit_id=x.commune.id, start=date(2022, 1, 1), end=TODAY)),
    "fetch_village_teams": (READERS, lambda s, a, x, w: coverage.fetch_village_teams(s, actor=a, commune_id=x.commune.id)),
    "fetch_archipelagos": (READERS, lambda s, a, x, w: coverage.fetch_archipelagos(s, actor=a, unit_id=x.commune.id)),
    "fetch_meeting": (READERS, lambda s, a, x, w: meeting.fetch_meeting(
        s, actor=a, unit_id=x.commune.id, start=date(2022, 1, 1), end=TODAY)),
    # recommendations
    "create_recommendation": (READERS, lambda s, a, x, w: _raise(s, a, x, w)),
    "answer_recommendation": (WRITERS, lambda s, a, x, w: recommendations.answer_recommendation(
        s, actor=a, recommendation_id=_raised(s, x).id, answer="Đã bố trí máy.", status="resolved")),
    "fetch_recommendations": (READERS, lambda s, a, x, w: recommendations.fetch_recommendations(s, actor=a, unit_id=x.commune.id)),
    "fetch_recommendation_counts": (READERS, lambda s, a, x, w: recommendations.fetch_recommendation_counts(
        s, actor=a, unit_id=x.commune.id)),
    "count_open": (READERS, lambda s, a, x, w: recommendations.count_open(s, actor=a, unit_id=x.commune.id)),
    # targets and progress
    "set_target": (WRITERS, lambda s, a, x, w: targets.set_target(
        s, actor=a, unit_id=x.commune.id, kind="village_coverage", value=1.0, due_on=date(2026, 12, 31))),
    "fetch_targets": (READERS, lambda s, a, x, w: targets.fetch_targets(s, actor=a, unit_id=x.commune.id)),
    "fetch_coverage_target": (READERS, lambda s, a, x, w: targets.fetch_coverage_target(s, actor=a, unit_id=x.commune.id)),
    "fetch_coverage_timeline": (READERS, lambda s, a, x, w: targets.fetch_coverage_timeline(
        s, actor=a, unit_id=x.commune.id, start=date(2022, 1, 1), end=TODAY)),
    "fetch_target_progress": (READERS, lambda s, a, x, w: targets.fetch_target_progress(s, actor=a, unit_id=x.commune.id)),
    "fetch_child_progress": (READERS, lambda s, a, x, w: targets.fetch_child_progress(s, actor=a, unit_id=x.commune.id)),
}

# Functions in db/ that take an actor but have no target on either side of a scope line, each with where
# its rule is tested instead (tests/architecture checks that every other one is in RULES).
NOT_IN_MATRIX = {
    "ensure_can_read_unit": "the scope checks themselves (tests/db/test_access.py)",
    "ensure_can_write_unit": "the scope checks themselves (tests/db/test_access.py)",
    "ensure_can_read_team": "the scope checks themselves (tests/db/test_access.py)",
    "ensure_can_write_team": "the scope checks themselves (tests/db/test_access.py)",
    "scope_unit": "the scope default every read above goes through",
    "record": "writes the audit row of a write already allowed; the actor only names who made it",
    "change_password": "acts on the signed-in account only (tests/db/test_auth.py)",
    "start_session": "starts the signed-in account's own session (tests/db/test_auth.py)",
    "fetch_open_to_answer": "lists what waits for the actor in their own scope; no target (tests/db/test_recommendations.py)",
    "plan_import": "an Excel file, checked row by row against the scope (tests/db/test_imports.py)",
    "apply_import": "an Excel file, checked row by row against the scope (tests/db/test_imports.py)",
}


def _search_outside(session, actor: Actor, side: Side, scope: "Scope") -> None:  # noqa: ANN001
    """search_units has no target: "outside" means the other district's commune must not be found."""
    found = set(units.search_units(session, actor=actor, query=side.commune.name)["id"])
    if side is scope.outside and actor.role != "admin":
        if side.commune.id in found:
            raise AssertionError("a unit outside the scope was found")
        raise PermissionDenied()  # nothing outside was shown: the same as being refused
    assert side.commune.id in found


def _raised(session, side: Side):  # noqa: ANN001, ANN202
    """A recommendation raised about the side's commune (by the system), for an answer."""
    rec = recommendations.create_recommendation(session, actor=auth.SYSTEM, unit_id=side.commune.id, category="difficulty",
                                                text="Thiếu máy tính bảng để hướng dẫn người dân.")
    session.flush()
    return rec


def _raise(session, actor: Actor, side: Side, scope: "Scope") -> None:  # noqa: ANN001
    """Raise one for the side's team; a volunteer's always goes to their own team, so asking for another is refused."""
    team = scope.own_team if actor.role == "volunteer" and side is scope.inside else side.team
    rec = recommendations.create_recommendation(session, actor=actor, unit_id=side.village.id, category="difficulty",
                                                text="Người dân chưa có điện thoại thông minh.", team_id=team.id)
    if rec.team_id != team.id:
        raise PermissionDenied()


def _users_outside(session, actor: Actor, side: Side) -> None:  # noqa: ANN001
    """fetch_users has no target: "outside" means the list must not show the other district's accounts."""
    listed = set(auth.fetch_users(session, actor=actor)["user_id"])
    if side.user.id in listed and actor.role != "admin":
        raise AssertionError("an account outside the scope was listed")
    if actor.role not in WRITERS:
        raise PermissionDenied()
    if actor.role != "admin":
        raise PermissionDenied()  # nothing outside was shown: the same as being refused


@pytest.mark.parametrize("name", sorted(RULES))
def test_permission_matrix(session, scope, name):
    allowed_inside, call = RULES[name]
    outcomes = {}
    for role, actor in scope.actors.items():
        for where in ("inside", "outside"):
            expected = role in allowed_inside and (where == "inside" or role == "admin")
            try:
                call(session, actor, getattr(scope, where), scope)
                session.flush()
                got = True
            except PermissionDenied:
                got = False
            finally:
                session.rollback()
            outcomes[(role, where)] = got
            assert got == expected, f"{name}: {role} {where} → {'allowed' if got else 'refused'}"
    assert len(outcomes) == 8
