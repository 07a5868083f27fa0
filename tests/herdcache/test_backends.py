"""herdcache.backends against a real memcached: any key works; VERSION/FLAVOR partition it."""

from __future__ import annotations

import warnings

import pytest
from django.core.cache import InvalidCacheKey, caches
from django.core.cache.backends.base import CacheKeyWarning
from pymemcache.client.base import Client as RawClient

from tests.fixtures.servers import Server

UGLY_KEY = "any key, with spaces,\r\n and of any length" * 50

# (class name in herdcache.backends and in Django's memcached module, OPTIONS)
CLIENTS = [
    pytest.param(("PyMemcacheCache", {}), id="pymemcache"),
    pytest.param(("PyLibMCCache", {}), id="pylibmc-text"),
    pytest.param(("PyLibMCCache", {"binary": True}), id="pylibmc-binary"),
]


@pytest.fixture(params=CLIENTS)
def memcached(request: pytest.FixtureRequest, settings, memcached_server: Server) -> str:
    """CACHES["default"] on herdcache's backend for one client (and "stock" on Django's)."""
    name, options = request.param
    settings.HERDCACHE = {**settings.HERDCACHE, "VERSION": 1, "FLAVOR": "test"}
    settings.CACHES = {
        alias: {
            "BACKEND": f"{module}.{name}",
            "LOCATION": memcached_server.address,
            "OPTIONS": options,
        }
        for alias, module in [
            ("default", "herdcache.backends"),
            ("stock", "django.core.cache.backends.memcached"),
        ]
    }
    caches["default"].clear()
    return name


def set_herdcache(settings, **changes: object) -> None:
    settings.HERDCACHE = {**settings.HERDCACHE, **changes}


def test_any_key_works(memcached: str) -> None:
    cache = caches["default"]
    assert cache.get(UGLY_KEY) is None
    cache.set(UGLY_KEY, "value")
    assert cache.get(UGLY_KEY) == "value"
    weird = ["\ud800 lone surrogate", "tab\tnull\x00", "ü" * 300, ""]
    cache.set_many(dict.fromkeys(weird, 1))
    assert cache.get_many(weird) == dict.fromkeys(weird, 1)
    assert cache.add(UGLY_KEY + "!", 1) and not cache.add(UGLY_KEY + "!", 2)
    assert cache.incr(UGLY_KEY + "!", 5) == 6
    assert cache.delete(UGLY_KEY)
    assert cache.get(UGLY_KEY) is None


def test_djangos_stock_backend_refuses_the_same_key(memcached: str) -> None:
    stock = caches["stock"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheKeyWarning)
        with pytest.raises((InvalidCacheKey, CacheKeyWarning)):
            stock.set(UGLY_KEY, "value")
        with pytest.raises((InvalidCacheKey, CacheKeyWarning)):
            stock.get("a key with spaces")


def test_keys_on_the_wire_are_short_and_safe(memcached: str) -> None:
    key = caches["default"].make_key(UGLY_KEY)
    assert len(key) <= 250 and key.isascii() and key.isprintable() and " " not in key
    caches["default"].validate_key(key)  # raises InvalidCacheKey if memcached would choke


def test_bumping_version_hides_old_keys(memcached: str, settings) -> None:
    cache = caches["default"]
    cache.set(UGLY_KEY, "v1")
    set_herdcache(settings, VERSION=2)
    assert cache.get(UGLY_KEY) is None
    cache.set(UGLY_KEY, "v2")
    set_herdcache(settings, VERSION=1)
    assert cache.get(UGLY_KEY) == "v1"  # not deleted: just another key


def test_changing_flavor_hides_old_keys(memcached: str, settings) -> None:
    cache = caches["default"]
    cache.set("games", "test value")
    set_herdcache(settings, FLAVOR="test2")
    assert cache.get("games") is None


def test_two_flavors_share_one_memcached_without_seeing_each_other(
    memcached: str, settings
) -> None:
    cache = caches["default"]
    for flavor in ("staging", "prod"):
        set_herdcache(settings, FLAVOR=flavor)
        assert cache.get("games") is None
        cache.set("games", f"{flavor} games")
    for flavor in ("staging", "prod"):
        set_herdcache(settings, FLAVOR=flavor)
        assert cache.get("games") == f"{flavor} games"


def test_caches_own_version_and_key_prefix_still_count(memcached: str, settings) -> None:
    cache = caches["default"]
    cache.set("games", "v1", version=1)
    assert cache.get("games", version=2) is None
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "KEY_PREFIX": "site2"},
    }
    assert caches["default"].get("games", version=1) is None


def plain_key(key: str, key_prefix: str, version: object) -> str:
    """A KEY_FUNCTION for the CACHES entry: readable, unhashed."""
    return f"custom-{version}-{key}"


def test_key_function_in_caches_entry_wins(
    memcached: str, settings, memcached_server: Server
) -> None:
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "KEY_FUNCTION": "tests.herdcache.test_backends.plain_key",
        }
    }
    cache = caches["default"]
    assert cache.make_key("games") == "custom-1-games"
    cache.set("games", "value")
    assert cache.get("games") == "value"
    host, port = memcached_server.address.split(":")
    raw = RawClient((host, int(port)))
    try:
        assert raw.get("custom-1-games") is not None  # stored under the custom key, unhashed
    finally:
        raw.close()
