"""Sign-in and sign-out by server routes, so the session cookie is HttpOnly: only the server sets or clears it.

- GET /dang-nhap is a small server-rendered form: a phone on a weak line signs in with a few kilobytes
  instead of Streamlit's bundles; POST /dang-nhap checks the credentials with db.auth and sets the cookie.
- /dang-xuat ends the sign-in on the server, so every tab of that browser is signed out at its next action.
- `Gate` sends a page address of the Streamlit app opened without a valid sign-in to /dang-nhap first.
- The Streamlit frame's own sign-in (single sign-on, or a tab whose sign-in ended) cannot set an HttpOnly
  cookie; it hands its new sign-in over through /dang-nhap/tiep with a one-time code (`hand_off`).

Every POST is refused unless it comes from a page of this site (`same_origin`), on top of SameSite=Strict.
"""

import hashlib
import logging
import secrets
import threading
import time
from datetime import datetime
from pathlib import Path
from urllib.parse import quote, urlsplit

import streamlit as st
from markupsafe import Markup
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection, Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Receive, Scope, Send
from streamlit.errors import StreamlitSecretNotFoundError

from db.access import Actor
from db.auth import (
    BAD_CREDENTIALS,
    ServerBusy,
    authenticate,
    end_session,
    idle_limit,
    remember_device,
    resume_session,
    start_session,
)
from db.engine import SessionLocal
from db.errors import UserError
from ui.guard import DATABASE_UNAVAILABLE
from ui.menu import PAGES

log = logging.getLogger(__name__)

COOKIE = "tocnscd_session"
DEVICE_COOKIE = "tocnscd_device"  # a browser that signed in before: its wrong attempts are counted on their own
DEVICE_MAX_AGE = 365 * 24 * 3600
SIGN_IN, SIGN_OUT, HANDOFF = "/dang-nhap", "/dang-xuat", "/dang-nhap/tiep"
QUICK = "/nhanh/"  # the volunteer's light report page (ui/quick.py)
FAILURE_DELAY = 1.0  # seconds after a wrong password: slows guessing; the hold per (name, client) stops it
HANDOFF_SECONDS = 60
FORM_MAX = 16 * 1024  # bytes of a sign-in form: a name, a password, an address
PASSWORD_MAX = 1024  # argon2 hashes whatever it gets; a megabyte "password" is only load
FOREIGN = "Yêu cầu bị từ chối vì không được gửi từ trang của hệ thống. Hãy mở lại trang và thử lại."
SIGNED_OUT = "Bạn đã đăng xuất."  # the sign-in page's notice after ?ra=1
ENDED = "Phiên làm việc đã hết hạn hoặc đã kết thúc; vui lòng đăng nhập lại."  # after ?het=1

HERE = Path(__file__).resolve().parent
ASSETS = HERE / "assets"  # the light pages' styles and script, and the service worker (ui/quick.py)
templates = Jinja2Templates(directory=HERE / "templates")
# Styles and script are written into the pages themselves: on a village line each extra request costs a round
# trip of about half a second before the page is usable, and a few kilobytes more per page cost less.
templates.env.globals["styles"] = Markup((ASSETS / "app.css").read_text())
templates.env.globals["script"] = Markup((ASSETS / "app.js").read_text())
# A new version of the pages replaces the copy the service worker keeps for offline use.
templates.env.globals["asset_version"] = hashlib.sha256(
    b"".join(path.read_bytes() for path in sorted(ASSETS.iterdir()) if path.is_file())
    + b"".join(path.read_bytes() for path in sorted((HERE / "templates").iterdir()))
).hexdigest()[:12]


# ---- the cookie and the request's sign-in -------------------------------------------------------


def is_https(conn: HTTPConnection) -> bool:
    """True when the browser reached us over HTTPS, directly or through a reverse proxy that says so."""
    return conn.url.scheme in ("https", "wss") or conn.headers.get("x-forwarded-proto", "").lower() == "https"


def set_cookie(response: Response, conn: HTTPConnection, token: str) -> None:
    """The sign-in cookie: HttpOnly (no script reads it), SameSite=Strict, Secure behind HTTPS."""
    response.set_cookie(COOKIE, token, max_age=int(idle_limit().total_seconds()), path="/", httponly=True,
                        samesite="strict", secure=is_https(conn))


def set_device_cookie(response: Response, conn: HTTPConnection, value: str) -> None:
    """The known-browser cookie (db.auth.remember_device): long-lived, HttpOnly, SameSite=Strict, Secure behind HTTPS."""
    response.set_cookie(DEVICE_COOKIE, value, max_age=DEVICE_MAX_AGE, path="/", httponly=True, samesite="strict",
                        secure=is_https(conn))


def client_address(conn: HTTPConnection) -> str | None:
    """The browser's address; behind a proxy, uvicorn has already put X-Forwarded-For's client here, but only
    when the proxy is one of FORWARDED_ALLOW_IPS (README), so a browser cannot choose its own address."""
    return conn.client.host if conn.client is not None else None


def clear_cookie(response: Response, conn: HTTPConnection) -> None:
    """Tell the browser to forget the sign-in cookie."""
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict", secure=is_https(conn))


