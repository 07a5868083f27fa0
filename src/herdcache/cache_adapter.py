"""The few cache operations the stampede protocol needs, over one Django cache alias.

Kept apart from the protocol (``herdcache.stampede``), which decides and never does I/O itself:
this is the one place that reads, locks and writes entries in a Django cache.
"""

from __future__ import annotations

import logging
import math
import pickle
import time
import uuid
from collections.abc import Sequence
from typing import Any

from django.core.cache import caches
from django.core.cache.backends.base import BaseCache

from herdcache import stamps
from herdcache import tags as tagging
from herdcache.keys import herd_key
from herdcache.stampede import Entry, Lookup, Policy, classify

logger = logging.getLogger("herdcache")


class CacheAdapter:
    """The few cache operations the protocol needs, over one Django cache alias."""

    def __init__(self, alias: str) -> None:
        self.alias = alias
        self.cache: BaseCache = caches[alias]
        # Write stamps of the tracked tags of the last entry read, read before any
        # recomputation: a tracked refresh knows them (herdcache.stamps).
        self.entry_stamps: dict[str, stamps.Current] = {}

    def read(self, key: str, tags: Sequence[str], beta: float) -> Lookup:
        if tags:
            found = self.cache.get_many([key, *tagging.keys_for(tags)])
            gens = tagging.generations(self.cache, tags, found)
            raw = found.get(key)
        else:
            gens, raw = {}, self.cache.get(key)
        entry = Entry.unpack(raw)
        return Lookup(entry, classify(entry, gens, beta, self.written(entry)), gens)

    def written(self, entry: Entry | None) -> dict[str, stamps.Current]:
        """The write stamps of ``entry``'s tracked tags now (remembered for a refresh).

        Tracked tags are known only to the entry (the page read them): one more ``get_many``
        for a tracked entry, none for others.
        """
        if entry is None or not isinstance(entry.tracked, dict) or not entry.tracked:
            return {}
        self.entry_stamps = stamps.fetch(self.cache, entry.tracked)
        return self.entry_stamps

    def lock(self, key: str, ttl: float) -> str | None:
        token = uuid.uuid4().hex
        return (
            token
            if self.cache.add(herd_key("l", key), token, timeout=max(1, math.ceil(ttl)))
            else None
        )

    def lock_held(self, key: str) -> bool:
        return self.cache.get(herd_key("l", key)) is not None

    def unlock(self, key: str, token: str) -> None:
        # Check-then-delete is not atomic; the window only matters if our lock already expired,
        # in which case deleting someone else's lock costs one extra render, never a wrong value.
        lock_key = herd_key("l", key)
        if self.cache.get(lock_key) == token:
            self.cache.delete(lock_key)

    def write(
        self,
        key: str,
        value: Any,
        delta: float,
        policy: Policy,
        gens: tagging.Generations,
        tracked: dict[str, stamps.Seen] | None = None,
    ) -> str | None:
        """Store ``value``; return None, or the event explaining why it was not stored."""
        now = time.time()
        expires = now + policy.timeout + policy.stale
        entry = Entry(value, now + policy.timeout, delta, gens, expires, dict(tracked or {}))
        try:
            size = len(pickle.dumps(entry.pack(), pickle.HIGHEST_PROTOCOL))
        except Exception as exc:
            logger.warning("herdcache: value for %s cannot be pickled (%s): not cached", key, exc)
            return "unstorable"
        if size > policy.max_size:
            logger.info(
                "herdcache: value for %s is %d bytes (> MAX_ENTRY_SIZE): not cached", key, size
            )
            return "oversize"
        self.cache.set(key, entry.pack(), timeout=math.ceil(policy.timeout + policy.stale))
        return None
