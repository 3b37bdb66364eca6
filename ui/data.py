"""Cached reads: one entry per (function, actor, arguments), valid for the data version of the actor's province.

A write moves the counter of its province (db/versions.py). A reader's figures depend on its own
province's counter plus the nationwide one, or on the total for a national account (every read an
actor may make lies inside its scope: db/access.py). So a report in Hà Nội leaves a Quảng Nam
officer's cached figures in place, and a new version replaces an entry instead of piling up beside
it (ui/cache.py). The counters come from the process's watch (db/live.py): no query per read while a
server thread keeps them.
"""

import os
import threading
from collections.abc import Callable
from typing import Any

from db import versions
from db.access import Actor
from db.engine import SessionLocal, get_engine
from db.live import watch
from ui.cache import LiveCache

CACHE_MB = int(os.environ.get("CACHE_MB", "128"))
CACHE_TTL_SECONDS = 15 * 60  # a safety net: an entry is replaced when its version moves
cache = LiveCache(max_bytes=CACHE_MB * 1024 * 1024, ttl=CACHE_TTL_SECONDS)

_provinces: dict[int, int | None] = {}  # unit → its province: units do not change province
_provinces_lock = threading.Lock()


def province_of(unit_id: int | None) -> int | None:
    """The province of an account's unit (None for a national account), looked up once per unit."""
    if unit_id is None:
        return None
    with _provinces_lock:
        if unit_id in _provinces:
            return _provinces[unit_id]
    with SessionLocal() as session:
        province = versions.fetch_province(session, unit_id)
    with _provinces_lock:
        if len(_provinces) > 100_000:  # accounts' units only; bounded all the same
            _provinces.clear()
        _provinces[unit_id] = province
    return province


def data_version(actor: Actor | None = None) -> int:
    """The counter `actor`'s figures depend on (the total for a national account or no actor)."""
    counters = watch.current(get_engine())
    if actor is None or actor.unit_id is None:
        return versions.version_for(counters, None)
    province = province_of(actor.unit_id)
    # A unit outside every province (being set up) has figures of no province: the total is safe.
    return versions.version_for(counters, province)


def read(fn: Callable[..., Any], actor: Actor, **kwargs: Any) -> Any:
    """Call a `db` read function (`fetch_*`) through the cache; its scope check runs inside it on every miss."""
    path = f"{fn.__module__}:{fn.__qualname__}"
    key = (path, actor, tuple(sorted(kwargs.items())))

    def compute() -> Any:
        with SessionLocal() as session:
            return fn(session, actor=actor, **kwargs)

    return cache.get_or_compute(key, data_version(actor), compute)


def forget() -> None:
    """Drop every cached read and province (a test, or the benchmark, opening another database)."""
    cache.clear()
    with _provinces_lock:
        _provinces.clear()


def read_fresh(fn: Callable[..., Any], actor: Actor, **kwargs: Any) -> Any:
    """Call a read function without the cache (search-as-you-type, one-off lookups)."""
    with SessionLocal() as session:
        return fn(session, actor=actor, **kwargs)
