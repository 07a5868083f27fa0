"""herdcache.cached: memoization, stale-while-revalidate, early refresh, tags, outages."""

from __future__ import annotations

import asyncio
import itertools
import time as real_time

import pytest
from django.core.cache import caches

import herdcache
from herdcache import stats
from herdcache.drivers import refresher
from tests.fixtures.servers import free_port


class Clock:
    """Stands in for the ``time`` module inside herdcache.stampede: time moves when told to."""

    def __init__(self) -> None:
        self.offset = 0.0

    def time(self) -> float:
        return real_time.time() + self.offset

    def monotonic(self) -> float:
        return real_time.monotonic()

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@pytest.fixture
def clock(monkeypatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr("herdcache.stampede.time", fake)
    monkeypatch.setattr("herdcache.cache_adapter.time", fake)
    return fake


def counting(prefix: str = "v"):
    counter = itertools.count(1)
    return lambda: f"{prefix}{next(counter)}"


def test_value_is_computed_once_then_served(backend):
    next_value = counting()

    @herdcache.cached(60)
    def compute(x):
        return f"{x}-{next_value()}"

    assert compute(1) == compute(1) == "1-v1"
    assert compute(2) == "2-v2"


def test_stale_value_is_served_while_one_background_refresh_runs(backend, clock):
    next_value = counting()

    @herdcache.cached(10, stale=100)
    def compute():
        return next_value()

    assert compute() == "v1"
    clock.advance(11)
    assert compute() == "v1"  # stale, served at once; a refresh was started
    refresher.wait()
    assert compute() == "v2"
    assert herdcache.get_stats()["refresh"] == 1


def test_a_failed_background_refresh_keeps_the_stale_value_and_is_retried(backend, clock):
    """A refresh that raises (the database went away) serves the stale value, not an error,
    and frees the lock: the next read starts another refresh, which may succeed."""
    values = iter(["v1", RuntimeError("database is down"), "v3"])

    @herdcache.cached(10, stale=100)
    def compute():
        value = next(values)
        if isinstance(value, Exception):
            raise value
        return value

    assert compute() == "v1"
    clock.advance(11)
    assert compute() == "v1"  # stale; the refresh fails in the background
    refresher.wait()
    assert compute() == "v1"  # still stale, and a second refresh was started
    refresher.wait()
    assert compute() == "v3"


def test_foreground_refresh_when_background_is_off(backend, clock):
    next_value = counting()

    @herdcache.cached(10, background=False)
    def compute():
        return next_value()

    compute()
    clock.advance(11)
    assert compute() == "v2"


def expiries() -> list[float]:
    """Absolute expiry times of expiring locmem entries (counters never expire)."""
    return [
        e for e in caches["default"]._expire_info.values() if e is not None and e != float("inf")
    ]


def test_backend_ttl_is_timeout_plus_stale(settings):
    @herdcache.cached(10, stale=50, key="ttl")
    def compute():
        return 1

    caches["default"].clear()
    compute()
    (expiry,) = expiries()
    assert 59 <= expiry - real_time.time() <= 61


def test_default_stale_window_uses_stale_factor(settings, clock):
    settings.HERDCACHE = {"STATS_FLUSH_INTERVAL": 0, "STALE_FACTOR": 3}
    next_value = counting()

    @herdcache.cached(10, background=False)
    def compute():
        return next_value()

    caches["default"].clear()
    compute()
    (expiry,) = expiries()
    assert 39 <= expiry - real_time.time() <= 41


def test_async_function(backend, clock):
    next_value = counting()

    @herdcache.cached(10)
    async def compute(x):
        await asyncio.sleep(0)
        return f"{x}-{next_value()}"

    async def scenario():
        first = await compute(1)
        again = await compute(1)
        clock.advance(11)
        stale = await compute(1)
        return first, again, stale

    assert asyncio.run(scenario()) == ("1-v1", "1-v1", "1-v1")
    refresher.wait()
    assert asyncio.run(compute(1)) == "1-v2"


def test_key_format_string_and_callable(backend):
    next_value = counting()

    @herdcache.cached(60, key="user:{0}")
    def by_format(user_id, noise):
        return next_value()

    @herdcache.cached(60, key=lambda user_id, noise: f"user:{user_id}")
    def by_callable(user_id, noise):
        return next_value()

    assert by_format(1, "a") == by_format(1, "b")
    assert by_callable(1, "a") == by_callable(1, "b")
    assert by_format(1, "a") != by_callable(1, "a")  # the function name is part of the key


def test_purge_one_call(backend):
    next_value = counting()

    @herdcache.cached(60)
    def compute(x):
        return next_value()

    compute(1), compute(2)
    compute.purge(1)
    assert compute(1) == "v3" and compute(2) == "v2"


@pytest.mark.django_db
def test_hard_tag_purge_recomputes(backend):
    next_value = counting()

    @herdcache.cached(60, tags=lambda wall: [f"wall:{wall}"])
    def count_posts(wall):
        return next_value()

    count_posts("a"), count_posts("b")
    herdcache.purge(tags=["wall:a"])
    assert count_posts("a") == "v3"
    assert count_posts("b") == "v2"


@pytest.mark.django_db
def test_soft_tag_purge_serves_stale_then_refreshes_once(backend):
    next_value = counting()

    @herdcache.cached(60, tags=["t"])
    def compute():
        return next_value()

    compute()
    herdcache.purge(tags=["t"], soft=True)
    assert compute() == "v1"  # stale while the refresh runs
    refresher.wait()
    assert compute() == "v2"
    assert compute() == "v2"


def test_xfetch_refreshes_early_when_beta_says_so(backend, settings):
    settings.HERDCACHE = {"STATS_FLUSH_INTERVAL": 0, "XFETCH_BETA": 1e9}
    next_value = counting()

    @herdcache.cached(60, background=False)
    def compute():
        real_time.sleep(0.001)  # a measurable computation time (delta)
        return next_value()

    assert compute() == "v1"
    assert compute() == "v2"  # fresh, but picked for early refresh


def test_no_early_refresh_with_beta_zero(backend, settings):
    settings.HERDCACHE = {"STATS_FLUSH_INTERVAL": 0, "XFETCH_BETA": 0}
    next_value = counting()

    @herdcache.cached(60, background=False)
    def compute():
        real_time.sleep(0.001)
        return next_value()

    assert compute() == compute() == "v1"


@pytest.mark.parametrize("kind", ["memcached", "redis"])
def test_cache_down_computes_and_counts_errors(settings, kind):
    port = free_port()  # nothing listens here
    location = f"127.0.0.1:{port}" if kind == "memcached" else f"redis://127.0.0.1:{port}/0"
    backend_path = {
        "memcached": "herdcache.backends.PyMemcacheCache",
        "redis": "django.core.cache.backends.redis.RedisCache",
    }[kind]
    settings.CACHES = {"default": {"BACKEND": backend_path, "LOCATION": location}}
    next_value = counting()

    @herdcache.cached(60)
    def compute():
        return next_value()

    assert compute() == "v1"
    assert compute() == "v2"  # no cache: computed each time, never an exception
    pending = {key: n for (_, key), n in stats.recorder.pending().items()}
    assert pending[stats.counter_key("error")] == 2


def test_invalid_timeout_is_a_clear_error():
    with pytest.raises(ValueError, match="positive timeout"):
        herdcache.cached(0)


def test_silently_failing_client_does_not_make_callers_wait(settings):
    """Django's stock PyMemcacheCache answers add() with False for a while after a failure.

    That looks like a lock held by someone else; herdcache must notice nobody holds it instead
    of waiting COLD_WAIT on every call.
    """
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache",
            "LOCATION": f"127.0.0.1:{free_port()}",
        }
    }
    settings.HERDCACHE = {"STATS_FLUSH_INTERVAL": 0, "COLD_WAIT": 30}
    next_value = counting()

    @herdcache.cached(60)
    def compute():
        return next_value()

    started = real_time.monotonic()
    assert [compute() for _ in range(3)] == ["v1", "v2", "v3"]
    assert real_time.monotonic() - started < 10  # generous; waiting would take 60 s
