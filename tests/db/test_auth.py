"""Accounts: argon2id hashes, sign-in, lockout on an injected clock, and who may create which account."""

from datetime import datetime, timedelta

import pytest
from argon2 import Type
from sqlalchemy import select

from db import auth
from db.errors import PermissionDenied, UserError
from db.models import AuditEntry, User
from tests import factories
from tests.conftest import PRODUCTION_HASHER
from tests.factories import count_rows

T0 = datetime(2026, 11, 20, 8, 0)
PASSWORD = factories.DEFAULT_PASSWORD


@pytest.fixture
def officer_user(session):  # noqa: ANN001, ANN201
    """An officer account of Huyện Phú Ninh, committed, and the tree around it."""
    tree = factories.create_tree(session)
    user = factories.create_user(session, role="officer", unit=tree.district, username="canbo.phuninh")
    session.commit()
    return tree, user


def _fail(session, username: str, now: datetime, password: str = "Sai-mat-khau-123") -> str:  # noqa: ANN001
    """One wrong attempt, committed as the sign-in page commits it; return the message shown."""
    with pytest.raises(UserError) as caught:
        auth.authenticate(session, username=username, password=password, now=now)
    session.commit()
    return caught.value.message


def test_the_application_hashes_with_argon2id():
    assert PRODUCTION_HASHER.type is Type.ID
    hashed = PRODUCTION_HASHER.hash(PASSWORD)
    assert hashed.startswith("$argon2id$")
    # At least OWASP's minimum for argon2id (19 MiB, 2 passes).
    assert PRODUCTION_HASHER.memory_cost >= 19 * 1024 and PRODUCTION_HASHER.time_cost >= 2


def test_stored_password_is_an_argon2id_hash_not_the_password(session, officer_user):
    _, user = officer_user
    stored = session.scalar(select(User.password_hash).where(User.id == user.id))
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    audit = session.scalars(select(AuditEntry).where(AuditEntry.entity == "users")).one()
    assert "password_hash" not in audit.after and PASSWORD not in str(audit.after)


def test_authenticate_returns_the_actor_and_records_the_sign_in(session, officer_user):
    tree, user = officer_user
    actor = auth.authenticate(session, username="  CanBo.PhuNinh ", password=PASSWORD, now=T0)
    session.commit()
    assert (actor.user_id, actor.role, actor.unit_id) == (user.id, "officer", tree.district.id)
    session.refresh(user)
    assert user.last_login_at == T0


def test_an_account_hashed_with_the_production_parameters_signs_in(session, officer_user):
    """Accounts made by `python -m db create-user` carry the full-cost hash."""
    _, user = officer_user
    user.password_hash = PRODUCTION_HASHER.hash("Mat-khau-that-2026")
    session.commit()
    assert auth.authenticate(session, username=user.username, password="Mat-khau-that-2026", now=T0).user_id == user.id


@pytest.mark.parametrize(("username", "password"), [("canbo.phuninh", "Mat-khau-sai-2022"), ("khong.co.ai", PASSWORD)])
def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(session, officer_user, username, password):
    assert _fail(session, username, T0, password) == auth.BAD_CREDENTIALS


def test_failures_below_the_limit_do_not_lock_and_a_success_resets_them(session, officer_user):
    _, user = officer_user
    for _ in range(auth.MAX_FAILURES - 1):
        _fail(session, user.username, T0)
    auth.authenticate(session, username=user.username, password=PASSWORD, now=T0)
    session.commit()
    session.refresh(user)
    assert (user.failed_logins, user.locked_until) == (0, None)
    # The counter started again: the limit minus one more failures still do not lock.
    for _ in range(auth.MAX_FAILURES - 1):
        _fail(session, user.username, T0)
    assert auth.authenticate(session, username=user.username, password=PASSWORD, now=T0).user_id == user.id


