"""Cached reads: every read is keyed on (function, actor, arguments, data version).

A write bumps the data version in its own transaction, so the next rerun of any page, in any
session or replica, misses the cache and reads fresh aggregates; an unchanged page costs one
cheap version lookup.
"""

import importlib
from collections.abc import Callable
from typing import Any

import streamlit as st

from db import versions
from db.access import Actor
from db.engine import SessionLocal


def data_version() -> int:
    """The current write counter."""
    with SessionLocal() as session:
        return versions.fetch_data_version(session)


def _resolve(path: str) -> Callable[..., Any]:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


@st.cache_data(max_entries=2000, show_spinner=False)
def _cached(path: str, actor: Actor, version: int, kwargs: tuple[tuple[str, Any], ...]) -> Any:
    """Run the read function once per key; its scope check runs inside it on every miss."""
    with SessionLocal() as session:
        return _resolve(path)(session, actor=actor, **dict(kwargs))


def read(fn: Callable[..., Any], actor: Actor, **kwargs: Any) -> Any:
    """Call a `db` read function (`fetch_*`) through the cache, keyed on the data version."""
    return _cached(f"{fn.__module__}:{fn.__qualname__}", actor, data_version(), tuple(sorted(kwargs.items())))


def read_fresh(fn: Callable[..., Any], actor: Actor, **kwargs: Any) -> Any:
    """Call a read function without the cache (search-as-you-type, one-off lookups)."""
    with SessionLocal() as session:
        return fn(session, actor=actor, **kwargs)
