"""Tổng quan: indicators of the user's scope and coverage by the level below, live after a write."""

from datetime import date

from db import coverage, teams
from db.auth import actor_of
from report import fmt
from tests import factories


def _metric(at, label: str) -> str:  # noqa: ANN001
    return next(m.value for m in at.metric if m.label == label)


def test_indicators_match_the_database_and_follow_a_new_team(app, session):
    tree = factories.create_tree(session)
    factories.create_team(session, unit=tree.villages[0], members=3)
    user = factories.create_user(session, role="officer", unit=tree.province, username="canbo.tinh")
    session.commit()
    actor = actor_of(user)
    at = app(actor).run()
    assert not at.exception
    before = coverage.fetch_indicators(session, actor=actor, unit_id=tree.province.id)
    assert _metric(at, "Độ phủ thôn có Tổ CNSCĐ") == fmt.percent(before.village_coverage)
    assert _metric(at, "Tổ đang hoạt động") == fmt.number(before.teams)
    assert f"{before.villages_covered}/{before.villages} thôn" in " ".join(c.value for c in at.caption)

    # Another officer registers a team; this open page shows it at its next rerun.
    teams.create_team(
        session, actor=actor,
        data=teams.TeamInput(unit_id=tree.villages[1].id, name="Tổ CNSCĐ mới", established_on=date.today()),
    )
    session.commit()
    at.run()
    after = coverage.fetch_indicators(session, actor=actor, unit_id=tree.province.id)
    assert after.villages_covered == before.villages_covered + 1
    assert _metric(at, "Độ phủ thôn có Tổ CNSCĐ") == fmt.percent(after.village_coverage)
    assert _metric(at, "Tổ đang hoạt động") == fmt.number(after.teams)


def test_table_lists_the_children_of_the_scope(app, session):
    tree = factories.create_tree(session)
    user = factories.create_user(session, role="leader", unit=tree.province, username="lanhdao.tinh")
    session.commit()
    actor = actor_of(user)
    at = app(actor).run()
    children = coverage.fetch_coverage_by_child(session, actor=actor, unit_id=tree.province.id)
    shown = at.dataframe[0].value
    assert list(shown["Địa bàn"]) == list(children["name"])
    assert at.get("vega_lite_chart"), "the coverage chart is drawn"


def test_past_date_counts_only_teams_active_then(app, session):
    tree = factories.create_tree(session)
    factories.create_team(session, unit=tree.villages[0], established_on=date(2022, 7, 1))
    factories.create_team(session, unit=tree.villages[1], established_on=date(2023, 1, 10))
    user = factories.create_user(session, role="officer", unit=tree.district, username="canbo.huyen")
    session.commit()
    actor = actor_of(user)
    at = app(actor).run()
    at.date_input(key="overview_as_of").set_value(date(2022, 12, 31)).run()
    then = coverage.fetch_indicators(session, actor=actor, unit_id=tree.district.id, as_of=date(2022, 12, 31))
    now = coverage.fetch_indicators(session, actor=actor, unit_id=tree.district.id)
    assert then.villages_covered == now.villages_covered - 1
    assert _metric(at, "Độ phủ thôn có Tổ CNSCĐ") == fmt.percent(then.village_coverage)
    assert "31/12/2022" in " ".join(s.value for s in at.subheader)
