"""System checks for herdcache settings (``manage.py check``): ids ``herdcache.E0xx``/``W0xx``."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.utils.module_loading import import_string

from herdcache.conf import DEFAULTS
from herdcache.downstream.checks import check_downstream

_POSITIVE = ("LOCK_TIMEOUT", "MAX_ENTRY_SIZE", "MIDDLEWARE_SECONDS")
_NON_NEGATIVE = ("STALE_FACTOR", "COLD_WAIT", "XFETCH_BETA", "STATS_FLUSH_INTERVAL")
_MIDDLEWARE = (
    "herdcache.middleware.UpdateCacheMiddleware",
    "herdcache.middleware.FetchFromCacheMiddleware",
)


@register(Tags.caches)
def check_settings(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[CheckMessage]:
    """Validate ``settings.HERDCACHE`` and the middleware order."""
    user = getattr(settings, "HERDCACHE", {})
    if not isinstance(user, dict):
        return [Error("HERDCACHE must be a dict.", id="herdcache.E001")]
    errors: list[CheckMessage] = []
    unknown = sorted(set(user) - set(DEFAULTS))
    if unknown:
        errors.append(
            Error(
                f"Unknown HERDCACHE setting(s): {', '.join(unknown)}.",
                hint=f"Known settings: {', '.join(sorted(DEFAULTS))}.",
                id="herdcache.E002",
            )
        )
    merged = {**DEFAULTS, **user}
    if merged["CACHE"] not in settings.CACHES:
        errors.append(
            Error(
                f"HERDCACHE['CACHE'] = {merged['CACHE']!r} is not in CACHES.", id="herdcache.E003"
            )
        )
    errors += _check_key_function(merged["KEY_FUNCTION"])
    if not isinstance(merged["FLAVOR"], str):
        errors.append(Error("HERDCACHE['FLAVOR'] must be a string.", id="herdcache.E005"))
    if not isinstance(merged["VERSION"], int | str) or isinstance(merged["VERSION"], bool):
        errors.append(
            Error("HERDCACHE['VERSION'] must be an int or a string.", id="herdcache.E006")
        )
    for name in (*_POSITIVE, *_NON_NEGATIVE):
        value = merged[name]
        positive = name in _POSITIVE
        if not _is_number(value) or (value <= 0 if positive else value < 0):
            kind = "a positive number" if positive else "a number >= 0"
            errors.append(
                Error(f"HERDCACHE[{name!r}] must be {kind}, not {value!r}.", id="herdcache.E007")
            )
    if not isinstance(merged["CACHE_STATUS"], bool):  # "off" would silently turn it on
        errors.append(
            Error(
                f"HERDCACHE['CACHE_STATUS'] must be True or False, not {merged['CACHE_STATUS']!r}.",
                id="herdcache.E012",
            )
        )
    errors += _check_middleware()
    errors += _check_middleware_settings(user)
    errors += _check_edge(merged)
    errors += _check_remembered_cap(merged["MAX_REMEMBERED_URLS"])
    errors += check_downstream(merged)
    errors += _check_tracking(merged)
    errors += _check_rewarm_and_log(merged)
    return errors


def _check_tracking(merged: dict[str, Any]) -> list[CheckMessage]:
    """``TRACK``/``TRACK_WRITES`` are booleans, ``TRACK_MAX_ROWS`` >= 1, ``TRACK_PURGE`` soft/hard,
    ``TRACK_CLOCK_SKEW`` seconds."""
    errors: list[CheckMessage] = []
    for name, allowed in (("TRACK", "True or False"), ("TRACK_WRITES", "True, False or None")):
        value = merged[name]
        if not (isinstance(value, bool) or (value is None and name == "TRACK_WRITES")):
            errors.append(  # "off" would silently turn it on
                Error(f"HERDCACHE[{name!r}] must be {allowed}, not {value!r}.", id="herdcache.E040")
            )
    rows = merged["TRACK_MAX_ROWS"]
    if not isinstance(rows, int) or isinstance(rows, bool) or rows < 1:
        errors.append(
            Error(
                f"HERDCACHE['TRACK_MAX_ROWS'] must be a positive integer, not {rows!r}.",
                hint="Past this many rows of one model a tracked page is tagged with the table.",
                id="herdcache.E041",
            )
        )
    if merged["TRACK_PURGE"] not in ("soft", "hard"):
        errors.append(
            Error(
                f"HERDCACHE['TRACK_PURGE'] must be 'soft' or 'hard', not {merged['TRACK_PURGE']!r}.",
                id="herdcache.E042",
            )
        )
    skew = merged["TRACK_CLOCK_SKEW"]
    if not isinstance(skew, int | float) or isinstance(skew, bool) or not 0 <= skew < 3600:
        errors.append(
            Error(
                f"HERDCACHE['TRACK_CLOCK_SKEW'] must be a number of seconds (0 to 3600), not {skew!r}.",
                hint="How far apart the clocks of the servers sharing the cache may be.",
                id="herdcache.E043",
            )
        )
    return errors


def _check_rewarm_and_log(merged: dict[str, Any]) -> list[CheckMessage]:
    """Re-warm and purge log settings (``herdcache.rewarm``, ``herdcache.purgelog``)."""
    errors: list[CheckMessage] = []
    if not isinstance(merged["REWARM"], bool):  # "off" would silently turn it on
        errors.append(
            Error(
                f"HERDCACHE['REWARM'] must be True or False, not {merged['REWARM']!r}.",
                id="herdcache.E050",
            )
        )
    for name in ("REWARM_TOP", "REWARM_CONCURRENCY", "PURGE_LOG_MAX_ROWS"):
        value = merged[name]
        if not (isinstance(value, int) and not isinstance(value, bool) and value > 0):
            errors.append(
                Error(
                    f"HERDCACHE[{name!r}] must be a positive integer, not {value!r}.",
                    id="herdcache.E051",
                )
            )
    origin = merged["REWARM_ORIGIN"]
    if origin is not None and not is_origin(origin):
        errors.append(
            Error(
                f"HERDCACHE['REWARM_ORIGIN'] must be None or an origin such as "
                f"'http://127.0.0.1:8080' (scheme, host and port only), not {origin!r}.",
                id="herdcache.E052",
            )
        )
    for name in ("REWARM_TIMEOUT", "PURGE_LOG_MAX_AGE"):
        value = merged[name]
        if not _is_number(value) or value <= 0:
            errors.append(
                Error(
                    f"HERDCACHE[{name!r}] must be a positive number, not {value!r}.",
                    id="herdcache.E053",
                )
            )
    return errors


def is_origin(value: object) -> bool:
    """Whether ``value`` is ``http(s)://host[:port]`` (no path, query or fragment)."""
    if not isinstance(value, str):
        return False
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  (raises ValueError for a bad port)
    except ValueError:
        return False
    return (
        parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and parts.path in ("", "/")
        and not (parts.query or parts.fragment)
    )


