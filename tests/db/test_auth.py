"""Accounts: argon2id hashes, sign-in, holds per (username, client) on an injected clock, who may create which account."""

import threading
import time
from datetime import datetime, timedelta

import pytest
from argon2 import Type
from sqlalchemy import select

from db import auth
from db.engine import SessionLocal
from db.errors import PermissionDenied, UserError
from db.models import AuditEntry, SignInFailure, User
from tests import factories
from tests.conftest import PRODUCTION_HASHER
from tests.factories import count_rows

T0 = datetime(2026, 11, 20, 8, 0)
PASSWORD = factories.DEFAULT_PASSWORD
A, B = "203.0.113.7", "198.51.100.20"  # two clients' addresses


@pytest.fixture
def officer_user(session):  # noqa: ANN001, ANN201
    """An officer account of Huyện Phú Ninh, committed, and the tree around it."""
    tree = factories.create_tree(session)
    user = factories.create_user(session, role="officer", unit=tree.district, username="canbo.phuninh")
    session.commit()
    return tree, user


def _fail(session, username: str, now: datetime, password: str = "Sai-mat-khau-123", address: str | None = None) -> str:  # noqa: ANN001
    """One refused attempt, committed as the sign-in page commits it; return the message shown."""
    with pytest.raises(UserError) as caught:
        auth.authenticate(session, username=username, password=password, now=now, address=address)
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


def _held_until(session, username: str, address: str) -> datetime | None:  # noqa: ANN001
    session.expire_all()
    key = (auth.name_key(username), auth.client_key(address=address, device=None))
    row = session.get(SignInFailure, key)
    return row.held_until if row is not None else None


def test_failures_below_the_free_count_do_not_hold_and_a_success_clears_the_pair(session, officer_user):
    _, user = officer_user
    for _ in range(auth.FREE_FAILURES - 1):
        _fail(session, user.username, T0, address=A)
    assert _held_until(session, user.username, A) is None
    auth.authenticate(session, username=user.username, password=PASSWORD, now=T0, address=A)
    session.commit()
    assert count_rows(session, SignInFailure) == 0, "a success forgets the pair's failures"
    # The count started again: the free count minus one more failures still do not hold.
    for _ in range(auth.FREE_FAILURES - 1):
        _fail(session, user.username, T0, address=A)
    assert auth.authenticate(session, username=user.username, password=PASSWORD, now=T0, address=A).user_id == user.id


def test_a_pair_is_held_back_longer_after_each_failure_up_to_a_cap(session, officer_user):
    _, user = officer_user
    now = T0
    for _ in range(auth.FREE_FAILURES - 1):
        _fail(session, user.username, now, address=A)
    waits = []
    for _ in range(7):
        _fail(session, user.username, now, address=A)
        held = _held_until(session, user.username, A)
        waits.append((held - now) / timedelta(minutes=1))
        # Held: even the right password is refused, with the very same message.
        assert _fail(session, user.username, held - timedelta(seconds=1), PASSWORD, address=A) == auth.BAD_CREDENTIALS
        assert _held_until(session, user.username, A) == held, "a held-back attempt is not even checked"
        now = held
    assert waits == [1, 2, 4, 8, 15, 15, 15]
    assert auth.authenticate(session, username=user.username, password=PASSWORD, now=now, address=A).user_id == user.id


def test_an_attacker_elsewhere_holds_back_neither_the_owner_nor_the_owners_usual_browser(session, officer_user):
    _, user = officer_user
    owner = auth.authenticate(session, username=user.username, password=PASSWORD, now=T0, address=A)
    device_cookie = auth.remember_device(session, actor=owner, cookie=None)
    session.commit()
    for _ in range(auth.FREE_FAILURES + 3):  # the attacker, behind the same office router as the owner
        _fail(session, user.username, T0, address=A)
    assert _held_until(session, user.username, A) is not None
    assert _fail(session, user.username, T0, PASSWORD, address=A) == auth.BAD_CREDENTIALS
    # From another address, and from the browser that signed in before (same address), the owner gets in.
    assert auth.authenticate(session, username=user.username, password=PASSWORD, now=T0, address=B).user_id == user.id
    assert auth.authenticate(session, username=user.username, password=PASSWORD, now=T0, address=A,
                             device_cookie=device_cookie).user_id == user.id


def test_a_known_browser_cookie_is_bound_to_its_account_and_cannot_be_forged(session, officer_user):
    tree, user = officer_user
    other = factories.create_user(session, role="officer", unit=tree.district2, username="canbo.khac")
    session.commit()
    cookie = auth.remember_device(session, actor=auth.actor_of(other), cookie=None)
    uid, device, mac = cookie.split(".")
    assert auth.known_device(session, user_id=other.id, cookie=cookie) == device
    assert auth.known_device(session, user_id=user.id, cookie=cookie) is None, "another account's browser"
    forged = f"{user.id}.{device}.{mac}"
    assert auth.known_device(session, user_id=user.id, cookie=forged) is None
    # A shared computer keeps both accounts, this one first.
    both = auth.remember_device(session, actor=auth.actor_of(user), cookie=cookie)
    assert auth.known_device(session, user_id=user.id, cookie=both) is not None
    assert auth.known_device(session, user_id=other.id, cookie=both) == device


