"""The permission matrix: every role × every function in db/ that takes an actor × where its target lies.

One table of rules (RULES) drives it: for each function, which roles may call it on a target inside
their scope, and how to call it. Each cell runs in its own transaction, rolled back afterwards, so one
cell's write never changes the next cell's answer. A target lies in one of three places:

- inside: Huyện Phú Ninh (every actor but the admin is bound to it). A volunteer's "inside" is their own
  team and their own report: call `team_of(a, x, w)` / `report_of(a, x, w)` rather than `x.team` / `x.activity`.
- neighbour: the same records as inside, but never the volunteer's own team: another team of their
  commune. Everyone is answered as inside, except a volunteer on a rule marked `own_team=True` (a team's
  members and phones, its reports, its record, reporting for it), who is refused.
- outside: Huyện Núi Thành. Nobody may, except the administrator (who has no outside).

"Refused" means PermissionDenied. A list without a target refuses by not showing the record: its call
raises PermissionDenied itself when the record is missing (see `_users_outside`, `_waiting`).

Adding a function: every public function defined in db/ (db/imports included) with an `actor` parameter
must be a key of RULES (or, when two modules define the same name, "module.name"), or of NOT_IN_MATRIX
with the test that checks its permission instead; `test_every_db_function_taking_an_actor_is_covered`
fails and names the ones missing. A row is one line:

    "delete_activities": Rule(WRITERS, lambda s, a, x, w: activities.delete_activities(
        s, actor=a, activity_ids=[report_of(a, x, w).id])),

where `s` is the session, `a` the actor, `x` the Side of the target (inside, neighbour or outside) and
`w` the whole Scope (`w.own_team`, `w.own_report`). Add `own_team=True` when a volunteer may act on their
own team's rows only.
"""

import ast
import importlib
import inspect
import pkgutil
import sys
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from db import (
    access,
    activities,
    audit,
    auth,
    coverage,
    imports,
    meeting,
    members,
    recommendations,
    reform,
    reporting,
    targets,
    teams,
    units,
)
from db.access import Actor
from db.activities import ActivityInput
from db.auth import actor_of
from db.errors import PermissionDenied, UserError
from db.history import fetch_history_view, fetch_predecessors
from db.members import MemberInput
from db.models import Member
from db.teams import TeamInput
from tests import factories
from tests.db.test_imports import xlsx

ROOT = Path(__file__).resolve().parents[2]

TODAY = date.today()
READERS = {"admin", "officer", "leader", "volunteer"}
WRITERS = {"admin", "officer"}
ADMIN = {"admin"}
REPORTERS = {"admin", "officer", "volunteer"}


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
    where: str = "inside"  # inside | neighbour | outside


def _side(session, *, district, commune, village, reporter: Actor, tag: str) -> Side:  # noqa: ANN001
    team = factories.create_team(session, unit=village, established_on=date(2022, 7, 1), members=1)
    session.flush()
    member = session.query(Member).filter_by(team_id=team.id).first()
    activity = activities.create_activity(
        session, actor=reporter if reporter.team_id in (None, team.id) else auth.SYSTEM,
        data=ActivityInput(team_id=team.id, activity_date=TODAY - timedelta(days=1), activity_type="training", people_reached=5),
    )
    user = factories.create_user(session, role="leader", unit=commune, username=f"lanhdao.{tag}")
    return Side(district, commune, village, team, member, activity, user, where=tag)


