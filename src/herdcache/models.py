"""Remembered URLs: which cache entries exist for which URL, so they can be found and purged.

A table rather than one cache value (django-fancy-cache keeps a single dict in memcached, which
breaks at ~7,000 URLs): one row per stored entry, written once per new entry (O(1) per miss),
indexed by path for exact and prefix purges, and by tag for enumeration. Each row carries its
entry's expiry, so dead rows can be skipped and pruned, and ``MAX_REMEMBERED_URLS`` caps the table.
"""

from __future__ import annotations

import hashlib

from django.db import models


def path_digest(full_path: str) -> str:
    """Indexable stand-in for ``full_path`` (too long to index): finds one URL among the many query
    strings of one path."""
    return hashlib.blake2b(full_path.encode(), digest_size=16).hexdigest()


class CachedURL(models.Model):
    """One stored page entry (a URL, one key_prefix variant, one Vary variant)."""

    key = models.CharField(max_length=100, primary_key=True)
    base_key = models.CharField(max_length=100, db_index=True)
    cache_alias = models.CharField(max_length=100)
    url = models.TextField()
    host = models.CharField(max_length=255)
    path = models.CharField(max_length=2000, db_index=True)
    full_path = models.TextField()
    full_path_hash = models.CharField(max_length=32, db_index=True, default="")
    key_prefix = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)
    # When the entry leaves the cache for good (timeout + stale), renewed on every store; past it
    # the row is dead: not listed, not purged, pruned. NULL: remembered before expiries were kept
    # (``manage.py herdcache prune`` reads the entry's expiry from the cache, or drops the row).
    expires = models.DateTimeField(null=True, db_index=True)

    class Meta:
        verbose_name = "cached URL"

    def __str__(self) -> str:
        return self.url


class CachedURLTag(models.Model):
    """A tag carried by a remembered entry."""

    entry = models.ForeignKey(CachedURL, on_delete=models.CASCADE, related_name="tag_rows")
    tag = models.CharField(max_length=200, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["entry", "tag"], name="herdcache_entry_tag")]

    def __str__(self) -> str:
        return self.tag


class EdgeKey(models.Model):
    """An edge copy nginx may serve (``md5($host$request_uri)``) for a page's base key.

    Several raw URIs (``/p/1/?a=1&b=2`` and ``?b=2&a=1``) can share one page, each with its own
    edge copy: all of them must go when the page is purged.
    """

    key = models.CharField(max_length=32, primary_key=True)
    base_key = models.CharField(max_length=100, db_index=True)
    # What nginx's local proxy_cache tier keys the same copy by ($host$request_uri): PURGE needs it.
    host = models.CharField(max_length=255, blank=True)
    uri = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.key


class PurgeLog(models.Model):
    """One purge: when, why, by whom, what it matched and which tiers it reached (``purgelog``).

    Written with one INSERT at the end of the purge (never per URL); a tier reporting later (a
    background fan-out, the re-warm) updates ``tiers``. Pruned to ``PURGE_LOG_MAX_ROWS`` rows
    and ``PURGE_LOG_MAX_AGE`` days.
    """

    created = models.DateTimeField(auto_now_add=True, db_index=True)
    reason = models.CharField(max_length=20)  # manual / tracked / api / command / admin
    user = models.CharField(max_length=150, blank=True)  # a username, kept if the user goes
    soft = models.BooleanField(default=False)
    # What was asked: {"urls": [...], "tags": [...], "prefix": "..."} (each bounded).
    criteria = models.JSONField(default=dict)
    # Remembered entries purged by URL or prefix (a tag reaches every entry carrying it: uncounted).
    matched = models.IntegerField(default=0)
    sample = models.JSONField(default=list)  # a few of the matched URLs
    # [{"tier": "cache:default", "ok": true, "detail": "3 entries deleted"}, ...]
    tiers = models.JSONField(default=list)
    failures = models.IntegerField(default=0)  # tiers that reported ok=False
    duration = models.FloatField(default=0.0)  # seconds the purge itself took

    class Meta:
        verbose_name = "purge log entry"
        verbose_name_plural = "purge log"
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"{self.created:%Y-%m-%d %H:%M:%S} {self.reason} ({self.matched})"
