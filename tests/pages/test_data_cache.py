"""The read cache holds live entries only (ui/cache.py), keyed on the data version of the reader's province (ui/data.py)."""

from datetime import date

import pandas as pd
import pytest

from db import coverage
from db.activities import ActivityInput, create_activity
from db.transactions import run_write
from tests import factories
from ui import data
from ui.cache import LiveCache

TODAY = date(2026, 11, 20)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_new_version_replaces_the_entry_instead_of_adding_one() -> None:
    cache = LiveCache(max_bytes=1 << 20, ttl=60)
    calls = []
    for version in range(1, 51):
        assert cache.get_or_compute("figure", version, lambda v=version: calls.append(v) or v) == version
        assert cache.get_or_compute("figure", version, lambda: pytest.fail("a hit must not compute")) == version
    assert len(cache) == 1
    assert calls == list(range(1, 51))
    assert (cache.hits, cache.misses) == (50, 50)


def test_entries_expire_and_the_byte_bound_drops_the_least_recently_used() -> None:
    clock = Clock()
    blob = "x" * 10_000
    cache = LiveCache(max_bytes=35_000, ttl=60, clock=clock)
    for key in ("a", "b", "c"):
        cache.get_or_compute(key, 1, lambda: blob)
    cache.get_or_compute("a", 1, lambda: pytest.fail("still fresh"))  # "a" is now the most recently used
    cache.get_or_compute("d", 1, lambda: blob)
    assert cache.size_bytes <= cache.max_bytes
    computed = []
    cache.get_or_compute("b", 1, lambda: computed.append("b") or blob)  # "b" was the least recently used
    cache.get_or_compute("a", 1, lambda: computed.append("a") or blob)
    assert computed == ["b"]
    clock.now = 61
    cache.get_or_compute("a", 1, lambda: computed.append("a") or blob)
    assert computed == ["b", "a"]


def test_every_hit_is_a_copy_and_an_older_version_never_replaces_a_newer_one() -> None:
    cache = LiveCache(max_bytes=1 << 20, ttl=60)
    first = cache.get_or_compute("table", 2, lambda: pd.DataFrame({"n": [1, 2]}))
    first.loc[0, "n"] = 99  # a page changing what it got
    assert cache.get_or_compute("table", 2, lambda: pytest.fail("hit"))["n"].tolist() == [1, 2]
    cache.get_or_compute("table", 1, lambda: pd.DataFrame({"n": [0]}))  # a slow reader of version 1 finishing last
    assert cache.get_or_compute("table", 2, lambda: pytest.fail("hit"))["n"].tolist() == [1, 2]


def test_writes_in_another_province_keep_a_readers_figures_cached_and_its_own_province_renews_them(session, world):  # noqa: ANN001
    """The hit rate stays high when the country writes elsewhere; a write in the reader's province is shown at once."""
    data.forget()
    other = factories.create_unit(session, parent=None, tier="province", kind="Tỉnh", short="Khánh Hòa", code="56")
    far = factories.create_unit(session, parent=other, tier="village", kind="Thôn", short="Xa")
    far_team = factories.create_team(session, unit=far, established_on=date(2022, 7, 1))
    near_team = factories.create_team(session, unit=world.tree.villages[0], established_on=date(2022, 7, 1))
    session.commit()
    leader = world.leader  # Huyện Phú Ninh, Tỉnh Quảng Nam

    def shown() -> int:
        return data.read(coverage.fetch_indicators, leader, unit_id=leader.unit_id, as_of=TODAY).activities

    def report(team_id: int) -> None:
        run_write(create_activity, actor=factories.admin(), today=TODAY,
                  data=ActivityInput(team_id=team_id, activity_date=TODAY, activity_type="other"))

    assert shown() == 0
    misses = data.cache.misses
    for _ in range(5):
        report(far_team.id)
        assert shown() == 0
    assert data.cache.misses == misses  # five reports elsewhere, no recount for this reader
    report(near_team.id)
    expected = coverage.fetch_indicators(session, actor=leader, unit_id=leader.unit_id, as_of=TODAY).activities
    assert shown() == expected == 1
