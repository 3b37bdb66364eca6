"""Live figures: an open page's fragments rerun within a second of a write that concerns them.

The server process keeps the data versions current with one thread (db/live.py). Each browser tab
holds one WebSocket to `/_cnscd/live` (`live_socket`), which sends the version of the signed-in
account's province whenever it moves: a push, no query per tab. A live fragment mounts a tiny
component (`follow`) that knows the version it was drawn with; when the socket announces a newer
one, the component sets a trigger, and Streamlit reruns that fragment alone from the cache.
"""

import asyncio
import functools
import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from datetime import datetime
from typing import Any

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from db import versions
from db.access import Actor
from db.auth import resume_session
from db.engine import SessionLocal, get_engine
from db.live import watch
from ui import data
from ui.guard import shown_errors
from ui.signin import COOKIE

log = logging.getLogger(__name__)

PATH = "/_cnscd/live"

# One socket per tab, shared by the tab's live fragments; it reconnects (1 s, doubling to 30 s) after
# a drop, and anew when another account signs in in the tab (the socket serves the account of the cookie
# it was opened with). A fragment is drawn with a version; it fires once when the socket knows a newer
# one, and its key changes with the version, so every redraw mounts a fresh instance.
JS = """
export default function ({ data, setTriggerValue }) {
  const hub = (window.__cnscdLive ||= { version: null, account: null, socket: null, listeners: new Set(), delay: 1000 });
  const connect = () => {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const ws = new WebSocket(scheme + location.host + "__PATH__");
    hub.socket = ws;
    ws.onopen = () => { hub.delay = 1000; };
    ws.onmessage = (event) => {
      if (hub.socket !== ws) return;
      hub.version = JSON.parse(event.data).v;
      hub.listeners.forEach((listener) => listener(hub.version));
    };
    ws.onclose = () => {
      if (hub.socket !== ws) return;  // replaced on purpose: another account signed in
      setTimeout(connect, hub.delay);
      hub.delay = Math.min(hub.delay * 2, 30000);
    };
  };
  if (hub.account !== data.account) {  // the first live part of this tab, or another account in it
    const old = hub.socket;
    hub.account = data.account;
    hub.version = null;
    connect();
    if (old) old.close();
  }
  let fired = false;
  const check = (version) => {
    if (!fired && version !== null && version > data.version) {
      fired = true;
      setTriggerValue("moved", version);
    }
  };
  hub.listeners.add(check);
  check(hub.version);
  return () => hub.listeners.delete(check);
}
""".replace("__PATH__", PATH)

_component = st.components.v2.component("cnscd_live", js=JS)


def follow(actor: Actor, name: str) -> None:
    """Inside a fragment: rerun it when the data version of `actor`'s figures moves (call it before the reads)."""
    version = data.data_version(actor)
    _component(key=f"live_{name}_{version}", data={"version": version, "account": actor.user_id},
               on_moved_change=_nothing, height=0)


def fragment(actor: Actor, name: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Make a page part a live fragment: redrawn alone when a write moves its figures, its errors shown in Vietnamese.

    A fragment's own reruns do not pass through the page's guard, so it carries one (ui/guard.py).
    """

    def wrap(render: Callable[..., None]) -> Callable[..., None]:
        @functools.wraps(render)
        def run(*args: Any, **kwargs: Any) -> None:
            with shown_errors():
                follow(actor, name)
                render(*args, **kwargs)

        return st.fragment(run)

    return wrap


def _nothing() -> None:
    """The trigger needs a callback to be a trigger; the fragment's rerun is the point."""


class _Hub:
    """The open sockets of this process, woken when the counters move (from the watch thread)."""

    def __init__(self) -> None:
        self.waiting: set[asyncio.Event] = set()

    def publish(self, _counters: dict[int, int]) -> None:
        for event in self.waiting:
            event.set()


hub = _Hub()


def _signed_in(token: str | None) -> tuple[Actor, int | None] | None:
    """The account of a browser's sign-in token and its province (None: not signed in)."""
    if not token:
        return None
    with SessionLocal.begin() as session:
        actor = resume_session(session, token=token, now=datetime.now())
    return (actor, data.province_of(actor.unit_id)) if actor is not None else None


async def live_socket(socket: WebSocket) -> None:
    """Send the version of the signed-in account's figures now and whenever it moves; refuse strangers."""
    try:
        signed_in = await run_in_threadpool(_signed_in, socket.cookies.get(COOKIE))
    except SQLAlchemyError as err:  # the database is down: the tab tries again later, the page says why
        log.warning("live socket refused, database unavailable: %s", getattr(err, "orig", None) or err)
        await socket.close(code=1013)
        return
    if signed_in is None:
        await socket.close(code=4401)
        return
    _actor, province = signed_in
    await socket.accept()
    moved = asyncio.Event()
    hub.waiting.add(moved)
    closed = asyncio.create_task(_until_closed(socket))
    try:
        sent = None
        while not closed.done():
            moved.clear()
            version = versions.version_for(watch.known(), province)  # no query on the event loop
            if version != sent:
                await socket.send_text(json.dumps({"v": version}))
                sent = version
            woke = asyncio.create_task(moved.wait())
            await asyncio.wait({woke, closed}, return_when=asyncio.FIRST_COMPLETED)
            woke.cancel()
    except (WebSocketDisconnect, RuntimeError):
        pass  # the tab closed while a version was on its way
    finally:
        hub.waiting.discard(moved)
        closed.cancel()


async def _until_closed(socket: WebSocket) -> None:
    """Read (and ignore) what the tab sends, until it closes."""
    with suppress(WebSocketDisconnect):
        while True:
            await socket.receive_text()


@asynccontextmanager
async def lifespan(_app: Any) -> AsyncIterator[None]:
    """Start the process's watch thread; its news wakes the sockets on the server's event loop."""
    loop = asyncio.get_running_loop()

    def wake(counters: dict[int, int]) -> None:
        loop.call_soon_threadsafe(hub.publish, counters)

    unsubscribe = watch.subscribe(wake)
    watch.start(get_engine())
    try:
        yield
    finally:
        unsubscribe()
        watch.stop()


routes = [WebSocketRoute(PATH, live_socket)]
