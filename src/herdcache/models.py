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
