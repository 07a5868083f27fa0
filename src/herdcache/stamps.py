"""Write stamps of tracked tags: when a committed write last purged a table or a row.

A tracked computation records only the *names* of the tags it read (no cache round trip while it
runs) and the time it started. A write's purge stores, after commit, a *stamp* (the wall-clock
time it happened, plus three random digits so that two purges never store the same value) under
the tag's soft key, and for a hard purge under its hard key too. An entry stores, per tracked tag,
``Seen = (since, soft, hard)``: the start time of the computation that read it and the stamps that
were current before that computation began, when known (a refresh knows them: it read them with
the entry it replaces; a cold miss does not).

On read, a tag is current when its stamp is still the one seen, or was written before
``since - TRACK_CLOCK_SKEW``. A write whose data the computation did not see committed after the
computation started, so its stamp is at least ``since`` minus the difference between the two
clocks: the margin covers it (servers synchronised by NTP differ by milliseconds; the default
margin is 1 s). A missing key counts as written now (an evicted stamp can only make entries look
purged). A computation that ends finds the keys of tags nobody ever purged missing: it creates
them with 0 ("no write recorded") before its entry is stored (``settle``).
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable, Mapping

from django.core.cache.backends.base import BaseCache

from herdcache.keys import herd_key

# (since, soft stamp seen, hard stamp seen): stored with an entry per tracked tag.
Seen = tuple[float, int | None, int | None]
# (soft stamp, hard stamp) as found in the cache now; None: the key is missing.
Current = tuple[int | None, int | None]

FRESH, STALE, MISSING = 0, 1, 2


def stamp_keys(tag: str) -> tuple[str, str]:
    """(soft, hard) stamp keys of a tracked tag."""
    return herd_key("w", f"soft:{tag}"), herd_key("w", f"hard:{tag}")


def keys_for(tags: Iterable[str]) -> list[str]:
    """All stamp keys of ``tags``, soft then hard per tag."""
    return [key for tag in tags for key in stamp_keys(tag)]


def new_stamp() -> int:
    """A stamp for a purge happening now: microseconds since the epoch, times 1,000, plus noise."""
    return int(time.time() * 1_000_000) * 1000 + random.randrange(1000)


def stamp_time(stamp: int) -> float:
    """The wall-clock time (seconds since the epoch) a stamp was taken at."""
    return stamp / 1_000_000_000


def current(found: Mapping[str, object], tags: Iterable[str]) -> dict[str, Current]:
    """The stamps of ``tags`` in a ``get_many`` result (None for a missing key)."""
    result: dict[str, Current] = {}
    for tag in tags:
        soft, hard = (found.get(key) for key in stamp_keys(tag))
        result[tag] = (
            soft if isinstance(soft, int) else None,
            hard if isinstance(hard, int) else None,
        )
    return result


def fetch(cache: BaseCache, tags: Iterable[str]) -> dict[str, Current]:
    """The stamps of ``tags`` now: one ``get_many``."""
    tags = list(tags)
    return current(cache.get_many(keys_for(tags)), tags) if tags else {}


def settle(cache: BaseCache, tags: Iterable[str]) -> None:
    """Create the stamp keys of ``tags`` that do not exist yet with 0 (no write recorded).

    Called when a tracked computation ends, before its entry is stored: one ``get_many``, plus
    one ``add`` per key never created (``add`` keeps a stamp a purge wrote meanwhile).
    """
    keys = keys_for(tags)
    if not keys:
        return
    found = cache.get_many(keys)
    for key in keys:
        if key not in found:
            cache.add(key, 0, timeout=None)


def mark(cache: BaseCache, tags: Iterable[str], *, hard: bool) -> None:
    """Record a purge of ``tags`` now: the soft stamps, and for a hard purge the hard ones too."""
    stamp = new_stamp()
    values: dict[str, int] = {}
    for tag in tags:
        soft_key, hard_key = stamp_keys(tag)
        values[soft_key] = stamp
        if hard:
            values[hard_key] = stamp
    if values:
        cache.set_many(values, timeout=None)


def seen(since: float, known: Current | None) -> Seen:
    """What an entry stores for a tag its computation (started at ``since``) read."""
    soft, hard = known if known is not None else (None, None)
    return (since, soft, hard)


def merge(first: Seen, second: Seen) -> Seen:
    """One ``Seen`` at least as strict as both (a tag read directly and through a nested value)."""
    return (
        min(first[0], second[0]),
        first[1] if first[1] == second[1] else None,
        first[2] if first[2] == second[2] else None,
    )


def state(tracked: Mapping[str, Seen], now: Mapping[str, Current], margin: float) -> int:
    """FRESH, STALE (a tag was soft-purged since) or MISSING (hard-purged, or a stamp lost)."""
    result = FRESH
    for tag, (since, soft_seen, hard_seen) in tracked.items():
        soft, hard = now.get(tag, (None, None))
        if not _current(hard, hard_seen, since, margin):
            return MISSING
        if soft is None:  # evicted: whatever purge it recorded may have been hard
            return MISSING
        if not _current(soft, soft_seen, since, margin):
            result = STALE
    return result


def _current(stamp: int | None, seen_stamp: int | None, since: float, margin: float) -> bool:
    if stamp is None:
        return False
    return stamp == seen_stamp or stamp_time(stamp) < since - margin