def _check_remembered_cap(cap: object) -> list[CheckMessage]:
    """``MAX_REMEMBERED_URLS`` is a positive whole number (past it URLs are not remembered)."""
    if isinstance(cap, int) and not isinstance(cap, bool) and cap > 0:
        return []
    return [
        Error(
            f"HERDCACHE['MAX_REMEMBERED_URLS'] must be a positive integer, not {cap!r}.",
            hint="Past this many remembered URLs new pages are cached but not remembered "
            "(purge them by tag); the default is 1_000_000.",
            id="herdcache.E020",
        )
    ]


# HERDCACHE setting -> Django's per-site cache setting it stands for (an explicit HERDCACHE wins).
_DJANGO_EQUIVALENTS = {
    "CACHE": "CACHE_MIDDLEWARE_ALIAS",
    "MIDDLEWARE_SECONDS": "CACHE_MIDDLEWARE_SECONDS",
    "MIDDLEWARE_KEY_PREFIX": "CACHE_MIDDLEWARE_KEY_PREFIX",
}


def _check_middleware_settings(user: dict[str, Any]) -> list[CheckMessage]:
    """Warn where Django's CACHE_MIDDLEWARE_* and HERDCACHE both set a value and disagree."""
    warnings: list[CheckMessage] = []
    for name, django_name in _DJANGO_EQUIVALENTS.items():
        if name not in user or not settings.is_overridden(django_name):
            continue
        ours, theirs = user[name], getattr(settings, django_name)
        if ours != theirs:
            warnings.append(
                Warning(
                    f"{django_name} = {theirs!r} disagrees with HERDCACHE[{name!r}] = {ours!r}; "
                    f"herdcache's middleware uses {ours!r}.",
                    hint="Set one of them, or both to the same value.",
                    id="herdcache.W004",
                )
            )
    return warnings


