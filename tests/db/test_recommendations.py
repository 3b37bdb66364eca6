"""Recommendations: raising, the workflow open → in progress → resolved, scope, and the counts."""

from datetime import date, datetime, timedelta

import pytest

from db import recommendations as recs
from db.auth import actor_of
from db.errors import PermissionDenied, UserError
from tests import factories

T0 = datetime(2026, 10, 1, 9, 0)


@pytest.fixture
def people(session, world):  # noqa: ANN001, ANN201
    """On the shared world: a team of Thôn Phú Mỹ, its volunteer, and officers of the commune and of the other district."""
    tree = world.tree
    team = factories.create_team(session, unit=tree.villages[0], established_on=date(2022, 7, 1))
    out = dict(
        tree=tree, team=team,
        volunteer=actor_of(factories.create_user(session, role="volunteer", team=team, username="tnv.r")),
        commune_officer=actor_of(factories.create_user(session, role="officer", unit=tree.commune, username="canbo.xa")),
        district_officer=world.officer,
        other_officer=actor_of(factories.create_user(session, role="officer", unit=tree.district2, username="canbo.khac")),
        leader=world.leader,
    )
    session.commit()
    return out


def test_volunteer_raises_for_their_team_and_the_workflow_moves_forward(session, people):
    rec = recs.create_recommendation(session, actor=people["volunteer"], unit_id=None, category="difficulty",
                                     text="Thôn chưa có sóng 4G ổn định", now=T0)
    session.commit()
    assert (rec.unit_id, rec.team_id, rec.status) == (people["team"].unit_id, people["team"].id, "open")
    with pytest.raises(PermissionDenied):  # a leader reads but does not answer
        recs.answer_recommendation(session, actor=people["leader"], recommendation_id=rec.id, answer="x", status="in_progress")
    with pytest.raises(PermissionDenied):  # outside the other district's scope
        recs.answer_recommendation(session, actor=people["other_officer"], recommendation_id=rec.id, answer="x", status="in_progress")
    recs.answer_recommendation(session, actor=people["commune_officer"], recommendation_id=rec.id,
                               answer="Đã báo doanh nghiệp viễn thông", status="in_progress", now=T0 + timedelta(days=2))
    session.commit()
    with pytest.raises(UserError):  # no way back
        recs.answer_recommendation(session, actor=people["district_officer"], recommendation_id=rec.id, answer="x", status="open")
    with pytest.raises(UserError) as err:
        recs.answer_recommendation(session, actor=people["district_officer"], recommendation_id=rec.id, answer="  ", status="resolved")
    assert err.value.field == "answer"
    recs.answer_recommendation(session, actor=people["district_officer"], recommendation_id=rec.id,
                               answer="Đã lắp trạm phát sóng", status="resolved", now=T0 + timedelta(days=10))
    session.commit()
    session.refresh(rec)
    assert (rec.status, rec.answer, rec.resolved_at) == ("resolved", "Đã lắp trạm phát sóng", T0 + timedelta(days=10))
    with pytest.raises(UserError):
        recs.answer_recommendation(session, actor=people["district_officer"], recommendation_id=rec.id, answer="x", status="resolved")


def test_an_officer_cannot_answer_their_own(session, people):
    rec = recs.create_recommendation(session, actor=people["commune_officer"], unit_id=people["tree"].commune.id,
                                     category="proposal", text="Đề xuất tập huấn", now=T0)
    session.commit()
    with pytest.raises(PermissionDenied):
        recs.answer_recommendation(session, actor=people["commune_officer"], recommendation_id=rec.id, answer="x", status="resolved")
    waiting = recs.fetch_open_to_answer(session, actor=people["district_officer"])
    assert list(waiting["recommendation_id"]) == [rec.id]
    assert recs.fetch_open_to_answer(session, actor=people["commune_officer"]).empty


@pytest.mark.parametrize(("category", "text", "field"), [("complaint", "Nội dung", "category"), ("proposal", "   ", "text")])
def test_bad_input_is_refused(session, people, category, text, field):
    with pytest.raises(UserError) as err:
        recs.create_recommendation(session, actor=people["leader"], unit_id=people["tree"].commune.id, category=category, text=text)
    assert err.value.field == field


def test_raising_outside_the_scope_is_refused(session, people):
    with pytest.raises(PermissionDenied):
        recs.create_recommendation(session, actor=people["leader"], unit_id=people["tree"].commune2.id, category="proposal", text="x")


def test_counts_by_unit_and_status_and_days_to_resolve(session, people):
    a = recs.create_recommendation(session, actor=people["volunteer"], unit_id=None, category="difficulty", text="A", now=T0)
    recs.create_recommendation(session, actor=people["leader"], unit_id=people["tree"].commune.id, category="proposal", text="B", now=T0)
    session.commit()
    recs.answer_recommendation(session, actor=people["district_officer"], recommendation_id=a.id, answer="Xong",
                               status="resolved", now=T0 + timedelta(days=4))
    session.commit()
    counts = recs.fetch_recommendation_counts(session, actor=people["district_officer"], unit_id=people["tree"].district.id)
    by_status = dict(zip(counts["status"], counts["count"], strict=True))
    assert by_status == {"open": 1, "resolved": 1}
    assert counts.loc[counts["status"] == "resolved", "days_to_resolve"].iloc[0] == pytest.approx(4.0)
    assert recs.count_open(session, actor=people["leader"], unit_id=people["tree"].district.id) == 1
    listed = recs.fetch_recommendations(session, actor=people["other_officer"])
    assert listed.empty  # nothing of another district
