"""Shared fixtures: real servers (tests.fixtures.servers) and a cache fixture per backend."""

from __future__ import annotations

import faulthandler
import os
from collections.abc import Iterator

import pytest
from django.core.cache import caches

from herdcache import lifecycle, stats
from tests.fixtures.servers import Server

# herdcache's suite also runs where only the herdcache wheel is installed (no crowdwall, playwright
# or psycopg: tests/herdcache/test_distribution.py): these plugins import those lazily, in fixtures.
pytest_plugins = ["tests.fixtures.servers", "tests.fixtures.postgres", "tests.fixtures.browser"]

BACKENDS = ["locmem", "memcached", "redis"]


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    """Keep each phase's report on the item (``item.rep_call``): browser fixtures save
    screenshots and console logs only for failed tests."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


# A test stuck in C (a lock, or the GIL held by a blocked thread) never sees pytest-timeout's
# SIGALRM: CI once sat idle for minutes. faulthandler's watchdog needs no GIL: it prints every
# thread's stack and ends the run, so a hang becomes a failure with its cause in the log.
HANG_SECONDS = int(os.environ.get("TESTS_HANG_SECONDS", "600"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    """Arm the hang watchdog for each test (pytest-timeout's 300 s normally fires first)."""
    faulthandler.dump_traceback_later(HANG_SECONDS, exit=True, file=item.config.stash[_HANG_LOG])
    try:
        return (yield)
    finally:
        faulthandler.cancel_dump_traceback_later()


_HANG_LOG = pytest.StashKey[int]()


def pytest_configure(config: pytest.Config) -> None:
    """Keep a copy of the real stderr: pytest's capture replaces fd 2 while a test runs (and
    while conftests load, so this cannot happen at import)."""
    config.stash[_HANG_LOG] = os.dup(2)


def cache_config(kind: str, request: pytest.FixtureRequest) -> dict:
    if kind == "locmem":
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tests"}
    if kind == "memcached":
        server: Server = request.getfixturevalue("memcached_server")
        return {"BACKEND": "herdcache.backends.PyMemcacheCache", "LOCATION": server.address}
    if kind == "redis":
        server = request.getfixturevalue("redis_server")
        return {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://{server.address}/0",
        }
    raise ValueError(kind)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, settings) -> Iterator[str]:
    """Run the test once per real cache backend, starting from an empty cache."""
    settings.CACHES = {"default": cache_config(request.param, request)}
    caches["default"].clear()
    yield request.param
    caches["default"].clear()


@pytest.fixture(autouse=True)
def _fresh_process_state() -> Iterator[None]:
    """herdcache's per-process buffers must not leak between tests."""
    stats.recorder.reset()
    lifecycle.capacity.reset()
    yield
    stats.recorder.reset()
    lifecycle.capacity.reset()
