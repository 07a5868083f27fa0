"""Purge cached pages and values by URL, URL pattern, path prefix or tag; soft or hard.

Hard purge deletes entries (the next request renders, others wait for it). Soft purge marks them
stale (the next request gets the stale copy while exactly one caller refreshes), which is what a
busy site wants after an edit. Tags are purged in O(1) by bumping their generation
(``herdcache.tags``); URLs and prefixes through the remembered-URL table.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from itertools import islice

from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.db import DatabaseError

from herdcache import downstream, purgelog, registry, stamps, stats, tracking
from herdcache import rewarm as rewarming
from herdcache import tags as tagging
from herdcache.conf import conf
from herdcache.edge import local as edge_local
from herdcache.edge import store as edge_store
from herdcache.models import CachedURL, EdgeKey
from herdcache.stampede import Entry

_BATCH = 500
logger = logging.getLogger("herdcache")
Record = purgelog.PurgeRecord | None


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


def _purge_rows(rows: list[CachedURL], *, soft: bool, record: Record = None) -> None:
    by_alias: dict[str, list[CachedURL]] = defaultdict(list)
    for row in rows:
        by_alias[row.cache_alias].append(row)
    # Edge copies go in both cases: nginx cannot serve "stale"; on a soft purge Django answers
    # the fallback with the stale origin entry while one request re-renders.
    _purge_edge({row.base_key for row in rows}, record)
    if not soft:
        # Rows first, entries second: a render racing with us stores its entry before its row,
        # so whatever survives this purge is still remembered (and purgeable).
        registry.forget(row.key for row in rows)
    for alias, group in by_alias.items():
        with _tier(record, f"cache:{alias}"):
            cache = caches[alias]
            if soft:
                softened = soften(cache, [row.key for row in group])
                _tally(record, f"cache:{alias}", "entries marked stale", softened)
                continue
            base_keys = {row.base_key for row in group}
            cache.delete_many([row.key for row in group] + list(base_keys))
            stats.delete_url_counters(alias, base_keys)
            _tally(record, f"cache:{alias}", "entries deleted", len(group))
    # Last: a cache in front that refetches at once must find the origin entries gone already.
    _fan_out(downstream.PurgeRequest(urls=[row.url for row in rows], soft=soft), record)


def _fan_out(request: downstream.PurgeRequest, record: Record) -> None:
    """Send a purge to the downstream caches; each one's outcome lands in the purge log (from
    its worker thread, later)."""

    def on_result(result: downstream.TierResult) -> None:
        ok = result.outcome in ("ok", "retried")
        purgelog.record_tier(
            record, f"downstream:{result.name}", ok, result.detail or result.outcome
        )

    downstream.fan_out(request, on_result if record is not None else None)


@contextlib.contextmanager
def _tier(record: Record, tier: str) -> Iterator[None]:
    """Log the exception a tier raises as its failure (and let it propagate, as before)."""
    try:
        yield
    except Exception as exc:
        purgelog.record_tier(record, tier, False, f"{type(exc).__name__}: {exc}")
        raise


def _tally(record: Record, tier: str, what: str, n: int) -> None:
    if record is not None:
        record.tally(tier, what, n)


def _purge_edge(base_keys: set[str], record: Record = None) -> None:
    if base_keys:
        _remove_edge_copies(registry.edge_copies(base_keys), record)


def _purge_tagged_edge(tags: list[str], record: Record = None) -> None:
    # Edge copies cannot be versioned (nginx keys them by URL), so each one carrying the tag is
    # deleted: work proportional to the tagged pages, skipped entirely on sites without an edge.
    # A site that never ran herdcache's migrations still purges tags (they live in the cache).
    try:
        if not (conf.EDGE or registry.has_edge_keys()):
            return
        copies = registry.tagged_edge_copies(tags)
    except DatabaseError as exc:
        logger.warning("herdcache: edge copies of tags %s not purged (%s)", tags, exc)
        purgelog.record_tier(record, "edge", False, f"edge copies not found: {exc}")
        return
    _remove_edge_copies(copies, record)


def _remove_edge_copies(copies: list[EdgeKey], record: Record = None) -> None:
    if not copies:
        return
    keys = [copy.key for copy in copies]
    registry.forget_edge(keys)
    failed = edge_store.delete(keys)
    _tally(record, "edge", "copies deleted", len(keys) - failed)
    if failed:
        purgelog.record_tier(record, "edge", False, f"{failed} copies not deleted")
    if conf.EDGE_PURGE_NODES:  # nginx's local proxy_cache tiers, keyed by $host$request_uri
        down: list[str] = []
        targets = [(c.host, c.uri) for c in copies if c.uri]
        edge_local.purge(conf.EDGE_PURGE_NODES, targets, failed_nodes=down)
        reached = len(conf.EDGE_PURGE_NODES) - len(down)
        _tally(record, "edge-nodes", "nodes reached", reached)
        for node in down:
            purgelog.record_tier(record, "edge-nodes", False, f"{node} unreachable")


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
    reason: str | None = None,
    user: object = None,
    rewarm: bool | None = None,
) -> int:
    """Purge by URL (exact or wildcard, see ``find_urls``), tag, path prefix and/or table.

    Tags are purged in the cache alias ``cache`` (default ``HERDCACHE["CACHE"]``) for every entry
    carrying them, remembered or not. URLs and prefixes need remembered URLs
    (``remember_all_urls``). ``tables`` (``"app_label.Model"``) purges every tracked entry that
    read the model's table, as a write herdcache could not see would have (raises ValueError for
    an unknown model). Returns the number of remembered entries purged by URL or prefix.

    Every purge is logged (``herdcache.purgelog``) with ``reason`` (one of ``purgelog.REASONS``;
    default: the enclosing ``purge_reason`` block's, else "manual") and ``user``. With ``rewarm``
    (default ``HERDCACHE["REWARM"]``) the most requested purged pages are re-rendered in the
    background (``herdcache.rewarm``).
    """
    tags, urls = list(tags), list(urls)
    tags += tracking.tags_of_tables(tables)
    record = purgelog.begin(
        reason=reason, user=user, soft=soft, urls=urls, tags=tags, prefix=prefix
    )
    warm = conf.REWARM if rewarm is None else rewarm
    ranking = rewarming.Ranking(conf.REWARM_TOP) if warm else None
    with purgelog.recording(record):  # tiers reporting inline find the record (current())
        try:
            purged = _purge(urls, tags, prefix, soft=soft, cache=cache, ranking=ranking)
        finally:
            purgelog.finish(record)
    if ranking is not None:
        rewarming.schedule(ranking, tags, record)
    return purged


def _purge(
    urls: list[str],
    tags: list[str],
    prefix: str | None,
    *,
    soft: bool,
    cache: str | None,
    ranking: rewarming.Ranking | None,
) -> int:
    record = purgelog.current()
    if tags:
        alias = cache or conf.CACHE
        with _tier(record, f"cache:{alias}"):
            tagging.bump(caches[alias], tags, hard=not soft)
            # Tracked entries check their tables' and rows' tags by write stamp; the counters
            # above still serve entries that declared such a tag by hand.
            stamps.mark(caches[alias], filter(tracking.is_tracked_tag, tags), hard=not soft)
            _tally(record, f"cache:{alias}", "tags softened" if soft else "tags bumped", len(tags))
        _purge_tagged_edge(tags, record)
        _fan_out(downstream.PurgeRequest(tags=tags, soft=soft), record)
    if not urls and prefix is None:
        return 0
    purged = 0
    for batch in _batches(registry.find(urls, prefix=prefix)):
        if ranking is not None:  # before the purge: a hard purge forgets rows and counters
            ranking.add(batch)
        if record is not None:
            record.add_sample(row.url for row in batch)
        _purge_rows(batch, soft=soft, record=record)
        purged += len(batch)
    if record is not None:
        record.matched += purged
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
    patterns = list(patterns)
    record = None
    if purge:
        record = purgelog.begin(
            reason=None, user=None, soft=soft, urls=patterns or ["*"], tags=[], prefix=None
        )
    for row, counters in find_entries(registry.find(patterns), purge, soft=soft, record=record):
        yield row.url, row.key, counters


def find_entries(
    rows: Iterable[CachedURL],
    purge: bool = False,
    *,
    soft: bool = False,
    record: purgelog.PurgeRecord | None = None,
) -> Iterator[tuple[CachedURL, dict[str, int]]]:
    """Yield each remembered row with its per-URL counters; purge each batch after yielding it.

    A purge is logged when the generator ends (``record``: the log entry to fill in).
    """
    if purge and record is None:
        record = purgelog.begin(reason=None, user=None, soft=soft, urls=[], tags=[], prefix=None)
    try:
        yield from _find_entries(rows, purge, soft=soft, record=record)
    finally:
        if record is not None:
            purgelog.finish(record)


def _find_entries(
    rows: Iterable[CachedURL], purge: bool, *, soft: bool, record: Record
) -> Iterator[tuple[CachedURL, dict[str, int]]]:
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
            if record is not None:
                record.add_sample(row.url for row in batch)
                record.matched += len(batch)
            _purge_rows(batch, soft=soft, record=record)