@dataclass
class Scope:
    """The shared world's actors, a volunteer added, and the records inside and outside their scope."""

    actors: dict[str, Actor]  # role → actor; all but the admin bound to Huyện Phú Ninh (or a team in it)
    inside: Side  # Huyện Phú Ninh: Xã Tam Phước, Thôn Phú Mỹ and its team
    outside: Side  # Huyện Núi Thành: Xã Tam Xuân, Thôn Long Khánh and its team
    own_team: object  # the volunteer's team (Thôn Khánh Thọ)
    own_report: object  # the volunteer's own report
    neighbour: Side = field(init=False)  # inside's records, never the volunteer's own: another team of their commune

    def __post_init__(self) -> None:
        self.neighbour = replace(self.inside, where="neighbour")


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
                   reporter=actors["officer"], tag="inside")
    # The volunteer's own team and report: what "inside" means for a volunteer's writes.
    own_report = activities.create_activity(
        session, actor=actors["volunteer"],
        data=ActivityInput(team_id=volunteer_team.id, activity_date=TODAY - timedelta(days=1), activity_type="cashless"),
    )
    outside = _side(session, district=tree.district2, commune=tree.commune2, village=tree.village_other,
                    reporter=auth.SYSTEM, tag="outside")
    session.commit()
    return Scope(actors=actors, inside=inside, outside=outside, own_team=volunteer_team, own_report=own_report)


def _member_input() -> MemberInput:
    return MemberInput(full_name="Ngô Thị Mai", joined_on=date(2023, 3, 1))


def _report(team_id: int) -> ActivityInput:
    return ActivityInput(team_id=team_id, activity_date=TODAY - timedelta(days=2), activity_type="door_to_door", people_reached=4)


def team_of(actor: Actor, side: Side, scope: Scope):  # noqa: ANN201
    """The team a cell acts on: a volunteer's own inside, the side's team everywhere else."""
    return scope.own_team if actor.role == "volunteer" and side.where == "inside" else side.team


def report_of(actor: Actor, side: Side, scope: Scope):  # noqa: ANN201
    """The report a cell acts on: a volunteer's own inside, the side's report everywhere else."""
    return scope.own_report if actor.role == "volunteer" and side.where == "inside" else side.activity


@dataclass(frozen=True)
class Rule:
    """Who may call a function on a target inside their scope, how to call it, and whether a volunteer is cut to their team."""

    roles: Collection[str]
    call: Callable[..., object]  # call(session, actor, side, scope)
    own_team: bool = False  # a volunteer only on their own team: refused on the neighbour team

    def allows(self, role: str, where: str) -> bool:
        """The expected answer of one cell."""
        if role not in self.roles:
            return False
        if where == "outside":
            return role == "admin"
        return not (where == "neighbour" and role == "volunteer" and self.own_team)


