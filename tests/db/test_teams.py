"""Teams, and the villages and members registered with them: the team list; writes with the field named, nothing
staged after an error, audit rows, data version."""

import threading
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from db import coverage, units, versions
from db.auth import SYSTEM
from db.engine import SessionLocal
from db.errors import NotFound, UserError
from db.members import MemberInput, create_member, normalise_phone
from db.models import AuditEntry, Member, Team, Unit, UnitPath
from db.teams import TeamInput, close_team, create_team, fetch_teams, update_team
from db.transactions import run_write
from tests import factories
from tests.factories import row_counts

TODAY = date(2026, 11, 20)
ESTABLISHED = date(2022, 7, 1)
CLOSED = date(2023, 1, 1)
TABLES = (Unit, UnitPath, Team, Member, AuditEntry)



def _team_input(unit: Unit, **overrides) -> TeamInput:  # noqa: ANN003
    values = dict(unit_id=unit.id, name=f"Tổ CNSCĐ {unit.name}", established_on=ESTABLISHED, decision_no="125/QĐ-UBND",
                  members=[MemberInput(full_name="Nguyễn Văn Hùng", role="leader", phone="0905 123 456"),
                           MemberInput(full_name="Trần Thị Lan", role="deputy", gender="female", birth_year=1998)])
    values.update(overrides)
    return TeamInput(**values)


def _refused(session, call: Callable[[], object], *, field: str | None = None) -> UserError:  # noqa: ANN001
    """Run a write that must fail; check the field it names and that nothing was staged."""
    before = row_counts(session, TABLES)
    with pytest.raises(UserError) as caught:
        call()
    if field is not None:
        assert caught.value.field == field, caught.value.message
    assert caught.value.message  # a Vietnamese sentence for the page
    assert row_counts(session, TABLES) == before
    return caught.value


# ---- team lists ---------------------------------------------------------------------------------


@pytest.fixture
def team_list(session):  # noqa: ANN001, ANN201
    """Three teams of Tam Phước (one stopped) and one of Núi Thành."""
    tree = factories.create_tree(session)
    open_ = factories.create_team(session, unit=tree.villages[0], members=3)
    other = factories.create_team(session, unit=tree.villages[1], name="Tổ số hai", members=2)
    closed = factories.create_team(session, unit=tree.villages[2], members=2, closed_on=CLOSED)
    far = factories.create_team(session, unit=tree.village_other, members=1)
    session.commit()
    return tree, dict(open=open_, other=other, closed=closed, far=far)


@pytest.mark.parametrize(
    ("status", "query", "expected"),
    [
        ("all", "", {"open", "other", "closed"}),
        ("active", "", {"open", "other"}),
        ("closed", "", {"closed"}),
        ("all", "phu my", {"open"}),  # the unit's name, without diacritics
        ("all", "PHÚ MỸ", {"open"}),
        ("all", "số hai", {"other"}),  # the team's own name
        ("all", "tổ cnscđ", {"open", "closed"}),  # its capitals "Đ", "Ổ" fold on both backends
        ("all", "TỔ CNSCĐ THÔN", {"open", "closed"}),
        ("active", "dan thuong", set()),  # a match that is not active
    ],
)
def test_fetch_teams_filters(session, team_list, status, query, expected):
    tree, teams = team_list
    got = fetch_teams(session, actor=SYSTEM, unit_id=tree.district.id, status=status, query=query,
                              as_of=date(2024, 1, 1))
    assert set(got["team_id"]) == {teams[k].id for k in expected}


def test_fetch_teams_reports_status_and_active_members(session, team_list):
    tree, teams = team_list
    got = fetch_teams(session, actor=SYSTEM, unit_id=None, as_of=date(2024, 1, 1)).set_index("team_id")
    assert set(got.index) == {t.id for t in teams.values()}
    assert bool(got.loc[teams["closed"].id, "active"]) is False
    assert got.loc[teams["closed"].id, "members"] == 0  # members left with the team
    assert got.loc[teams["open"].id, "members"] == 3
    assert got.loc[teams["open"].id, "parent"] == tree.commune.name


def test_an_officer_lists_only_the_teams_of_their_subtree(session, team_list):
    tree, teams = team_list
    officer = factories.officer_of(session, tree.district2)
    session.commit()
    got = fetch_teams(session, actor=officer, unit_id=None, as_of=date(2024, 1, 1))
    assert set(got["team_id"]) == {teams["far"].id}


# ---- villages -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["", "   ", None, "\t\n"])
def test_create_village_needs_a_name(session, world, name):
    tree, officer = world.tree, world.officer
    _refused(session, lambda: units.create_village(session, actor=officer, commune_id=tree.commune.id, kind="Thôn", name=name),
             field="name")


