"""Cached reads: every read is keyed on (function, actor, arguments, data version).

A write bumps the data version in its own transaction, so the next rerun of any page, in any
session or replica, misses the cache and reads fresh aggregates; an unchanged page costs one
cheap version lookup.
"""

from collections.abc import Callable
from typing import Any

import streamlit as st

from db import queries
from db.access import Actor
from db.engine import SessionLocal


def data_version() -> int:
    """The current write counter."""
    with SessionLocal() as session:
        return queries.fetch_data_version(session)


@st.cache_data(max_entries=1000, show_spinner=False)
def _cached(name: str, actor: Actor, version: int, kwargs: tuple[tuple[str, Any], ...]) -> Any:
    """Run `db.queries.<name>` once per key; the scope check runs inside it on every miss."""
    fn: Callable[..., Any] = getattr(queries, name)
    with SessionLocal() as session:
        return fn(session, actor=actor, **dict(kwargs))


def read(name: str, actor: Actor, **kwargs: Any) -> Any:
    """Call a `db.queries.fetch_*` function through the cache, keyed on the data version."""
    return _cached(name, actor, data_version(), tuple(sorted(kwargs.items())))


def read_fresh(name: str, actor: Actor, **kwargs: Any) -> Any:
    """Call a read function without the cache (search-as-you-type, small lookups)."""
    fn: Callable[..., Any] = getattr(queries, name)
    with SessionLocal() as session:
        return fn(session, actor=actor, **kwargs)
