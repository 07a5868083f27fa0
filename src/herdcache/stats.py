"""Hit/miss/stale/refresh/lock-wait counters, global and per remembered URL.

Counting must not cost a cache round trip per request (that would halve the hit path), so each
process buffers counts in memory and adds them to shared cache counters (atomic ``incr``) at most
once per ``STATS_FLUSH_INTERVAL``. A process that dies loses at most that interval's counts.
Counts that cannot be flushed (cache down) stay buffered and are retried, so an outage is visible
afterwards in the ``error`` counter.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Iterable, Mapping

from asgiref.sync import sync_to_async
from django.core.cache import caches

from herdcache.conf import conf
from herdcache.keys import herd_key

logger = logging.getLogger("herdcache")

#: Every event herdcache counts. Per-URL stats use the first five.
EVENTS: tuple[str, ...] = (
    "hit",  # fresh entry served
    "miss",  # nothing usable: rendered
    "stale",  # stale entry served while another caller refreshes
    "refresh",  # this caller refreshed a stale entry (or refreshed early, XFetch)
    "lock_wait",  # waited on a cold miss for another process's render
    "error",  # cache backend failed: served without the cache
    "oversize",  # value bigger than MAX_ENTRY_SIZE or the backend's limit: not stored
    "unstorable",  # value could not be serialized: not stored
    "uncacheable",  # response Django's rules forbid storing (private, Set-Cookie, Vary: *, ...)
    "bypass",  # request not eligible (POST, Authorization, key_prefix returned None, ...)
    "unremembered",  # page cached but not remembered: MAX_REMEMBERED_URLS reached
    "rewarm",  # page rendered for a re-warm request (herdcache.rewarm), not for a visitor
)
URL_EVENTS: tuple[str, ...] = EVENTS[:5]
SERVED: tuple[str, ...] = ("hit", "stale", "lock_wait")
RENDERED: tuple[str, ...] = ("miss", "refresh")
_MAX_PENDING = 100_000  # bound the buffer while the cache is down


def counter_key(event: str, url_key: str | None = None) -> str:
    """Cache key of a shared counter: global when ``url_key`` is None."""
    return herd_key("s", f"{url_key or '*'}:{event}")


class StatsRecorder:
    """Per-process buffer of counter increments, flushed to the cache in batches."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: Counter[tuple[str, str]] = Counter()
        self._last_flush = time.monotonic()

    def record(self, alias: str, event: str, url_key: str | None = None) -> bool:
        """Count ``event`` (and per URL when ``url_key`` is given); return True when a flush is due."""
        with self._lock:
            self._pending[(alias, counter_key(event))] += 1
            if url_key is not None:
                self._pending[(alias, counter_key(event, url_key))] += 1
            return time.monotonic() - self._last_flush >= conf.STATS_FLUSH_INTERVAL

    def pending(self) -> dict[tuple[str, str], int]:
        """Counts not yet flushed (alias, key) -> n."""
        with self._lock:
            return dict(self._pending)

    def flush(self) -> None:
        """Add buffered counts to the shared counters; keep what could not be written."""
        with self._lock:
            batch, self._pending = self._pending, Counter()
            self._last_flush = time.monotonic()
        failed: Counter[tuple[str, str]] = Counter()
        for (alias, key), n in batch.items():
            try:
                _add_to_counter(alias, key, n)
            except Exception:  # cache down: keep the counts for the next flush
                failed[(alias, key)] += n
        if failed:
            logger.warning(
                "herdcache: could not flush %d counters (cache unavailable)", len(failed)
            )
            with self._lock:
                self._pending.update(failed)
                if len(self._pending) > _MAX_PENDING:
                    self._pending = Counter(dict(self._pending.most_common(_MAX_PENDING)))

    async def aflush(self) -> None:
        """``flush`` off the event loop (cache clients here are blocking)."""
        await sync_to_async(self.flush, thread_sensitive=False)()

    def reset(self) -> None:
        """Drop buffered counts (tests)."""
        with self._lock:
            self._pending.clear()


def _add_to_counter(alias: str, key: str, n: int) -> None:
    cache = caches[alias]
    try:
        cache.incr(key, n)
    except ValueError:  # counter does not exist yet; add() loses no race: retry incr if it lost
        if not cache.add(key, n, timeout=None):
            cache.incr(key, n)


recorder = StatsRecorder()


def record(alias: str, event: str, url_key: str | None = None) -> None:
    """Count one event (sync callers)."""
    if recorder.record(alias, event, url_key):
        recorder.flush()


async def arecord(alias: str, event: str, url_key: str | None = None) -> None:
    """Count one event (async callers): a due flush runs in a worker thread."""
    if recorder.record(alias, event, url_key):
        await recorder.aflush()


def read_counters(
    alias: str | None = None, url_keys: Iterable[str | None] = (None,)
) -> dict[str | None, dict[str, int]]:
    """Shared counters for the global scope (None) and/or the given URL keys, after a local flush.

    Returns ``{url_key_or_None: {event: count}}``; unknown counters read as 0.
    """
    alias = alias or conf.CACHE
    recorder.flush()
    url_keys = list(url_keys)
    wanted = {
        counter_key(event, url_key): (url_key, event)
        for url_key in url_keys
        for event in (EVENTS if url_key is None else URL_EVENTS)
    }
    try:
        found = caches[alias].get_many(list(wanted))
    except Exception:
        logger.warning("herdcache: stats unavailable (cache %r down)", alias)
        found = {}
    result: dict[str | None, dict[str, int]] = {
        url_key: dict.fromkeys(EVENTS if url_key is None else URL_EVENTS, 0) for url_key in url_keys
    }
    for key, (url_key, event) in wanted.items():
        result[url_key][event] = int(found.get(key) or 0)
    # Counts still buffered here (e.g. the cache was down) are part of the truth too.
    for (pending_alias, key), n in recorder.pending().items():
        if pending_alias == alias and key in wanted:
            url_key, event = wanted[key]
            result[url_key][event] += n
    return result


def delete_url_counters(alias: str, url_keys: Iterable[str]) -> None:
    """Forget the per-URL counters of purged URLs."""
    keys = [counter_key(event, url_key) for url_key in url_keys for event in URL_EVENTS]
    if keys:
        caches[alias].delete_many(keys)


def get_stats(cache: str | None = None) -> dict[str, int]:
    """Global counters (hit, miss, stale, refresh, lock_wait, error, ...) across all processes."""
    return read_counters(cache)[None]


def hit_ratio(counters: Mapping[str, int]) -> float | None:
    """Share of cache lookups answered from the cache; None before any lookup."""
    served = sum(counters.get(event, 0) for event in SERVED)
    lookups = served + sum(counters.get(event, 0) for event in RENDERED)
    return served / lookups if lookups else None
