"""django-fancy-cache's public names on herdcache: switching is a change of import.

    from fancy_cache import cache_page          ->  from herdcache.contrib.fancy import cache_page
    from fancy_cache.memory import find_urls    ->  from herdcache.contrib.fancy import find_urls
                                                    (or herdcache.contrib.fancy.memory)
    INSTALLED_APPS "fancy_cache"                ->  "herdcache", "herdcache.contrib.fancy"
    manage.py fancy-urls [--purge] [url ...]    ->  same command (herdcache.contrib.fancy app)
    include("fancy_cache.urls")                 ->  include("herdcache.contrib.fancy.urls")

Arguments and results keep fancy-cache's names and shapes (``find_urls(urls=..., purge=...)``
yields ``(path, key, {"hits": n, "misses": n} or None)``); underneath it is herdcache: one render
per expiry, remembered URLs in a database table, Django's caching rules. See docs/migrating.md.
Importable without configured settings, like ``herdcache`` itself.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__all__ = ["cache_page", "find_urls"]

_LAZY = {
    "cache_page": "herdcache.contrib.fancy.decorators",
    "find_urls": "herdcache.contrib.fancy.memory",
}

if TYPE_CHECKING:
    from herdcache.contrib.fancy.decorators import cache_page
    from herdcache.contrib.fancy.memory import find_urls


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'herdcache.contrib.fancy' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
