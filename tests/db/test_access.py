"""Scope: an officer reads only their own subtree; leaders and volunteers write nothing."""

from collections.abc import Callable
from datetime import date

import pytest

from db import coverage
from db.errors import PermissionDenied
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


