"""The light report page and its API: the same service, checks, permission rule and audit row as the Streamlit form."""

import io
import json
import re
from datetime import date, timedelta

import pytest
from PIL import Image
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from db import activities, auth, limits
from db.activities import ActivityInput
from db.auth import actor_of
from db.models import Activity, AuditEntry
from db.transactions import run_write
from tests import factories
from tests.web.conftest import ORIGIN, sign_in
from ui import quick, signin

TOKEN = "0123456789abcdef0123456789abcdef"


def _volunteer(session, username: str = "tnv.a", unit_index: int = 0):  # noqa: ANN001, ANN202
    """A tree, a team in its village `unit_index`, and a volunteer of that team."""
    tree = factories.create_tree(session)
    team = factories.create_team(session, unit=tree.villages[unit_index], members=2)
    user = factories.create_user(session, role="volunteer", team=team, username=username)
    session.commit()
    return tree, team, user


def _report(client, team_id: int, token: str = TOKEN, **fields):  # noqa: ANN001, ANN003, ANN202
    data = {"token": token, "to": str(team_id), "ngay": date.today().isoformat(), "loai": "public_service",
            "nguoi": "12", "ho": "5", "ket_qua": "3", "ghi_chu": "Hướng dẫn nộp hồ sơ"}
    files = None
    if "photo" in fields:
        files = {"anh": ("anh.jpg", fields.pop("photo"), "image/jpeg")}
    data.update({k: str(v) for k, v in fields.items()})
    return client.post(quick.API, data=data, files=files, headers={"Origin": ORIGIN, "Accept": "application/json"})


def _reports(session) -> list[Activity]:  # noqa: ANN001
    session.expire_all()
    return list(session.scalars(select(Activity)))


def test_the_page_shows_the_volunteers_team_and_latest_reports(client, session):
    _tree, team, _user = _volunteer(session)
    browser = client()
    sign_in(browser, "tnv.a", factories.DEFAULT_PASSWORD)
    _report(browser, team.id)
    page = browser.get("/nhanh/")
    assert page.status_code == 200
    assert team.name in page.text and "Gửi báo cáo" in page.text and "Chờ gửi: 0" in page.text
    shown = re.search(r'<script id="config" type="application/json">(.*?)</script>', page.text, re.S)
    config = json.loads(shown.group(1))
    assert config["team"] == team.id and config["earliest"] == team.established_on.isoformat()
    assert f"<strong>{date.today():%d/%m/%Y}</strong> · Hướng dẫn dịch vụ công trực tuyến" in page.text
    assert len(page.content) < 30_000, "styles and script included; about a third of it once gzipped (make bench)"


def test_others_are_sent_where_they_belong(client, session):
    tree = factories.create_tree(session)
    factories.create_user(session, role="officer", unit=tree.district, username="canbo.a")
    session.commit()
    assert client().get("/nhanh/").headers["location"] == "/dang-nhap?next=/nhanh/"
    officer = client()
    sign_in(officer, "canbo.a", factories.DEFAULT_PASSWORD)
    assert officer.get("/nhanh/").headers["location"] == "/activities"


def test_a_report_is_written_once_with_its_audit_row_however_often_it_is_sent(client, session):
    _tree, team, user = _volunteer(session)
    browser = client()
    sign_in(browser, "tnv.a", factories.DEFAULT_PASSWORD)
    first = _report(browser, team.id)
    assert first.status_code == 200, first.text
    answer = first.json()
    assert answer["ok"] and answer["message"].startswith(f"Đã ghi nhận báo cáo ngày {date.today():%d/%m/%Y}")
    again = _report(browser, team.id)  # the phone never heard the answer and sends it again
    assert again.json()["id"] == answer["id"]
    rows = _reports(session)
    assert [(r.team_id, r.people_reached, r.households_reached, r.results, r.reported_by) for r in rows] == [
        (team.id, 12, 5, 3, user.id)]
    audit = session.scalars(select(AuditEntry).where(AuditEntry.entity == "activities")).all()
    assert [(a.action, a.entity_id, a.user_id) for a in audit] == [("create", answer["id"], user.id)]


