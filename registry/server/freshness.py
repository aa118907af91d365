"""When did the data change? A generation marker that works across gunicorn worker processes.

Every worker opens the store read-only, and a read-only Oxigraph (RocksDB) store is a snapshot of
the moment it was opened. `build`, `import` or any other writer commits by writing RocksDB files
(the write-ahead log grows, SST files and a new MANIFEST appear), while readers write nothing. So
the generation is a digest of those files' names, sizes and modification times: no writer has to
cooperate, every worker sees the same value, and a worker that sees it change reopens its store,
restarts its query processes and drops its caches. The directory is looked at no more than once
per `interval` seconds, so a change shows within that interval. An in-memory store has no
generation (None): nothing about it is cached.

A remote store has no files to look at, and other programs may write to it, so its generation is
a time slot (TtlWatch): cached pages live at most `ttl` seconds; our own updates start a new slot.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from pathlib import Path

# RocksDB's info log and lock file change without any data changing.
_IGNORED = ("LOG", "LOCK")


def fingerprint(path: Path) -> str:
    """A short digest of the store directory's data files."""
    digest = hashlib.sha1()
    with os.scandir(path) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            if entry.name.startswith(_IGNORED) or not entry.is_file():
                continue
            st = entry.stat()
            digest.update(f"{entry.name}:{st.st_size}:{st.st_mtime_ns};".encode())
    return digest.hexdigest()[:16]


class StoreWatch:
    """The current generation of an on-disk store, re-read at most once per `interval` seconds."""

    def __init__(self, path: Path | None, interval: float = 1.0) -> None:
        self.path = path
        self.interval = interval
        self.generation = fingerprint(path) if path else None
        self._checked = time.monotonic()
        self._lock = threading.Lock()

    def poll(self) -> bool:
        """Has the generation changed since the last poll? Cheap when called on every request."""
        if self.path is None or time.monotonic() - self._checked < self.interval:
            return False
        with self._lock:
            if time.monotonic() - self._checked < self.interval:
                return False
            self._checked = time.monotonic()
            current = fingerprint(self.path)
            changed, self.generation = current != self.generation, current
            return changed

    def touch(self) -> None:
        """Our own write happened: re-read on the next poll instead of waiting for the interval."""
        self._checked = float("-inf")


class TtlWatch:
    """The generation of a store that cannot be watched: a new one every `ttl` seconds (0: none, no caching).

    Slots are counted on the wall clock, so every worker agrees on the generation (and the ETag) at once.
    """

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._bumps = 0
        self._lock = threading.Lock()
        self.generation = self._current()

    def _current(self) -> str | None:
        return f"ttl-{int(time.time() // self.ttl)}-{self._bumps}" if self.ttl > 0 else None

    def poll(self) -> bool:
        with self._lock:
            current = self._current()
            changed, self.generation = current != self.generation, current
            return changed

    def touch(self) -> None:
        """Our own write happened: a new generation at the next poll."""
        with self._lock:
            self._bumps += 1
