"""The contract of a clustered job, and the registry of jobs by name.

A job walks one table (``model``) chunk by chunk. The runner opens a transaction per chunk, calls
``run_chunk`` and writes the chunk's done marker in that same transaction; so ``run_chunk`` must
be **idempotent** (running it again over the same rows, after a crash or on purpose, leaves the
same result) and must not commit on its own. A job is rebuilt in every worker process from its
name and ``params`` (JSON), then ``prepare()``d once per process.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar

from django.db import models
from django.utils.module_loading import import_string

from crowdwall.exceptions import JobError
from crowdwall.jobs.slicing import Chunk

Stats = dict[str, int]

JOBS: dict[str, str] = {
    "reindex": "crowdwall.jobs.reindex.ReindexJob",
    "rebuild-aggregates": "crowdwall.jobs.aggregates.RebuildAggregatesJob",
    "rebuild-analytics": "crowdwall.jobs.analytics.RebuildAnalyticsJob",
}


class Job(ABC):
    """One maintenance job; subclasses set ``name`` and ``model`` and implement ``run_chunk``."""

    name: ClassVar[str]
    model: ClassVar[type[models.Model]]  # the table whose primary keys are chunked
    stat_names: ClassVar[tuple[str, ...]] = ()  # the counters ``run_chunk`` reports, in order

    def __init__(self, params: Mapping[str, Any]) -> None:
        self.params = dict(params)

    @classmethod
    def describe(cls, *, wall: str | None = None, label: str = "") -> dict[str, Any]:
        """The run's parameters (JSON), computed once by the node that starts the job; their
        hash identifies the run, so include whatever makes earlier work obsolete when it
        changes (the rules a reindex applies, the walls in scope)."""
        return {"wall": wall, "label": label}

    def prepare(self) -> None:  # noqa: B027  (an optional hook)
        """Per-process setup before the first chunk (compile rules, check they still hold)."""

    @abstractmethod
    def run_chunk(self, chunk: Chunk) -> Stats:
        """Do the work for primary keys in ``chunk`` inside the caller's transaction."""

    def finish(self) -> None:  # noqa: B027  (an optional hook)
        """Run once, when every chunk of the run is done (in the transaction that marks the run
        finished): work that needs the whole table, such as totals."""


def get_job(name: str) -> type[Job]:
    try:
        path = JOBS[name]
    except KeyError:
        raise JobError(f"No job named {name!r}; known: {', '.join(JOBS)}.") from None
    job: type[Job] = import_string(path)
    return job