def signed_in_actor(token: str | None) -> Actor | None:
    """The account of a browser's sign-in token (it counts as a use of the sign-in), or None."""
    if not token:
        return None
    with SessionLocal.begin() as session:
        return resume_session(session, token=token, now=datetime.now())


async def request_actor(conn: HTTPConnection) -> Actor | None:
    """The signed-in account of a request (the database is read in a worker thread, not on the event loop)."""
    return await run_in_threadpool(signed_in_actor, conn.cookies.get(COOKIE))


def same_origin(request: Request) -> bool:
    """True when a POST comes from a page of this site: its Origin names our host, or the browser says same-origin.

    A reverse proxy must pass the browser's Host (or X-Forwarded-Host) through, as the README's set-up does.
    """
    origin = request.headers.get("origin")
    if origin is not None:
        hosts = {request.headers.get("host"), request.headers.get("x-forwarded-host")} - {None}
        return urlsplit(origin).netloc in hosts
    return request.headers.get("sec-fetch-site", "same-origin") in ("same-origin", "none")


def safe_next(value: str | None) -> str:
    """A place on this site to go after signing in; anything else (another host, a scheme) becomes "/"."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value or any(c < " " for c in value):
        return "/"
    return value


def landing(actor: Actor, wanted: str) -> str:
    """Where a sign-in lands: the page asked for, else a volunteer's light report page or the app's first page."""
    if wanted != "/":
        return wanted
    return QUICK if actor.acts_for_own_team else "/"


def sign_in_address(next_path: str, notice: str | None = None) -> str:
    """The sign-in page's address that comes back to `next_path`."""
    address = f"{SIGN_IN}?next={quote(next_path, safe='/')}"
    return f"{address}&{notice}=1" if notice else address


# ---- one-time hand-over of a sign-in made inside Streamlit --------------------------------------

_handoffs: dict[str, tuple[str, str | None, float]] = {}
_handoff_lock = threading.Lock()


def hand_off(token: str, device: str | None = None) -> str:
    """A one-time code, valid for a minute in this process, that /dang-nhap/tiep exchanges for the cookie.

    The token itself never travels in an address (history, server logs). Streamlit needs a tab's requests to
    reach one server process anyway (its websocket), so a process-local table serves the tab's next request.
    """
    code = secrets.token_urlsafe(24)
    now = time.monotonic()
    with _handoff_lock:
        for stale in [c for c, (_, _, until) in _handoffs.items() if until < now]:
            del _handoffs[stale]
        _handoffs[code] = (token, device, now + HANDOFF_SECONDS)
    return code


def _take_handoff(code: str) -> tuple[str, str | None] | None:
    """The sign-in token and the known-browser cookie value (if any) handed over under `code`, once."""
    with _handoff_lock:
        token, device, until = _handoffs.pop(code, ("", None, 0.0))
    return (token, device) if token and until >= time.monotonic() else None


# ---- routes -------------------------------------------------------------------------------------