# function name → Rule(roles allowed inside their scope, call(session, actor, side, scope)[, own_team=True])
RULES: dict[str, Rule] = {
    # reads
    "fetch_unit": Rule(READERS, lambda s, a, x, w: units.fetch_unit(s, actor=a, unit_id=x.commune.id)),
    "fetch_children": Rule(READERS, lambda s, a, x, w: units.fetch_children(s, actor=a, parent_id=x.commune.id)),
    "fetch_ancestors": Rule(READERS, lambda s, a, x, w: units.fetch_ancestors(s, actor=a, unit_id=x.village.id)),
    "fetch_coverage_by_child": Rule(READERS, lambda s, a, x, w: coverage.fetch_coverage_by_child(s, actor=a, unit_id=x.commune.id)),
    "fetch_history_view": Rule(READERS, lambda s, a, x, w: fetch_history_view(s, actor=a, unit_id=x.commune.id, as_of=TODAY)),
    "fetch_predecessors": Rule(READERS, lambda s, a, x, w: fetch_predecessors(s, actor=a, unit_id=x.commune.id)),
    "fetch_indicators": Rule(READERS, lambda s, a, x, w: coverage.fetch_indicators(s, actor=a, unit_id=x.commune.id)),
    "fetch_uncovered_villages": Rule(READERS, lambda s, a, x, w: coverage.fetch_uncovered_villages(s, actor=a, unit_id=x.commune.id)),
    "fetch_villages": Rule(READERS, lambda s, a, x, w: units.fetch_villages(s, actor=a, commune_id=x.commune.id)),
    "fetch_teams": Rule(READERS, lambda s, a, x, w: teams.fetch_teams(s, actor=a, unit_id=x.commune.id)),
    "fetch_team": Rule(READERS, lambda s, a, x, w: teams.fetch_team(s, actor=a, team_id=team_of(a, x, w).id), own_team=True),
    "fetch_members": Rule(READERS, lambda s, a, x, w: members.fetch_members(s, actor=a, team_id=team_of(a, x, w).id), own_team=True),
    "fetch_member_composition": Rule(READERS, lambda s, a, x, w: members.fetch_member_composition(s, actor=a, unit_id=x.commune.id)),
    "fetch_unit_activity_by_month": Rule(READERS, lambda s, a, x, w: activities.fetch_unit_activity_by_month(
        s, actor=a, unit_id=x.commune.id, start=date(2022, 1, 1), end=TODAY)),
    "fetch_team_activity_by_month": Rule(READERS, lambda s, a, x, w: activities.fetch_team_activity_by_month(
        s, actor=a, team_id=team_of(a, x, w).id, start=date(2022, 1, 1), end=TODAY), own_team=True),
    "fetch_recent_activities": Rule(READERS, lambda s, a, x, w: activities.fetch_recent_activities(
        s, actor=a, team_id=team_of(a, x, w).id), own_team=True),
    "fetch_activity": Rule(READERS, lambda s, a, x, w: activities.fetch_activity(
        s, actor=a, activity_id=report_of(a, x, w).id), own_team=True),
    "fetch_reporting_by_child": Rule(READERS, lambda s, a, x, w: reporting.fetch_reporting_by_child(
        s, actor=a, unit_id=x.commune.id, start=TODAY - timedelta(days=29), end=TODAY)),
    "fetch_silent_teams": Rule(READERS, lambda s, a, x, w: reporting.fetch_silent_teams(
        s, actor=a, unit_id=x.commune.id, start=TODAY - timedelta(days=29), end=TODAY)),
    "fetch_team_history": Rule(WRITERS, lambda s, a, x, w: audit.fetch_team_history(s, actor=a, team_id=x.team.id)),
    "fetch_activity_history": Rule(READERS, lambda s, a, x, w: audit.fetch_activity_history(
        s, actor=a, activity_id=report_of(a, x, w).id), own_team=True),
    # writes
    "create_village": Rule(WRITERS, lambda s, a, x, w: units.create_village(s, actor=a, commune_id=x.commune.id, kind="Thôn", name="Mới Lập")),
    "create_team": Rule(WRITERS, lambda s, a, x, w: teams.create_team(s, actor=a, data=TeamInput(
        unit_id=x.commune.id, name="Tổ cấp xã", established_on=date(2023, 1, 1)))),
    "update_team": Rule(WRITERS, lambda s, a, x, w: teams.update_team(s, actor=a, team_id=x.team.id, data=TeamInput(
        unit_id=x.village.id, name="Tên mới", established_on=date(2022, 7, 1)))),
    "close_team": Rule(WRITERS, lambda s, a, x, w: teams.close_team(s, actor=a, team_id=x.team.id, closed_on=TODAY)),
    "create_member": Rule(WRITERS, lambda s, a, x, w: members.create_member(s, actor=a, team_id=x.team.id, data=_member_input())),
    "update_member": Rule(WRITERS, lambda s, a, x, w: members.update_member(s, actor=a, member_id=x.member.id, data=_member_input())),
    "end_membership": Rule(WRITERS, lambda s, a, x, w: members.end_membership(s, actor=a, member_id=x.member.id, left_on=TODAY)),
    "create_activity": Rule(REPORTERS, lambda s, a, x, w: activities.create_activity(
        s, actor=a, data=_report(team_of(a, x, w).id)), own_team=True),
    "update_activity": Rule(REPORTERS, lambda s, a, x, w: activities.update_activity(
        s, actor=a, activity_id=report_of(a, x, w).id, data=_report(team_of(a, x, w).id)), own_team=True),
    "delete_activity": Rule(REPORTERS, lambda s, a, x, w: activities.delete_activity(
        s, actor=a, activity_id=report_of(a, x, w).id), own_team=True),
    "delete_activities": Rule(WRITERS, lambda s, a, x, w: activities.delete_activities(s, actor=a, activity_ids=[x.activity.id])),
    "fetch_reports_to_review": Rule(WRITERS, lambda s, a, x, w: activities.fetch_reports_to_review(
        s, actor=a, unit_id=x.commune.id, start=date(2022, 1, 1), end=TODAY)),
    "fetch_users": Rule(WRITERS, lambda s, a, x, w: auth.fetch_users(s, actor=a) if x.where != "outside" else _users_outside(s, a, x)),
    "create_user": Rule(WRITERS, lambda s, a, x, w: auth.create_user(
        s, actor=a, username="moi.taikhoan", password="Mat-khau-rat-dai-9", full_name="Mới", role="leader", unit_id=x.commune.id)),
    "set_user_active": Rule(WRITERS, lambda s, a, x, w: auth.set_user_active(s, actor=a, user_id=x.user.id, active=False)),
    "reset_password": Rule(WRITERS, lambda s, a, x, w: auth.reset_password(s, actor=a, user_id=x.user.id, new_password="Mat-khau-moi-2026")),
    # units, the map
    "resolve_unit": Rule(READERS, lambda s, a, x, w: units.resolve_unit(s, actor=a, ref=x.commune.name)),
    "search_units": Rule(READERS, lambda s, a, x, w: _search_outside(s, a, x, w)),
    "fetch_commune_points": Rule(READERS, lambda s, a, x, w: coverage.fetch_commune_points(s, actor=a, unit_id=x.commune.id)),
    "fetch_district_points": Rule(READERS, lambda s, a, x, w: coverage.fetch_district_points(s, actor=a, unit_id=x.commune.id)),
    "fetch_activity_by_child": Rule(READERS, lambda s, a, x, w: activities.fetch_activity_by_child(
        s, actor=a, unit_id=x.commune.id, start=date(2022, 1, 1), end=TODAY)),
    "fetch_village_teams": Rule(READERS, lambda s, a, x, w: coverage.fetch_village_teams(s, actor=a, commune_id=x.commune.id)),
    "fetch_archipelagos": Rule(READERS, lambda s, a, x, w: coverage.fetch_archipelagos(s, actor=a, unit_id=x.commune.id)),
    "fetch_meeting": Rule(READERS, lambda s, a, x, w: meeting.fetch_meeting(
        s, actor=a, unit_id=x.commune.id, start=date(2022, 1, 1), end=TODAY)),
    # recommendations
    "create_recommendation": Rule(READERS, lambda s, a, x, w: _raise(s, a, x, w), own_team=True),
    "answer_recommendation": Rule(WRITERS, lambda s, a, x, w: recommendations.answer_recommendation(
        s, actor=a, recommendation_id=_raised(s, x).id, answer="Đã bố trí máy.", status="resolved")),
    "fetch_recommendations": Rule(READERS, lambda s, a, x, w: recommendations.fetch_recommendations(s, actor=a, unit_id=x.commune.id)),
    "fetch_recommendation_counts": Rule(READERS, lambda s, a, x, w: recommendations.fetch_recommendation_counts(
        s, actor=a, unit_id=x.commune.id)),
    "count_open": Rule(READERS, lambda s, a, x, w: recommendations.count_open(s, actor=a, unit_id=x.commune.id)),
    "ensure_can_answer": Rule(WRITERS, lambda s, a, x, w: recommendations.ensure_can_answer(s, a, _raised(s, x))),
    "fetch_open_to_answer": Rule(WRITERS, lambda s, a, x, w: _waiting(s, a, x)),
    # targets and progress
    "set_target": Rule(WRITERS, lambda s, a, x, w: targets.set_target(
        s, actor=a, unit_id=x.commune.id, kind="village_coverage", value=1.0, due_on=date(2026, 12, 31))),
    "fetch_targets": Rule(READERS, lambda s, a, x, w: targets.fetch_targets(s, actor=a, unit_id=x.commune.id)),
    "fetch_coverage_target": Rule(READERS, lambda s, a, x, w: targets.fetch_coverage_target(s, actor=a, unit_id=x.commune.id)),
    "fetch_coverage_timeline": Rule(READERS, lambda s, a, x, w: targets.fetch_coverage_timeline(
        s, actor=a, unit_id=x.commune.id, start=date(2022, 1, 1), end=TODAY)),
    "fetch_target_progress": Rule(READERS, lambda s, a, x, w: targets.fetch_target_progress(s, actor=a, unit_id=x.commune.id)),
    "fetch_child_progress": Rule(READERS, lambda s, a, x, w: targets.fetch_child_progress(s, actor=a, unit_id=x.commune.id)),
    # the scope checks every function above goes through
    "ensure_can_read_unit": Rule(READERS, lambda s, a, x, w: access.ensure_can_read_unit(s, a, x.village.id)),
    "ensure_can_write_unit": Rule(WRITERS, lambda s, a, x, w: access.ensure_can_write_unit(s, a, x.village.id)),
    "ensure_can_read_team": Rule(READERS, lambda s, a, x, w: access.ensure_can_read_team(s, a, team_of(a, x, w).id),
                                 own_team=True),
    "ensure_can_write_team": Rule(WRITERS, lambda s, a, x, w: access.ensure_can_write_team(s, a, x.team.id)),
    "scope_unit": Rule(READERS, lambda s, a, x, w: access.scope_unit(s, a, x.commune.id)),
    # the carry-over: national administrators only; past the check a call may still be refused as bad input here
    # (this world holds one structure), which counts as allowed
    "plan_carry_over": Rule(ADMIN, lambda s, a, x, w: reform.plan_carry_over(s, actor=a)),
    "choose_commune": Rule(ADMIN, lambda s, a, x, w: _past_the_check(
        reform.choose_commune, s, actor=a, village_id=x.village.id, commune_id=x.commune.id)),
    "apply_carry_over": Rule(ADMIN, lambda s, a, x, w: reform.apply_carry_over(s, actor=a)),
    "decide_commune_team": Rule(ADMIN, lambda s, a, x, w: _past_the_check(
        reform.decide_commune_team, s, actor=a, team_id=x.team.id, decision="close")),
    "flagged_accounts": Rule(ADMIN, lambda s, a, x, w: reform.flagged_accounts(s, actor=a)),
    "rebind_account": Rule(ADMIN, lambda s, a, x, w: _past_the_check(
        reform.rebind_account, s, actor=a, user_id=x.user.id, unit_id=x.commune.id)),
    "ensure_within_scope": Rule(READERS, lambda s, a, x, w: access.ensure_within_scope(s, a, x.village.id)),
    # the Excel import: a unit outside the scope is a problem of its row, which counts as refused here
    "plan_import": Rule(WRITERS, lambda s, a, x, w: _import(s, a, x, apply=False)),
    "apply_import": Rule(WRITERS, lambda s, a, x, w: _import(s, a, x, apply=True)),
}

