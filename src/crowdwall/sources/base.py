"""The interface every source adapter implements, and the reconnect helper they share.

An adapter turns one external system into batches of items (``IncomingPost``, dicts in
crowdwall's JSON format, or items the pipeline converts: ``crowdwall.ingest.items``) with the
cursor *after* each batch::

    class MySource(SourceAdapter):
        kind = "mine"

        async def stream(self, cursor: Cursor) -> AsyncIterator[Batch]:
            async for batch in reconnecting(lambda: self._connect(), backoff=Backoff()):
                yield batch

The runner stores each batch and its cursor in one transaction (``crowdwall.ingest.write``),
so a restart resumes exactly where the last stored batch ended. Adapters never touch the
database: they are plain asyncio code, testable against fake servers.
"""

from __future__ import annotations

import asyncio
import logging
import random
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any, ClassVar

from crowdwall.exceptions import SourceDisconnected
from crowdwall.ingest.items import Item

logger = logging.getLogger("crowdwall.sources")


@dataclass(frozen=True, slots=True)
class Cursor:
    """An adapter's resume position, opaque outside the adapter; stored as text on the Source."""

    value: str = ""

    def __bool__(self) -> bool:
        return bool(self.value)

    def __str__(self) -> str:
        return self.value


@dataclass(slots=True)
class Batch:
    """Posts from a source and the cursor just after them (``None``: the live cursor does not
    move, e.g. history fetched by a backfill). A batch may be empty, to save progress alone.

    ``prune_deleted``: after storing it, the runner removes for good the source's posts it
    deleted (``crowdwall.ingest.prune``) — for a source that deletes its own posts again (the
    replay's ``keep``), whose erased rows would otherwise pile up."""

    posts: list[Item]
    cursor: Cursor | None = None
    prune_deleted: bool = False


class SourceAdapter(ABC):
    """One external system behind one interface. ``config`` is already validated
    (``crowdwall.sources.kinds``); ``limit`` stops the stream after that many posts."""

    kind: ClassVar[str]

    def __init__(
        self,
        *,
        name: str = "",
        config: Mapping[str, Any] | None = None,
        secret: str = "",
        wall_hashtags: Sequence[str] = (),
        limit: int | None = None,
    ) -> None:
        self.name = name or self.kind
        self.config: dict[str, Any] = dict(config or {})
        self.secret = secret
        self.wall_hashtags = list(wall_hashtags)
        self.limit = limit

    @abstractmethod
    def stream(self, cursor: Cursor) -> AsyncIterator[Batch]:
        """Live posts from ``cursor`` on, until the source ends or the task is cancelled."""

    async def backfill(self, cursor: Cursor, *, limit: int | None = None) -> AsyncIterator[Batch]:
        """Posts from before the live stream (history); none by default."""
        return
        yield  # pragma: no cover - makes this an async generator

    async def aclose(self) -> None:
        """Release connections; called once when the runner stops the adapter."""
        return None


class Backoff:
    """Exponential backoff with jitter: the n-th delay is drawn from ``[d/2, d]`` where
    ``d = min(cap, base * factor**n)`` ("equal jitter": never zero, never in lockstep with
    other clients). ``reset()`` after a success. ``sleep`` is injectable for tests."""

    def __init__(
        self,
        base: float = 1.0,
        cap: float = 60.0,
        factor: float = 2.0,
        *,
        rng: random.Random | None = None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        if base <= 0 or cap < base or factor < 1:
            raise ValueError("Backoff needs 0 < base <= cap and factor >= 1.")
        self.base, self.cap, self.factor = base, cap, factor
        self.attempts = 0
        self._rng = rng or random.Random()
        self._sleep = sleep

    def next_delay(self) -> float:
        ceiling = min(self.cap, self.base * self.factor**self.attempts)
        self.attempts += 1
        return ceiling / 2 + self._rng.uniform(0, ceiling / 2)

    def reset(self) -> None:
        self.attempts = 0

    async def wait(self) -> float:
        delay = self.next_delay()
        await self._sleep(delay)
        return delay


RETRYABLE: tuple[type[BaseException], ...] = (OSError, TimeoutError, SourceDisconnected)


async def reconnecting(
    connect: Callable[[], AsyncIterator[Batch]],
    *,
    backoff: Backoff,
    retry_on: tuple[type[BaseException], ...] = RETRYABLE,
    name: str = "source",
    max_attempts: int | None = None,
) -> AsyncIterator[Batch]:
    """Yield from ``connect()``; when it fails with ``retry_on``, wait (backoff) and call
    ``connect()`` again — it should resume from the adapter's latest cursor. A successful batch
    resets the backoff. Ends when a connection ends normally; after ``max_attempts``
    consecutive failures the last error is raised."""
    failures = 0
    while True:
        try:
            # aclosing: when we are closed (cancelled, limit reached), close the connection's
            # generator too, so its sockets close here and not in asyncio's shutdown hooks.
            async with aclosing(connect()) as batches:
                async for batch in batches:
                    failures = 0
                    backoff.reset()
                    yield batch
            return
        except retry_on as exc:
            failures += 1
            if max_attempts is not None and failures >= max_attempts:
                raise
            delay = backoff.next_delay()
            logger.warning("%s disconnected (%s); reconnecting in %.1f s", name, exc, delay)
            await backoff._sleep(delay)