def test_too_many_failures_lock_the_account_for_a_while(session, officer_user):
    _, user = officer_user
    for _ in range(auth.MAX_FAILURES):
        assert _fail(session, user.username, T0) == auth.BAD_CREDENTIALS
    unlock = T0 + timedelta(minutes=auth.LOCK_MINUTES)
    # Locked: even the right password is refused, with a message saying so.
    for now in (T0, unlock - timedelta(seconds=1)):
        message = _fail(session, user.username, now, PASSWORD)
        assert "tạm khóa" in message and message != auth.BAD_CREDENTIALS
    assert auth.authenticate(session, username=user.username, password=PASSWORD, now=unlock).user_id == user.id


def test_a_disabled_account_cannot_sign_in(session, officer_user):
    _, user = officer_user
    auth.set_user_active(session, actor=auth.SYSTEM, user_id=user.id, active=False)
    session.commit()
    assert _fail(session, user.username, T0, PASSWORD) == auth.BAD_CREDENTIALS
    auth.set_user_active(session, actor=auth.SYSTEM, user_id=user.id, active=True)
    session.commit()
    assert auth.authenticate(session, username=user.username, password=PASSWORD, now=T0).user_id == user.id


# ---- creating accounts --------------------------------------------------------------------------


def _create(session, *, actor=auth.SYSTEM, username="lanhdao.moi", password="Mat-khau-rat-dai-9", role="leader",  # noqa: ANN001
            unit_id=None, team_id=None) -> User:
    return auth.create_user(session, actor=actor, username=username, password=password, full_name="Người mới",
                            role=role, unit_id=unit_id, team_id=team_id)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        (dict(password="ngan-qua"), "password"),  # shorter than 10 characters
        (dict(password="lanhdao.moi"), "password"),  # the username itself
        (dict(password="matkhau123"), "password"),  # a common password
        (dict(password="aaaaaaaaaaaa"), "password"),
        (dict(username="canbo.phuninh"), "username"),  # taken
        (dict(username="CanBo.PhuNinh"), "username"),  # taken, whatever the case
        (dict(username="lanh dao"), "username"),  # a space
        (dict(role="volunteer"), "team"),  # a volunteer needs a team
        (dict(role="superuser"), "role"),
    ],
    ids=["short-password", "password-is-username", "common-password", "one-letter-password", "username-taken",
         "username-taken-other-case", "username-with-space", "volunteer-without-team", "unknown-role"],
)
def test_create_user_validation(session, officer_user, overrides, field):
    tree, _ = officer_user
    before = count_rows(session, User)
    with pytest.raises(UserError) as caught:
        _create(session, unit_id=tree.district.id, **overrides)
    assert caught.value.field == field
    assert count_rows(session, User) == before


def test_only_admins_and_officers_create_accounts_and_officers_only_below_them(session, officer_user):
    tree, officer = officer_user
    leader = factories.create_user(session, role="leader", unit=tree.district, username="lanhdao.pn")
    team = factories.create_team(session, unit=tree.villages[0])
    volunteer = factories.create_user(session, role="volunteer", team=team, username="tnv.pm")
    session.commit()
    officer_actor = factories.actor_for(officer)
    refused = [
        dict(actor=factories.actor_for(leader), unit_id=tree.commune.id),
        dict(actor=factories.actor_for(volunteer), unit_id=tree.commune.id),
        dict(actor=officer_actor, role="officer", unit_id=tree.commune.id),  # officers make no officers
        dict(actor=officer_actor, role="admin", unit_id=None),
        dict(actor=officer_actor, unit_id=tree.commune2.id),  # another district
    ]
    before = count_rows(session, User)
    for case in refused:
        with pytest.raises(PermissionDenied):
            _create(session, **case)
    assert count_rows(session, User) == before
    made = _create(session, actor=officer_actor, unit_id=tree.commune.id)
    volunteer2 = _create(session, actor=officer_actor, username="tnv.moi", role="volunteer", team_id=team.id)
    session.commit()
    assert (made.role, made.unit_id) == ("leader", tree.commune.id)
    # A volunteer account is bound to its team and to the team's commune.
    assert (volunteer2.team_id, volunteer2.unit_id) == (team.id, tree.commune.id)