# Functions in db/ that take an actor but cannot be a cell of the matrix: each names the test that checks its
# permission (the meta-test below checks that test exists) and says why it is not a cell.
NOT_IN_MATRIX: dict[str, tuple[str, str]] = {
    "record": ("tests/db/test_sessions_and_audit.py::test_every_kind_of_write_leaves_its_audit_row_in_the_same_transaction",
               "stages the audit row of a write its caller already allowed; the actor only names who made it"),
    "change_password": ("tests/db/test_sessions_and_audit.py::test_change_password_needs_the_current_one",
                        "acts on the signed-in account only, behind its current password; no target"),
    "start_session": ("tests/db/test_sessions_and_audit.py::test_session_resumes_within_the_idle_limit_and_not_after",
                      "starts the signed-in account's own session after authenticate; no target"),
    "remember_device": ("tests/db/test_auth.py::test_a_known_browser_cookie_is_bound_to_its_account_and_cannot_be_forged",
                        "marks the browser the signed-in account just used; no target"),
    "ensure_still_signed_in": ("tests/db/test_sessions_and_audit.py::test_an_actor_read_before_its_account_was_revoked_cannot_write_after",
                               "checks the acting account itself (active, same epoch) before every write; no target"),
}


def _search_outside(session, actor: Actor, side: Side, scope: "Scope") -> None:  # noqa: ANN001
    """search_units has no target: "outside" means the other district's commune must not be found."""
    found = set(units.search_units(session, actor=actor, query=side.commune.name)["id"])
    if side.where == "outside" and actor.role != "admin":
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
    team = team_of(actor, side, scope)
    rec = recommendations.create_recommendation(session, actor=actor, unit_id=side.village.id, category="difficulty",
                                                text="Người dân chưa có điện thoại thông minh.", team_id=team.id)
    if rec.team_id != team.id:
        raise PermissionDenied()