_SERDE_FLAGS = 0b11111  # bits pymemcache's pickle serde uses for its own value types


def _check_edge(merged: dict[str, Any]) -> list[CheckMessage]:
    import ipaddress

    from herdcache.conf import conf

    errors: list[CheckMessage] = []
    flag = merged["EDGE_GZIP_FLAG"]
    if (
        not isinstance(flag, int)
        or isinstance(flag, bool)
        or flag <= 0
        or flag & (flag - 1)
        or flag & _SERDE_FLAGS
    ):
        errors.append(
            Error(
                f"HERDCACHE['EDGE_GZIP_FLAG'] = {flag!r} must be a single bit above 16 (e.g. 1024).",
                hint="Bits 1-16 are pymemcache's own value flags; nginx's memcached_gzip_flag tests one bit.",
                id="herdcache.E008",
            )
        )
    for proxy in (
        merged["EDGE_TRUSTED_PROXIES"]
        if isinstance(merged["EDGE_TRUSTED_PROXIES"], list | tuple)
        else [None]
    ):
        try:
            ipaddress.ip_network(str(proxy), strict=False)
        except ValueError:
            errors.append(
                Error(
                    f"HERDCACHE['EDGE_TRUSTED_PROXIES'] holds {proxy!r}, which is not an IP address or network.",
                    id="herdcache.E009",
                )
            )
    types = merged["EDGE_TYPES"]
    if not isinstance(types, dict) or not all(
        isinstance(k, str) and k.startswith("/") for k in types
    ):
        errors.append(
            Error(
                "HERDCACHE['EDGE_TYPES'] must map path prefixes ('/...') to content types.",
                id="herdcache.E010",
            )
        )
    errors += _check_extensions(merged["EDGE_NGINX_EXTENSIONS"])
    if merged["EDGE"] and not errors and not conf.EDGE_SERVERS:
        errors.append(
            Warning(
                "HERDCACHE['EDGE'] is on but no memcached server is known for edge copies.",
                hint="Set HERDCACHE['EDGE_SERVERS'] or use a memcached backend for the herdcache cache.",
                id="herdcache.W003",
            )
        )
    return errors


def _check_extensions(paths: Any) -> list[CheckMessage]:
    """Each ``EDGE_NGINX_EXTENSIONS`` entry imports (or is) a callable."""
    from django.utils.module_loading import import_string

    problems = []
    for path in paths if isinstance(paths, list | tuple) else [paths]:
        try:
            target = import_string(path) if isinstance(path, str) else path
        except ImportError as exc:
            problems.append(f"{path!r} ({exc})")
            continue
        if not callable(target):
            problems.append(f"{path!r} (not callable)")
    if not problems:
        return []
    return [
        Error(
            f"HERDCACHE['EDGE_NGINX_EXTENSIONS'] has unusable entries: {', '.join(problems)}.",
            hint="A list of dotted paths to callables returning herdcache.edge.nginx.NginxExtension.",
            id="herdcache.E011",
        )
    ]


def _is_number(value: object) -> bool:
    # NaN and infinity pass every comparison check and then break at use: refuse them here.
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _check_key_function(func: object) -> list[CheckMessage]:
    if callable(func):
        return []
    if isinstance(func, str):
        try:
            if callable(import_string(func)):
                return []
        except Exception:  # not only ImportError: ".x" raises ValueError, "..x" TypeError
            pass
    return [
        Error(
            f"HERDCACHE['KEY_FUNCTION'] = {func!r} is not an importable callable.",
            hint="Give a dotted path to f(key, key_prefix, version) -> str.",
            id="herdcache.E004",
        )
    ]


def _check_middleware() -> list[CheckMessage]:
    middleware = list(getattr(settings, "MIDDLEWARE", []) or [])
    update, fetch = (middleware.index(m) if m in middleware else None for m in _MIDDLEWARE)
    if (update is None) != (fetch is None):
        return [
            Warning(
                "Use herdcache's UpdateCacheMiddleware and FetchFromCacheMiddleware together.",
                hint="UpdateCacheMiddleware first in MIDDLEWARE, FetchFromCacheMiddleware last.",
                id="herdcache.W001",
            )
        ]
    if update is not None and fetch is not None and update > fetch:
        return [
            Warning(
                "herdcache.middleware.UpdateCacheMiddleware must come before FetchFromCacheMiddleware.",
                id="herdcache.W002",
            )
        ]
    return []
