"""Run a node's chunks: one transaction per chunk, done marker included, in this process or in
a pool of spawned processes (``crowdwall.jobs.worker``).

Because the done marker commits with the chunk's work, a node killed at any moment loses only
the chunks in flight, and those rolled back entirely; the next run skips every logged chunk and
redoes the rest. A chunk that fails on a transient database error (SQLite's "database is
locked" between writers, a PostgreSQL deadlock with live ingest) is retried a few times after
its rollback: chunks are idempotent, so a retry is always safe.
"""

from __future__ import annotations

import logging
import multiprocessing
import time
from collections.abc import Callable, Sequence

from django.db import IntegrityError, OperationalError, connections, transaction

from crowdwall.jobs import worker
from crowdwall.jobs.base import Job, Stats
from crowdwall.jobs.log import is_done, mark_done
from crowdwall.jobs.slicing import Chunk

logger = logging.getLogger("crowdwall.jobs")

ATTEMPTS = 5
RETRY_DELAY = 0.05  # seconds, doubled after every failed attempt

OnChunk = Callable[[Chunk, Stats | None], None]


def process_chunk(job: Job, run_id: int, chunk: Chunk) -> Stats | None:
    """Do one chunk and log it done, in one transaction; ``None`` if it was done already (by
    another node whose slice overlaps, with a different ``--cluster`` N)."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with transaction.atomic():
                if is_done(run_id, chunk):
                    return None
                stats = job.run_chunk(chunk)
                mark_done(run_id, chunk, stats)
            return stats
        except (OperationalError, IntegrityError) as exc:
            if attempt == ATTEMPTS:
                raise
            delay = RETRY_DELAY * 2 ** (attempt - 1)
            logger.warning(
                "%s chunk %s failed (%s); retrying in %.2f s", job.name, chunk, exc, delay
            )
            time.sleep(delay)
    raise AssertionError("unreachable")


def execute(
    job: Job,
    run_id: int,
    chunks: Sequence[Chunk],
    *,
    processes: int = 1,
    sleep: float = 0.0,
    on_chunk: OnChunk | None = None,
) -> None:
    """Process ``chunks`` (the caller has ``prepare()``d ``job``); ``on_chunk`` hears of each one
    after it committed. An error in any chunk stops the run and is raised here."""
    report = on_chunk or (lambda chunk, stats: None)
    if processes <= 1 or len(chunks) <= 1:
        for chunk in chunks:
            report(chunk, process_chunk(job, run_id, chunk))
            if sleep:
                time.sleep(sleep)
        return
    # Spawned workers open their own connections; ours must not be open across the pool's life
    # in a way a forked child could share (and SQLite writers should not wait on an idle one).
    connections.close_all()
    context = multiprocessing.get_context("spawn")
    with context.Pool(
        min(processes, len(chunks)),
        initializer=worker.init,
        initargs=(job.name, job.params, run_id, sleep),
    ) as pool:
        bounds = [(chunk.start, chunk.end) for chunk in chunks]
        for start, end, stats in pool.imap_unordered(worker.work, bounds):
            report(Chunk(start, end), stats)