def _waiting(session, actor: Actor, side: Side) -> None:  # noqa: ANN001
    """fetch_open_to_answer has no target: refused means the side's new recommendation is not in the actor's list."""
    rec = _raised(session, side)
    if rec.id not in set(recommendations.fetch_open_to_answer(session, actor=actor, limit=1000)["recommendation_id"]):
        raise PermissionDenied()


def _import(session, actor: Actor, side: Side, *, apply: bool) -> None:  # noqa: ANN001
    """A village list for the side's commune; a row outside the scope stops the import, which counts as refused."""
    book = xlsx(["Xã", "Thôn"], [side.commune.short_name, "Mới Lập"])
    try:
        plan = (imports.apply_import if apply else imports.plan_import)(session, actor=actor, source=book, today=TODAY)
    except UserError as err:
        if "ngoài phạm vi" in err.message:
            raise PermissionDenied() from err
        raise
    if any("ngoài phạm vi" in p.message for p in plan.problems):
        raise PermissionDenied()
    assert plan.ok and plan.villages_created == 1, plan.problems


def _users_outside(session, actor: Actor, side: Side) -> None:  # noqa: ANN001
    """fetch_users has no target: "outside" means the list must not show the other district's accounts."""
    listed = set(auth.fetch_users(session, actor=actor)["user_id"])
    if side.user.id in listed and actor.role != "admin":
        raise AssertionError("an account outside the scope was listed")
    if actor.role not in WRITERS:
        raise PermissionDenied()
    if actor.role != "admin":
        raise PermissionDenied()  # nothing outside was shown: the same as being refused


