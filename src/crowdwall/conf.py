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

import os
from collections.abc import Iterable
from typing import Any

from django.conf import settings as django_settings
from django.utils.module_loading import import_string

from crowdwall import __version__
from herdcache.conf import conf as herdcache_conf

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
    # Entries of each top list (authors, posts) in the ``wall.figures`` frames pushed to live
    # pages after every change (crowdwall.live.figures): the largest ``n`` your pages show.
    "LIVE_FIGURES_TOP": 5,
    # Each wall's figures are recomputed and pushed at most once per this many seconds (the
    # first change at once, later ones at the end of the interval: crowdwall.ingest.announce);
    # 0: after every change, however busy the wall.
    "LIVE_FIGURES_INTERVAL": 1.0,
    # Dotted path to an iterable of words/phrases: the default blocklist walls can switch off.
    "BLOCKLIST": "crowdwall.moderation.blocklist.DEFAULT_BLOCKLIST",
    # Worker processes that parse, validate and sanitize big batches in ``manage.py crowdwall
    # stream``/``backfill`` while the stream process stores the previous batch (so ingest uses
    # two cores). None: one per core beyond the first, at most two (the runner reads two
    # batches ahead); 0: never.
    "PREPARE_PROCESSES": None,
    # Batches smaller than this are prepared in the stream process itself: a live trickle of a
    # few posts would only wait for the round trip to a worker.
    "PREPARE_MIN_BATCH": 100,
    # Restart delay bounds (seconds) for a failing source in ``manage.py crowdwall stream``.
    "RESTART_BASE_DELAY": 1.0,
    "RESTART_MAX_DELAY": 60.0,
    # Directories (absolute paths) replay sources may read files from, besides the bundled
    # samples; a replay ``path`` anywhere else is refused (crowdwall.sources.replay_files).
    "REPLAY_DIRS": [],
    # Webhook request bodies bigger than this (bytes) are refused with 413 before being read.
    "WEBHOOK_MAX_BYTES": 262_144,
    # JSON API (crowdwall.api). Bearer tokens for scripts: {token: username of a staff user};
    # keep them out of the repository (read them from the environment). Compared in constant
    # time, never logged.
    "API_TOKENS": {},
    # Requests per client address for anonymous API clients ("<n>/<s|m|h|d>"); staff are not
    # limited; None or "" turns the limit off.
    "API_ANON_RATE": "120/m",
    # Objects per API list page when the client gives no ?limit= (at most 200).
    "API_PAGE_SIZE": 50,
    # How long public API answers are cached (seconds; purged with the wall's pages); 0: never.
    "API_CACHE_SECONDS": 60,
    # Webhook deliveries signed more than this many seconds before (or after) our clock are
    # refused with 400: a captured request cannot be replayed later (crowdwall.sources.webhook).
    "WEBHOOK_TOLERANCE_SECONDS": 300,
    # Also accept the first signature scheme (HMAC of the body alone, no timestamp: replayable
    # forever) from senders not yet migrated. Off: every delivery must be timestamped.
    "WEBHOOK_ALLOW_BODY_ONLY_SIGNATURES": False,
    # Most posts a reconnecting live client is sent from the database (the newest ones); beyond
    # this it is told ``truncated`` and should reload the page.
    "LIVE_CATCH_UP_LIMIT": 500,
    # How pages receive live posts: "channels" (Django Channels WebSockets) or "nchan" (nginx's
    # pub/sub module holds the sockets; set PUBLISHER to crowdwall.live.nchan.NchanPublisher).
    "LIVE_TRANSPORT": "channels",
    # nchan: Django POSTs each batch's frames to this URL + channel id (an internal location of
    # the generated nginx config, e.g. "http://127.0.0.1:8089/_nchan/pub/").
    "NCHAN_PUBLISH_URL": "",
    # nchan: public path prefix of the subscriber locations (<prefix>walls/<slug>/ and
    # <prefix>moderate/<slug>/).
    "NCHAN_SUBSCRIBE_PREFIX": "/live/",
    # nchan: addresses (IPs or CIDRs) allowed to publish; everyone else gets 403 from nginx.
    "NCHAN_PUBLISH_ALLOW": ["127.0.0.1", "::1"],
    # nchan: "redis://host:port/db" shared by several nginx servers (nchan_redis_pass), so a
    # post published to one reaches subscribers of all; "" keeps messages in nginx's memory.
    "NCHAN_REDIS_URL": "",
    # Live hub (crowdwall.live.hub): live frames reaching a process within this many
    # milliseconds of the previous flush go out together, as one WebSocket message (a JSON
    # array) per socket; an isolated post is sent at once. 0: every flush sends what is queued.
    # The nchan publisher (crowdwall.live.nchan) coalesces its POSTs per channel the same way.
    "LIVE_COALESCE_MS": 50,
    # Frames a socket may have waiting to be sent; a slower socket is closed with 1013 and its
    # browser reconnects with ``since`` (catching up from the database) instead of holding memory.
    "LIVE_SOCKET_BACKLOG": 1_000,
    # Seconds between the hub's round trips through the channel layer; a lost or failed one
    # (Redis down or restarted) makes it re-subscribe and resynchronise its sockets.
    "LIVE_HEARTBEAT_SECONDS": 1.0,
    # Remote control of screens (crowdwall.remote): seconds between an open big screen's
    # presence reports; the Screens page calls a screen stale after two missed reports.
    "SCREEN_HEARTBEAT_SECONDS": 10.0,
    # Screens remembered per wall (in the cache, never the database): reports from more new
    # screens than this are refused until some stop reporting.
    "SCREENS_PER_WALL": 100,
    # Consent and politeness (crowdwall.sources.http, the about page). Where people reach the
    # wall's organisers: to ask for the never-show list, and in the User-Agent of every request
    # to other servers ("https://..." or "mailto:...").
    "CONTACT_URL": "",
    # The User-Agent of every outbound request; None: "crowdwall/<version> (+<CONTACT_URL>)".
    "USER_AGENT": None,
    # How long a host's robots.txt is trusted before feeds of that host ask again (seconds).
    "ROBOTS_CACHE_SECONDS": 3600,
    # The console's "test this source" reaches public addresses only (crowdwall.sources.outbound):
    # networks (CIDRs) it may reach besides, e.g. ["10.0.0.0/8"] for a Mastodon on your LAN.
    "SOURCE_TEST_ALLOWED_NETWORKS": [],
    # Per-wall roles (crowdwall.moderation.access). False: active staff without any role on
    # any wall keep full access to every wall (as before roles existed); True: staff get only
    # the walls their roles name (superusers always get every wall).
    "PER_WALL_ROLES": False,
    # Trusted reactions (crowdwall.moderation.reactions, run by ``crowdwall stream``): every
    # INTERVAL seconds (0: never), the newest pending Mastodon and Bluesky posts of walls with
    # trusted accounts, at most POSTS per wall, are asked who favourited/liked or boosted/
    # reposted them; each post at most once per RECHECK_SECONDS (longer after failures), while
    # it is younger than MAX_AGE seconds, reading at most PAGES pages of each list.
    "TRUSTED_REACTIONS_INTERVAL": 60.0,
    "TRUSTED_REACTIONS_POSTS": 10,
    "TRUSTED_REACTIONS_RECHECK_SECONDS": 300.0,
    "TRUSTED_REACTIONS_MAX_AGE": 6 * 3600.0,
    "TRUSTED_REACTIONS_PAGES": 2,
}

