"""Gzip for Streamlit's own files (`/static/...` and the page document), compressed once and kept in memory.

Streamlit 1.67 serves these uncompressed on purpose (its starlette_gzip_middleware.py): compressing on
every request costs CPU, and it expects a reverse proxy to compress. `make run` has no proxy, and on a
village's mobile line 5.7 MB of JavaScript is a minute of waiting; gzip takes it to about a third. The
bundles are content-hashed and never change while the server runs, so each file is compressed once (in a
worker thread) and the bytes are reused for every later request; the CPU cost is paid once per file.
"""

import asyncio
import gzip
import hashlib
from collections.abc import MutableMapping
from typing import Any

import anyio
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Already compressed: gzip would cost CPU and save nothing.
SKIPPED_TYPES = ("image/", "font/", "audio/", "video/", "application/zip", "application/gzip", "application/wasm")
SKIPPED_SUFFIXES = (".woff2", ".woff", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".ico", ".gz", ".br", ".zip")
# Below this a gzip header and a second look-up cost more than they save.
MINIMUM_SIZE = 500
# The whole frontend is about 26 MB plain; this bound only matters if something unexpected passes through.
CACHE_LIMIT_BYTES = 64 * 1024 * 1024
# Addresses that are not Streamlit's files: its own endpoints (compressed by Streamlit where it wants),
# uploaded media, and this app's own routes.
OTHER_PREFIXES = ("/_stcore/", "/media/", "/component/", "/app/static/", "/_cnscd/")


def _accepts_gzip(headers: Headers) -> bool:
    """True when the client's Accept-Encoding names gzip without refusing it (q=0)."""
    for part in headers.get("accept-encoding", "").split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip().lower() in ("gzip", "*"):
            return params.replace(" ", "").lower() not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


def route_path(scope: Scope) -> str:
    """The request's path inside the app (without the mount point a proxy or a parent app gives it)."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and (path == root or path.startswith(f"{root}/")):
        return path[len(root):] or "/"
    return path


def is_candidate(scope: Scope) -> bool:
    """True for a GET of Streamlit's static files or the page document (not its endpoints, not a range)."""
    if scope["type"] != "http" or scope["method"] != "GET":
        return False
    path = route_path(scope)
    if path.startswith(OTHER_PREFIXES) or path.lower().endswith(SKIPPED_SUFFIXES):
        return False
    return "range" not in Headers(scope=scope)


class StaticGzipMiddleware:
    """Serve Streamlit's static files and page document gzipped, each compressed once per server."""

    def __init__(self, app: ASGIApp, *, minimum_size: int = MINIMUM_SIZE, cache_limit: int = CACHE_LIMIT_BYTES) -> None:
        self.app = app
        self.minimum_size = minimum_size
        self.cache_limit = cache_limit
        self.cache: dict[tuple[str, ...], bytes] = {}
        self.cached_bytes = 0
        self._locks: dict[tuple[str, ...], asyncio.Lock] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not is_candidate(scope) or "http.response.pathsend" in scope.get("extensions", {}):
            # A server that sends files itself (zero-copy) would bypass the body this reads; uvicorn does not.
            await self.app(scope, receive, send)
            return
        wants_gzip = _accepts_gzip(Headers(scope=scope))
        start: MutableMapping[str, Any] | None = None
        chunks: list[bytes] = []
        passing = answered = False

        async def capture(message: Message) -> None:
            nonlocal start, passing, answered
            if passing:
                await send(message)
                return
            if answered:  # the plain bytes of a file whose gzip was already sent from the cache
                return
            if message["type"] == "http.response.start":
                headers = MutableHeaders(raw=message["headers"])
                if message["status"] == 200 and self._compressible(headers):
                    # The same address answers plain or gzipped: shared caches must key on the encoding.
                    headers.add_vary_header("Accept-Encoding")
                    if wants_gzip:
                        start = message
                        key = self._file_key(scope, headers)
                        if key is not None and (hit := self.cache.get(key)) is not None:
                            answered = True
                            await self._send(start, hit, send)
                        return
                passing = True
                await send(message)
                return
            if message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    assert start is not None
                    await self._send_gzipped(scope, start, b"".join(chunks), send)
                return
            await send(message)

        await self.app(scope, receive, capture)

    @staticmethod
    def _compressible(headers: MutableHeaders) -> bool:
        """A file's answer (it carries an ETag) in a type worth compressing; a page made per request (a form
        with its token) has no ETag and is left to Streamlit, so the cache only ever holds files."""
        content_type = headers.get("content-type", "").lower()
        return ("etag" in headers and "content-encoding" not in headers and bool(content_type)
                and not content_type.startswith(SKIPPED_TYPES))

    @staticmethod
    def _file_key(scope: Scope, headers: MutableHeaders) -> tuple[str, ...] | None:
        """A static file's cache key, known before its bytes are read: its address and ETag."""
        etag = headers.get("etag")
        path = route_path(scope)
        if etag and path.startswith("/static/") and not headers.get("content-type", "").startswith("text/html"):
            return ("file", path, etag)
        return None

    def _key(self, scope: Scope, headers: MutableHeaders, body: bytes) -> tuple[str, ...]:
        """A static file's key, or for the document its content: every page address (and any unknown address)
        answers the same index.html, and keying those by address would grow without end."""
        return self._file_key(scope, headers) or ("content", hashlib.sha256(body).hexdigest())

    async def _send_gzipped(self, scope: Scope, start: MutableMapping[str, Any], body: bytes, send: Send) -> None:
        headers = MutableHeaders(raw=start["headers"])
        if len(body) < self.minimum_size:
            await send(start)
            await send({"type": "http.response.body", "body": body})
            return
        await self._send(start, await self._compressed(self._key(scope, headers, body), body), send)

    @staticmethod
    async def _send(start: MutableMapping[str, Any], compressed: bytes, send: Send) -> None:
        """Send the gzipped answer: the file's own headers (its cache lifetime too), re-labelled for gzip."""
        headers = MutableHeaders(raw=start["headers"])
        headers["content-encoding"] = "gzip"
        headers["content-length"] = str(len(compressed))
        if "accept-ranges" in headers:  # a range of the gzipped bytes is not served; ranges get the plain file
            del headers["accept-ranges"]
        if (etag := headers.get("etag")) and not etag.startswith("W/"):
            # The gzipped bytes differ from the plain ones; a weak tag says "same content, other bytes".
            headers["etag"] = f"W/{etag}"
        await send(start)
        await send({"type": "http.response.body", "body": compressed})

    async def _compressed(self, key: tuple[str, ...], body: bytes) -> bytes:
        """The gzip bytes for `key`, compressed at most once (concurrent first requests wait for the one)."""
        if (hit := self.cache.get(key)) is not None:
            return hit
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            if (hit := self.cache.get(key)) is not None:
                return hit
            # mtime=0: the same file always gives the same bytes.
            compressed = await anyio.to_thread.run_sync(lambda: gzip.compress(body, compresslevel=9, mtime=0))
            if self.cached_bytes + len(compressed) <= self.cache_limit:
                self.cache[key] = compressed
                self.cached_bytes += len(compressed)
        self._locks.pop(key, None)
        return compressed
