"""The ``manage.py crowdwall <job>`` subcommands' options and their run (progress, reports).

    manage.py crowdwall reindex [--wall SLUG] [--cluster k/N] [--processes P] [--chunk-size C]
    manage.py crowdwall rebuild-aggregates [--wall SLUG] [--cluster k/N] [--processes P]
    manage.py crowdwall rebuild-analytics [--wall SLUG] [--cluster k/N] [--processes P]
        [--restart] [--label L] [--sleep S] [--no-progress]

Output: a header line, one line per chunk at ``-v 2`` (printed after the chunk committed, so a
supervisor or a test can wait for it), a summary line, and whether the whole run (all slices)
is finished. The progress bar goes to stderr, only when it is a terminal.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from crowdwall.exceptions import JobError
from crowdwall.jobs.base import Stats, get_job
from crowdwall.jobs.log import done_starts, finish_if_complete, open_run, run_chunks
from crowdwall.jobs.runner import execute
from crowdwall.jobs.slicing import Chunk, Cluster, node_slice

DEFAULT_CHUNK_SIZE = 500


def _cluster(value: str) -> Cluster:
    try:
        return Cluster.parse(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def add_job_arguments(parser: CommandParser) -> None:
    parser.add_argument("--wall", help="only this wall (slug); default: every wall in scope")
    parser.add_argument(
        "--cluster",
        type=_cluster,
        default=Cluster(),
        metavar="k/N",
        help="process the k-th of N disjoint slices (run 1/N ... N/N on N nodes)",
    )
    parser.add_argument("--processes", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument(
        "--chunk-size",
        type=int,
        default=DEFAULT_CHUNK_SIZE,
        help=f"primary keys per chunk and transaction, for a new run (default {DEFAULT_CHUNK_SIZE})",
    )
    parser.add_argument(
        "--restart",
        action="store_true",
        help="forget this run's completion log and start over (in a cluster: on one node, "
        "before the others start; or give every node a new --label instead)",
    )
    parser.add_argument(
        "--label", default="", help="name a separate run (same options, e.g. a date: a fresh run)"
    )
    parser.add_argument(
        "--sleep", type=float, default=0.0, help="seconds to pause after each chunk (go gently)"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def _stats_text(stats: Stats, names: tuple[str, ...]) -> str:
    keys = list(names) + sorted(set(stats) - set(names))
    return ", ".join(f"{key} {stats.get(key, 0)}" for key in keys)


@contextmanager
def _progress(
    stream: Any, enabled: bool, title: str, total: int, done: int
) -> Iterator[Progress | None]:
    if not enabled:
        yield None
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(file=stream),
        transient=False,
    ) as progress:
        progress.add_task(title, total=total, completed=done)
        yield progress


def run_job_command(command: BaseCommand, name: str, options: dict[str, Any]) -> None:
    """Run job ``name`` for this node's slice with the parsed ``options``."""
    cluster: Cluster = options["cluster"]
    processes, chunk_size = options["processes"], options["chunk_size"]
    verbosity = options.get("verbosity", 1)
    if processes < 1:
        raise CommandError("--processes must be >= 1.")
    if chunk_size < 1:
        raise CommandError("--chunk-size must be >= 1.")
    if options["sleep"] < 0:
        raise CommandError("--sleep must be >= 0.")
    if processes > 1 and connection.vendor == "sqlite" and _in_memory(connection.settings_dict):
        raise CommandError("--processes > 1 needs a database other processes can open.")

    def say(message: str) -> None:
        if verbosity >= 1:
            command.stdout.write(message)
            command.stdout.flush()

    job_class = get_job(name)
    try:
        params = job_class.describe(wall=options["wall"], label=options["label"])
        run, created = open_run(
            job_class, params, chunk_size=chunk_size, restart=options["restart"]
        )
        job = job_class(params)
        job.prepare()
    except JobError as exc:
        raise CommandError(str(exc)) from exc
    prefix = f"{name} {cluster}"
    if run.finished_at is not None:
        say(
            f"{prefix}: run #{run.pk} already finished at {run.finished_at:%Y-%m-%d %H:%M:%S}; "
            "nothing to do (--restart runs it again)."
        )
        return
    if not created and run.chunk_size != chunk_size:
        say(f"{prefix}: resuming with the run's chunk size {run.chunk_size}.")
    planned = run_chunks(run)
    mine = node_slice(planned, cluster)
    finished = done_starts(run)
    todo = [chunk for chunk in mine if chunk.start not in finished]
    skipped = len(mine) - len(todo)
    say(
        f"{prefix}: run #{run.pk} {'started' if created else 'resumed'} "
        f"({len(planned)} chunk(s) of {run.chunk_size} ids planned); this node: {len(mine)} "
        f"chunk(s), {skipped} already done, {len(todo)} to do, {processes} process(es)."
    )

    totals: Stats = {}
    done = 0
    stream = getattr(command.stderr, "_out", command.stderr)  # the terminal, not the wrapper
    bar = verbosity >= 1 and not options["no_progress"] and stream.isatty() and bool(todo)
    with _progress(stream, bar, prefix, len(mine), skipped) as progress:

        def on_chunk(chunk: Chunk, stats: Stats | None) -> None:
            nonlocal done, skipped
            if stats is None:
                skipped += 1
                line = f"skipped {chunk}: done by another node"
            else:
                done += 1
                for key, value in stats.items():
                    totals[key] = totals.get(key, 0) + value
                line = f"done {chunk}: {_stats_text(stats, job.stat_names)}"
            if progress is not None:
                progress.advance(progress.task_ids[0])
                if verbosity >= 2:
                    progress.console.print(line, highlight=False)
            elif verbosity >= 2:
                say(line)

        try:
            execute(
                job, run.pk, todo, processes=processes, sleep=options["sleep"], on_chunk=on_chunk
            )
        except JobError as exc:
            raise CommandError(f"{exc} ({done} chunk(s) done and logged)") from exc
        except BaseException:
            command.stderr.write(
                f"{prefix}: stopped after {done} chunk(s); they are logged, a re-run resumes."
            )
            raise
    say(
        f"{prefix}: {done} chunk(s) done, {skipped} skipped (already done): "
        f"{_stats_text(totals, job.stat_names)}."
    )
    if finish_if_complete(run, job):
        say(f"{name}: run #{run.pk} finished: all {len(planned)} chunk(s) done.")
    else:
        remaining = len(planned) - len(done_starts(run))
        say(f"{name}: run #{run.pk} not finished: {remaining} chunk(s) left in other slices.")


def _in_memory(settings_dict: dict[str, Any]) -> bool:
    name = str(settings_dict.get("NAME") or "")
    return name == ":memory:" or "mode=memory" in name or not name
