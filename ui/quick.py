"""The volunteer's quick report on a phone: a few kilobytes of server-rendered HTML that keep working offline.

GET /nhanh/ renders the form with the volunteer's team and its latest reports; the page's script
(ui/assets/app.js, written into the page) keeps each report on the phone first and sends it to POST /nhanh/api/bao-cao, which
writes through db.activities.create_activity (the same checks, permission rule and audit row as the
Streamlit form). A service worker (ui/assets/sw.js) serves the page when there is no connection.
"""

import logging
import re
from datetime import date, datetime

from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from db import activities, limits, photos, vocab
from db.access import Actor
from db.activities import ActivityInput
from db.engine import SessionLocal
from db.errors import PermissionDenied, UserError
from db.teams import TeamInfo, fetch_team
from db.transactions import SignedOut, run_write
from report import fmt
from ui import signin
from ui.guard import DATABASE_UNAVAILABLE

log = logging.getLogger(__name__)

API = "/nhanh/api/bao-cao"
RECENT = 10
TOKEN = re.compile(r"[0-9a-f]{32}")
BODY_MAX = photos.MAX_BYTES + 64 * 1024  # one photo and a few short fields
SIGNED_OUT = "Phiên đăng nhập đã hết; hãy đăng nhập lại để gửi. Báo cáo vẫn được giữ trên máy."


def _page_data(actor: Actor) -> tuple[TeamInfo, list[dict]]:
    """The volunteer's team and its latest reports, read as the volunteer."""
    assert actor.team_id is not None
    with SessionLocal() as session:
        team = fetch_team(session, actor=actor, team_id=actor.team_id)
        recent = activities.fetch_recent_activities(session, actor=actor, team_id=team.id, limit=RECENT)
    rows = [
        {"day": fmt.day(r.activity_date), "type": r.type_label, "people": fmt.number(r.people_reached),
         "households": fmt.number(r.households_reached), "reporter": r.reporter if isinstance(r.reporter, str) else ""}
        for r in recent.itertuples()
    ]
    return team, rows


async def page(request: Request) -> Response:
    """GET /nhanh/: the form for a signed-in volunteer; others are sent where they belong."""
    try:
        actor = await signin.request_actor(request)
        if actor is None:
            return RedirectResponse(signin.sign_in_address("/nhanh/"), status_code=303)
        if not actor.acts_for_own_team or actor.team_id is None:
            return RedirectResponse("/activities", status_code=303)  # officers report in the full app
        team, recent = await run_in_threadpool(_page_data, actor)
    except SQLAlchemyError as err:
        log.warning("light page without database: %s", getattr(err, "orig", None) or err)
        return _message(request, DATABASE_UNAVAILABLE, status=503)
    except UserError as err:
        return _message(request, err.message, status=403)
    # One set of bounds and labels: the form's attributes and the script's checks both read `config`.
    config = {
        "user": actor.user_id, "team": team.id, "earliest": team.established_on.isoformat(),
        "types": vocab.ACTIVITY_TYPES, "resultLabels": vocab.RESULT_LABELS, "maxima": limits.REPORT_MAXIMA,
        "noteMax": limits.NOTE_MAX,
    }
    response = signin.templates.TemplateResponse(request, "quick.html", {
        "actor": actor, "team": team, "recent": recent, "today": date.today().isoformat(), "config": config,
        "shown_at": datetime.now().strftime("%H:%M %d/%m/%Y"),
    })
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def _message(request: Request, text: str, *, status: int) -> Response:
    return signin.templates.TemplateResponse(request, "message.html", {"message": text}, status_code=status)


def _refused(message: str, status: int, field: str | None = None) -> JSONResponse:
    return JSONResponse({"ok": False, "message": message, "field": field}, status_code=status)


def _parse_day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        raise UserError("Ngày hoạt động không hợp lệ.", field="activity_date") from None


def _save(actor: Actor, data: ActivityInput) -> tuple[int, str]:
    activity = run_write(activities.create_activity, actor=actor, data=data)
    return activity.id, f"Đã ghi nhận báo cáo ngày {fmt.day(activity.activity_date)}: {vocab.ACTIVITY_TYPES[activity.activity_type]}."


async def submit(request: Request) -> Response:
    """POST /nhanh/api/bao-cao: one report from the light page; JSON with a Vietnamese message either way.

    400: a value to correct; 401: sign in again; 403: not this account's team, or not from our page;
    413: too large; 429: too many reports for now (the phone keeps the report and tries again after Retry-After);
    503: the database is down (the phone keeps the report and tries again).
    """
    if not signin.same_origin(request):
        return _refused(signin.FOREIGN, 403)
    if int(request.headers.get("content-length") or 0) > BODY_MAX:
        return _refused("Báo cáo kèm ảnh quá lớn (tối đa 5 MB); hãy chọn ảnh nhỏ hơn.", 413, "photo")
    try:
        actor = await signin.request_actor(request)
        if actor is None:
            return _refused(SIGNED_OUT, 401)
        form = await request.form(max_files=1, max_fields=12, max_part_size=photos.MAX_BYTES + 1)
        token = str(form.get("token") or "")
        if not TOKEN.fullmatch(token):
            return _refused("Biểu mẫu không hợp lệ; hãy tải lại trang rồi nhập lại báo cáo.", 400)
        team_id = str(form.get("to") or "")
        photo = form.get("anh")
        data = ActivityInput(
            team_id=int(team_id) if team_id.isdigit() else None,
            activity_date=_parse_day(str(form.get("ngay") or "")),
            activity_type=str(form.get("loai") or ""),
            people_reached=str(form.get("nguoi") or "0"),  # the service checks numbers as typed
            households_reached=str(form.get("ho") or "0"),
            results=str(form.get("ket_qua") or "0"),
            note=str(form.get("ghi_chu") or ""),
            photo=await photo.read() if photo is not None and not isinstance(photo, str) else None,
            form_token=token,
        )
        activity_id, message = await run_in_threadpool(_save, actor, data)
    except SignedOut:  # disabled or its password changed since the request's sign-in was read
        return _refused(SIGNED_OUT, 401)
    except PermissionDenied as err:
        return _refused(err.message, 403)
    except activities.TooManyReports as err:
        response = _refused(err.message, 429)
        response.headers["Retry-After"] = str(err.retry_minutes * 60)
        return response
    except UserError as err:
        return _refused(err.message, 400, err.field)
    except HTTPException:  # a part over its size, too many fields: not what our page sends
        return _refused("Báo cáo không đọc được (quá lớn hoặc sai định dạng); hãy thử lại.", 400)
    except SQLAlchemyError as err:
        log.warning("light report without database: %s", getattr(err, "orig", None) or err)
        return _refused(DATABASE_UNAVAILABLE, 503)
    return JSONResponse({"ok": True, "id": activity_id, "message": message})


async def service_worker(_request: Request) -> Response:
    """The service worker, with the pages' version in it (a new version replaces the copy kept offline)."""
    text = (signin.ASSETS / "sw.js").read_text().replace("__VERSION__", signin.templates.env.globals["asset_version"])
    return Response(text, media_type="text/javascript", headers={"Cache-Control": "no-cache"})


async def to_page(_request: Request) -> Response:
    """/nhanh without the slash: the page lives at /nhanh/, inside its service worker's scope."""
    return RedirectResponse("/nhanh/", status_code=308)


routes = [
    Route("/nhanh", to_page, methods=["GET"]),
    Route("/nhanh/", page, methods=["GET"]),
    Route(API, submit, methods=["POST"]),
    Route("/nhanh/sw.js", service_worker, methods=["GET"]),
]
