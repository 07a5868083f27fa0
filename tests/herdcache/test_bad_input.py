"""Hostile input: odd URLs and Host headers, huge or unpicklable values, a cache that is down.

None of it may cause a 5xx, poison another URL's entry or reach memcached as an unsafe key.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator

import pytest
from django.core.cache import caches
from django.core.cache.backends.base import memcache_key_warnings
from django.test import Client
from django.urls import re_path

import herdcache
from herdcache import pages, stats
from tests.fixtures.servers import Server, free_port
from tests.herdcache import views
from tests.herdcache.views import RENDERS

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


@herdcache.cache_page(60)
def any_path(request, rest):
    """A cached page for every path under /any/ (a CMS catch-all, say)."""
    return views._render("any", request, f"any #{RENDERS['any'] + 1} {rest!r}")


# Every path under /any/, newlines included (``.`` alone would not match "\n").
urlpatterns = [*views.urlpatterns, re_path(r"(?s)^any/(?P<rest>.*)$", any_path)]


@pytest.fixture(autouse=True)
def _reset_renders() -> None:
    RENDERS.clear()


@pytest.fixture
def page_keys(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every page key herdcache computes during the test."""
    seen: list[str] = []

    def spy(url: str, key_prefix: str, *locale: str) -> str:
        key = real(url, key_prefix, *locale)
        seen.append(key)
        return key

    real = pages.page_key
    monkeypatch.setattr(pages, "page_key", spy)
    return seen


def counters() -> dict[str, int]:
    return {event: n for event, n in herdcache.get_stats().items() if n}


# --- hostile URLs --------------------------------------------------------------------------------

HOSTILE_URLS = [
    "/any/" + "a" * 10_000,
    "/any/" + "b" * 10_000,  # same length, other path: must not share the key
    "/any/%0d%0a/",
    "/any/%0d%0aset%20injected%200%200%201%0d%0ax%0d%0a/",  # memcached protocol injection
    "/any/%00%01%1f%7f/",
    "/any/a%20b/",
    "/any/a+b/",
    "/any/%C3%BC%C3%B1%C3%AF/",
    "/any/🐍/",
    "/any/%FF%FE/",  # not UTF-8
    "/any/%2e%2e/",
    "/any/%252e%252e/",  # double encoding is another path
    "/any/a%3Fb",  # an encoded "?" is part of the path...
    "/any/a?b",  # ...not this query string
    "/any/a%23b",
    "/any/a",
    "/plain/?" + "q=" + "x" * 20_000,
    "/plain/?q=%0d%0a%20",
    "/plain/?%00=%ff&a b=c d",
    "/plain/?a=1&a=2",
    "/plain/?a=2&a=1",
]


def test_hostile_urls_are_cached_apart_under_safe_keys(backend, page_keys) -> None:
    first = {url: Client().get(url) for url in HOSTILE_URLS}
    assert {url: r.status_code for url, r in first.items()} == dict.fromkeys(HOSTILE_URLS, 200)
    second = {url: Client().get(url) for url in HOSTILE_URLS}
    for url in HOSTILE_URLS:
        assert second[url].status_code == 200
        assert second[url].content == first[url].content, url  # a hit, for the right URL
    assert RENDERS["any"] + RENDERS["plain"] == len(HOSTILE_URLS)  # no two URLs collided
    assert len(set(page_keys)) == len(HOSTILE_URLS)
    for key in page_keys:
        assert re.fullmatch(r"[!-~]{1,250}", key) and not list(memcache_key_warnings(key))
    assert counters() == {"miss": len(HOSTILE_URLS), "hit": len(HOSTILE_URLS)}


def test_encoded_question_mark_cannot_poison_the_query_page(backend) -> None:
    """``/any/a%3Fb`` (rest "a?b") must not be served for ``/any/a?b`` (rest "a")."""
    Client().get("/any/a%3Fb")
    response = Client().get("/any/a?b")
    assert response.content == b"any #2 'a'"


