"""Signed-in browsers (idle time-out with an injected clock), revocation at the next write, the audit row of every write."""

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from db import activities, auth, members, teams, units
from db.access import Actor
from db.activities import ActivityInput
from db.auth import actor_of
from db.errors import UserError
from db.members import MemberInput
from db.models import Activity, AuditEntry, AuthSession, Member, Team, User
from db.teams import TeamInput
from db.transactions import SignedOut, run_write
from tests import factories
from tests.factories import count_rows

T0 = datetime(2026, 11, 20, 8, 0)


def test_session_resumes_within_the_idle_limit_and_not_after(session):
    tree = factories.create_tree(session)
    user = factories.create_user(session, role="officer", unit=tree.district, username="canbo.s")
    session.commit()
    token = auth.start_session(session, actor=actor_of(user), now=T0)
    session.commit()
    idle = timedelta(hours=8)
    resumed = auth.resume_session(session, token=token, now=T0 + timedelta(hours=7, minutes=59), idle=idle)
    session.commit()
    assert resumed is not None and resumed.username == "canbo.s"
    # Using it moved the clock of its idleness: 7h59 later it is still alive.
    assert auth.resume_session(session, token=token, now=T0 + timedelta(hours=15, minutes=58), idle=idle) is not None
    session.commit()
    assert auth.resume_session(session, token=token, now=T0 + timedelta(hours=24), idle=idle) is None
    session.commit()
    assert count_rows(session, AuthSession) == 0  # the stale row is gone


def test_unknown_token_ended_session_and_disabled_account_do_not_resume(session):
    tree = factories.create_tree(session)
    user = factories.create_user(session, role="leader", unit=tree.district, username="lanhdao.s")
    session.commit()
    actor = actor_of(user)
    assert auth.resume_session(session, token="not-a-token", now=T0) is None
    token = auth.start_session(session, actor=actor, now=T0)
    auth.end_session(session, token=token)
    session.commit()
    assert auth.resume_session(session, token=token, now=T0) is None
    token = auth.start_session(session, actor=actor, now=T0)
    session.commit()
    auth.set_user_active(session, actor=auth.SYSTEM, user_id=user.id, active=False)
    session.commit()
    assert auth.resume_session(session, token=token, now=T0) is None


def test_a_sign_in_in_constant_use_still_ends_at_its_lifetime(session):
    tree = factories.create_tree(session)
    user = factories.create_user(session, role="officer", unit=tree.district, username="canbo.ban")
    token = auth.start_session(session, actor=actor_of(user), now=T0)
    session.commit()
    life, step = auth.lifetime_limit(), auth.idle_limit() / 2
    now = T0
    while now + step < T0 + life:  # used well within the idle limit all along
        now += step
        assert auth.resume_session(session, token=token, now=now) is not None
        session.commit()
    assert auth.resume_session(session, token=token, now=T0 + life + step) is None


def test_only_the_token_hash_is_stored(session):
    tree = factories.create_tree(session)
    user = factories.create_user(session, role="leader", unit=tree.district, username="lanhdao.h")
    token = auth.start_session(session, actor=actor_of(user), now=T0)
    session.commit()
    stored = session.scalars(select(AuthSession.token_hash)).one()
    assert token not in stored and len(stored) == 64


@pytest.mark.parametrize("password", ["ngan", "lanhdao.p1", "1234567890", "matkhau123", "aaaaaaaaaaaa"])
def test_weak_passwords_are_refused(session, password):
    tree = factories.create_tree(session)
    with pytest.raises(UserError) as err:
        auth.create_user(session, actor=auth.SYSTEM, username="lanhdao.p1", password=password, full_name="A",
                         role="leader", unit_id=tree.district.id)
    assert err.value.field == "password"


