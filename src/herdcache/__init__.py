"""herdcache: page and function caching for Django that never melts under a crowd.

Public API (importable without configured settings; the Django parts load on first use)::

    import herdcache

    @herdcache.cached(60, stale=600)           # memoize, stale-while-revalidate
    def slow_remote_fetch(): ...

    @herdcache.cache_page(300, tags=["home"])  # drop-in for django's cache_page
    def home(request): ...

    herdcache.purge(urls=["/p/77/"], tags=["home"], soft=True)
    for url, key, stats in herdcache.find_urls(["/p/*"]): ...
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = [
    "cache_page",
    "cached",
    "find_urls",
    "get_stats",
    "make_key",
    "purge",
    "response_tags",
]

_LAZY = {
    "cached": "herdcache.decorators",
    "cache_page": "herdcache.decorators",
    "make_key": "herdcache.keys",
    "get_stats": "herdcache.stats",
    "response_tags": "herdcache.tracking",
}

if TYPE_CHECKING:
    from collections.abc import Iterator

    from herdcache.decorators import cache_page, cached
    from herdcache.keys import make_key
    from herdcache.stats import get_stats
    from herdcache.tracking import response_tags


def purge(*args: Any, **kwargs: Any) -> int:
    """Purge cached pages by URL, tag and/or path prefix (``herdcache.purging.purge``)."""
    # A wrapper, not a lazy attribute: herdcache.purging imports the models, and naming
    # herdcache.purge must work before the app registry is ready.
    from herdcache.purging import purge as purge_now

    return purge_now(*args, **kwargs)


def find_urls(*args: Any, **kwargs: Any) -> Iterator[tuple[str, str, dict[str, int]]]:
    """Yield remembered ``(url, key, stats)`` matching the patterns (``herdcache.purging.find_urls``)."""
    from herdcache.purging import find_urls as find_urls_now

    return find_urls_now(*args, **kwargs)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'herdcache' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