@pytest.mark.parametrize("name", ["Phú Mỹ", "phú mỹ", "PHU MY", "Thôn Phú Mỹ", "  Phú   Mỹ "])
def test_create_village_refuses_a_name_taken_in_the_commune(session, world, name):
    tree, officer = world.tree, world.officer
    assert tree.villages[0].name == "Thôn Phú Mỹ"
    _refused(session, lambda: units.create_village(session, actor=officer, commune_id=tree.commune.id, kind="Thôn", name=name),
             field="name")


def test_two_officers_adding_the_same_village_at_once_make_one_village(session, world, engine):  # noqa: ANN001
    """The second add runs while the first is not committed: one village, and the second officer is told."""
    tree, officer = world.tree, world.officer
    first = SessionLocal()
    units.create_village(first, actor=officer, commune_id=tree.commune.id, kind="Thôn", name="Hòa Bình")
    first.flush()
    outcome: list[BaseException | None] = []

    def second() -> None:
        try:
            run_write(units.create_village, actor=officer, commune_id=tree.commune.id, kind="Thôn", name="Hòa Bình")
            outcome.append(None)
        except UserError as err:
            outcome.append(err)

    other = threading.Thread(target=second)
    other.start()
    other.join(timeout=1.0)  # PostgreSQL: it waits on the unique index; SQLite: on the single writer
    first.commit()
    first.close()
    other.join()
    villages = session.scalars(select(Unit).where(Unit.parent_id == tree.commune.id, Unit.name == "Thôn Hòa Bình")).all()
    assert len(villages) == 1
    assert isinstance(outcome[0], UserError) and "đã có" in outcome[0].message


def test_the_same_village_name_is_allowed_in_another_commune(session, world):
    tree = world.tree
    village = units.create_village(session, actor=factories.admin(), commune_id=tree.commune2.id, kind="Thôn", name="Phú Mỹ")
    session.commit()
    assert (village.name, village.parent_id) == ("Thôn Phú Mỹ", tree.commune2.id)


@pytest.mark.parametrize(
    ("kind", "typed", "name", "short"),
    [
        ("Thôn", "An Hòa", "Thôn An Hòa", "An Hòa"),
        ("Thôn", "Thôn An Hòa", "Thôn An Hòa", "An Hòa"),  # the kind typed in full is not doubled
        ("Thôn", "thôn  An Hòa", "Thôn An Hòa", "An Hòa"),
        ("Khối phố", "Khối phố 3", "Khối phố 3", "3"),
        ("Tổ dân phố", "Số 7", "Tổ dân phố Số 7", "Số 7"),
    ],
)
def test_create_village_names_it_with_its_kind_once(session, world, kind, typed, name, short):
    tree, officer = world.tree, world.officer
    village = units.create_village(session, actor=officer, commune_id=tree.commune.id, kind=kind, name=typed)
    session.commit()
    assert (village.name, village.short_name, village.kind, village.tier) == (name, short, kind, "village")
    assert village.level == tree.commune.level + 1
    # The closure rows make it part of every ancestor's subtree at once.
    assert coverage.fetch_indicators(session, actor=officer, unit_id=tree.district.id).villages == len(tree.villages) + 1
    assert [u.id for u in units.fetch_ancestors(session, actor=factories.admin(), unit_id=village.id)] == [
        tree.province.id, tree.district.id, tree.commune.id, village.id]


def test_create_village_only_under_a_commune(session, world):
    tree, officer = world.tree, world.officer
    for parent in (tree.district, tree.villages[0]):
        _refused(session, lambda p=parent: units.create_village(session, actor=officer, commune_id=p.id, kind="Thôn", name="Mới"),
                 field="commune")
    _refused(session, lambda: units.create_village(session, actor=officer, commune_id=tree.commune.id, kind="Làng xóm", name="Mới"),
             field="kind")
    with pytest.raises(NotFound):
        units.create_village(session, actor=officer, commune_id=999_999, kind="Thôn", name="Mới")


# ---- teams --------------------------------------------------------------------------------------


def test_create_team_registers_the_team_and_its_members(session, world):
    tree, officer = world.tree, world.officer
    team = create_team(session, actor=officer, data=_team_input(tree.villages[0]), today=TODAY)
    session.commit()
    rows = session.scalars(select(Member).where(Member.team_id == team.id).order_by(Member.id)).all()
    assert [(m.full_name, m.role, m.joined_on) for m in rows] == [
        ("Nguyễn Văn Hùng", "leader", ESTABLISHED), ("Trần Thị Lan", "deputy", ESTABLISHED)]
    assert rows[0].phone == "0905123456"
    got = coverage.fetch_indicators(session, actor=officer, unit_id=tree.commune.id, as_of=TODAY)
    assert (got.villages_covered, got.teams, got.members) == (1, 1, len(rows))