@pytest.mark.parametrize("url", ["/any/%0d%0a/", "/any/a%20b/", "/plain/?q=%0d%0a"])
def test_unsafe_url_is_a_miss_then_a_hit_never_an_error(backend, url: str) -> None:
    Client().get(url), Client().get(url)
    assert counters() == {"miss": 1, "hit": 1}


# --- odd Host headers ----------------------------------------------------------------------------

BAD_HOSTS = [
    "evil.com",
    "evil.com\r\nX: y",
    "example.com\r\nX-Injected: 1",
    "example.com evil.com",
    "example.com@evil.com",
    "example.com/evil",
    "[::1]",
    "x" * 300,
    "ex\x00ample.com",
]


@pytest.mark.parametrize("middleware", ["default", "none"])
@pytest.mark.parametrize("host", BAD_HOSTS)
def test_disallowed_or_garbage_host_is_400_and_caches_nothing(
    backend, settings, host: str, middleware: str
) -> None:
    if middleware == "none":  # no CommonMiddleware: herdcache is the first to read the host
        settings.MIDDLEWARE = []
    response = Client().get("/plain/", HTTP_HOST=host)
    assert response.status_code == 400
    assert RENDERS["plain"] == 0
    assert counters() == {}
    Client().get("/plain/")
    assert RENDERS["plain"] == 1  # nothing was stored for the good host either


def test_host_letter_case_shares_the_entry(backend) -> None:
    for host in ("example.com", "EXAMPLE.COM", "Example.Com"):
        assert Client().get("/plain/", HTTP_HOST=host).status_code == 200
    assert RENDERS["plain"] == 1


@pytest.mark.parametrize("host", ["example.com:8000", "example.com."])
def test_allowed_host_spellings_are_served(backend, host: str) -> None:
    """A port or a trailing dot passes ALLOWED_HOSTS: served and cached, never a 5xx."""
    first = Client().get("/plain/", HTTP_HOST=host)
    second = Client().get("/plain/", HTTP_HOST=host)
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert RENDERS["plain"] == 1


def test_hosts_with_ports_are_different_sites(backend) -> None:
    Client().get("/plain/", HTTP_HOST="example.com")
    Client().get("/plain/", HTTP_HOST="example.com:8000")
    assert RENDERS["plain"] == 2


# --- huge values ---------------------------------------------------------------------------------


def test_huge_response_is_served_not_stored_and_counted_oversize(backend) -> None:
    first, second = Client().get("/huge/"), Client().get("/huge/")
    assert first.status_code == second.status_code == 200
    assert len(first.content) == len(second.content) == 2 * 1024 * 1024
    assert RENDERS["huge"] == 2
    assert counters() == {"miss": 2, "oversize": 2}


def test_max_entry_size_is_honoured(backend, settings) -> None:
    settings.HERDCACHE = {**settings.HERDCACHE, "MAX_ENTRY_SIZE": 1000}
    Client().get("/plain/?" + "q" * 2000), Client().get("/plain/?" + "q" * 2000)
    Client().get("/plain/?q"), Client().get("/plain/?q")
    assert RENDERS["plain"] == 3
    assert counters() == {"miss": 3, "hit": 1, "oversize": 2}


@pytest.mark.parametrize("client", ["PyMemcacheCache", "PyLibMCCache"])
def test_value_over_the_servers_item_limit_is_counted_oversize(
    settings, memcached_server: Server, client: str
) -> None:
    """MAX_ENTRY_SIZE above memcached's 1 MiB limit: memcached refuses; served, counted."""
    settings.CACHES = {
        "default": {
            "BACKEND": f"herdcache.backends.{client}",
            "LOCATION": memcached_server.address,
        }
    }
    settings.HERDCACHE = {**settings.HERDCACHE, "MAX_ENTRY_SIZE": 10 * 1024 * 1024}
    caches["default"].clear()
    first, second = Client().get("/huge/"), Client().get("/huge/")
    assert first.status_code == second.status_code == 200
    assert RENDERS["huge"] == 2
    assert counters() == {"miss": 2, "oversize": 2}


# --- values herdcache.cached cannot store ---------------------------------------------------------

