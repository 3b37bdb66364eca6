"""The earliest accepted date and the form bounds: the services refuse exactly what the pages do not offer."""

import ast
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from db import limits, members, targets, teams
from db.errors import UserError
from db.models import Member
from tests import factories

TODAY = date(2023, 3, 31)
BEFORE = limits.EARLIEST_DATE - timedelta(days=1)
ROOT = Path(__file__).parents[2]


def test_the_earliest_date_is_the_programme_rule():
    # The programme began in 2021–2022; a team founded before 2018 is a typo, not history.
    assert date(2018, 1, 1) == limits.EARLIEST_DATE


def test_a_team_established_before_the_earliest_date_is_refused(session):
    tree = factories.create_tree(session)
    officer = factories.officer_of(session, tree.district)
    session.commit()
    with pytest.raises(UserError) as err:
        teams.create_team(session, actor=officer, today=TODAY, data=teams.TeamInput(
            unit_id=tree.villages[0].id, name="Tổ CNSCĐ thôn Phú Mỹ", established_on=BEFORE))
    assert err.value.field == "established_on"
    assert "01/01/2018" in err.value.message
    session.rollback()
    team = teams.create_team(session, actor=officer, today=TODAY, data=teams.TeamInput(
        unit_id=tree.villages[0].id, name="Tổ CNSCĐ thôn Phú Mỹ", established_on=limits.EARLIEST_DATE))
    assert team.established_on == limits.EARLIEST_DATE


def test_closing_and_leaving_before_the_earliest_date_are_refused(session):
    tree = factories.create_tree(session)
    officer = factories.officer_of(session, tree.district)
    team = factories.create_team(session, unit=tree.villages[0], established_on=date(2022, 7, 1), members=1)
    session.commit()
    with pytest.raises(UserError) as err:
        teams.close_team(session, actor=officer, team_id=team.id, closed_on=BEFORE, today=TODAY)
    assert err.value.field == "closed_on"
    member_id = session.scalar(select(Member.id).where(Member.team_id == team.id))
    with pytest.raises(UserError) as err:
        members.end_membership(session, actor=officer, member_id=member_id, left_on=BEFORE, today=TODAY)
    assert err.value.field == "left_on"


def test_a_deadline_before_the_earliest_year_is_refused(session):
    tree = factories.create_tree(session)
    session.commit()
    with pytest.raises(UserError) as err:
        targets.set_target(session, actor=factories.admin(), unit_id=tree.district.id, kind="village_coverage", value=1.0,
                           due_on=date(limits.EARLIEST_DATE.year - 1, 12, 31))
    assert err.value.field == "due_on"


def test_birth_years_follow_the_member_ages():
    assert limits.birth_years(TODAY) == (TODAY.year - limits.MEMBER_AGES[1], TODAY.year - limits.MEMBER_AGES[0])
    latest = limits.birth_years(TODAY)[1]
    with pytest.raises(UserError):
        members.validated_member(members.MemberInput(full_name="Trần Thị Bé", birth_year=latest + 1),
                                   row=None, team_start=date(2022, 7, 1), today=TODAY)


def test_pages_take_their_bounds_from_db_limits():
    """No page or form helper writes a date bound, a maximum or a text length as a number of its own."""
    found = []
    for path in [*sorted((ROOT / "pages").glob("*.py")), ROOT / "ui" / "forms.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.keyword) and node.arg in ("min_value", "max_value", "max_chars"):
                if isinstance(node.value, ast.Constant) and node.value.value not in (0, None):
                    found.append(f"{path.name}:{node.value.lineno} {node.arg}={node.value.value}")
                call = node.value
                if (isinstance(call, ast.Call) and getattr(call.func, "id", "") == "date"
                        and all(isinstance(a, ast.Constant) for a in call.args)):
                    found.append(f"{path.name}:{node.value.lineno} {node.arg}=date(...)")
    assert found == [], found