def _past_the_check(fn: Callable[..., object], *args: object, **kwargs: object) -> None:
    """Call a function whose permission check comes first; any other refusal (bad input) means the check passed."""
    try:
        fn(*args, **kwargs)
    except PermissionDenied:
        raise
    except UserError:
        pass


PLACES = ("inside", "neighbour", "outside")


@pytest.mark.parametrize("name", sorted(RULES))
def test_permission_matrix(session, scope, name):
    rule = RULES[name]
    outcomes = {}
    for role, actor in scope.actors.items():
        for where in PLACES:
            expected = rule.allows(role, where)
            try:
                rule.call(session, actor, getattr(scope, where), scope)
                session.flush()
                got = True
            except PermissionDenied:
                got = False
            finally:
                session.rollback()
            outcomes[(role, where)] = got
            assert got == expected, f"{name}: {role} {where} → {'allowed' if got else 'refused'}"
    assert len(outcomes) == len(scope.actors) * len(PLACES) == 12


# ---- the meta-test: every function in db/ that takes an actor is in the matrix ---------------------


def actor_functions(package_dir: Path, package: str) -> list[tuple[str, str]]:
    """(module, name) of every public function defined in the package (subpackages included) with an `actor` parameter."""
    found = []
    for info in pkgutil.walk_packages([str(package_dir)], prefix=f"{package}."):
        if ".migrations" in info.name:
            continue
        module = importlib.import_module(info.name)
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ == module.__name__ and not name.startswith("_") and "actor" in inspect.signature(fn).parameters:
                found.append((module.__name__, name))
    return sorted(found)