PROJECT_URL = "https://github.com/crowdwall"  # the contact when CONTACT_URL is unset


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
    def LIVE_FIGURES_TOP(self) -> int:
        return int(self._get("LIVE_FIGURES_TOP"))

    @property
    def LIVE_FIGURES_INTERVAL(self) -> float:
        return float(self._get("LIVE_FIGURES_INTERVAL"))

    @property
    def BLOCKLIST(self) -> frozenset[str]:
        value = self._get("BLOCKLIST")
        words: Iterable[str] = import_string(value) if isinstance(value, str) else value
        return frozenset(words)

    @property
    def PREPARE_PROCESSES(self) -> int:
        value = self._get("PREPARE_PROCESSES")
        if value is None:  # a core for the stream process; the read-ahead feeds two at most
            return max(0, min(2, (os.cpu_count() or 1) - 1))
        return int(value)

    @property
    def PREPARE_MIN_BATCH(self) -> int:
        return int(self._get("PREPARE_MIN_BATCH"))

    @property
    def RESTART_BASE_DELAY(self) -> float:
        return float(self._get("RESTART_BASE_DELAY"))

    @property
    def RESTART_MAX_DELAY(self) -> float:
        return float(self._get("RESTART_MAX_DELAY"))

    @property
    def REPLAY_DIRS(self) -> list[str]:
        value = self._get("REPLAY_DIRS")
        if isinstance(value, str | os.PathLike) or not isinstance(value, list | tuple):
            return []  # crowdwall.E050 reports it; no directory is safer than a guess
        return [os.fspath(folder) for folder in value if isinstance(folder, str | os.PathLike)]

    @property
    def WEBHOOK_MAX_BYTES(self) -> int:
        return int(self._get("WEBHOOK_MAX_BYTES"))

    @property
    def API_TOKENS(self) -> dict[str, str]:
        value = self._get("API_TOKENS")
        return dict(value) if isinstance(value, dict) else {}

    @property
    def API_ANON_RATE(self) -> str | None:
        value = self._get("API_ANON_RATE")
        return str(value) if value else None

    @property
    def TRUSTED_PROXIES(self) -> list[str]:
        """The reverse proxies whose ``X-Forwarded-For`` names the client: not a ``CROWDWALL``
        key but herdcache's ``EDGE_TRUSTED_PROXIES``, so the edge and crowdwall trust one list."""
        return herdcache_conf.EDGE_TRUSTED_PROXIES

    @property
    def API_PAGE_SIZE(self) -> int:
        return int(self._get("API_PAGE_SIZE"))

    @property
    def API_CACHE_SECONDS(self) -> int:
        return int(self._get("API_CACHE_SECONDS"))

    @property
    def WEBHOOK_TOLERANCE_SECONDS(self) -> float:
        return float(self._get("WEBHOOK_TOLERANCE_SECONDS"))

    @property
    def WEBHOOK_ALLOW_BODY_ONLY_SIGNATURES(self) -> bool:
        return bool(self._get("WEBHOOK_ALLOW_BODY_ONLY_SIGNATURES"))

    @property
    def LIVE_CATCH_UP_LIMIT(self) -> int:
        return int(self._get("LIVE_CATCH_UP_LIMIT"))

    @property
    def LIVE_TRANSPORT(self) -> str:
        return str(self._get("LIVE_TRANSPORT"))

    @property
    def NCHAN_PUBLISH_URL(self) -> str:
        return str(self._get("NCHAN_PUBLISH_URL") or "")

    @property
    def NCHAN_SUBSCRIBE_PREFIX(self) -> str:
        return str(self._get("NCHAN_SUBSCRIBE_PREFIX"))

    @property
    def NCHAN_PUBLISH_ALLOW(self) -> list[str]:
        return [str(address) for address in self._get("NCHAN_PUBLISH_ALLOW")]

    @property
    def SOURCE_TEST_ALLOWED_NETWORKS(self) -> list[str]:
        return [str(network) for network in self._get("SOURCE_TEST_ALLOWED_NETWORKS")]

    @property
    def NCHAN_REDIS_URL(self) -> str:
        return str(self._get("NCHAN_REDIS_URL") or "")

    @property
    def LIVE_COALESCE_MS(self) -> float:
        return float(self._get("LIVE_COALESCE_MS"))

    @property
    def LIVE_SOCKET_BACKLOG(self) -> int:
        return int(self._get("LIVE_SOCKET_BACKLOG"))

    @property
    def LIVE_HEARTBEAT_SECONDS(self) -> float:
        return float(self._get("LIVE_HEARTBEAT_SECONDS"))

    @property
    def SCREEN_HEARTBEAT_SECONDS(self) -> float:
        return float(self._get("SCREEN_HEARTBEAT_SECONDS"))

    @property
    def SCREENS_PER_WALL(self) -> int:
        return int(self._get("SCREENS_PER_WALL"))

    @property
    def CONTACT_URL(self) -> str:
        return str(self._get("CONTACT_URL") or "")

    @property
    def USER_AGENT(self) -> str:
        value = self._get("USER_AGENT")
        if value:
            return str(value)
        return f"crowdwall/{__version__} (+{self.CONTACT_URL or PROJECT_URL})"

    @property
    def ROBOTS_CACHE_SECONDS(self) -> float:
        return float(self._get("ROBOTS_CACHE_SECONDS"))

    @property
    def PER_WALL_ROLES(self) -> bool:
        return self._get("PER_WALL_ROLES") is True

    @property
    def TRUSTED_REACTIONS_INTERVAL(self) -> float:
        return float(self._get("TRUSTED_REACTIONS_INTERVAL"))

    @property
    def TRUSTED_REACTIONS_POSTS(self) -> int:
        return int(self._get("TRUSTED_REACTIONS_POSTS"))

    @property
    def TRUSTED_REACTIONS_RECHECK_SECONDS(self) -> float:
        return float(self._get("TRUSTED_REACTIONS_RECHECK_SECONDS"))

    @property
    def TRUSTED_REACTIONS_MAX_AGE(self) -> float:
        return float(self._get("TRUSTED_REACTIONS_MAX_AGE"))

    @property
    def TRUSTED_REACTIONS_PAGES(self) -> int:
        return int(self._get("TRUSTED_REACTIONS_PAGES"))


conf = CrowdwallSettings()
