"""A cache that holds live entries only: one entry per read, replaced when its data version moves.

Keyed on (read, arguments) without the version, so a new version replaces the entry instead of
adding one beside dead ones; bounded in bytes (least recently used out first) and in age. Values
are stored pickled: every hit gets its own copy (a page cannot change what another page reads), and
the stored size is exact.
"""

import pickle
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any


@dataclass
class _Entry:
    version: int
    stored_at: float
    blob: bytes


class LiveCache:
    """Results of reads, one per key, valid for one data version and at most `ttl` seconds."""

    def __init__(self, max_bytes: int, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_bytes = max_bytes
        self.ttl = ttl
        self._clock = clock
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get_or_compute(self, key: Hashable, version: int, compute: Callable[[], Any]) -> Any:
        """The stored value of `key` at `version`, or compute, store and return it."""
        now = self._clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry.version == version and now - entry.stored_at < self.ttl:
                self._entries.move_to_end(key)
                self.hits += 1
                blob = entry.blob
            else:
                self.misses += 1
                blob = None
        if blob is not None:
            return pickle.loads(blob)
        value = compute()
        self._store(key, _Entry(version, now, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)))
        return value

    def _store(self, key: Hashable, entry: _Entry) -> None:
        if len(entry.blob) > self.max_bytes:
            return  # larger than the whole cache: served, not kept
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                if old.version > entry.version:  # a slower reader of an older version finished last
                    self._entries[key] = old
                    return
                self._bytes -= len(old.blob)
            self._entries[key] = entry
            self._bytes += len(entry.blob)
            while self._bytes > self.max_bytes:
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= len(dropped.blob)

    @property
    def size_bytes(self) -> int:
        """Bytes held by the stored values."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        """Drop every entry."""
        with self._lock:
            self._entries.clear()
            self._bytes = 0
