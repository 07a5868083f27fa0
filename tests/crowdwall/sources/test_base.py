"""The adapter contract's helpers: cursors, exponential backoff with jitter, reconnecting."""

from __future__ import annotations

import asyncio
import random

import pytest

from crowdwall.exceptions import SourceDisconnected
from crowdwall.sources.base import Backoff, Batch, Cursor, reconnecting


def test_cursor_is_opaque_text():
    assert str(Cursor("42")) == "42"
    assert not Cursor()
    assert Cursor("x") == Cursor("x")


def test_backoff_grows_exponentially_with_jitter_up_to_the_cap():
    backoff = Backoff(base=1, cap=10, rng=random.Random(1))
    delays = [backoff.next_delay() for _ in range(8)]
    ceilings = [1, 2, 4, 8, 10, 10, 10, 10]
    for delay, ceiling in zip(delays, ceilings, strict=True):
        assert ceiling / 2 <= delay <= ceiling
    assert len(set(delays)) == len(delays)  # jittered: no two clients in lockstep
    backoff.reset()
    assert backoff.next_delay() <= 1


def test_backoff_rejects_nonsense():
    with pytest.raises(ValueError):
        Backoff(base=0)
    with pytest.raises(ValueError):
        Backoff(base=5, cap=1)


def test_reconnecting_resumes_after_disconnects_and_resets_the_backoff():
    slept: list[float] = []

    async def fake_sleep(delay: float) -> None:
        slept.append(delay)

    position = {"next": 0}
    failures = iter([True, True, False, True, False])

    async def connect():
        # Each connection resumes at the adapter's cursor, yields two items, then may drop.
        for _ in range(2):
            n = position["next"]
            position["next"] += 1
            yield Batch([{"id": str(n)}], Cursor(str(n + 1)))
        if next(failures):
            raise SourceDisconnected("connection reset")

    async def collect():
        out = []
        backoff = Backoff(base=1, cap=8, rng=random.Random(0), sleep=fake_sleep)
        async for batch in reconnecting(connect, backoff=backoff):
            out.append(batch.posts[0]["id"])
        return out

    ids = asyncio.run(collect())
    assert ids == [str(n) for n in range(6)]  # nothing lost, nothing repeated
    assert len(slept) == 2
    assert all(0.5 <= d <= 1 for d in slept)  # each success reset the backoff


def test_reconnecting_gives_up_after_max_attempts_and_does_not_retry_other_errors():
    async def fake_sleep(delay: float) -> None:
        return None

    async def always_down():
        raise ConnectionRefusedError("down")
        yield  # pragma: no cover

    async def broken():
        raise ValueError("bug")
        yield  # pragma: no cover

    async def drain(connect, **kwargs):
        backoff = Backoff(sleep=fake_sleep)
        return [b async for b in reconnecting(connect, backoff=backoff, **kwargs)]

    with pytest.raises(ConnectionRefusedError):
        asyncio.run(drain(always_down, max_attempts=3))
    with pytest.raises(ValueError):
        asyncio.run(drain(broken))
