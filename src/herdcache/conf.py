"""herdcache settings, read in one place and at use time (so ``override_settings`` works).

All settings live in one dict::

    HERDCACHE = {
        "CACHE": "default",          # cache alias used when a decorator does not name one
        "VERSION": 1,                # bump to invalidate every herdcache key at once
        "FLAVOR": "",                # e.g. "prod" / "staging": deployments sharing one memcached
        "KEY_FUNCTION": "herdcache.keys.default_key_function",
        ...
    }

Every key is optional; ``DEFAULTS`` documents them. Bad values are reported by the system checks in
``herdcache.checks`` (ids ``herdcache.E0xx``) rather than at import time.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings as django_settings
from django.utils.module_loading import import_string

DEFAULTS: dict[str, Any] = {
    # Cache alias herdcache uses when a decorator or the middleware does not name one.
    "CACHE": "default",
    # Part of every hashed key: bumping VERSION or changing FLAVOR invalidates everything.
    "VERSION": 1,
    "FLAVOR": "",
    # Dotted path to ``f(key: str, key_prefix: str, version: int | str | None) -> str``.
    "KEY_FUNCTION": "herdcache.keys.default_key_function",
    # Stale window when a decorator gives no ``stale=``: ``timeout * STALE_FACTOR`` seconds.
    "STALE_FACTOR": 10.0,
    # How long a refresh lock lives: bounds the damage of a renderer killed mid-render.
    "LOCK_TIMEOUT": 30.0,
    # How long a request waits on a cold miss for another process's render before rendering itself.
    "COLD_WAIT": 10.0,
    # XFetch beta: > 1 refreshes earlier, 0 disables probabilistic early refresh.
    "XFETCH_BETA": 1.0,
    # Values bigger than this are never stored (memcached's default item limit is 1 MiB).
    "MAX_ENTRY_SIZE": 1000 * 1024,
    # Remember every cached URL (for find_urls / purge) and keep per-URL stats, for every view.
    "REMEMBER_ALL_URLS": False,
    "REMEMBER_STATS_ALL_URLS": False,
    # Hard cap on remembered URLs: past it new URLs are cached but not remembered (counted as
    # "unremembered"; purge them by tag), so random query strings cannot grow the table forever.
    "MAX_REMEMBERED_URLS": 1_000_000,
    # Counters are buffered per process and flushed to the cache at most this often (seconds).
    "STATS_FLUSH_INTERVAL": 1.0,
    # Per-site middleware: timeout, key prefix and cache alias (Django's CACHE_MIDDLEWARE_* analogues).
    "MIDDLEWARE_SECONDS": 600,
    "MIDDLEWARE_KEY_PREFIX": "",
    # Add an RFC 9211 Cache-Status header ("herdcache; hit; ttl=42") to every page herdcache
    # handles, and "herdcache-edge; ..." to the generated nginx config's responses.
    "CACHE_STATUS": False,
    # Bearer token that may read the Prometheus endpoint without a staff session.
    "METRICS_TOKEN": "",
    # --- Edge: nginx serves cache hits straight from memcached (memcached_pass) -----------------
    # Write an edge copy for every edge-safe page (per view: cache_page(..., edge=True)).
    "EDGE": False,
    # memcached servers nginx reads ("host:port", in nginx upstream order); None: the LOCATION
    # of the herdcache cache alias when it is a memcached backend.
    "EDGE_SERVERS": None,
    # Addresses (IPs or CIDRs) of the nginx servers whose key header Django trusts (apps on top
    # may trust their X-Forwarded-For too: one list of trusted proxies per site).
    "EDGE_TRUSTED_PROXIES": [],
    # Header nginx uses to pass the key it computed ($memcached_key) to Django on a fallback.
    "EDGE_KEY_HEADER": "X-Herdcache-Key",
    # memcached flag bit marking gzip-compressed edge copies (nginx memcached_gzip_flag).
    "EDGE_GZIP_FLAG": 1024,
    # Content type nginx sends for edge hits, by path prefix (longest prefix wins). A page whose
    # Content-Type differs from its prefix's is never put on the edge.
    "EDGE_TYPES": {"/": "text/html; charset=utf-8"},
    # Requests carrying any of these cookies bypass the edge (None: Django's session and CSRF
    # cookie names).
    "EDGE_BYPASS_COOKIES": None,
    # Local proxy_cache tier in front of memcached (generated nginx config): TTL in seconds
    # (0: no local tier) and the nginx nodes purge requests go to ("http://host:port").
    "EDGE_LOCAL_TTL": 0,
    "EDGE_PURGE_NODES": [],
    # Dotted paths to callables ``f(context) -> herdcache.edge.nginx.NginxExtension`` whose
    # modules, http blocks and server locations `manage.py herdcache nginx` adds to its config.
    "EDGE_NGINX_EXTENSIONS": [],
    # --- Downstream caches (Varnish, Fastly, Cloudflare): herdcache.surrogate, .downstream ------
    # Response header carrying each page's tags for a cache in front: None, "xkey" (Varnish's
    # xkey vmod), "Surrogate-Key" (Fastly) or "Cache-Tag" (Cloudflare).
    "SURROGATE_HEADER": None,
    # Caches every purge fans out to: dicts with "kind" ("varnish", "fastly", "cloudflare") and
    # that kind's keys (see herdcache.downstream.tiers), sent by one background thread per cache.
    "DOWNSTREAM": [],
    # Purges waiting per downstream cache; past it new ones are dropped (and logged).
    "DOWNSTREAM_QUEUE_SIZE": 1000,
    # --- Dependency tracking and invalidation on commit (docs/invalidation.md) ------------------
    # Track what every cache_page/cached computation reads (per decorator: track=True/False).
    "TRACK": False,
    # Past this many rows of one model read by primary key, a page is tagged with the table.
    "TRACK_MAX_ROWS": 50,
    # How a committed write purges the tracked entries it affects: "soft" (served stale while
    # one request refreshes) or "hard" (gone).
    "TRACK_PURGE": "soft",
    # Purge tracked entries after writes this process commits. None: when TRACK is on or this
    # process defined a track=True decorator (a site tracking per view sets True, so workers and
    # commands purge too); False: never (a bulk load that calls purge(tables=[...]) afterwards).
    "TRACK_WRITES": None,
    # Seconds the clocks of the servers sharing a cache may differ by: a tracked entry is trusted
    # only for writes stamped this long before its render started (herdcache.stamps).
    "TRACK_CLOCK_SKEW": 1.0,
    # --- Re-warm: re-render the hottest purged pages before visitors ask (herdcache.rewarm) ------
    # Re-warm after every purge (per call: purge(..., rewarm=True/False)).
    "REWARM": False,
    # How many of the purged URLs (most requested first) and how many at once.
    "REWARM_TOP": 20,
    "REWARM_CONCURRENCY": 4,
    # Where re-warm GETs go, e.g. "http://127.0.0.1:8080" (nginx, so the edge copy is written
    # too), with each URL's host in the Host header; None: the remembered absolute URL itself.
    "REWARM_ORIGIN": None,
    # Seconds one re-warm GET may take before it is given up (the page renders on demand then).
    "REWARM_TIMEOUT": 30.0,
    # --- Purge log (herdcache.purgelog): newest rows kept, and for how many days ----------------
    "PURGE_LOG_MAX_ROWS": 10_000,
    "PURGE_LOG_MAX_AGE": 30,
}


class HerdcacheSettings:
    """Typed accessors for ``settings.HERDCACHE``; each property reads Django settings on use."""

    def _get(self, name: str) -> Any:
        user = getattr(django_settings, "HERDCACHE", None) or {}
        return user.get(name, DEFAULTS[name])

    @property
    def user_settings(self) -> dict[str, Any]:
        value = getattr(django_settings, "HERDCACHE", None)
        return value if isinstance(value, dict) else {}

    @property
    def CACHE(self) -> str:
        return str(self._get("CACHE"))

    @property
    def VERSION(self) -> int | str:
        return self._get("VERSION")

    @property
    def FLAVOR(self) -> str:
        return str(self._get("FLAVOR"))

    @property
    def KEY_FUNCTION(self) -> Callable[[str, str, Any], str]:
        func = self._get("KEY_FUNCTION")
        return _import(func) if isinstance(func, str) else func

    @property
    def STALE_FACTOR(self) -> float:
        return float(self._get("STALE_FACTOR"))

    @property
    def LOCK_TIMEOUT(self) -> float:
        return float(self._get("LOCK_TIMEOUT"))

    @property
    def COLD_WAIT(self) -> float:
        return float(self._get("COLD_WAIT"))

    @property
    def XFETCH_BETA(self) -> float:
        return float(self._get("XFETCH_BETA"))

    @property
    def MAX_ENTRY_SIZE(self) -> int:
        return int(self._get("MAX_ENTRY_SIZE"))

    @property
    def REMEMBER_ALL_URLS(self) -> bool:
        return bool(self._get("REMEMBER_ALL_URLS"))

    @property
    def REMEMBER_STATS_ALL_URLS(self) -> bool:
        return bool(self._get("REMEMBER_STATS_ALL_URLS"))

    @property
    def MAX_REMEMBERED_URLS(self) -> int:
        return int(self._get("MAX_REMEMBERED_URLS"))

    @property
    def STATS_FLUSH_INTERVAL(self) -> float:
        return float(self._get("STATS_FLUSH_INTERVAL"))

    # The per-site middleware honours Django's CACHE_MIDDLEWARE_* settings; an explicit HERDCACHE
    # value wins (system check herdcache.W004 warns when both are set and disagree).

    @property
    def MIDDLEWARE_SECONDS(self) -> int:
        return int(self._middleware("MIDDLEWARE_SECONDS", "CACHE_MIDDLEWARE_SECONDS"))

    @property
    def MIDDLEWARE_KEY_PREFIX(self) -> str:
        return str(self._middleware("MIDDLEWARE_KEY_PREFIX", "CACHE_MIDDLEWARE_KEY_PREFIX"))

    @property
    def MIDDLEWARE_CACHE(self) -> str:
        """Cache alias of the per-site middleware: HERDCACHE["CACHE"] or CACHE_MIDDLEWARE_ALIAS."""
        return str(self._middleware("CACHE", "CACHE_MIDDLEWARE_ALIAS"))

    @property
    def USE_I18N(self) -> bool:
        """Django's own setting: the active language is part of page keys."""
        return bool(django_settings.USE_I18N)

    @property
    def USE_TZ(self) -> bool:
        """Django's own setting: the active time zone is part of page keys."""
        return bool(django_settings.USE_TZ)

    @property
    def LANGUAGE_CODE(self) -> str:
        """Django's own setting: pages in the default language carry no language in their key."""
        return str(django_settings.LANGUAGE_CODE)

    def _middleware(self, name: str, django_name: str) -> Any:
        if name in self.user_settings or not django_settings.is_overridden(django_name):
            return self._get(name)
        return getattr(django_settings, django_name)

    @property
    def CACHE_STATUS(self) -> bool:
        return bool(self._get("CACHE_STATUS"))

    @property
    def METRICS_TOKEN(self) -> str:
        return str(self._get("METRICS_TOKEN"))

    @property
    def TRACK(self) -> bool:
        return bool(self._get("TRACK"))

    @property
    def TRACK_MAX_ROWS(self) -> int:
        return int(self._get("TRACK_MAX_ROWS"))

    @property
    def TRACK_PURGE(self) -> str:
        return str(self._get("TRACK_PURGE"))

    @property
    def TRACK_WRITES(self) -> bool | None:
        value = self._get("TRACK_WRITES")
        return None if value is None else bool(value)

    @property
    def TRACK_CLOCK_SKEW(self) -> float:
        return float(self._get("TRACK_CLOCK_SKEW"))

    @property
    def EDGE(self) -> bool:
        return bool(self._get("EDGE"))

    @property
    def EDGE_SERVERS(self) -> list[str]:
        servers = self._get("EDGE_SERVERS")
        if servers is not None:
            return [servers] if isinstance(servers, str) else list(servers)
        cache = django_settings.CACHES.get(self.CACHE, {})
        if "memcache" not in str(cache.get("BACKEND", "")).lower():
            return []
        location = cache.get("LOCATION", [])
        if isinstance(location, str):
            location = [
                part.strip() for part in location.replace(",", ";").split(";") if part.strip()
            ]
        return list(location)

    @property
    def EDGE_TRUSTED_PROXIES(self) -> list[str]:
        return list(self._get("EDGE_TRUSTED_PROXIES"))

    @property
    def EDGE_KEY_HEADER(self) -> str:
        return str(self._get("EDGE_KEY_HEADER"))

    @property
    def EDGE_GZIP_FLAG(self) -> int:
        return int(self._get("EDGE_GZIP_FLAG"))

    @property
    def EDGE_TYPES(self) -> dict[str, str]:
        return dict(self._get("EDGE_TYPES"))

    @property
    def EDGE_BYPASS_COOKIES(self) -> list[str]:
        cookies = self._get("EDGE_BYPASS_COOKIES")
        if cookies is None:
            return [django_settings.SESSION_COOKIE_NAME, django_settings.CSRF_COOKIE_NAME]
        return list(cookies)

    @property
    def EDGE_LOCAL_TTL(self) -> int:
        return int(self._get("EDGE_LOCAL_TTL"))

    @property
    def EDGE_PURGE_NODES(self) -> list[str]:
        return list(self._get("EDGE_PURGE_NODES"))

    @property
    def EDGE_NGINX_EXTENSIONS(self) -> list[Callable[..., Any]]:
        return [
            _import(path) if isinstance(path, str) else path
            for path in self._get("EDGE_NGINX_EXTENSIONS")
        ]

    @property
    def SURROGATE_HEADER(self) -> str | None:
        return self._get("SURROGATE_HEADER")

    @property
    def DOWNSTREAM(self) -> list[dict[str, Any]]:
        return [dict(tier) for tier in self._get("DOWNSTREAM")]

    @property
    def DOWNSTREAM_QUEUE_SIZE(self) -> int:
        return int(self._get("DOWNSTREAM_QUEUE_SIZE"))

    @property
    def REWARM(self) -> bool:
        return bool(self._get("REWARM"))

    @property
    def REWARM_TOP(self) -> int:
        return int(self._get("REWARM_TOP"))

    @property
    def REWARM_CONCURRENCY(self) -> int:
        return int(self._get("REWARM_CONCURRENCY"))

    @property
    def REWARM_ORIGIN(self) -> str | None:
        origin = self._get("REWARM_ORIGIN")
        return str(origin).rstrip("/") if origin else None

    @property
    def REWARM_TIMEOUT(self) -> float:
        return float(self._get("REWARM_TIMEOUT"))

    @property
    def PURGE_LOG_MAX_ROWS(self) -> int:
        return int(self._get("PURGE_LOG_MAX_ROWS"))

    @property
    def PURGE_LOG_MAX_AGE(self) -> float:
        """Days a purge log row is kept."""
        return float(self._get("PURGE_LOG_MAX_AGE"))


@functools.lru_cache(maxsize=32)
def _import(path: str) -> Any:
    # Called for every cache key: import once per dotted path.
    return import_string(path)


conf = HerdcacheSettings()
