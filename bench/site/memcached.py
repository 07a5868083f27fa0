"""The bench site's use of memcached: cache aliases, and a render counter shared by processes.

Renders are counted in memcached (atomic ``incr``) because the renders of one stampede happen in
several gunicorn worker processes; the bench process resets and reads the counter directly.
"""

from __future__ import annotations

import functools
from typing import Any

from pymemcache.client.base import Client, PooledClient

_PREFIX = "bench-renders:"
_VERSION = "bench-version"


def caches_for(address: str) -> dict[str, dict[str, Any]]:
    """CACHES for a memcached at ``address``: herdcache's backend, and Django's stock one."""
    return {
        "default": {"BACKEND": "herdcache.backends.PyMemcacheCache", "LOCATION": address},
        "stock": {
            "BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache",
            "LOCATION": address,
        },
    }


@functools.cache
def _pool(address: str) -> PooledClient:
    # One pool per worker process: gthread workers call this from many threads at once.
    return PooledClient(address, max_pool_size=256)


def count_render(address: str, name: str) -> None:
    """Add one to ``name``'s render counter (called by a view as it renders)."""
    _pool(address).incr(_PREFIX + name, 1)


def page_version(address: str) -> int:
    """The content version a versioned view renders (the edge benchmark bumps it, then purges)."""
    return int(_pool(address).get(_VERSION) or 0)


def set_page_version(address: str, version: int) -> None:
    """Set what ``page_version`` returns: pages rendered from now on show ``version``."""
    client = Client(address)
    try:
        client.set(_VERSION, str(version).encode(), noreply=False)
    finally:
        client.close()


def reset_renders(address: str, *names: str) -> None:
    """Set the counters of ``names`` to 0 (before a measurement)."""
    client = Client(address)
    try:
        for name in names:
            client.set(_PREFIX + name, b"0", noreply=False)
    finally:
        client.close()


def flush(address: str) -> None:
    """Empty the memcached (a measurement starts from nothing cached)."""
    client = Client(address)
    try:
        client.flush_all(noreply=False)
    finally:
        client.close()


def read_renders(address: str, name: str) -> int:
    """How many renders ``name`` counted since its reset."""
    client = Client(address)
    try:
        return int(client.get(_PREFIX + name) or 0)
    finally:
        client.close()


def read_many(address: str, names: list[str]) -> dict[str, int]:
    """Render counters of ``names`` in one round trip (missing: 0)."""
    client = Client(address)
    try:
        found = client.get_many([_PREFIX + name for name in names])
    finally:
        client.close()
    return {name: int(found.get(_PREFIX + name) or 0) for name in names}
