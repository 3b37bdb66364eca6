"""Members: corrections, one active leader, leaving, and the composition indicators."""

from datetime import date

import pytest

from db import members
from db.auth import actor_of
from db.errors import PermissionDenied, UserError
from db.members import MemberInput, create_member
from db.models import Member
from tests import factories

TODAY = date(2026, 11, 20)


@pytest.fixture
def setup(session, world):  # noqa: ANN001, ANN201
    """The shared world's tree and officer, and a team of Thôn Phú Mỹ."""
    team = factories.create_team(session, unit=world.tree.villages[0], established_on=date(2022, 7, 1))
    session.commit()
    return world.tree, team, world.officer


def _add(session, officer, team, **kw) -> Member:  # noqa: ANN001
    data = MemberInput(full_name=kw.pop("full_name", "Trần Văn Lộc"), joined_on=date(2023, 1, 1), **kw)
    member = create_member(session, actor=officer, team_id=team.id, data=data, today=TODAY)
    session.commit()
    return member


def test_update_member_normalises_phone_and_refuses_a_second_leader(session, setup):
    _, team, officer = setup
    _add(session, officer, team, role="leader", full_name="Lê Thị Hoa")
    other = _add(session, officer, team, role="member")
    members.update_member(session, actor=officer, member_id=other.id,
                          data=MemberInput(full_name="Trần Văn Lộc", phone="0905.111.222", role="deputy", joined_on=date(2023, 1, 1)), today=TODAY)
    session.commit()
    assert (session.get(Member, other.id).phone, session.get(Member, other.id).role) == ("0905111222", "deputy")
    with pytest.raises(UserError) as err:
        members.update_member(session, actor=officer, member_id=other.id,
                              data=MemberInput(full_name="Trần Văn Lộc", role="leader", joined_on=date(2023, 1, 1)), today=TODAY)
    assert err.value.field == "role"


def test_end_membership_dates(session, setup):
    _, team, officer = setup
    member = _add(session, officer, team)
    with pytest.raises(UserError):
        members.end_membership(session, actor=officer, member_id=member.id, left_on=date(2022, 12, 31), today=TODAY)
    with pytest.raises(UserError):
        members.end_membership(session, actor=officer, member_id=member.id, left_on=date(2027, 1, 1), today=TODAY)
    members.end_membership(session, actor=officer, member_id=member.id, left_on=date(2024, 6, 1), today=TODAY)
    session.commit()
    assert session.get(Member, member.id).left_on == date(2024, 6, 1)
    with pytest.raises(UserError):
        members.end_membership(session, actor=officer, member_id=member.id, left_on=date(2024, 7, 1), today=TODAY)


def test_leaving_frees_the_leader_role(session, setup):
    _, team, officer = setup
    leader = _add(session, officer, team, role="leader")
    members.end_membership(session, actor=officer, member_id=leader.id, left_on=date(2024, 6, 1), today=TODAY)
    session.commit()
    new_leader = _add(session, officer, team, role="leader", full_name="Phạm Minh Tuấn")
    assert new_leader.id != leader.id


def test_officer_outside_scope_cannot_edit(session, setup):
    tree, team, officer = setup
    member = _add(session, officer, team)
    outsider = actor_of(factories.create_user(session, role="officer", unit=tree.district2, username="canbo.khac"))
    with pytest.raises(PermissionDenied):
        members.end_membership(session, actor=outsider, member_id=member.id, left_on=date(2024, 6, 1), today=TODAY)


def test_composition_shares(session, setup):
    tree, team, officer = setup
    people = [  # (gender, birth year, organisation)
        ("female", 2000, "youth_union"), ("male", 1999, "youth_union"), ("female", 1970, "women_union"),
        ("male", 1960, "veterans"), ("male", None, "police"),
    ]
    for i, (gender, year, org) in enumerate(people):
        _add(session, officer, team, full_name=f"Người {i}", gender=gender, birth_year=year, organisation=org)
    as_of = date(2026, 11, 20)
    comp = members.fetch_member_composition(session, actor=officer, unit_id=tree.district.id, as_of=as_of)
    assert comp["members"] == len(people)
    assert comp["women_share"] == pytest.approx(sum(g == "female" for g, _, _ in people) / len(people))
    aged = [y for _, y, _ in people if y is not None]
    assert comp["youth_share"] == pytest.approx(sum(16 <= as_of.year - y <= 30 for y in aged) / len(aged))
    by_org = dict(zip(comp["by_organisation"]["organisation"], comp["by_organisation"]["members"], strict=True))
    assert by_org["youth_union"] == 2 and sum(by_org.values()) == len(people)
    assert comp["members_per_team"] == pytest.approx(len(people) / comp["teams"])


def test_a_volunteer_reads_only_their_own_teams_roster_and_phones(session, setup, world):
    """Issue 14: a volunteer read another team's members, phones included, anywhere in the commune."""
    tree, team, officer = setup
    _add(session, officer, team, full_name="Lê Thị Hoa", phone="0905111222")
    own = factories.create_team(session, unit=tree.villages[1], established_on=date(2022, 7, 1))
    session.commit()
    _add(session, officer, own, full_name="Phan Văn Sơn", phone="0935444555")
    volunteer = actor_of(factories.create_user(session, role="volunteer", team=own, username="tnv.kt"))
    session.commit()
    with pytest.raises(PermissionDenied):
        members.fetch_members(session, actor=volunteer, team_id=team.id)
    assert list(members.fetch_members(session, actor=volunteer, team_id=own.id)["phone"]) == ["0935444555"]
    # Officers and leaders of the district still read every roster in it.
    for reader in (officer, world.leader):
        assert list(members.fetch_members(session, actor=reader, team_id=team.id)["phone"]) == ["0905111222"]
    # The commune's member figures stay open to the volunteer: counts, not rows.
    assert members.fetch_member_composition(session, actor=volunteer, unit_id=tree.commune.id, as_of=TODAY)["members"] == 2
