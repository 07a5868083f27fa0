"""A computation abandoned at COMPUTE (the per-site middleware pauses there until a response
phase that may never come) is closed by the garbage collector, at any allocation of any thread.
It must not do cache I/O there: that thread may hold the very lock the I/O takes (CI deadlocked
once, in the middleware conformance tests, inside locmem's ``get``)."""

from __future__ import annotations

import gc
import threading

import pytest
from django.core.cache import caches

from herdcache.cache_adapter import CacheAdapter
from herdcache.drivers import advance, drive
from herdcache.keys import herd_key
from herdcache.stampede import Computed, Policy, run_protocol

KEY = "abandoned-test"
LOCK = herd_key("l", KEY)
POLICY = Policy(timeout=60, stale=60, lock_timeout=30, cold_wait=5, beta=0, max_size=2**20)


def _paused() -> None:
    """A cold miss paused at COMPUTE, holding the lock, then dropped by its caller."""
    protocol = run_protocol(CacheAdapter("default"), KEY, POLICY, [], False)
    assert advance(protocol, next(protocol), None) is None  # paused: nobody computes
    assert caches["default"].get(LOCK) is not None
    # In a reference cycle, as a request holding it is: only the collector frees it, later.
    holder: dict[str, object] = {"protocol": protocol}
    holder["self"] = holder


def test_collected_while_the_cache_lock_is_held_it_does_not_deadlock() -> None:
    cache = caches["default"]
    cache.clear()
    gc.disable()  # collect at the moment the test chooses
    try:
        _paused()  # the generator is garbage now, in a cycle: freed by the next collection
        lock = cache._lock  # shared by every LocMemCache of this location (locmem._locks)
        done = threading.Event()

        def collect_holding_the_lock() -> None:
            with lock:  # what a locmem get() on this thread holds when an allocation collects
                gc.collect()
            done.set()

        worker = threading.Thread(target=collect_holding_the_lock, daemon=True)
        worker.start()
        if not done.wait(10):
            lock.release()  # unblock the stuck thread (a Lock may be released by any thread)
            pytest.fail("the collector's cache I/O waited for a lock its own thread holds")
    finally:
        gc.enable()


def test_the_next_computation_releases_the_abandoned_lock() -> None:
    cache = caches["default"]
    cache.clear()
    _paused()
    gc.collect()
    assert cache.get(LOCK) is not None  # still held: nothing ran since

    outcome = drive(
        run_protocol(CacheAdapter("default"), "another-key", POLICY, [], False),
        lambda: Computed(result="x", stored="x"),
    )

    assert outcome.result == "x"
    assert cache.get(LOCK) is None  # released by that computation, not left to its TTL