def coverage_gaps(functions: Iterable[tuple[str, str]], covered: Collection[str]) -> dict[str, list[str]]:
    """What the matrix misses: functions not covered, names too ambiguous to cover by name, keys naming no function."""
    functions = list(functions)
    modules: defaultdict[str, set[str]] = defaultdict(set)
    for module, name in functions:
        modules[name].add(module)
    missing = sorted(f"{m}.{n}" for m, n in functions if n not in covered and f"{m}.{n}" not in covered)
    ambiguous = sorted(n for n, ms in modules.items() if len(ms) > 1 and n in covered)
    known = {n for _, n in functions} | {f"{m}.{n}" for m, n in functions}
    return {"missing": missing, "ambiguous": ambiguous, "stale": sorted(set(covered) - known)}


def test_every_db_function_taking_an_actor_is_covered():
    functions = actor_functions(ROOT / "db", "db")
    assert len(functions) > 60 and ("db.imports.write", "apply_import") in functions  # the walk found db/imports too
    gaps = coverage_gaps(functions, set(RULES) | set(NOT_IN_MATRIX))
    assert gaps["missing"] == [], "add these to RULES in tests/db/test_permissions.py (or to NOT_IN_MATRIX with its test)"
    assert gaps["ambiguous"] == [], "two modules define these: key their rows as module.name"
    assert gaps["stale"] == [], "rows for functions that no longer exist"
    assert not set(RULES) & set(NOT_IN_MATRIX)


@pytest.mark.parametrize("name", sorted(NOT_IN_MATRIX))
def test_every_exclusion_names_a_test_that_exists(name):
    test_id, reason = NOT_IN_MATRIX[name]
    path, _, test_name = test_id.partition("::")
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    defined = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    assert test_name.startswith("test_") and test_name in defined, f"{name}: {test_id} does not exist"
    assert reason.strip()


def test_the_meta_test_finds_a_new_function_nobody_added(tmp_path, monkeypatch):
    """The check can fail: a new module with a function taking an actor is reported until a row covers it."""
    package = tmp_path / "fakedb"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("")
    (package / "sub" / "bulk.py").write_text(
        "def delete_activities(session, *, actor, activity_ids):\n    pass\n\n"
        "def _helper(session, actor):\n    pass\n\n"
        "def fetch_plain(session, *, unit_id):\n    pass\n"
    )
    (package / "other.py").write_text("def delete_activities(session, actor):\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        functions = actor_functions(package, "fakedb")
    finally:
        for mod in [m for m in sys.modules if m == "fakedb" or m.startswith("fakedb.")]:
            del sys.modules[mod]
    assert functions == [("fakedb.other", "delete_activities"), ("fakedb.sub.bulk", "delete_activities")]
    assert coverage_gaps(functions, set())["missing"] == ["fakedb.other.delete_activities", "fakedb.sub.bulk.delete_activities"]
    assert coverage_gaps(functions, {"delete_activities"})["ambiguous"] == ["delete_activities"]
    qualified = {"fakedb.other.delete_activities", "fakedb.sub.bulk.delete_activities"}
    assert coverage_gaps(functions, qualified) == {"missing": [], "ambiguous": [], "stale": []}
    assert coverage_gaps(functions, qualified | {"gone"})["stale"] == ["gone"]
