"""The stampede protocol's decisions at the exact moments a real herd only hits by chance."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.cache import caches

from herdcache.cache_adapter import CacheAdapter
from herdcache.drivers import drive
from herdcache.keys import herd_key
from herdcache.stampede import Computed, Policy, run_protocol

KEY = "protocol-test"
LOCK = herd_key("l", KEY)
POLICY = Policy(timeout=60, stale=60, lock_timeout=5, cold_wait=5, beta=0, max_size=2**20)


class Scripted(CacheAdapter):
    """A real adapter on the local cache that runs ``before[(operation, n)]`` just before its
    n-th call of that operation: what other processes do at that instant."""

    def __init__(self, before: dict[tuple[str, int], Callable[[], Any]]) -> None:
        super().__init__("default")
        self.before = before
        self.calls: Counter[str] = Counter()

    def _step(self, operation: str) -> None:
        self.calls[operation] += 1
        hook = self.before.get((operation, self.calls[operation]))
        if hook is not None:
            hook()

    def read(self, key, tags, beta):
        self._step("read")
        return super().read(key, tags, beta)

    def lock(self, key, ttl):
        self._step("lock")
        return super().lock(key, ttl)

    def lock_held(self, key):
        self._step("lock_held")
        return super().lock_held(key)


@pytest.fixture(autouse=True)
def crashed_holder() -> Iterator[None]:
    """A cold miss whose lock belongs to a process that was killed mid-render."""
    cache = caches["default"]
    cache.clear()
    cache.add(LOCK, "crashed holder", timeout=60)
    yield
    cache.clear()


def expire_lock() -> None:
    caches["default"].delete(LOCK)


def test_waiter_claims_a_lock_that_expires_after_its_add_failed():
    # Lock calls: 1 on the first miss, 2 in the first wait round; the TTL runs out right
    # after the second failed, before the waiter checks whether the lock is still held.
    adapter = Scripted({("lock_held", 1): expire_lock})
    held_while_computing = []

    def compute() -> Computed:
        held_while_computing.append(adapter.lock_held(KEY))
        return Computed("value", "value")

    outcome = drive(run_protocol(adapter, KEY, POLICY, (), background=False), compute)

    assert outcome.result == "value"
    # It rendered under the lock, so every other waiter keeps waiting for this one render
    # rather than each rendering on its own.
    assert held_while_computing == [True]
    assert not caches["default"].get(LOCK)  # released after storing


def test_waiter_beaten_to_an_expired_lock_waits_for_the_winner():
    cache = caches["default"]

    def other_waiter_claims() -> None:
        cache.add(LOCK, "other waiter", timeout=60)

    def other_waiter_finishes() -> None:
        CacheAdapter("default").write(KEY, "theirs", 0.1, POLICY, {})
        cache.delete(LOCK)

    adapter = Scripted(
        {
            ("lock_held", 1): expire_lock,
            ("lock", 3): other_waiter_claims,  # our retry of the vanished lock loses
            ("read", 4): other_waiter_finishes,  # the next wait round finds their entry
        }
    )

    def compute() -> Computed:
        raise AssertionError("a second render while another waiter holds the lock")

    outcome = drive(run_protocol(adapter, KEY, POLICY, (), background=False), compute)

    assert (outcome.result, outcome.event) == ("theirs", "lock_wait")
    assert adapter.calls["lock"] == 3