def test_change_password_needs_the_current_one(session):
    tree = factories.create_tree(session)
    user = factories.create_user(session, role="leader", unit=tree.district, username="lanhdao.c", password="Mat-khau-cu-2022")
    session.commit()
    actor = actor_of(user)
    with pytest.raises(UserError):
        auth.change_password(session, actor=actor, current="sai-roi-nhe-1", new_password="Mat-khau-moi-2026")
    auth.change_password(session, actor=actor, current="Mat-khau-cu-2022", new_password="Mat-khau-moi-2026")
    session.commit()
    assert auth.authenticate(session, username="lanhdao.c", password="Mat-khau-moi-2026").user_id == user.id


def _audit_rows(session) -> list[tuple[str, str]]:  # noqa: ANN001
    return [(e, a) for e, a in session.execute(select(AuditEntry.entity, AuditEntry.action).order_by(AuditEntry.id))]


def test_every_kind_of_write_leaves_its_audit_row_in_the_same_transaction(session):
    tree = factories.create_tree(session)
    session.commit()
    admin = auth.SYSTEM
    today = date.today()
    writes = [
        ("units", "create", lambda: units.create_village(session, actor=admin, commune_id=tree.commune.id, kind="Thôn", name="Mới")),
        ("teams", "create", lambda: teams.create_team(session, actor=admin, data=TeamInput(
            unit_id=tree.villages[0].id, name="Tổ A", established_on=date(2023, 1, 1)))),
    ]
    for entity, action, write in writes:
        before = len(_audit_rows(session))
        write()
        session.commit()
        assert _audit_rows(session)[before:][0] == (entity, action)
    team = session.scalars(select(Team)).one()
    cases = [
        ("teams", "update", lambda: teams.update_team(session, actor=admin, team_id=team.id, data=TeamInput(
            unit_id=team.unit_id, name="Tổ A mới", established_on=date(2023, 1, 1)))),
        ("members", "create", lambda: members.create_member(session, actor=admin, team_id=team.id,
                                                               data=MemberInput(full_name="Hồ Thị Lan", joined_on=date(2023, 2, 1)))),
        ("activities", "create", lambda: activities.create_activity(session, actor=admin, data=ActivityInput(
            team_id=team.id, activity_date=today, activity_type="cashless", people_reached=3))),
        ("users", "create", lambda: auth.create_user(session, actor=admin, username="lanhdao.au", password="Mat-khau-dai-2026",
                                                     full_name="A", role="leader", unit_id=tree.district.id)),
    ]
    for entity, action, write in cases:
        before = len(_audit_rows(session))
        obj = write()
        session.commit()
        new = _audit_rows(session)[before:]
        assert new == [(entity, action)], (entity, action, new)
        row = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).one()
        assert row.entity_id == obj.id and row.after is not None and "password_hash" not in row.after
    member = session.scalars(select(Member)).one()
    activity = session.scalars(select(Activity)).one()
    user = session.scalars(select(User).where(User.username == "lanhdao.au")).one()
    later = [
        ("members", "update", lambda: members.update_member(session, actor=admin, member_id=member.id,
                                                             data=MemberInput(full_name="Hồ Thị Lan", role="deputy", joined_on=date(2023, 2, 1)))),
        ("members", "update", lambda: members.end_membership(session, actor=admin, member_id=member.id, left_on=today)),
        ("activities", "update", lambda: activities.update_activity(session, actor=admin, activity_id=activity.id, data=ActivityInput(
            team_id=team.id, activity_date=today, activity_type="cashless", people_reached=4))),
        ("activities", "delete", lambda: activities.delete_activity(session, actor=admin, activity_id=activity.id)),
        ("users", "update", lambda: auth.set_user_active(session, actor=admin, user_id=user.id, active=False)),
        ("users", "update", lambda: auth.reset_password(session, actor=admin, user_id=user.id, new_password="Mat-khau-khac-2026")),
        ("teams", "close", lambda: teams.close_team(session, actor=admin, team_id=team.id, closed_on=today)),
    ]
    for entity, action, write in later:
        before = len(_audit_rows(session))
        write()
        session.commit()
        new = _audit_rows(session)[before:]
        assert new and new[0] == (entity, action), (entity, action, new)
        row = session.scalars(select(AuditEntry).where(AuditEntry.entity == entity).order_by(AuditEntry.id.desc()).limit(1)).one()
        assert row.before is not None and row.before != row.after