def test_create_team_refuses_a_future_date(session, world):
    tree, officer = world.tree, world.officer
    _refused(session, lambda: create_team(
        session, actor=officer, data=_team_input(tree.villages[0], established_on=TODAY + timedelta(days=1)), today=TODAY),
        field="established_on")
    # Today itself is allowed.
    create_team(session, actor=officer, data=_team_input(tree.villages[0], established_on=TODAY), today=TODAY)


def test_one_active_team_per_village_but_a_decision_may_cover_many(session, world):
    tree, officer = world.tree, world.officer
    create_team(session, actor=officer, data=_team_input(tree.villages[0]), today=TODAY)
    session.commit()
    _refused(session, lambda: create_team(
        session, actor=officer, data=_team_input(tree.villages[0], name="Tổ thứ hai", decision_no="999/QĐ-UBND"), today=TODAY),
        field="unit")
    # One decision of the commune establishes the teams of several villages.
    create_team(session, actor=officer, data=_team_input(tree.villages[1]), today=TODAY)
    session.commit()
    decisions = session.scalars(select(Team.decision_no)).all()
    assert decisions == ["125/QĐ-UBND", "125/QĐ-UBND"]


@pytest.mark.parametrize(
    ("members", "field"),
    [
        ([MemberInput(full_name="Nguyễn Văn Hùng", role="leader"), MemberInput(full_name="   ")], "members"),
        ([MemberInput(full_name="Nguyễn Văn Hùng", role="leader"), MemberInput(full_name="Lê Văn Lộc", role="leader")], "members"),
        ([MemberInput(full_name="Nguyễn Văn Hùng", phone="12345")], "members"),
        ([MemberInput(full_name="Nguyễn Văn Hùng", joined_on=ESTABLISHED - timedelta(days=1))], "joined_on"),
        ([MemberInput(full_name="Nguyễn Văn Hùng", role="chief")], "role"),
    ],
    ids=["member-without-name", "two-leaders", "bad-phone", "joined-before-team", "unknown-role"],
)
def test_create_team_with_a_bad_member_row_writes_nothing(session, world, members, field):
    tree, officer = world.tree, world.officer
    err = _refused(session, lambda: create_team(
        session, actor=officer, data=_team_input(tree.villages[0], members=members), today=TODAY), field=field)
    if field == "members" and len(members) == 2 and members[1].role != "leader":
        assert "dòng 2" in err.message  # the page points at the row


@pytest.mark.parametrize("which", ["province", "district"])
def test_teams_belong_to_villages_or_communes_only(session, world, which):
    tree = world.tree
    unit = getattr(tree, which)
    _refused(session, lambda: create_team(session, actor=factories.admin(), data=_team_input(unit), today=TODAY),
             field="unit")


def test_a_commune_may_have_its_own_team(session, world):
    tree, officer = world.tree, world.officer
    team = create_team(session, actor=officer, data=_team_input(tree.commune), today=TODAY)
    session.commit()
    assert coverage.fetch_indicators(session, actor=officer, unit_id=tree.commune.id, as_of=TODAY).communes_with_team == 1
    assert team.unit_id == tree.commune.id


def test_create_team_for_an_unknown_unit(session, world):
    officer = world.officer
    with pytest.raises(NotFound):
        create_team(session, actor=officer, data=TeamInput(unit_id=999_999, name="Tổ", established_on=ESTABLISHED), today=TODAY)
    _refused(session, lambda: create_team(
        session, actor=officer, data=TeamInput(unit_id=None, name="Tổ", established_on=ESTABLISHED), today=TODAY), field="unit")


def test_update_team_changes_its_details(session, world):
    tree, officer = world.tree, world.officer
    team = create_team(session, actor=officer, data=_team_input(tree.villages[0], members=[]), today=TODAY)
    session.commit()
    update_team(session, actor=officer, team_id=team.id, today=TODAY, data=TeamInput(
        unit_id=team.unit_id, name="  Tổ CNSCĐ   thôn Phú Mỹ ", established_on=date(2022, 6, 15), decision_no="130/QĐ-UBND",
        note="Kiện toàn"))
    session.commit()
    session.expire_all()
    saved = session.get(Team, team.id)
    assert (saved.name, saved.established_on, saved.decision_no, saved.note) == (
        "Tổ CNSCĐ thôn Phú Mỹ", date(2022, 6, 15), "130/QĐ-UBND", "Kiện toàn")
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "update")).one()
    assert (entry.before["name"], entry.after["name"]) == ("Tổ CNSCĐ Thôn Phú Mỹ", "Tổ CNSCĐ thôn Phú Mỹ")


