"""The gzip middleware in front of Starlette's own StaticFiles: each file compressed once, ranges and images
and pages made per request left as they are."""

import asyncio
import gzip
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ui.compress import StaticGzipMiddleware

SCRIPT = ("export const greeting = 'Xin chào';\n" * 400).encode()


def _get(app, path: str, headers: dict[str, str] | None = None, method: str = "GET") -> tuple[int, dict[str, str], bytes]:  # noqa: ANN001
    """One request through the ASGI app; its status, headers (lower-case names) and body."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
        "path": path, "raw_path": path.encode(), "root_path": "", "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
        "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80),
    }
    messages: list[dict] = []
    requested = False

    async def receive() -> dict:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # the client stays connected until the answer is sent (then cancelled)
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        messages.append(message)

    asyncio.run(app(scope, receive, send))
    start = messages[0]
    body = b"".join(m.get("body", b"") for m in messages[1:] if m["type"] == "http.response.body")
    return start["status"], {k.decode(): v.decode() for k, v in start["headers"]}, body


@pytest.fixture
def served(tmp_path: Path) -> StaticGzipMiddleware:
    (tmp_path / "app.js").write_bytes(SCRIPT)
    (tmp_path / "icon.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(2000))
    inner = Starlette(routes=[
        Mount("/static", StaticFiles(directory=tmp_path)),
        Route("/form", lambda request: HTMLResponse("<form>" + "x" * 2000 + "</form>")),
    ])
    return StaticGzipMiddleware(inner)


def test_a_file_is_compressed_once_and_decompresses_to_the_plain_bytes(served):
    status, plain_headers, plain = _get(served, "/static/app.js")
    assert status == 200 and plain == SCRIPT and "content-encoding" not in plain_headers
    assert plain_headers["vary"] == "Accept-Encoding"
    answers = [_get(served, "/static/app.js", {"Accept-Encoding": "br, gzip"}) for _ in range(3)]
    for status, headers, body in answers:
        assert status == 200
        assert headers["content-encoding"] == "gzip"
        assert int(headers["content-length"]) == len(body) < len(SCRIPT) / 10
        assert headers["etag"] == f"W/{plain_headers['etag']}"
        assert gzip.decompress(body) == SCRIPT
    assert len(served.cache) == 1


def test_ranges_images_head_and_pages_made_per_request_are_left_alone(served):
    status, headers, body = _get(served, "/static/app.js", {"Accept-Encoding": "gzip", "Range": "bytes=0-9"})
    assert (status, body) == (206, SCRIPT[:10]) and "content-encoding" not in headers
    _, headers, _ = _get(served, "/static/icon.png", {"Accept-Encoding": "gzip"})
    assert "content-encoding" not in headers
    _, headers, body = _get(served, "/static/app.js", {"Accept-Encoding": "gzip"}, method="HEAD")
    assert "content-encoding" not in headers and body == b""
    _, headers, _ = _get(served, "/form", {"Accept-Encoding": "gzip"})
    assert "content-encoding" not in headers
    _, headers, _ = _get(served, "/static/app.js", {"Accept-Encoding": "gzip;q=0"})
    assert "content-encoding" not in headers
    assert served.cache == {}
