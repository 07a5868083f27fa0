"""Tag generations: purge every entry carrying a tag in O(1), whatever the number of entries.

Each tag has two counters in the cache, *soft* and *hard*. An entry records both at store time.
On read, a different hard generation means the entry is gone (hard purge); a different soft one
means it is stale (soft purge: served stale while one caller refreshes). Purging a tag is one
``incr``. An evicted counter is re-created with a random value, which can only make entries
look purged, never make a purged entry look current.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence

from django.core.cache.backends.base import BaseCache

from herdcache.keys import herd_key

Generations = dict[str, tuple[int, int]]


def tag_keys(tag: str) -> tuple[str, str]:
    """(soft, hard) counter keys of a tag."""
    return herd_key("t", f"soft:{tag}"), herd_key("t", f"hard:{tag}")


def keys_for(tags: Iterable[str]) -> list[str]:
    """All counter keys of ``tags``, soft then hard per tag."""
    return [key for tag in tags for key in tag_keys(tag)]


def generations(cache: BaseCache, tags: Sequence[str], found: Mapping[str, object]) -> Generations:
    """Current generations of ``tags`` from a ``get_many`` result, creating missing counters."""
    gens: Generations = {}
    missing: list[str] = []
    for tag in tags:
        soft, hard = (found.get(key) for key in tag_keys(tag))
        if isinstance(soft, int) and isinstance(hard, int):
            gens[tag] = (soft, hard)
        else:
            missing.append(tag)
    if missing:
        for key in keys_for(missing):
            # add() keeps a value another process created first; random start values make a
            # re-created counter differ from what entries stored before it was evicted.
            cache.add(key, random.randrange(1, 2**31), timeout=None)
        again = cache.get_many(keys_for(missing))
        for tag in missing:
            soft, hard = (again.get(key) for key in tag_keys(tag))
            gens[tag] = (int(soft or 0), int(hard or 0))
    return gens


def bump(cache: BaseCache, tags: Iterable[str], *, hard: bool) -> None:
    """Purge ``tags``: bump soft counters (soft purge) or hard ones too (hard purge)."""
    for tag in tags:
        soft_key, hard_key = tag_keys(tag)
        for key in (soft_key, hard_key) if hard else (soft_key,):
            try:
                cache.incr(key)
            except ValueError:  # never created: nothing carries it; create it so it is counted
                cache.add(key, random.randrange(1, 2**31), timeout=None)