def _page(request: Request, *, next_path: str, username: str = "", error: str | None = None,
          notice: str | None = None, status: int = 200) -> Response:
    response = templates.TemplateResponse(
        request, "sign_in.html",
        {"next": next_path, "username": username, "error": error, "notice": notice, "sso": sso_configured()},
        status_code=status,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def sso_configured() -> bool:
    """True when .streamlit/secrets.toml configures an OpenID Connect provider for st.login."""
    try:
        return "auth" in st.secrets
    except (FileNotFoundError, KeyError, StreamlitSecretNotFoundError):
        return False


async def sign_in_page(request: Request) -> Response:
    """GET /dang-nhap: the form; a browser already signed in goes on at once."""
    next_path = safe_next(request.query_params.get("next"))
    try:
        actor = await request_actor(request)
    except SQLAlchemyError:
        actor = None  # the POST will say the database is down; the form itself needs no database
    if actor is not None:
        return RedirectResponse(landing(actor, next_path), status_code=303)
    shown = request.query_params
    notice = SIGNED_OUT if "ra" in shown else ENDED if "het" in shown else None
    return _page(request, next_path=next_path, notice=notice)


def check_credentials(
    username: str, password: str, *, address: str | None = None, device_cookie: str | None = None,
) -> tuple[Actor, str, str]:
    """Check the credentials (a wrong attempt is counted and committed); start a sign-in.

    Returns the actor, the sign-in token and the browser's new known-browser cookie value. A busy server
    (ServerBusy) answers at once: nothing was hashed or counted.
    """
    with SessionLocal() as session:
        try:
            actor = authenticate(session, username=username, password=password, address=address,
                                 device_cookie=device_cookie)
        except ServerBusy:
            raise
        except UserError:
            session.commit()
            time.sleep(FAILURE_DELAY)
            raise
        token = start_session(session, actor=actor)
        device = remember_device(session, actor=actor, cookie=device_cookie)
        session.commit()
    return actor, token, device


async def sign_in(request: Request) -> Response:
    """POST /dang-nhap: sign in, set the cookie, go to the page asked for (a volunteer: the light report page)."""
    if int(request.headers.get("content-length") or 0) > FORM_MAX:  # a form body is read whole: refuse a huge one
        return _page(request, next_path="/", error="Dữ liệu gửi lên quá lớn.", status=413)
    form = await request.form(max_files=0, max_fields=5, max_part_size=4096)
    username = str(form.get("username") or "")[:100]
    password = str(form.get("password") or "")
    next_path = safe_next(str(form.get("next") or "/"))
    if not same_origin(request):
        return _page(request, next_path=next_path, username=username, error=FOREIGN, status=403)
    if not username.strip() or not password:
        return _page(request, next_path=next_path, username=username,
                     error="Hãy nhập tên đăng nhập và mật khẩu.", status=400)
    if len(password) > PASSWORD_MAX:
        return _page(request, next_path=next_path, username=username, error=BAD_CREDENTIALS, status=401)
    try:
        actor, token, device = await run_in_threadpool(
            lambda: check_credentials(username, password, address=client_address(request),
                                      device_cookie=request.cookies.get(DEVICE_COOKIE)))
    except ServerBusy as err:
        return _page(request, next_path=next_path, username=username, error=err.message, status=503)
    except UserError as err:
        return _page(request, next_path=next_path, username=username, error=err.message, status=401)
    except SQLAlchemyError as err:
        log.warning("sign-in refused, database unavailable: %s", getattr(err, "orig", None) or err)
        return _page(request, next_path=next_path, username=username, error=DATABASE_UNAVAILABLE, status=503)
    response = RedirectResponse(landing(actor, next_path), status_code=303)
    set_cookie(response, request, token)
    set_device_cookie(response, request, device)
    return response


async def take_handoff(request: Request) -> Response:
    """GET /dang-nhap/tiep: exchange a one-time code from the Streamlit frame for the cookie."""
    next_path = safe_next(request.query_params.get("next"))
    handed = _take_handoff(request.query_params.get("ma", ""))
    if handed is None:
        return RedirectResponse(sign_in_address(next_path, "het"), status_code=303)
    token, device = handed
    response = RedirectResponse(next_path, status_code=303)
    set_cookie(response, request, token)
    if device:
        set_device_cookie(response, request, device)
    return response


def _end(token: str | None) -> None:
    if token:
        with SessionLocal.begin() as session:
            end_session(session, token=token)


async def sign_out(request: Request) -> Response:
    """/dang-xuat: end the sign-in on the server (every tab of the browser) and clear the cookie.

    GET serves the Streamlit frame's "Đăng xuất" (it navigates here); a link from another site does nothing.
    """
    cross_site = request.headers.get("sec-fetch-site") in ("cross-site", "same-site")
    if (request.method == "POST" and not same_origin(request)) or (request.method == "GET" and cross_site):
        return RedirectResponse("/", status_code=303)
    notice = "het" if "het" in request.query_params else "ra"
    # Signing in again comes back to the page the tab was on.
    response = RedirectResponse(sign_in_address(safe_next(request.query_params.get("next")), notice), status_code=303)
    try:
        await run_in_threadpool(_end, request.cookies.get(COOKIE))
    except SQLAlchemyError as err:  # the cookie still goes; the stored sign-in expires on its own
        log.warning("sign-out could not reach the database: %s", getattr(err, "orig", None) or err)
    clear_cookie(response, request)
    return response


routes = [
    Route(SIGN_IN, sign_in_page, methods=["GET"]),
    Route(SIGN_IN, sign_in, methods=["POST"]),
    Route(HANDOFF, take_handoff, methods=["GET"]),
    Route(SIGN_OUT, sign_out, methods=["GET", "POST"]),
]


# ---- the gate in front of the Streamlit pages ---------------------------------------------------

PAGE_PATHS = frozenset({"/", *(f"/{path}" for path in PAGES)})


class Gate:
    """Send a Streamlit page address opened without a valid sign-in to /dang-nhap, and back after signing in.

    Only page addresses are gated (not Streamlit's assets, websocket or uploads, which check for themselves);
    `?sso=1` passes, since single sign-on starts inside the Streamlit frame. A valid sign-in's cookie is
    renewed on the way, so a reload after hours of use does not find it expired in the browser.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"] not in PAGE_PATHS:
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        if "sso" in request.query_params:
            await self.app(scope, receive, send)
            return
        token = request.cookies.get(COOKIE)
        try:
            actor = await run_in_threadpool(signed_in_actor, token)
        except SQLAlchemyError:
            await self.app(scope, receive, send)  # the page says the database is down, in Vietnamese
            return
        if actor is None:
            wanted = scope["path"] + (f"?{scope['query_string'].decode('latin-1')}" if scope["query_string"] else "")
            response = RedirectResponse(sign_in_address(wanted), status_code=303)
            if token:
                clear_cookie(response, request)
            await response(scope, receive, send)
            return
        renewed = Response()
        set_cookie(renewed, request, token or "")
        cookie_header = next(header for header in renewed.raw_headers if header[0] == b"set-cookie")

        async def send_renewed(message: dict) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), cookie_header]}
            await send(message)

        await self.app(scope, receive, send_renewed)