def test_update_team_refuses_dates_that_contradict_members_or_another_team(session, world):
    tree, officer = world.tree, world.officer
    first = factories.create_team(session, unit=tree.villages[0], established_on=ESTABLISHED, closed_on=date(2023, 1, 1))
    second = factories.create_team(session, unit=tree.villages[0], established_on=date(2023, 1, 1), members=1)
    session.commit()

    def move(team: Team, day: date):  # noqa: ANN202
        return lambda: update_team(session, actor=officer, team_id=team.id, today=TODAY,
                                            data=TeamInput(unit_id=team.unit_id, name=team.name, established_on=day))

    _refused(session, move(second, date(2022, 12, 1)), field="unit")  # would overlap the first team
    _refused(session, move(second, date(2023, 2, 1)), field="established_on")  # after its member joined
    _refused(session, move(first, date(2023, 1, 1)), field="established_on")  # not before its closing day
    _refused(session, move(second, TODAY + timedelta(days=1)), field="established_on")


# ---- closing a team -----------------------------------------------------------------------------


@pytest.fixture
def running_team(session, world):  # noqa: ANN001, ANN201
    """A village team established 01/07/2022 with three members, one of whom left in 2023."""
    tree, officer = world.tree, world.officer
    team = create_team(session, actor=officer, today=TODAY, data=_team_input(tree.villages[0], members=[
        MemberInput(full_name="Nguyễn Văn Hùng", role="leader"), MemberInput(full_name="Trần Thị Lan"),
        MemberInput(full_name="Phạm Văn Dũng")]))
    session.flush()
    left = session.scalars(select(Member).where(Member.team_id == team.id, Member.full_name == "Phạm Văn Dũng")).one()
    left.left_on = date(2023, 3, 1)
    session.commit()
    return tree, officer, team


@pytest.mark.parametrize("day", [ESTABLISHED - timedelta(days=1), ESTABLISHED, TODAY + timedelta(days=1), None])
def test_close_team_refuses_a_date_not_after_its_founding_or_in_the_future(session, running_team, day):
    _, officer, team = running_team
    _refused(session, lambda: close_team(session, actor=officer, team_id=team.id, closed_on=day, today=TODAY),
             field="closed_on")


def test_closing_a_team_ends_its_memberships_and_its_coverage(session, running_team):
    tree, officer, team = running_team
    stop = date(2024, 6, 1)
    close_team(session, actor=officer, team_id=team.id, closed_on=stop, today=TODAY)
    session.commit()
    members = session.scalars(select(Member).where(Member.team_id == team.id)).all()
    assert {m.full_name: m.left_on for m in members} == {
        "Nguyễn Văn Hùng": stop, "Trần Thị Lan": stop, "Phạm Văn Dũng": date(2023, 3, 1)}  # an earlier leaving stays
    day_before = coverage.fetch_indicators(session, actor=officer, unit_id=tree.commune.id, as_of=stop - timedelta(days=1))
    that_day = coverage.fetch_indicators(session, actor=officer, unit_id=tree.commune.id, as_of=stop)
    assert (day_before.villages_covered, day_before.teams, day_before.members) == (1, 1, 2)
    assert (that_day.villages_covered, that_day.teams, that_day.members) == (0, 0, 0)
    _refused(session, lambda: close_team(session, actor=officer, team_id=team.id, closed_on=TODAY, today=TODAY),
             field="closed_on")  # already closed


def test_a_new_team_may_follow_a_closed_one_from_its_closing_day(session, running_team):
    tree, officer, team = running_team
    stop = date(2024, 6, 1)
    close_team(session, actor=officer, team_id=team.id, closed_on=stop, today=TODAY)
    session.commit()
    _refused(session, lambda: create_team(
        session, actor=officer, data=_team_input(tree.villages[0], established_on=stop - timedelta(days=1)), today=TODAY),
        field="unit")
    successor = create_team(session, actor=officer, data=_team_input(tree.villages[0], name="Tổ kiện toàn",
                                                                              established_on=stop), today=TODAY)
    session.commit()
    got = fetch_teams(session, actor=officer, unit_id=tree.commune.id, status="active", as_of=stop)
    assert list(got["team_id"]) == [successor.id]


