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


# ---- who answers: officers strictly above the unit ----------------------------------------------


def _may_answer(session, actor, rec_id: int) -> bool:  # noqa: ANN001
    """Whether answer_recommendation lets the actor move it to "in progress" (rolled back either way)."""
    try:
        recs.answer_recommendation(session, actor=actor, recommendation_id=rec_id, answer="Đã tiếp nhận", status="in_progress")
        return True
    except PermissionDenied:
        return False
    finally:
        session.rollback()


def test_a_commune_officer_cannot_answer_what_the_district_raised_about_their_commune(session, people):
    """Issue 14: the commune officer answered and resolved the district officer's recommendation about that commune."""
    tree = people["tree"]
    rec = recs.create_recommendation(session, actor=people["district_officer"], unit_id=tree.commune.id,
                                     category="recommendation", text="Đề nghị xã rà soát thiết bị của tổ", now=T0)
    session.commit()
    for status in ("in_progress", "resolved"):
        with pytest.raises(PermissionDenied):
            recs.answer_recommendation(session, actor=people["commune_officer"], recommendation_id=rec.id, answer="Xã đã xử lý",
                                       status=status)
        session.rollback()
    assert rec.id not in set(recs.fetch_open_to_answer(session, actor=people["commune_officer"])["recommendation_id"])
    listed = recs.fetch_recommendations(session, actor=people["commune_officer"])
    assert listed.loc[listed["recommendation_id"] == rec.id, "can_answer"].tolist() == [False]
    # Above the commune: a province officer answers it; the district officer raised it, so not them.
    province_officer = actor_of(factories.create_user(session, role="officer", unit=tree.province, username="canbo.tinh"))
    session.commit()
    assert [rec.id] == list(recs.fetch_open_to_answer(session, actor=province_officer)["recommendation_id"])
    assert not _may_answer(session, people["district_officer"], rec.id)
    recs.answer_recommendation(session, actor=province_officer, recommendation_id=rec.id, answer="Tỉnh đã bố trí", status="resolved")
    session.commit()
    assert session.get(type(rec), rec.id).status == "resolved"


def test_a_leader_of_the_commune_raising_about_it_is_answered_by_the_district(session, people, world):
    tree = people["tree"]
    commune_leader = actor_of(factories.create_user(session, role="leader", unit=tree.commune, username="lanhdao.xa"))
    rec = recs.create_recommendation(session, actor=commune_leader, unit_id=tree.commune.id, category="proposal",
                                     text="Đề xuất hỗ trợ kinh phí", now=T0)
    session.commit()
    assert not _may_answer(session, people["commune_officer"], rec.id)
    assert _may_answer(session, people["district_officer"], rec.id)
    assert _may_answer(session, world.admin, rec.id)


def test_a_team_is_answered_by_the_officers_of_its_own_unit(session, people):
    """A team sits below its unit: the commune officer answers its village team and its commune team."""
    tree = people["tree"]
    commune_team = factories.create_team(session, unit=tree.commune, established_on=date(2022, 7, 1))
    commune_volunteer = actor_of(factories.create_user(session, role="volunteer", team=commune_team, username="tnv.xa"))
    session.commit()
    village_rec = recs.create_recommendation(session, actor=people["volunteer"], unit_id=None, category="difficulty",
                                             text="Thôn chưa có sóng 4G", now=T0)
    commune_rec = recs.create_recommendation(session, actor=commune_volunteer, unit_id=None, category="difficulty",
                                             text="Tổ xã thiếu máy tính bảng", now=T0)
    session.commit()
    assert commune_rec.unit_id == tree.commune.id
    for rec in (village_rec, commune_rec):
        assert _may_answer(session, people["commune_officer"], rec.id)
        assert _may_answer(session, people["district_officer"], rec.id)
        assert not _may_answer(session, people["other_officer"], rec.id)
    waiting = set(recs.fetch_open_to_answer(session, actor=people["commune_officer"])["recommendation_id"])
    assert waiting == {village_rec.id, commune_rec.id}


def test_the_lists_offer_exactly_what_answer_recommendation_allows(session, people, world):
    """Every (officer, recommendation) pair: listed as answerable ⇔ listed as waiting ⇔ the answer is accepted."""
    tree = people["tree"]
    province_officer = actor_of(factories.create_user(session, role="officer", unit=tree.province, username="canbo.tinh"))
    village_officer = actor_of(factories.create_user(session, role="officer", unit=tree.villages[0], username="canbo.thon"))
    session.commit()
    raised = [
        recs.create_recommendation(session, actor=people["volunteer"], unit_id=None, category="difficulty", text="A", now=T0),
        recs.create_recommendation(session, actor=people["commune_officer"], unit_id=tree.commune.id, category="proposal",
                                   text="B", now=T0),
        recs.create_recommendation(session, actor=people["commune_officer"], unit_id=tree.villages[0].id, category="proposal",
                                   text="C", now=T0),
        recs.create_recommendation(session, actor=people["district_officer"], unit_id=tree.commune.id, category="proposal",
                                   text="D", now=T0),
        recs.create_recommendation(session, actor=people["district_officer"], unit_id=tree.district.id, category="proposal",
                                   text="E", now=T0),
        recs.create_recommendation(session, actor=people["leader"], unit_id=tree.villages[0].id, category="recommendation",
                                   text="F", now=T0),
    ]
    session.commit()
    ids = [r.id for r in raised]
    officers = {"admin": world.admin, "province": province_officer, "district": people["district_officer"],
                "commune": people["commune_officer"], "village": village_officer, "other": people["other_officer"],
                "leader": people["leader"], "volunteer": people["volunteer"]}
    allowed = {name: {i for i in ids if _may_answer(session, actor, i)} for name, actor in officers.items()}
    for name, actor in officers.items():
        listed = recs.fetch_recommendations(session, actor=actor)
        assert set(listed.loc[listed["can_answer"], "recommendation_id"]) == allowed[name], name
        assert set(recs.fetch_open_to_answer(session, actor=actor, limit=50)["recommendation_id"]) == allowed[name], name
    # The rule itself, not only the agreement: strictly above, except a team's own; never one's own; never outside.
    a, b, c, d, e, f = ids
    assert allowed["commune"] == {a, f}  # B and C are its own; D is about its commune; E is above it
    assert allowed["village"] == {a}  # its own village's team; F was raised about its village by a leader
    assert allowed["district"] == {a, b, c, f}
    assert allowed["province"] == set(ids)
    assert allowed["admin"] == set(ids)
    assert allowed["other"] == allowed["leader"] == allowed["volunteer"] == set()