def test_unknown_names_are_held_back_exactly_like_known_ones(session, officer_user):
    _, user = officer_user
    for _ in range(auth.FREE_FAILURES + 2):
        assert _fail(session, user.username, T0, address=A) == auth.BAD_CREDENTIALS
        assert _fail(session, "khong.co.ai", T0, PASSWORD, address=A) == auth.BAD_CREDENTIALS
    known, unknown = _held_until(session, user.username, A), _held_until(session, "khong.co.ai", A)
    assert known is not None and known == unknown
    assert {row.failures for row in session.scalars(select(SignInFailure))} == {auth.FREE_FAILURES}
    assert "khong.co.ai" not in str([r.name_key for r in session.scalars(select(SignInFailure))]), "names are hashed"


def test_failures_are_forgotten_a_day_after_the_last_one(session, officer_user):
    _, user = officer_user
    for _ in range(auth.FREE_FAILURES - 1):
        _fail(session, user.username, T0, address=A)
    later = T0 + auth.FORGET_AFTER + timedelta(minutes=1)
    _fail(session, user.username, later, address=A)  # would be the FREE_FAILURES-th without forgetting
    assert _held_until(session, user.username, A) is None
    session.expire_all()
    assert session.scalars(select(SignInFailure.failures)).all() == [1]


def test_a_password_reset_lifts_every_hold_on_the_name(session, officer_user):
    _, user = officer_user
    for address in (A, B):
        for _ in range(auth.FREE_FAILURES):
            _fail(session, user.username, T0, address=address)
    _fail(session, "khong.co.ai", T0, address=A)
    auth.reset_password(session, actor=auth.SYSTEM, user_id=user.id, new_password="Mat-khau-moi-2026")
    session.commit()
    assert [auth.name_key("khong.co.ai")] == list(session.scalars(select(SignInFailure.name_key)))
    assert auth.authenticate(session, username=user.username, password="Mat-khau-moi-2026", now=T0, address=A)


def test_the_admins_list_shows_the_recent_wrong_sign_ins(session, officer_user):
    _, user = officer_user
    _fail(session, user.username, T0, address=A)
    _fail(session, user.username, T0, address=B)
    listed = auth.fetch_users(session, actor=auth.SYSTEM, now=T0 + timedelta(hours=1))
    assert int(listed.loc[listed["username"] == user.username, "recent_failures"].iloc[0]) == 2
    a_day_later = auth.fetch_users(session, actor=auth.SYSTEM, now=T0 + auth.FORGET_AFTER + timedelta(hours=1))
    assert int(a_day_later.loc[a_day_later["username"] == user.username, "recent_failures"].iloc[0]) == 0


def test_password_checks_at_once_are_bounded_and_a_busy_server_says_so(session, officer_user, monkeypatch):
    """Two slots: two checks run and block; a third is refused at once without hashing; both finish after."""
    _, user = officer_user
    monkeypatch.setattr(auth, "_checks", threading.BoundedSemaphore(2))
    inside, release, lock = [0, 0], threading.Event(), threading.Lock()
    real = auth._hasher  # noqa: SLF001

    class Blocking:
        def verify(self, hashed: str, password: str) -> bool:
            with lock:
                inside[0] += 1
                inside[1] = max(inside[1], inside[0])
            release.wait(30)
            with lock:
                inside[0] -= 1
            return real.verify(hashed, password)

        def __getattr__(self, name: str):  # noqa: ANN204
            return getattr(real, name)

    monkeypatch.setattr(auth, "_hasher", Blocking())
    results: list[object] = []

    def sign_in() -> None:
        with SessionLocal() as own:
            results.append(auth.authenticate(own, username=user.username, password=PASSWORD, now=T0, address=A))
            own.commit()

    threads = [threading.Thread(target=sign_in) for _ in range(2)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 30
    while inside[0] < 2 and time.monotonic() < deadline:  # wait for both to be inside the hasher
        time.sleep(0.01)
    monkeypatch.setattr(auth, "CHECK_WAIT_SECONDS", 0.01)
    with pytest.raises(auth.ServerBusy) as caught:
        auth.authenticate(session, username="khong.co.ai", password=PASSWORD, now=T0, address=B)
    session.commit()
    assert caught.value.message == auth.BUSY
    assert count_rows(session, SignInFailure) == 0, "a busy answer hashes and counts nothing"
    release.set()
    for thread in threads:
        thread.join(30)
    assert inside[1] == 2 and [getattr(r, "user_id", None) for r in results] == [user.id, user.id]


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
