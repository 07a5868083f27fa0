"""Remember which URLs are cached under which keys (``herdcache.models``), and find them again."""

from __future__ import annotations

import fnmatch
import logging
from collections.abc import Iterable, Iterator
from datetime import datetime
from urllib.parse import urlsplit

from django.db import DatabaseError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from herdcache import lifecycle, stats
from herdcache.models import CachedURL, CachedURLTag, EdgeKey

logger = logging.getLogger("herdcache")
_PATH_LIMIT = 2000
_WILDCARDS = "*?["


def remember(
    url: str,
    prefix: str,
    base_key: str,
    key: str,
    tags: Iterable[str],
    alias: str,
    expires: datetime,
) -> bool:
    """Record that ``key`` holds ``url`` until ``expires``; False when it could not be remembered.

    Runs on every store (once per expiry per URL, not per request): one transaction that inserts
    the row or renews its expiry, and adds its tags. No per-process memo of what was remembered:
    another process may have purged (forgotten) the row meanwhile. Past ``MAX_REMEMBERED_URLS``
    known rows are still renewed but new ones are refused (counted as ``unremembered``).
    """
    parts = urlsplit(url)
    full_path = parts.path + (f"?{parts.query}" if parts.query else "")
    row = CachedURL(
        key=key,
        base_key=base_key,
        cache_alias=alias,
        url=url,
        host=parts.netloc[:255],
        path=parts.path[:_PATH_LIMIT],
        full_path=full_path,
        key_prefix=prefix,
        expires=expires,
    )
    tag_rows = [CachedURLTag(entry_id=key, tag=tag[:200]) for tag in tags]
    try:
        with transaction.atomic():
            if lifecycle.capacity.admit():
                CachedURL.objects.bulk_create(
                    [row], update_conflicts=True, unique_fields=["key"], update_fields=["expires"]
                )
            elif not CachedURL.objects.filter(key=key).update(expires=expires):
                stats.record(alias, "unremembered")
                return False
            if tag_rows:
                CachedURLTag.objects.bulk_create(tag_rows, ignore_conflicts=True)
    except DatabaseError as exc:  # e.g. migrations not run: caching still works, purge by URL won't
        logger.warning("herdcache: could not remember %s (%s)", url, exc)
        stats.record(alias, "error")
        return False
    return True


def _literal_prefix(pattern: str) -> str:
    cut = min((i for i, ch in enumerate(pattern) if ch in _WILDCARDS), default=len(pattern))
    return pattern[:cut]


def _range(field: str, prefix: str) -> dict[str, str]:
    # A range instead of LIKE: uses the index on every database and is case-sensitive on SQLite.
    return {f"{field}__gte": prefix, f"{field}__lt": prefix + "\U0010ffff"}


def find(
    patterns: Iterable[str] = (), *, prefix: str | None = None, tags: Iterable[str] = ()
) -> Iterator[CachedURL]:
    """Remembered entries matching any of ``patterns``, a path ``prefix`` or any of ``tags``.

    A pattern is an exact path (``/p/77/``: every query string and variant of it), a path with
    query (``/p/?page=2``), a shell-style wildcard over path and query (``/p/*``), or the same
    forms as absolute URLs (``https://example.com/p/*``). No criteria at all: every entry.
    Dead entries (expired from the cache, not yet pruned) are never found.
    """
    patterns, tags = list(patterns), list(tags)
    if not patterns and prefix is None and not tags:
        yield from _alive().order_by("path").iterator(chunk_size=2000)
        return
    seen: set[str] = set()
    for row, pattern in _candidates(patterns, prefix, tags):
        if row.key in seen or (pattern is not None and not _matches(row, pattern)):
            continue
        seen.add(row.key)
        yield row


def _candidates(
    patterns: list[str], prefix: str | None, tags: list[str]
) -> Iterator[tuple[CachedURL, str | None]]:
    """Rows found by an indexed query, with the pattern still to check (None: certain match)."""
    rows = _alive().order_by("path")
    for pattern in patterns:
        absolute = "://" in pattern
        path_pattern = urlsplit(pattern).path if absolute else pattern.split("?", 1)[0]
        literal = _literal_prefix(path_pattern)[:_PATH_LIMIT]
        query = (
            rows.filter(path=literal)
            if literal == path_pattern
            else rows.filter(**_range("path", literal))
        )
        for row in query.iterator(chunk_size=2000):
            yield row, pattern
    if prefix is not None:
        for row in rows.filter(**_range("path", prefix[:_PATH_LIMIT])).iterator(chunk_size=2000):
            yield row, None
    if tags:
        for row in rows.filter(tag_rows__tag__in=tags).distinct().iterator(chunk_size=2000):
            yield row, None


def _alive() -> QuerySet[CachedURL]:
    # NULL: remembered before expiries were kept; alive until `herdcache prune` learns better.
    return CachedURL.objects.filter(Q(expires__gt=timezone.now()) | Q(expires__isnull=True))


def _matches(row: CachedURL, pattern: str) -> bool:
    absolute = "://" in pattern
    subject = row.url if absolute else row.full_path
    if any(ch in pattern for ch in _WILDCARDS):
        return fnmatch.fnmatchcase(subject, pattern)
    if "?" in pattern:
        return subject == pattern
    return subject.split("?", 1)[0] == pattern  # a bare path matches all its query strings


def forget(keys: Iterable[str]) -> None:
    """Drop remembered entries (after a hard purge)."""
    keys = list(keys)
    for start in range(0, len(keys), 500):
        CachedURL.objects.filter(key__in=keys[start : start + 500]).delete()


def remember_edge(base_key: str, edge_key: str, alias: str, host: str = "", uri: str = "") -> None:
    """Record an edge copy of the page ``base_key`` (so purging the page removes it)."""
    row = EdgeKey(key=edge_key, base_key=base_key, host=host[:255], uri=uri)
    try:
        EdgeKey.objects.bulk_create([row], ignore_conflicts=True)
    except DatabaseError as exc:
        logger.warning("herdcache: could not remember edge key (%s)", exc)
        stats.record(alias, "error")


def edge_copies(base_keys: Iterable[str]) -> list[EdgeKey]:
    """Edge copies of the given pages."""
    base_keys = list(base_keys)
    found: list[EdgeKey] = []
    for start in range(0, len(base_keys), 500):
        found += EdgeKey.objects.filter(base_key__in=base_keys[start : start + 500]).only(
            "key", "host", "uri"
        )
    return found


def tagged_edge_copies(tags: Iterable[str]) -> list[EdgeKey]:
    """Edge copies of remembered pages carrying any of ``tags``, in one query."""
    # Dead rows too: an edge copy may outlive its row's expiry by a few stale seconds.
    tagged = CachedURL.objects.filter(tag_rows__tag__in=list(tags)).values("base_key")
    return list(EdgeKey.objects.filter(base_key__in=tagged).only("key", "host", "uri"))


def is_remembered(base_key: str) -> bool:
    """Whether some live row remembers the page ``base_key`` (False when the table is unusable)."""
    try:
        return _alive().filter(base_key=base_key).exists()
    except DatabaseError as exc:
        logger.warning("herdcache: could not read remembered URLs (%s)", exc)
        return False


def has_edge_keys() -> bool:
    """Whether any edge copy was ever recorded (skips edge work on sites without an edge)."""
    return EdgeKey.objects.exists()


def forget_edge(edge_keys_: Iterable[str]) -> None:
    """Drop records of purged edge copies."""
    keys = list(edge_keys_)
    for start in range(0, len(keys), 500):
        EdgeKey.objects.filter(key__in=keys[start : start + 500]).delete()
