"""Run the stampede protocol (``herdcache.stampede``): blocking, asyncio, or in the background."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import async_to_sync, sync_to_async
from django.db import connections

from herdcache import stats
from herdcache.cache_adapter import CacheAdapter
from herdcache.stampede import (
    COMPUTE,
    Computed,
    Outcome,
    Policy,
    Protocol,
    Sleep,
    refresh_protocol,
    run_protocol,
)

logger = logging.getLogger("herdcache")


def drive(protocol: Protocol, compute: Callable[[], Computed]) -> Outcome:
    """Run ``protocol`` to completion with blocking I/O."""
    outcome = advance(protocol, next(protocol), compute)
    assert outcome is not None  # with a compute function the protocol always finishes
    return outcome


def advance(protocol: Protocol, op: Any, compute: Callable[[], Computed] | None) -> Outcome | None:
    """Run blocking I/O from ``op`` on; at ``COMPUTE`` call ``compute``, or pause (return None)
    when ``compute`` is None, so the caller can compute later and ``resume`` (the per-site
    middleware renders between its request and response halves)."""
    while True:
        try:
            if op is COMPUTE:
                if compute is None:
                    return None
                result = compute()
            elif isinstance(op, Sleep):
                time.sleep(op.seconds)
                result = None
            else:
                result = op()
        except BaseException as exc:  # let the protocol release its lock, then re-raise
            try:
                op = protocol.throw(exc)
            except StopIteration as stop:
                return stop.value
            continue
        try:
            op = protocol.send(result)
        except StopIteration as stop:
            return stop.value


def resume(protocol: Protocol, computed: Computed) -> Outcome:
    """Finish a protocol paused at ``COMPUTE`` with the computation's result."""
    try:
        op = protocol.send(computed)
    except StopIteration as stop:
        return stop.value
    outcome = advance(protocol, op, lambda: computed)
    assert outcome is not None
    return outcome


async def adrive(protocol: Protocol, acompute: Callable[[], Awaitable[Computed]]) -> Outcome:
    """Run ``protocol`` on the event loop: cache I/O in worker threads, the computation awaited."""
    op = next(protocol)
    while True:
        try:
            if op is COMPUTE:
                result = await acompute()
            elif isinstance(op, Sleep):
                await asyncio.sleep(op.seconds)
                result = None
            else:
                result = await sync_to_async(
                    op
                )()  # thread-sensitive, like Django's own a* cache calls
        except BaseException as exc:
            try:
                op = protocol.throw(exc)
            except StopIteration as stop:
                return stop.value
            continue
        try:
            op = protocol.send(result)
        except StopIteration as stop:
            return stop.value


class Refresher:
    """A small thread pool for stale-while-revalidate refreshes that nobody waits on."""

    def __init__(self, workers: int = 4) -> None:
        self._workers = workers
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._running: set[object] = set()

    def submit(self, job: Callable[[], None]) -> None:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    self._workers, thread_name_prefix="herdcache-refresh"
                )
            future = self._pool.submit(_guarded, job)
            self._running.add(future)
        future.add_done_callback(self._running.discard)

    def wait(self, timeout: float = 30.0) -> None:
        """Block until queued refreshes finish (tests, graceful shutdown)."""
        deadline = time.monotonic() + timeout
        while self._running and time.monotonic() < deadline:
            for future in list(self._running):
                future.result(timeout=max(0.0, deadline - time.monotonic()))  # type: ignore[attr-defined]


def _guarded(job: Callable[[], None]) -> None:
    try:
        job()
    except Exception:
        logger.exception("herdcache: background refresh failed")
    finally:
        # This thread is not a request: close whatever connections the job opened here (they
        # are per thread). close_all() does not probe the connection first, unlike
        # close_old_connections(), and cleanup must never turn a refresh into an error.
        try:
            connections.close_all()
        except Exception:
            logger.exception("herdcache: closing a refresh thread's DB connections failed")


refresher = Refresher()


def record_outcome(alias: str, outcome: Outcome, url_key: str | None = None) -> None:
    """Count an outcome's events (per URL too when ``url_key`` is given)."""
    stats.record(alias, outcome.event, url_key)
    for event in outcome.extra_events:
        stats.record(alias, event, url_key if event in stats.URL_EVENTS else None)


def get_or_compute(
    adapter: CacheAdapter,
    key: str,
    policy: Policy,
    tags: Sequence[str],
    compute: Callable[[], Computed],
    *,
    background: bool = False,
    url_key: str | None = None,
) -> Outcome:
    """The value under ``key``, computed at most once per expiry across processes (blocking)."""
    outcome = drive(run_protocol(adapter, key, policy, tags, background), compute)
    record_outcome(adapter.alias, outcome, url_key)
    if outcome.refresh is not None:
        gens, token = outcome.refresh

        def job() -> None:
            done = drive(refresh_protocol(adapter, key, policy, gens, token), compute)
            record_outcome(adapter.alias, done, url_key)

        refresher.submit(job)
    return outcome


async def aget_or_compute(
    adapter: CacheAdapter,
    key: str,
    policy: Policy,
    tags: Sequence[str],
    acompute: Callable[[], Awaitable[Computed]],
    *,
    background: bool = False,
    url_key: str | None = None,
) -> Outcome:
    """``get_or_compute`` for coroutines; a background refresh runs in the refresh pool."""
    outcome = await adrive(run_protocol(adapter, key, policy, tags, background), acompute)
    await sync_to_async(record_outcome, thread_sensitive=False)(adapter.alias, outcome, url_key)
    if outcome.refresh is not None:
        gens, token = outcome.refresh
        # A thread with its own loop: the caller's loop may be a short-lived async_to_sync one.
        compute = async_to_sync(acompute)

        def job() -> None:
            done = drive(refresh_protocol(adapter, key, policy, gens, token), compute)
            record_outcome(adapter.alias, done, url_key)

        refresher.submit(job)
    return outcome
