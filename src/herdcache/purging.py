"""Purge cached pages and values by URL, URL pattern, path prefix or tag; soft or hard.

Hard purge deletes entries (the next request renders, others wait for it). Soft purge marks them
stale (the next request gets the stale copy while exactly one caller refreshes), which is what a
busy site wants after an edit. Tags are purged in O(1) by bumping their generation
(``herdcache.tags``); URLs and prefixes through the remembered-URL table.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from itertools import islice

from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.db import DatabaseError

from herdcache import downstream, registry, stats, tracking
from herdcache import tags as tagging
from herdcache.conf import conf
from herdcache.edge import local as edge_local
from herdcache.edge import store as edge_store
from herdcache.models import CachedURL, EdgeKey
from herdcache.stampede import Entry

_BATCH = 500
logger = logging.getLogger("herdcache")


def soften(cache: BaseCache, keys: Iterable[str]) -> int:
    """Mark the entries under ``keys`` stale, keeping their hard expiry; return how many."""
    found = cache.get_many(list(keys))
    now, softened = time.time(), 0
    for key, raw in found.items():
        entry = Entry.unpack(raw)
        if entry is None or entry.expires_at <= now:
            continue
        entry.fresh_until = 0.0
        cache.set(key, entry.pack(), timeout=max(1, int(entry.expires_at - now) + 1))
        softened += 1
    return softened


def _purge_rows(rows: list[CachedURL], *, soft: bool) -> None:
    by_alias: dict[str, list[CachedURL]] = defaultdict(list)
    for row in rows:
        by_alias[row.cache_alias].append(row)
    # Edge copies go in both cases: nginx cannot serve "stale"; on a soft purge Django answers
    # the fallback with the stale origin entry while one request re-renders.
    _purge_edge({row.base_key for row in rows})
    if not soft:
        # Rows first, entries second: a render racing with us stores its entry before its row,
        # so whatever survives this purge is still remembered (and purgeable).
        registry.forget(row.key for row in rows)
    for alias, group in by_alias.items():
        cache = caches[alias]
        if soft:
            soften(cache, [row.key for row in group])
            continue
        base_keys = {row.base_key for row in group}
        cache.delete_many([row.key for row in group] + list(base_keys))
        stats.delete_url_counters(alias, base_keys)
    # Last: a cache in front that refetches at once must find the origin entries gone already.
    downstream.fan_out(downstream.PurgeRequest(urls=[row.url for row in rows], soft=soft))


def _purge_edge(base_keys: set[str]) -> None:
    if base_keys:
        _remove_edge_copies(registry.edge_copies(base_keys))


def _purge_tagged_edge(tags: list[str]) -> None:
    # Edge copies cannot be versioned (nginx keys them by URL), so each one carrying the tag is
    # deleted: work proportional to the tagged pages, skipped entirely on sites without an edge.
    # A site that never ran herdcache's migrations still purges tags (they live in the cache).
    try:
        if not (conf.EDGE or registry.has_edge_keys()):
            return
        copies = registry.tagged_edge_copies(tags)
    except DatabaseError as exc:
        logger.warning("herdcache: edge copies of tags %s not purged (%s)", tags, exc)
        return
    _remove_edge_copies(copies)


def _remove_edge_copies(copies: list[EdgeKey]) -> None:
    if not copies:
        return
    keys = [copy.key for copy in copies]
    registry.forget_edge(keys)
    edge_store.delete(keys)
    if conf.EDGE_PURGE_NODES:  # nginx's local proxy_cache tiers, keyed by $host$request_uri
        edge_local.purge(conf.EDGE_PURGE_NODES, [(c.host, c.uri) for c in copies if c.uri])


def _batches(rows: Iterable[CachedURL]) -> Iterator[list[CachedURL]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, _BATCH)):
        yield batch


def purge(
    urls: Iterable[str] = (),
    *,
    tags: Iterable[str] = (),
    prefix: str | None = None,
    soft: bool = False,
    cache: str | None = None,
    tables: Iterable[str] = (),
) -> int:
    """Purge by URL (exact or wildcard, see ``find_urls``), tag, path prefix and/or table.

    Tags are purged in the cache alias ``cache`` (default ``HERDCACHE["CACHE"]``) for every entry
    carrying them, remembered or not. URLs and prefixes need remembered URLs
    (``remember_all_urls``). ``tables`` (``"app_label.Model"``) purges every tracked entry that
    read the model's table, as a write herdcache could not see would have (raises ValueError for
    an unknown model). Returns the number of remembered entries purged by URL or prefix.
    """
    tags, urls = list(tags), list(urls)
    tags += tracking.tags_of_tables(tables)
    if tags:
        tagging.bump(caches[cache or conf.CACHE], tags, hard=not soft)
        _purge_tagged_edge(tags)
        downstream.fan_out(downstream.PurgeRequest(tags=tags, soft=soft))
    if not urls and prefix is None:
        return 0
    purged = 0
    for batch in _batches(registry.find(urls, prefix=prefix)):
        _purge_rows(batch, soft=soft)
        purged += len(batch)
    return purged


def find_urls(
    patterns: Iterable[str] = (), purge: bool = False, *, soft: bool = False
) -> Iterator[tuple[str, str, dict[str, int]]]:
    """Yield ``(url, key, stats)`` for remembered entries matching ``patterns`` (all if none).

    Patterns are exact paths (``/p/77/``, matching every query string), paths with a query, or
    shell-style wildcards (``/p/*``), relative or absolute. ``url`` is absolute
    (``scheme://host/path?query``: one site may serve several hosts); its path is
    ``urlsplit(url)`` away, or use ``herdcache.contrib.fancy.find_urls``, which yields paths as
    django-fancy-cache did. With ``purge=True`` each batch is purged after it is yielded (so
    exhaust the generator), soft when ``soft=True``.
    """
    for row, counters in find_entries(registry.find(patterns), purge, soft=soft):
        yield row.url, row.key, counters


def find_entries(
    rows: Iterable[CachedURL], purge: bool = False, *, soft: bool = False
) -> Iterator[tuple[CachedURL, dict[str, int]]]:
    """Yield each remembered row with its per-URL counters; purge each batch after yielding it."""
    for batch in _batches(rows):
        counters: dict[str | None, dict[str, int]] = {}
        by_alias: dict[str, set[str]] = defaultdict(set)
        for row in batch:
            by_alias[row.cache_alias].add(row.base_key)
        for alias, base_keys in by_alias.items():
            counters.update(stats.read_counters(alias, base_keys))
        for row in batch:
            yield row, counters.get(row.base_key, {})
        if purge:
            _purge_rows(batch, soft=soft)
