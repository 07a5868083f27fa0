"""System checks that spot django-fancy-cache and django-newcache settings (``herdcache.W1xx``).

herdcache does not read them, so a site that switched would silently lose what they did (URLs
no longer remembered, a flavor no longer keeping staging out of production's keys). Each
warning names what replaces the setting; docs/migrating.md has the full tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register

_UNSET = object()


@dataclass(frozen=True, slots=True)
class Legacy:
    """A setting of another cache package, and what takes its place in herdcache."""

    setting: str
    package: str
    replacement: str  # the HERDCACHE key carrying the same value, or "" when there is none
    hint: str
    id: str


LEGACY_SETTINGS: tuple[Legacy, ...] = (
    Legacy(
        "FANCY_REMEMBER_ALL_URLS",
        "django-fancy-cache",
        "REMEMBER_ALL_URLS",
        "or cache_page(..., remember_all_urls=True) per view.",
        "herdcache.W101",
    ),
    Legacy(
        "FANCY_REMEMBER_STATS_ALL_URLS",
        "django-fancy-cache",
        "REMEMBER_STATS_ALL_URLS",
        "or cache_page(..., remember_stats_all_urls=True) per view.",
        "herdcache.W102",
    ),
    Legacy(
        "FANCY_USE_MEMCACHED_CHECK_AND_SET",
        "django-fancy-cache",
        "",
        "herdcache remembers URLs in a database table, one row per entry: no shared dict to "
        "update with memcached CAS, nothing lost under concurrent writes. Delete the setting.",
        "herdcache.W103",
    ),
    Legacy(
        "FANCY_COMPRESS_REMEMBERED_URLS",
        "django-fancy-cache",
        "",
        "herdcache remembers URLs in a database table, not in one (compressed) cache value "
        "that outgrows memcached's item size. Delete the setting.",
        "herdcache.W104",
    ),
    Legacy(
        "CACHE_VERSION",
        "django-newcache",
        "VERSION",
        "it is part of every herdcache key: bumping it invalidates everything, as CACHE_VERSION "
        "did (Django's per-alias CACHES[...]['VERSION'] is a different setting).",
        "herdcache.W105",
    ),
    Legacy(
        "FLAVOR",
        "django-newcache",
        "FLAVOR",
        "it is part of every herdcache key, so dev/staging/prod can share one memcached.",
        "herdcache.W106",
    ),
    Legacy(
        "CACHE_KEY_MODULE",
        "django-newcache",
        "",
        "Set HERDCACHE['KEY_FUNCTION'] to a dotted path of f(key, key_prefix, version) -> str "
        "(newcache's get_key(key) took the key alone: wrap it). herdcache.backends hash, version "
        "and flavor every key by default, as newcache did.",
        "herdcache.W107",
    ),
    Legacy(
        "CACHE_HERD_TIMEOUT",
        "django-newcache",
        "",
        "herdcache serves the stale copy while exactly one request refreshes, for stale= seconds "
        "per decorator (default timeout × HERDCACHE['STALE_FACTOR']); HERDCACHE['LOCK_TIMEOUT'] "
        "bounds one refresh. Delete the setting.",
        "herdcache.W108",
    ),
)


@register(Tags.caches)
def check_legacy_settings(
    app_configs: Sequence[Any] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Warn about each django-fancy-cache / django-newcache setting herdcache would ignore."""
    herdcache = getattr(settings, "HERDCACHE", None)
    herdcache = herdcache if isinstance(herdcache, dict) else {}
    messages: list[CheckMessage] = []
    for legacy in LEGACY_SETTINGS:
        value = getattr(settings, legacy.setting, _UNSET)
        if value is _UNSET:
            continue
        messages.append(
            Warning(
                f"{legacy.setting} is a {legacy.package} setting; herdcache ignores it.",
                hint=_hint(legacy, value, herdcache),
                obj=legacy.setting,
                id=legacy.id,
            )
        )
    return messages


def _hint(legacy: Legacy, value: object, herdcache: dict[str, Any]) -> str:
    if not legacy.replacement:
        return legacy.hint
    key = f"HERDCACHE[{legacy.replacement!r}]"
    if herdcache.get(legacy.replacement, _UNSET) == value:
        return f"{key} already says {value!r}: delete {legacy.setting}."
    return f"Set {key} = {value!r} instead; {legacy.hint}"