def test_a_volunteer_of_another_team_cannot_post_for_this_team(client, session):
    tree, team, _user = _volunteer(session)
    other_team = factories.create_team(session, unit=tree.villages[1])
    factories.create_user(session, role="volunteer", team=other_team, username="tnv.b")
    session.commit()
    intruder = client()
    sign_in(intruder, "tnv.b", factories.DEFAULT_PASSWORD)
    refused = _report(intruder, team.id)
    assert refused.status_code == 403
    assert refused.json()["message"] == "Bạn chỉ báo cáo được cho tổ của mình."
    assert _reports(session) == []


def test_someone_elses_form_token_reveals_and_writes_nothing(client, session):
    tree, team, _user = _volunteer(session)
    browser = client()
    sign_in(browser, "tnv.a", factories.DEFAULT_PASSWORD)
    _report(browser, team.id)
    other_team = factories.create_team(session, unit=tree.villages[1])
    factories.create_user(session, role="volunteer", team=other_team, username="tnv.c")
    session.commit()
    other = client()
    sign_in(other, "tnv.c", factories.DEFAULT_PASSWORD)
    reused = _report(other, other_team.id)  # the same token, for their own team
    assert reused.status_code == 400 and "id" not in reused.json()
    assert len(_reports(session)) == 1


def test_values_the_service_refuses_come_back_with_its_message_and_field(client, session):
    _tree, team, _user = _volunteer(session)
    browser = client()
    sign_in(browser, "tnv.a", factories.DEFAULT_PASSWORD)
    cases = {
        "activity_date": {"ngay": (date.today() + timedelta(days=1)).isoformat()},
        "people_reached": {"nguoi": "10001"},
        "results": {"ket_qua": "-1"},
        "activity_type": {"loai": "bogus"},
    }
    for field, values in cases.items():
        answer = _report(browser, team.id, **values)
        assert answer.status_code == 400, field
        body = answer.json()
        assert body["field"] == field and body["message"], field
    assert _report(browser, team.id, ngay="31/02/2026").json()["message"] == "Ngày hoạt động không hợp lệ."
    assert _report(browser, team.id, token="not-a-token").status_code == 400
    assert _reports(session) == []


def test_without_a_sign_in_or_from_another_site_nothing_is_written(client, session):
    _tree, team, _user = _volunteer(session)
    assert _report(client(), team.id).status_code == 401
    browser = client()
    sign_in(browser, "tnv.a", factories.DEFAULT_PASSWORD)
    foreign = browser.post(quick.API, data={"token": TOKEN, "to": str(team.id), "ngay": date.today().isoformat(),
                                            "loai": "other"}, headers={"Origin": "http://example.invalid"})
    assert foreign.status_code == 403 and foreign.json()["message"]
    assert _reports(session) == []


def test_a_photo_travels_with_its_report_and_an_oversized_body_is_refused(client, session):
    _tree, team, _user = _volunteer(session)
    browser = client()
    sign_in(browser, "tnv.a", factories.DEFAULT_PASSWORD)
    buffer = io.BytesIO()
    Image.new("RGB", (1280, 960), (30, 120, 200)).save(buffer, "JPEG", quality=72)
    assert _report(browser, team.id, photo=buffer.getvalue()).status_code == 200
    assert _reports(session)[0].photo.endswith(".jpg")
    huge = _report(browser, team.id, token="f" * 32, photo=b"\xff" * (quick.BODY_MAX + 1))
    assert huge.status_code == 413 and huge.json()["field"] == "photo"
    assert len(_reports(session)) == 1


def test_the_page_needs_no_other_request_and_the_worker_knows_its_version(client, session):
    _volunteer(session)
    browser = client()
    sign_in(browser, "tnv.a", factories.DEFAULT_PASSWORD)
    page = browser.get("/nhanh/").text
    assert not re.search(r'<(script|link)[^>]+(src|href)="/', page), "styles and script are in the page"
    assert "<style>" in page and "indexedDB.open" in page
    assert "<style>" in client().get("/dang-nhap").text
    worker = browser.get("/nhanh/sw.js")
    assert worker.headers["content-type"].startswith("text/javascript")
    version = re.search(r'const VERSION = "([0-9a-f]{12})"', worker.text)
    assert version is not None and version.group(1) == signin.templates.env.globals["asset_version"]


