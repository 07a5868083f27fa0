"""Prepare big batches in worker processes while the stream process stores the previous one.

Preparing a post (parse, validate, sanitize with nh3, text and hashtags) is pure CPU work and
about a third of ingest's cost; storing is the rest, in the stream process (its database
connection, its transactions, its publisher). A thread cannot overlap them (one GIL); a worker
process can, so a catch-up or a backfill uses two cores. Small batches (a live trickle) are
prepared in the stream process itself: they would only wait for the round trip.

Workers start from a fresh interpreter (``forkserver``: nothing of the stream process's threads,
connections or locks is inherited) and need no Django setup: ``prepare_batch`` reads no
settings (its ``Limits`` are passed) and touches no database. A worker that dies, or any
failure to hand a batch over, costs speed only: that batch is prepared in process and the pool
is started again for the next one.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import multiprocessing
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from functools import partial

from crowdwall.ingest.items import Item
from crowdwall.ingest.match import WallRules
from crowdwall.ingest.normalize import Limits
from crowdwall.ingest.prepare import PreparedBatch, prepare_batch

logger = logging.getLogger("crowdwall.sources")

Items = Sequence[Item]


RETRY_AFTER = 30  # seconds without workers after one failed


def _ready() -> None:
    """A no-op job: makes the pool start its workers."""


def _worker_started() -> None:
    # The worker's modules live as long as it does: out of the cyclic collector's way.
    gc.collect()
    gc.freeze()


class PreparePool:
    """``processes`` worker processes (started on first use) for batches of ``min_batch``
    items or more."""

    def __init__(self, processes: int, *, min_batch: int) -> None:
        self.processes = processes
        self.min_batch = max(1, min_batch)
        self._executor: ProcessPoolExecutor | None = None
        self._retry_at = 0.0  # after a failure, batches are prepared in process until then
        self.prepared = 0  # batches prepared by workers so far

    def start(self) -> None:
        """Start the workers now (they take a few tens of milliseconds to be ready), so the
        first big batch does not wait for them."""
        if self.processes >= 1 and self._retry_at <= time.monotonic():
            try:
                self._pool().submit(_ready)
            except Exception as exc:
                self._failed(exc)

    def submit(
        self,
        source_id: int,
        items: Items,
        *,
        now: datetime,
        limits: Limits,
        rules: Sequence[WallRules] | None = None,
    ) -> asyncio.Future[PreparedBatch] | None:
        """Start preparing ``items`` in a worker (matching them too, with ``rules``); None:
        prepare them in process (a small batch, no workers configured, or the pool cannot take
        work)."""
        if self.processes < 1 or len(items) < self.min_batch or self._retry_at > time.monotonic():
            return None
        job = partial(prepare_batch, source_id, list(items), now=now, limits=limits, rules=rules)
        try:
            return asyncio.get_running_loop().run_in_executor(self._pool(), job)
        except Exception as exc:  # broken or shut down: this batch in process, a new pool next
            self._failed(exc)
            return None

    async def result(self, future: asyncio.Future[PreparedBatch]) -> PreparedBatch | None:
        """The prepared batch, or None when the worker failed (prepare it in process)."""
        try:
            batch = await future
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if future.cancelled() and task is not None and not task.cancelling():
                return None  # the pool was shut down under it (another batch failed)
            raise
        except Exception as exc:
            self._failed(exc)
            return None
        self.prepared += 1
        return batch

    def pids(self) -> list[int]:
        """The process ids of the running workers (for monitoring)."""
        executor = self._executor
        processes = getattr(executor, "_processes", None) or {}  # the executor's own record
        return [pid for pid, process in dict(processes).items() if process.is_alive()]

    def close(self) -> None:
        """Stop the workers (after the batch each is preparing, if any)."""
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            context = multiprocessing.get_context("forkserver")
            # The fork server imports the pipeline once; each worker forked from it starts
            # ready (milliseconds, not the ~0.3 s of importing nh3, dateutil and Django's bits).
            context.set_forkserver_preload([prepare_batch.__module__])
            self._executor = ProcessPoolExecutor(
                self.processes, mp_context=context, initializer=_worker_started
            )
        return self._executor

    def _failed(self, exc: BaseException) -> None:
        logger.error(
            "Preparing a batch in a worker process failed (%r); batches are prepared in "
            "process for the next %d s",
            exc,
            RETRY_AFTER,
        )
        self._retry_at = time.monotonic() + RETRY_AFTER
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)
