"""Run sources as one asyncio process: each source in its own task, each batch stored with its
cursor in one transaction, a failing source restarted with backoff without touching the others.

Stopping (``stop`` event, set by SIGTERM/SIGINT in ``manage.py crowdwall stream``) cancels the
source tasks; a batch already being stored is finished first (it commits together with its
cursor), so what is on disk after a stop is always "posts up to the cursor, and nothing after".
Database work runs in one worker thread (``sync_to_async(thread_sensitive=True)``): SQLite has
one writer anyway, and the event loop never blocks on the ORM.

Big batches are prepared (parsed, validated, sanitized, matched) in worker processes
(``crowdwall.sources.prepare_pool``, ``CROWDWALL["PREPARE_PROCESSES"]``) while the previous
batch is being stored: a source is read up to two batches ahead of what is stored. Batches are
still stored one at a time and in order, each with its cursor, so a stop leaves the same state.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import aclosing, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from asgiref.sync import sync_to_async
from django.db import connections
from django.utils import timezone

from crowdwall.conf import conf
from crowdwall.exceptions import SourceError
from crowdwall.ingest.match import WallRules
from crowdwall.ingest.normalize import Limits
from crowdwall.ingest.prepare import BatchResult, PreparedBatch, log_rejected
from crowdwall.ingest.prune import prune_deleted
from crowdwall.ingest.walls import load_wall_rules
from crowdwall.ingest.write import ingest, store_batch
from crowdwall.models import Source
from crowdwall.moderation.reaction_watch import ReactionWatch
from crowdwall.sources import adapter_for
from crowdwall.sources.base import Backoff, Batch, Cursor
from crowdwall.sources.prepare_pool import PreparePool

logger = logging.getLogger("crowdwall.sources")

Mode = Literal["stream", "backfill"]


@dataclass
class SourceStats:
    name: str
    batches: int = 0
    posts: int = 0  # items received from the adapter
    created: int = 0
    updated: int = 0
    deleted: int = 0
    rejected: int = 0
    quarantined: int = 0  # failed to store: kept aside (crowdwall.ingest.quarantine)
    failures: int = 0
    cursor: str = ""
    finished: bool = False
    error: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


BatchCallback = Callable[[Source, BatchResult, SourceStats], None]
ErrorCallback = Callable[[Source, BaseException, float], None]


@dataclass
class _Queued:
    """A batch read from its source, with its preparation under way in a worker (or not)."""

    batch: Batch
    now: datetime | None  # the batch's ingest time, the same for preparing and storing
    preparing: asyncio.Future[PreparedBatch] | None = None
    rules: list[WallRules] | None = None  # the walls the worker matches its posts with
    failure: BaseException | None = None  # the source failed after the batches before this


def _store_sync(
    source_id: int,
    batch: Batch,
    prepared: PreparedBatch | None,
    now: datetime | None,
    rules: list[WallRules] | None = None,
) -> BatchResult:
    _check_connections()
    cursor = None if batch.cursor is None else str(batch.cursor)
    with _collector_paused():
        if prepared is None:
            result = ingest(source_id, batch.posts, cursor=cursor, now=now)
        else:
            log_rejected(source_id, prepared.rejected)
            result = store_batch(source_id, prepared, cursor=cursor, now=now, matched_with=rules)
    if batch.prune_deleted:  # after the deletions committed and were announced
        prune_deleted(source_id)
    return result


def _check_connections() -> None:
    """Before each batch: replace a database connection that is broken or older than a
    positive ``CONN_MAX_AGE``, and keep it otherwise. A stream is one long-lived client, not a
    request: with ``CONN_MAX_AGE = 0`` (Django's default, "close at the end of each request")
    it would reconnect for every batch, and a new PostgreSQL backend cost ~8 ms of server CPU
    per batch (measured: 16 us per post at full speed). The liveness check is one round trip;
    it turns a connection dropped while idle (a database restart, a proxy's idle timeout) into
    a reconnect instead of a failed batch."""
    for connection in connections.all(initialized_only=True):
        if connection.settings_dict["CONN_MAX_AGE"] == 0:
            connection.close_at = None  # set at connect time: "expired" for a request
        connection.close_if_unusable_or_obsolete()
        if connection.connection is not None and not connection.is_usable():
            connection.close()


def _note_error(source_id: int, message: str) -> None:
    Source.objects.filter(pk=source_id).update(last_error=message[:2000])


def _read_cursor(source_id: int) -> str:
    return Source.objects.values_list("cursor", flat=True).get(pk=source_id)


_store = sync_to_async(_store_sync, thread_sensitive=True)
_save_error = sync_to_async(_note_error, thread_sensitive=True)
_load_cursor = sync_to_async(_read_cursor, thread_sensitive=True)
_load_rules = sync_to_async(load_wall_rules, thread_sensitive=True)
_frozen = False


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a batch is stored. A batch allocates tens of
    thousands of objects that live until it is stored, then reference counting frees them;
    collections in between only scan them again and again (measured: 25-30 ms of collections
    per 5,000 posts without the pause, ~7 ms with it). Cycles, if any, are collected after the
    batch. If the collector was off already (the process wants it so), it stays off.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _freeze_heap() -> None:
    """Move what exists before the first batch (Django, the apps, compiled rules) out of the
    cyclic garbage collector's reach, once per process: the collections that ingest's many
    objects trigger then scan only those (measured: 8-10% more posts per CPU-second)."""
    global _frozen
    if not _frozen:
        _frozen = True
        gc.collect()
        gc.freeze()


class StreamRunner:
    """Runs ``sources`` (with ``wall`` selected) until they end or ``stop`` is set."""

    def __init__(
        self,
        sources: list[Source],
        *,
        mode: Mode = "stream",
        overrides: dict[str, Any] | None = None,
        limit: int | None = None,
        on_batch: BatchCallback | None = None,
        on_error: ErrorCallback | None = None,
        prepare_processes: int | None = None,
        pool: PreparePool | None = None,
    ) -> None:
        self.sources = sources
        self.mode = mode
        self.overrides = overrides or {}
        self.limit = limit
        self.on_batch = on_batch
        self.on_error = on_error
        self.stats = {source.pk: SourceStats(source.name) for source in sources}
        # Workers for big batches: the runner's own (stopped when it ends), or a pool shared by
        # runners one after another (its owner stops it).
        self._own_pool = pool is None
        if pool is None:
            processes = conf.PREPARE_PROCESSES if prepare_processes is None else prepare_processes
            pool = PreparePool(processes, min_batch=conf.PREPARE_MIN_BATCH)
        self.pool = pool
        # The walls as the last stored batch saw them: workers match the next batches with
        # them (and the store re-matches if the walls changed meanwhile).
        self._rules: list[WallRules] | None = None
        self.watch = ReactionWatch(sources)

    async def run(self, stop: asyncio.Event | None = None) -> dict[int, SourceStats]:
        stop = stop or asyncio.Event()
        _freeze_heap()
        self.pool.start()
        tasks = {
            asyncio.create_task(self._run_source(source), name=f"source:{source.name}")
            for source in self.sources
        }
        stopper = asyncio.create_task(stop.wait())
        # Streaming also looks for trusted accounts' later favourites and boosts of the posts
        # waiting in the queues (crowdwall.moderation.reaction_watch); it ends with the sources.
        watch = (
            asyncio.create_task(self.watch.run(stop), name="trusted-reactions")
            if self.mode == "stream"
            else None
        )
        try:
            while tasks:
                done, _ = await asyncio.wait(tasks | {stopper}, return_when=asyncio.FIRST_COMPLETED)
                if stopper in done:
                    for task in tasks:
                        task.cancel()
                    await asyncio.gather(*tasks, return_exceptions=True)
                    break
                tasks -= done
        finally:
            stopper.cancel()
            if watch is not None:
                watch.cancel()
                await asyncio.gather(watch, return_exceptions=True)
            if self._own_pool:
                await asyncio.to_thread(self.pool.close)
            await sync_to_async(connections.close_all, thread_sensitive=True)()
        return self.stats

    def _overrides(self, source: Source) -> dict[str, Any]:
        # Options such as --rate only make sense for kinds whose config has that key.
        from crowdwall.sources.kinds import get_kind

        try:
            defaults = get_kind(source.kind).validate({**(source.config or {})})
        except ValueError:
            return {}
        return {k: v for k, v in self.overrides.items() if k in defaults}

    async def _run_source(self, source: Source) -> None:
        stats = self.stats[source.pk]
        backoff = Backoff(
            conf.RESTART_BASE_DELAY, max(conf.RESTART_BASE_DELAY, conf.RESTART_MAX_DELAY)
        )
        while True:
            remaining = None if self.limit is None else self.limit - stats.posts
            if remaining is not None and remaining <= 0:
                stats.finished = True
                return
            adapter = None
            try:
                adapter = adapter_for(source, **self._overrides(source), limit=remaining)
                cursor = Cursor(await _load_cursor(source.pk))
                if self._rules is None and self.pool.processes > 0:
                    self._rules = await _load_rules()  # for the workers, until a batch is stored
                batches = (
                    adapter.stream(cursor)
                    if self.mode == "stream"
                    else adapter.backfill(cursor, limit=remaining)
                )
                async with aclosing(self._read_ahead(source, batches)) as queue:
                    async for queued in queue:  # closed on any exit: the reader stops first
                        await self._store_batch(source, queued, stats)
                        backoff.reset()
                stats.finished = True
                return
            except asyncio.CancelledError:
                raise
            except SourceError as exc:  # configuration: retrying will not help
                stats.error = str(exc)
                logger.error("Source %s cannot run: %s", source.name, exc)
                await _save_error(source.pk, str(exc))
                if self.on_error is not None:
                    self.on_error(source, exc, 0.0)
                return
            except Exception as exc:
                stats.failures += 1
                stats.error = repr(exc)
                delay = backoff.next_delay()
                logger.exception("Source %s failed; restarting in %.1f s", source.name, delay)
                await _save_error(source.pk, repr(exc))
                if self.on_error is not None:
                    self.on_error(source, exc, delay)
                await asyncio.sleep(delay)
            finally:
                if adapter is not None:
                    await adapter.aclose()

    async def _read_ahead(
        self, source: Source, batches: AsyncIterator[Batch]
    ) -> AsyncIterator[_Queued]:
        """``batches`` in order, each with its preparation started as soon as it is read: a
        reader task stays up to two batches ahead of the caller (which stores them). A batch
        read while the previous one is being stored goes to a worker process; one read while
        nothing is being stored is prepared in process (sooner than a worker's round trip,
        and how a live trickle goes). A failure of the source comes out after the batches
        read before it."""
        queue: asyncio.Queue[_Queued | None] = asyncio.Queue(maxsize=1)
        limits = Limits.current()
        storing = False

        async def read() -> None:
            try:
                async for batch in batches:
                    now = timezone.now()
                    preparing, rules = None, self._rules
                    if storing or not queue.empty():
                        preparing = self.pool.submit(
                            source.pk, batch.posts, now=now, limits=limits, rules=rules
                        )
                    await queue.put(_Queued(batch, now, preparing, rules))
            except asyncio.CancelledError as exc:
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise  # we are stopping it
                # A cancellation from inside the adapter: a failure to restart from, not a
                # reader gone quiet while its source waits for the next batch forever.
                await queue.put(_Queued(Batch([]), None, failure=RuntimeError(repr(exc))))
            except Exception as exc:
                await queue.put(_Queued(Batch([]), None, failure=exc))
            else:
                await queue.put(None)

        reader = asyncio.create_task(read(), name=f"read:{source.name}")
        try:
            while (queued := await queue.get()) is not None:
                if queued.failure is not None:
                    raise queued.failure
                storing = True
                yield queued  # the caller stores it before asking for the next one
                storing = False
        finally:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)

    async def _store_batch(self, source: Source, queued: _Queued, stats: SourceStats) -> None:
        batch = queued.batch
        prepared = None
        if queued.preparing is not None:
            prepared = await self.pool.result(queued.preparing)
        future = asyncio.ensure_future(_store(source.pk, batch, prepared, queued.now, queued.rules))
        try:
            result = await asyncio.shield(future)
        except asyncio.CancelledError:
            # The batch commits with its cursor: let it finish and count it, then stop.
            self._count(source, batch, await future, stats)
            raise
        self._count(source, batch, result, stats)

    def _count(self, source: Source, batch: Batch, result: BatchResult, stats: SourceStats) -> None:
        if result.rules is not None:
            self._rules = result.rules
        stats.batches += 1
        stats.posts += len(batch.posts)
        stats.created += result.created
        stats.updated += result.updated
        stats.deleted += result.deleted
        stats.rejected += len(result.rejected)
        stats.quarantined += result.quarantined
        if batch.cursor is not None:
            stats.cursor = str(batch.cursor)
        if self.on_batch is not None:
            self.on_batch(source, result, stats)
