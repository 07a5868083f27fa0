"""crowdwall settings, read in one place and at use time (so ``override_settings`` works).

All settings live in one dict, every key optional (``DEFAULTS`` documents them)::

    CROWDWALL = {
        "PUBLISHER": "crowdwall.ingest.publisher.InProcessPublisher",
        "BATCH_SIZE": 500,
        ...
    }

Bad values are reported by the system checks in ``crowdwall.checks`` (ids ``crowdwall.E0xx``)
rather than at import time.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings as django_settings
from django.utils.module_loading import import_string

DEFAULTS: dict[str, Any] = {
    # Dotted path to the publisher every stored post is announced to: a Publisher subclass (or a
    # zero-argument factory returning one). The live-delivery side plugs in here.
    "PUBLISHER": "crowdwall.ingest.publisher.InProcessPublisher",
    # Posts stored per database transaction by the ingest pipeline (bulk operations per batch).
    "BATCH_SIZE": 500,
    # Raw posts bigger than this (HTML + text, in UTF-8 bytes) are rejected before sanitizing.
    "MAX_POST_BYTES": 100_000,
    # Plain text longer than this (characters) is truncated, and the HTML replaced by the
    # truncated text, so nobody floods a wall with one post.
    "MAX_TEXT_LENGTH": 5_000,
    # Media attachments kept per post; extras are dropped.
    "MAX_MEDIA": 8,
    # A creation date further than this (seconds) in the future is replaced by the ingest time.
    "FUTURE_TOLERANCE": 300,
    # Posts per archive page, and how long an archive page is cached (seconds; purged on ingest).
    "ARCHIVE_PAGE_SIZE": 50,
    "ARCHIVE_CACHE_SECONDS": 300,
    # The wall page's figures (post count, top authors, top posts): fresh for this long
    # (seconds), then served stale for up to AGGREGATES_STALE_SECONDS while one background
    # refresh recomputes them (``crowdwall.aggregates``).
    "AGGREGATES_CACHE_SECONDS": 60,
    "AGGREGATES_STALE_SECONDS": 3600,
    # Dotted path to an iterable of words/phrases: the default blocklist walls can switch off.
    "BLOCKLIST": "crowdwall.moderation.blocklist.DEFAULT_BLOCKLIST",
    # Restart delay bounds (seconds) for a failing source in ``manage.py crowdwall stream``.
    "RESTART_BASE_DELAY": 1.0,
    "RESTART_MAX_DELAY": 60.0,
    # Webhook request bodies bigger than this (bytes) are refused with 413 before being read.
    "WEBHOOK_MAX_BYTES": 262_144,
    # Most posts a reconnecting live client is sent from the database (the newest ones); beyond
    # this it is told ``truncated`` and should reload the page.
    "LIVE_CATCH_UP_LIMIT": 500,
}


class CrowdwallSettings:
    """Typed accessors for ``settings.CROWDWALL``; each property reads Django settings on use."""

    def _get(self, name: str) -> Any:
        user = getattr(django_settings, "CROWDWALL", None)
        if not isinstance(user, dict):
            user = {}
        return user.get(name, DEFAULTS[name])

    @property
    def PUBLISHER(self) -> str:
        return str(self._get("PUBLISHER"))

    @property
    def BATCH_SIZE(self) -> int:
        return int(self._get("BATCH_SIZE"))

    @property
    def MAX_POST_BYTES(self) -> int:
        return int(self._get("MAX_POST_BYTES"))

    @property
    def MAX_TEXT_LENGTH(self) -> int:
        return int(self._get("MAX_TEXT_LENGTH"))

    @property
    def MAX_MEDIA(self) -> int:
        return int(self._get("MAX_MEDIA"))

    @property
    def FUTURE_TOLERANCE(self) -> float:
        return float(self._get("FUTURE_TOLERANCE"))

    @property
    def ARCHIVE_PAGE_SIZE(self) -> int:
        return int(self._get("ARCHIVE_PAGE_SIZE"))

    @property
    def ARCHIVE_CACHE_SECONDS(self) -> int:
        return int(self._get("ARCHIVE_CACHE_SECONDS"))

    @property
    def AGGREGATES_CACHE_SECONDS(self) -> int:
        return int(self._get("AGGREGATES_CACHE_SECONDS"))

    @property
    def AGGREGATES_STALE_SECONDS(self) -> int:
        return int(self._get("AGGREGATES_STALE_SECONDS"))

    @property
    def BLOCKLIST(self) -> frozenset[str]:
        value = self._get("BLOCKLIST")
        words: Iterable[str] = import_string(value) if isinstance(value, str) else value
        return frozenset(words)

    @property
    def RESTART_BASE_DELAY(self) -> float:
        return float(self._get("RESTART_BASE_DELAY"))

    @property
    def RESTART_MAX_DELAY(self) -> float:
        return float(self._get("RESTART_MAX_DELAY"))

    @property
    def WEBHOOK_MAX_BYTES(self) -> int:
        return int(self._get("WEBHOOK_MAX_BYTES"))

    @property
    def LIVE_CATCH_UP_LIMIT(self) -> int:
        return int(self._get("LIVE_CATCH_UP_LIMIT"))


conf = CrowdwallSettings()