def test_a_failed_write_leaves_no_audit_row(session):
    tree = factories.create_tree(session)
    session.commit()
    before = len(_audit_rows(session))
    with pytest.raises(UserError):
        teams.create_team(session, actor=auth.SYSTEM, data=TeamInput(unit_id=tree.villages[0].id, name=" ", established_on=date(2023, 1, 1)))
    session.rollback()
    assert len(_audit_rows(session)) == before


# ---- revocation in the write's own transaction --------------------------------------------------


def _one_report(team_id: int) -> ActivityInput:
    return ActivityInput(team_id=team_id, activity_date=date.today(), activity_type="cashless", people_reached=3)


@pytest.mark.parametrize("revoke", ["disable", "reset", "change"])
def test_an_actor_read_before_its_account_was_revoked_cannot_write_after(session, revoke):
    """An open tab's actor (read at sign-in) writes nothing once the account is disabled or its password replaced."""
    tree = factories.create_tree(session)
    team = factories.create_team(session, unit=tree.villages[0])
    user = factories.create_user(session, role="volunteer", team=team, username="tnv.mo")
    officer = factories.officer_of(session, tree.district, username="canbo.thuhoi")
    session.commit()
    open_tab = actor_of(user)
    run_write(activities.create_activity, actor=open_tab, data=_one_report(team.id))
    if revoke == "disable":
        run_write(auth.set_user_active, actor=officer, user_id=user.id, active=False)
    elif revoke == "reset":
        run_write(auth.reset_password, actor=officer, user_id=user.id, new_password="Mat-khau-moi-2026")
    else:  # the owner changes it in another browser (a stolen tab must not survive that)
        run_write(auth.change_password, actor=actor_of(user), current=factories.DEFAULT_PASSWORD,
                  new_password="Mat-khau-moi-2026")
    before = count_rows(session, Activity), count_rows(session, AuditEntry)
    with pytest.raises(SignedOut) as caught:
        run_write(activities.create_activity, actor=open_tab, data=_one_report(team.id))
    assert caught.value.message == ("Phiên đăng nhập đã hết hiệu lực (tài khoản bị khóa hoặc đổi mật khẩu). "
                                    "Hãy đăng nhập lại.")
    assert (count_rows(session, Activity), count_rows(session, AuditEntry)) == before, "nothing written"
    session.expire_all()
    fresh = actor_of(session.get(User, user.id))
    if revoke == "disable":
        with pytest.raises(SignedOut):
            run_write(activities.create_activity, actor=fresh, data=_one_report(team.id))
    else:  # signing in again gives an actor that writes
        assert run_write(activities.create_activity, actor=fresh, data=_one_report(team.id)).id is not None


def test_an_account_that_no_longer_exists_cannot_write(session):
    tree = factories.create_tree(session)
    team = factories.create_team(session, unit=tree.villages[0])
    session.commit()
    ghost = Actor(user_id=10_000, username="da.xoa", full_name="Đã xóa", role="officer", unit_id=tree.district.id)
    with pytest.raises(SignedOut):
        run_write(activities.create_activity, actor=ghost, data=_one_report(team.id))
    assert count_rows(session, Activity) == 0


def test_changing_ones_password_signs_out_every_other_browser_but_this_one(session):
    tree = factories.create_tree(session)
    user = factories.create_user(session, role="leader", unit=tree.district, username="lanhdao.d")
    session.commit()
    here, elsewhere = (auth.start_session(session, actor=actor_of(user), now=T0) for _ in range(2))
    session.commit()
    auth.change_password(session, actor=actor_of(user), current=factories.DEFAULT_PASSWORD,
                         new_password="Mat-khau-moi-2026", keep_token=here)
    session.commit()
    kept = auth.resume_session(session, token=here, now=T0, touch=False)
    session.refresh(user)
    assert kept is not None and kept.auth_epoch == user.auth_epoch == 1, "this browser's tabs take up the new epoch"
    assert auth.resume_session(session, token=elsewhere, now=T0, touch=False) is None