CALLS: list[str] = []


@herdcache.cached(60)
def make_lambda(n: int):
    CALLS.append("lambda")
    return lambda: n


@herdcache.cached(60)
def make_lock():
    CALLS.append("lock")
    return threading.Lock()


@herdcache.cached(60)
def make_generator():
    CALLS.append("generator")
    return (i for i in range(3))


@pytest.fixture
def calls() -> Iterator[list[str]]:
    CALLS.clear()
    yield CALLS
    CALLS.clear()


def test_unpicklable_values_are_returned_not_stored_and_counted(backend, calls) -> None:
    assert make_lambda(7)() == make_lambda(7)() == 7
    assert make_lock().acquire(blocking=False)
    assert make_lock().acquire(blocking=False)  # a new lock each time: nothing was shared
    assert list(make_generator()) == [0, 1, 2]
    assert calls == ["lambda", "lambda", "lock", "lock", "generator"]
    # Each call rendered under the lock and released it: no caller waited on another.
    assert counters() == {"miss": 5, "unstorable": 5}


KEY_MATERIAL = [
    "a\r\nb",
    "a\r\nset x 0 0 1\r\nz",
    "sp ace",
    "\x00\x01\x1f\x7f",
    "\ud800",
    "ü" * 500,
    "k" * 100_000,
    "",
]


@herdcache.cached(60, key="item:{0}")
def by_format(value: str) -> str:
    CALLS.append(value)
    return f"v:{value}"


@herdcache.cached(60)
def by_repr(value: str) -> str:
    CALLS.append(value)
    return f"r:{value}"


def test_control_characters_in_key_material_are_cached_apart(backend, calls) -> None:
    for func, tag in ((by_format, "v"), (by_repr, "r")):
        for value in KEY_MATERIAL:
            assert func(value) == func(value) == f"{tag}:{value}"
    assert calls == KEY_MATERIAL * 2  # each value computed once per function, no collisions
    assert counters() == {"miss": 2 * len(KEY_MATERIAL), "hit": 2 * len(KEY_MATERIAL)}


# --- the cache backend is down -------------------------------------------------------------------

DOWN = {
    "pymemcache": ("herdcache.backends.PyMemcacheCache", "127.0.0.1:{port}"),
    "pylibmc": ("herdcache.backends.PyLibMCCache", "127.0.0.1:{port}"),
    "redis": ("django.core.cache.backends.redis.RedisCache", "redis://127.0.0.1:{port}/0"),
}


@pytest.fixture(params=list(DOWN))
def dead_cache(request: pytest.FixtureRequest, settings) -> str:
    """CACHES["default"] pointing at a port where nothing listens."""
    backend_path, location = DOWN[request.param]
    settings.CACHES = {
        "default": {"BACKEND": backend_path, "LOCATION": location.format(port=free_port())}
    }
    return request.param


def error_pending() -> int:
    return stats.recorder.pending().get(("default", stats.counter_key("error")), 0)


def test_page_is_served_when_the_cache_is_down(dead_cache: str) -> None:
    responses = [Client().get("/plain/") for _ in range(4)]
    assert [r.status_code for r in responses] == [200] * 4
    assert RENDERS["plain"] == 4  # rendered each time, nobody waited on a lock
    assert error_pending() == 4  # kept in the process until the cache is back
    assert counters() == {"error": 4}


def test_cached_function_works_when_the_cache_is_down(dead_cache: str, calls) -> None:
    assert [by_format("x") for _ in range(3)] == ["v:x"] * 3
    assert calls == ["x"] * 3
    assert counters() == {"error": 3}


def test_outage_counts_reach_the_cache_once_it_is_back(
    settings, dead_cache: str, redis_server: Server
) -> None:
    for _ in range(3):
        Client().get("/plain/")
    assert error_pending() == 3
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://{redis_server.address}/0",
        }
    }
    caches["default"].clear()
    assert herdcache.get_stats()["error"] == 3  # flushed to the shared counter...
    assert stats.recorder.pending() == {}  # ...and no longer buffered
    caches["default"].clear()
