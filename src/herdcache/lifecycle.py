"""The lifecycle of remembered URLs: each row lives as long as its cache entry, the table is capped.

A row carries its entry's expiry (``CachedURL.expires``, renewed on every store). Past it the
entry is gone from the cache, so the row is dead: ``registry.find`` skips it and it is deleted
here, lazily (one small batch now and then while URLs are remembered) and by ``manage.py
herdcache prune`` (batches of indexed deletes, each committed on its own, so an interrupted run
loses nothing and the next one carries on).

``MAX_REMEMBERED_URLS`` caps the table: a crawler sending random query strings would otherwise add
a row per request forever. Counting a large table on every miss would cost more than the miss, so
each process counts at most every ``RECOUNT_SECONDS`` and adds its own inserts in between; the
table can pass the cap only by what other processes insert within one such interval.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.utils import timezone

from herdcache.conf import conf
from herdcache.models import CachedURL, EdgeKey
from herdcache.stampede import Entry

RECOUNT_SECONDS = 10.0  # how stale a process's row count may get
LAZY_PRUNE_SECONDS = 60.0  # how often a process prunes a batch while remembering URLs
LAZY_PRUNE_BATCH = 200  # small: it runs inside a request
# The backend TTL is ceil(timeout + stale) from a moment just before the row is written.
_EXPIRY_MARGIN = 1.0


def expiry(lifetime: float) -> datetime:
    """When an entry stored now for ``lifetime`` seconds (timeout + stale) leaves the cache."""
    return timezone.now() + timedelta(seconds=lifetime + _EXPIRY_MARGIN)


def _moment(epoch: float) -> datetime:
    aware = datetime.fromtimestamp(epoch, tz=UTC)
    return aware if settings.USE_TZ else timezone.make_naive(aware)


class Capacity:
    """Per-process view of the table size, deciding whether a new URL may be remembered."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._estimate: int | None = None
        self._counted_at = 0.0
        self._pruned_at = time.monotonic()

    def admit(self, wanted: int = 1) -> int:
        """How many of ``wanted`` new rows fit under ``MAX_REMEMBERED_URLS`` (counted as added)."""
        cap = conf.MAX_REMEMBERED_URLS
        with self._lock:
            now = time.monotonic()
            if self._estimate is None or now - self._counted_at >= RECOUNT_SECONDS:
                self._estimate, self._counted_at = CachedURL.objects.count(), now
            # At the cap, dead rows make room for live ones; both prunes are rate-limited, so a
            # crawler hammering a full table costs one SELECT per request, not a DELETE.
            full = self._estimate + wanted > cap
            if now - self._pruned_at >= (RECOUNT_SECONDS if full else LAZY_PRUNE_SECONDS):
                self._pruned_at = now
                self._estimate = max(0, self._estimate - prune_expired(LAZY_PRUNE_BATCH))
            granted = max(0, min(wanted, cap - self._estimate))
            self._estimate += granted  # upserts of known rows count too: errs towards the cap
            return granted

    def reset(self) -> None:
        """Forget the count (tests; after deleting rows behind herdcache's back)."""
        with self._lock:
            self._estimate = None
            self._pruned_at = time.monotonic()


capacity = Capacity()


def prune_expired(limit: int) -> int:
    """Delete up to ``limit`` dead rows (oldest expiry first) with their tags and edge records."""
    now = timezone.now()
    dead = list(
        CachedURL.objects.filter(expires__lte=now)
        .order_by("expires")
        .values_list("key", "base_key")[:limit]
    )
    if not dead:
        return 0
    keys = [key for key, _ in dead]
    with transaction.atomic():
        # expires is checked again: a row renewed by a store since the SELECT above stays.
        _, per_model = CachedURL.objects.filter(key__in=keys, expires__lte=now).delete()
        _drop_orphan_edge_keys({base_key for _, base_key in dead})
    return per_model.get(CachedURL._meta.label, 0)


def _drop_orphan_edge_keys(base_keys: set[str]) -> None:
    # Edge copies live no longer than their page entry (plus a few stale seconds): once no row
    # of a page is left, its edge records point at nothing.
    alive = CachedURL.objects.filter(base_key__in=base_keys).values("base_key")
    EdgeKey.objects.filter(base_key__in=base_keys).exclude(base_key__in=alive).delete()


class CacheUnavailable(Exception):
    """A cache holding entries of remembered URLs could not be read."""

    def __init__(self, alias: str, error: Exception) -> None:
        super().__init__(f"cache {alias!r} unavailable ({error})")
        self.alias = alias


def settle_unknown(limit: int) -> tuple[int, int]:
    """Rows remembered before expiries were kept: read each entry's expiry from its cache, or
    delete the row when the entry is gone. Returns (rows given an expiry, rows deleted)."""
    rows = list(
        CachedURL.objects.filter(expires__isnull=True)
        .order_by("key")
        .only("key", "base_key", "cache_alias")[:limit]
    )
    by_alias: dict[str, list[CachedURL]] = defaultdict(list)
    for row in rows:
        by_alias[row.cache_alias].append(row)
    settled, gone = 0, []
    for alias, group in by_alias.items():
        # An alias no longer configured: its entries are unreachable, so its rows are dead.
        known = alias in settings.CACHES
        try:
            found = caches[alias].get_many([row.key for row in group]) if known else {}
        except Exception as exc:  # any client's connection error: these rows cannot be settled
            raise CacheUnavailable(alias, exc) from exc
        for row in group:
            entry = Entry.unpack(found.get(row.key))
            if entry is None:
                gone.append(row)
                continue
            CachedURL.objects.filter(key=row.key, expires__isnull=True).update(
                expires=_moment(entry.expires_at)
            )
            settled += 1
    if gone:
        with transaction.atomic():
            keys = [row.key for row in gone]
            CachedURL.objects.filter(key__in=keys, expires__isnull=True).delete()
            _drop_orphan_edge_keys({row.base_key for row in gone})
    return settled, len(gone)


def table_size() -> int:
    """Rows in the remembered-URL table, dead or alive."""
    return CachedURL.objects.count()


def dead_rows() -> int:
    """Rows whose entry has expired (what ``prune`` would delete)."""
    return CachedURL.objects.filter(expires__lte=timezone.now()).count()
