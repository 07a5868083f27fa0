"""Remember which URLs are cached under which keys (``herdcache.models``), and find them again."""

from __future__ import annotations

import fnmatch
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from urllib.parse import urlsplit

from django.db import DatabaseError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from herdcache import lifecycle, stats
from herdcache.models import CachedURL, CachedURLTag, EdgeKey, path_digest

logger = logging.getLogger("herdcache")
_PATH_LIMIT = 2000
_WILDCARDS = "*?["


@dataclass(frozen=True, slots=True)
class Remembered:
    """What ``remember_many`` records: ``key`` holds ``url`` until ``expires``."""

    url: str
    prefix: str
    base_key: str
    key: str
    tags: tuple[str, ...]
    alias: str
    expires: datetime

    def row(self) -> CachedURL:
        parts = urlsplit(self.url)
        full_path = _full_path(parts.path, parts.query)
        return CachedURL(
            key=self.key,
            base_key=self.base_key,
            cache_alias=self.alias,
            url=self.url,
            host=parts.netloc[:255],
            path=parts.path[:_PATH_LIMIT],
            full_path=full_path,
            full_path_hash=path_digest(full_path),
            key_prefix=self.prefix,
            expires=self.expires,
        )


def _full_path(path: str, query: str) -> str:
    return path + (f"?{query}" if query else "")


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

    Runs on every store (once per expiry per URL, not per request). No per-process memo of what
    was remembered: another process may have purged (forgotten) the row meanwhile.
    """
    entry = Remembered(url, prefix, base_key, key, tuple(tags), alias, expires)
    return remember_many([entry]) == 1


def remember_many(entries: Iterable[Remembered], *, batch: int = 1000) -> int:
    """Record entries, one transaction per ``batch``; return how many are remembered.

    Each new row is inserted, a known one has its expiry renewed, and tags are added. Past
    ``MAX_REMEMBERED_URLS`` known rows are still renewed but new ones are refused (counted as
    ``unremembered``): their pages stay cached and purgeable by tag only.
    """
    iterator = iter(entries)
    remembered = 0
    while chunk := list(islice(iterator, batch)):
        unique = list({entry.key: entry for entry in chunk}.values())  # one upsert per key
        try:
            with transaction.atomic():
                remembered += _remember_batch(unique)
        except DatabaseError as exc:  # e.g. migrations not run: caching works, purge by URL won't
            logger.warning(
                "herdcache: could not remember %s and %d more (%s)",
                unique[0].url,
                len(unique) - 1,
                exc,
            )
            for alias in {entry.alias for entry in unique}:
                stats.record(alias, "error")
    return remembered


def _remember_batch(entries: list[Remembered]) -> int:
    room = lifecycle.capacity.admit(len(entries))
    admitted, over = entries[:room], entries[room:]
    if over:
        known = set(
            CachedURL.objects.filter(key__in=[entry.key for entry in over]).values_list(
                "key", flat=True
            )
        )
        for entry in over:
            if entry.key in known:
                admitted.append(entry)
            else:
                stats.record(entry.alias, "unremembered")
    if not admitted:
        return 0
    CachedURL.objects.bulk_create(
        [entry.row() for entry in admitted],
        update_conflicts=True,
        unique_fields=["key"],
        update_fields=["expires"],
    )
    tag_rows = [
        CachedURLTag(entry_id=entry.key, tag=tag[:200]) for entry in admitted for tag in entry.tags
    ]
    if tag_rows:
        CachedURLTag.objects.bulk_create(tag_rows, ignore_conflicts=True)
    return len(admitted)


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
        exact = _exact_full_path(pattern)
        if exact is not None:  # one URL among what may be millions of query strings of its path
            query = rows.filter(full_path_hash=path_digest(exact))
        elif literal == path_pattern:
            query = rows.filter(path=literal)
        else:
            query = rows.filter(**_range("path", literal))
        for row in query.iterator(chunk_size=2000):
            yield row, pattern
    if prefix is not None:
        for row in rows.filter(**_range("path", prefix[:_PATH_LIMIT])).iterator(chunk_size=2000):
            yield row, None
    if tags:
        for row in rows.filter(tag_rows__tag__in=tags).distinct().iterator(chunk_size=2000):
            yield row, None


def _exact_full_path(pattern: str) -> str | None:
    """The path and query an exact ``path?query`` pattern (relative or absolute) names, or None."""
    if "://" in pattern:
        parts = urlsplit(pattern)
        path, query, rest = parts.path, parts.query, parts.netloc
    else:
        path, _, query = pattern.partition("?")
        rest = ""
    if not query or any(ch in path + query + rest for ch in _WILDCARDS):
        return None
    return _full_path(path, query)


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
