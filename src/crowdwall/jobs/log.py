"""The completion log: which run a node joins, which chunks are done, when a run is finished.

A run is keyed by (job name, fingerprint of its parameters). The first node to start it plans
the chunks (the non-empty aligned buckets of the job's table, one ``GROUP BY`` query) and stores
the plan; every other node, and every re-run, reads that stored plan, so all agree on what
chunk *i* is however the table grew since. A finished run is not redone: a re-run says so, and
``--restart`` (or another ``--label``) starts a fresh one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from crowdwall.jobs.base import Job, Stats
from crowdwall.jobs.slicing import Chunk, plan_chunks
from crowdwall.models import JobChunk, JobRun


def fingerprint(name: str, params: Mapping[str, Any]) -> str:
    """A stable hash of a job's name and parameters."""
    blob = json.dumps({"job": name, "params": params}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def plan_buckets(job: type[Job], chunk_size: int) -> list[int]:
    """The buckets (``pk // chunk_size``) that hold at least one row of the job's table."""
    buckets = (
        job.model._default_manager.annotate(_bucket=F("pk") / chunk_size)
        .values_list("_bucket", flat=True)
        .distinct()
        .order_by("_bucket")
    )
    # int(): a database whose "/" is not integer division still floors correctly (ids are >= 0).
    return sorted({int(bucket) for bucket in buckets})


def open_run(
    job: type[Job], params: Mapping[str, Any], *, chunk_size: int, restart: bool = False
) -> tuple[JobRun, bool]:
    """The run for these parameters, created (and planned) if there is none; ``(run, created)``.

    ``restart`` forgets an existing run and its done markers first.
    """
    key = fingerprint(job.name, params)
    if restart:
        JobRun.objects.filter(job=job.name, fingerprint=key).delete()
    run = JobRun.objects.filter(job=job.name, fingerprint=key).first()
    if run is not None:
        return run, False
    buckets = plan_buckets(job, chunk_size)
    try:
        with transaction.atomic():
            run = JobRun.objects.create(
                job=job.name,
                fingerprint=key,
                params=dict(params),
                chunk_size=chunk_size,
                buckets=buckets,
            )
        return run, True
    except IntegrityError:  # another node created it a moment ago: join that one
        return JobRun.objects.get(job=job.name, fingerprint=key), False


def run_chunks(run: JobRun) -> list[Chunk]:
    """Every chunk of the run's plan, in plan order."""
    return plan_chunks(run.buckets, run.chunk_size)


def done_starts(run: JobRun) -> set[int]:
    return set(JobChunk.objects.filter(run=run).values_list("start", flat=True))


def is_done(run_id: int, chunk: Chunk) -> bool:
    return JobChunk.objects.filter(run_id=run_id, start=chunk.start).exists()


def mark_done(run_id: int, chunk: Chunk, stats: Stats) -> None:
    """The done marker; call it inside the chunk's transaction."""
    JobChunk.objects.create(run_id=run_id, start=chunk.start, end=chunk.end, stats=stats)


def finish_if_complete(run: JobRun, job: Job) -> bool:
    """When every planned chunk is done, run ``job.finish()`` and mark the run finished, in one
    transaction (exactly one node does it). Returns whether the run is finished."""
    with transaction.atomic():
        if JobChunk.objects.filter(run=run).count() < len(run.buckets):
            return False
        now = timezone.now()
        if JobRun.objects.filter(pk=run.pk, finished_at__isnull=True).update(finished_at=now):
            job.finish()
            run.finished_at = now
    return True


def totals(run: JobRun) -> Stats:
    """The counters of every done chunk of the run, summed (all nodes, all re-runs)."""
    summed: Stats = {}
    for stats in JobChunk.objects.filter(run=run).values_list("stats", flat=True):
        for name, value in (stats or {}).items():
            summed[name] = summed.get(name, 0) + int(value)
    return summed