# ---- members ------------------------------------------------------------------------------------


def test_a_second_active_leader_is_refused_by_the_service_and_by_the_database(session, running_team, backend):
    _, officer, team = running_team
    _refused(session, lambda: create_member(
        session, actor=officer, team_id=team.id, data=MemberInput(full_name="Võ Thanh Sơn", role="leader"), today=TODAY),
        field="role")
    # Past the service, the partial unique index still holds the rule.
    session.add(Member(team_id=team.id, full_name="Võ Thanh Sơn", role="leader", organisation="other", joined_on=TODAY))
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()
    # A leader who left frees the role.
    leader = session.scalars(select(Member).where(Member.team_id == team.id, Member.role == "leader")).one()
    leader.left_on = date(2025, 1, 1)
    session.commit()
    new = create_member(session, actor=officer, team_id=team.id, today=TODAY,
                                 data=MemberInput(full_name="Võ Thanh Sơn", role="leader", joined_on=date(2025, 1, 1)))
    session.commit()
    assert new.role == "leader" and new.left_on is None


def test_create_member_in_a_closed_team_is_refused(session, running_team):
    _, officer, team = running_team
    close_team(session, actor=officer, team_id=team.id, closed_on=date(2024, 6, 1), today=TODAY)
    session.commit()
    _refused(session, lambda: create_member(
        session, actor=officer, team_id=team.id, data=MemberInput(full_name="Đỗ Thị Mai"), today=TODAY), field="team")


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("0905 123 456", "0905123456"),
        ("+84 905.123.456", "0905123456"),
        ("84905123456", "0905123456"),
        ("0905-123-456", "0905123456"),
        ("(+84) 905 123 456", "0905123456"),
        ("0358123456", "0358123456"),
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_normalise_phone(typed, stored):
    assert normalise_phone(typed) == stored


@pytest.mark.parametrize("typed", ["12345", "0123456789", "09051234567", "090512345", "0905abc456", "+1 905 123 4567"])
def test_normalise_phone_refuses_what_is_not_a_vietnamese_mobile(typed):
    with pytest.raises(UserError) as caught:
        normalise_phone(typed)
    assert caught.value.field == "phone"


# ---- audit trail and data version ---------------------------------------------------------------

# name → (call, records it changes); each call runs on the running_team fixture.
AUDITED: dict[str, Callable] = {
    "create_village": lambda s, o, t, team: (
        [units.create_village(s, actor=o, commune_id=t.commune.id, kind="Thôn", name="Mới Lập")]),
    "create_team": lambda s, o, t, team: (
        lambda new: [new, *s.scalars(select(Member).where(Member.team_id == new.id))]
    )(create_team(s, actor=o, data=_team_input(t.villages[1]), today=TODAY)),
    "update_team": lambda s, o, t, team: [update_team(s, actor=o, team_id=team.id, today=TODAY, data=TeamInput(
        unit_id=team.unit_id, name="Tên mới", established_on=team.established_on))],
    "close_team": lambda s, o, t, team: (
        lambda active: [close_team(s, actor=o, team_id=team.id, closed_on=date(2024, 6, 1), today=TODAY), *active]
    )(list(s.scalars(select(Member).where(Member.team_id == team.id, Member.left_on.is_(None))))),
    "create_member": lambda s, o, t, team: [create_member(
        s, actor=o, team_id=team.id, data=MemberInput(full_name="Đỗ Thị Mai"), today=TODAY)],
}


@pytest.mark.parametrize("write", sorted(AUDITED))
def test_every_write_leaves_one_audit_row_per_record_and_bumps_the_data_version(session, running_team, write):
    tree, officer, team = running_team
    version = versions.fetch_data_version(session)
    last_audit = session.scalar(select(func.max(AuditEntry.id)))
    changed = AUDITED[write](session, officer, tree, team)
    session.commit()
    entries = session.scalars(select(AuditEntry).where(AuditEntry.id > last_audit)).all()
    assert sorted((e.entity, e.entity_id) for e in entries) == sorted((r.__tablename__, r.id) for r in changed)
    assert {e.user_id for e in entries} == {officer.user_id}
    assert versions.fetch_data_version(session) > version


def test_services_never_commit(session, world):
    tree, officer = world.tree, world.officer
    before = row_counts(session, TABLES)
    create_team(session, actor=officer, data=_team_input(tree.villages[0]), today=TODAY)
    units.create_village(session, actor=officer, commune_id=tree.commune.id, kind="Thôn", name="Mới Lập")
    session.rollback()
    assert row_counts(session, TABLES) == before