def test_a_figure_above_the_usual_is_refused_with_the_officer_to_ask(client, session):
    _tree, team, _user = _volunteer(session)
    browser = client()
    sign_in(browser, "tnv.a", factories.DEFAULT_PASSWORD)
    answer = _report(browser, team.id, nguoi=str(limits.PLAUSIBLE_REPORT["people_reached"] + 1))
    assert answer.status_code == 400
    body = answer.json()
    assert body["field"] == "people_reached" and "cao bất thường" in body["message"] and "cán bộ xã" in body["message"]
    assert _reports(session) == []


def test_too_many_reports_answer_429_with_the_wait_and_a_resend_is_still_answered(client, session):
    _tree, team, user = _volunteer(session)
    volunteer = actor_of(user)
    most = dict(limits.REPORT_RATE["volunteer"])[10]
    stored = [activities.create_activity(session, actor=volunteer, data=ActivityInput(
        team_id=team.id, activity_date=date.today(), activity_type="other", people_reached=i, form_token=f"{i:032x}"))
        for i in range(most)]
    session.commit()
    browser = client()
    sign_in(browser, "tnv.a", factories.DEFAULT_PASSWORD)
    refused = _report(browser, team.id)
    assert refused.status_code == 429
    body = refused.json()
    assert not body["ok"] and body["message"].startswith("Bạn đã gửi quá nhiều báo cáo trong thời gian ngắn; hãy thử lại sau")
    minutes = int(re.search(r"sau (\d+) phút", body["message"]).group(1))
    assert 1 <= minutes <= 10 and refused.headers["Retry-After"] == str(minutes * 60)
    assert len(_reports(session)) == most
    again = _report(browser, team.id, token=f"{0:032x}")  # a stored report sent again: answered, not counted
    assert again.status_code == 200 and again.json()["id"] == stored[0].id
    assert len(_reports(session)) == most


def test_the_script_keeps_a_report_refused_for_its_rate_waiting():
    # A 429 is not a wrong value: the phone must keep the report pending (no error to correct) and try later.
    script = (signin.ASSETS / "app.js").read_text()
    rate = script.index("response.status === 429")
    refused_for_good = script.index("Refused for good")
    assert rate < refused_for_good, "the 429 branch must come before the one that marks a report refused"
    branch = script[rate:refused_for_good]
    assert "Retry-After" in branch and "break;" in branch and "error:" not in branch


@pytest.mark.parametrize("revoke", ["disable", "reset"])
def test_a_report_sent_after_the_account_was_disabled_or_its_password_reset_is_refused_401(client, session, revoke):
    tree, team, user = _volunteer(session)
    officer = factories.officer_of(session, tree.district, username="canbo.tq")
    session.commit()
    browser = client()
    sign_in(browser, "tnv.a", factories.DEFAULT_PASSWORD)
    assert _report(browser, team.id).status_code == 200
    _revoke(revoke, officer, user.id)
    answer = _report(browser, team.id, token="e" * 32)
    assert answer.status_code == 401 and answer.json()["message"] == quick.SIGNED_OUT
    assert len(_reports(session)) == 1


@pytest.mark.parametrize("revoke", ["disable", "reset"])
def test_a_revocation_between_the_requests_sign_in_check_and_its_write_is_refused_401(client, session, monkeypatch,
                                                                                       revoke):
    """The sign-in was read as valid, then the account was revoked before the report's transaction: 401, nothing written."""
    tree, team, user = _volunteer(session)
    officer = factories.officer_of(session, tree.district, username="canbo.tr")
    session.commit()
    browser = client()
    sign_in(browser, "tnv.a", factories.DEFAULT_PASSWORD)
    read_sign_in = signin.request_actor

    async def read_then_revoked(request):  # noqa: ANN001, ANN202
        actor = await read_sign_in(request)
        await run_in_threadpool(_revoke, revoke, officer, user.id)
        return actor

    monkeypatch.setattr(signin, "request_actor", read_then_revoked)
    answer = _report(browser, team.id)
    assert answer.status_code == 401 and answer.json()["message"] == quick.SIGNED_OUT
    assert _reports(session) == []


def _revoke(how: str, officer, user_id: int) -> None:  # noqa: ANN001
    if how == "disable":
        run_write(auth.set_user_active, actor=officer, user_id=user_id, active=False)
    else:
        run_write(auth.reset_password, actor=officer, user_id=user_id, new_password="Mat-khau-moi-2026")
