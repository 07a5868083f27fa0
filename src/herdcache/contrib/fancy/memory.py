"""django-fancy-cache's ``find_urls(urls, purge)`` over herdcache's remembered URLs.

fancy-cache patterns are matched against the path with its query string: ``*`` matches any run
of characters, everything else is literal, and a pattern without ``*`` names one URL exactly
(herdcache's own ``find_urls`` treats ``/p/`` as every query string of ``/p/`` and ``?``/``[`` as
wildcards). Entries gone from the cache (expired, evicted) are skipped, as fancy-cache skipped
them, and forgotten when ``purge=True``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from django.core.cache import caches

from herdcache import registry
from herdcache.models import CachedURL
from herdcache.purging import find_entries
from herdcache.stats import RENDERED, SERVED

FancyStats = dict[str, int] | None


def find_urls(
    urls: Iterable[str] | None = None, purge: bool = False, *, soft: bool = False
) -> Iterator[tuple[str, str, FancyStats]]:
    """Yield ``(path, cache_key, stats)`` for remembered URLs matching ``urls`` (all if none).

    ``stats`` is ``{"hits": n, "misses": n}`` for URLs counted with ``remember_stats_all_urls``,
    otherwise None. With ``purge=True`` the found URLs are purged (exhaust the generator); with
    ``soft=True`` too (a herdcache extra) they are marked stale instead of deleted.
    """
    for row, counters in find_entries(_rows(list(urls or ())), purge, soft=soft):
        if caches[row.cache_alias].get(row.key) is None:
            continue  # expired or evicted: fancy-cache listed only live entries
        yield row.full_path, row.key, _fancy_stats(counters)


def _rows(patterns: list[str]) -> Iterator[CachedURL]:
    if not patterns:
        yield from registry.find()
        return
    seen: set[str] = set()
    for pattern in patterns:
        regex = _regex(pattern)
        # Every match starts with the pattern's literal path: an indexed range narrows the rows.
        literal_path = pattern.split("*", 1)[0].split("?", 1)[0]
        for row in registry.find(prefix=literal_path):
            if row.key not in seen and regex.fullmatch(row.full_path):
                seen.add(row.key)
                yield row


def _regex(pattern: str) -> re.Pattern[str]:
    """fancy-cache's pattern language: ``*`` is any run of characters, the rest is literal."""
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.DOTALL)


def _fancy_stats(counters: dict[str, int]) -> FancyStats:
    # fancy-cache counted a hit for every answer from the cache and a miss for every render;
    # herdcache's finer events fold into those two.
    hits = sum(counters.get(event, 0) for event in SERVED)
    misses = sum(counters.get(event, 0) for event in RENDERED)
    if not hits and not misses:
        return None
    return {"hits": hits, "misses": misses}
