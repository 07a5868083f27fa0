"""``manage.py crowdwall stream|backfill``: which sources run, running them, their summary."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable, Mapping
from typing import Any

from django.core.management.base import CommandError
from rich import box
from rich.table import Table

from crowdwall.ingest.prepare import BatchResult
from crowdwall.models import Source, Wall
from crowdwall.sources.kinds import KINDS
from crowdwall.sources.runner import Mode, SourceStats, StreamRunner

_COLUMNS = (
    "source",
    "posts",
    "new",
    "updated",
    "deleted",
    "rejected",
    "quarantined",
    "cursor",
    "state",
)


def runnable_sources(wall: str | None, *, warn: Callable[[str], object]) -> list[Source]:
    """Enabled sources of active walls (of ``wall`` only, if named) that have an adapter."""
    qs = Source.objects.filter(enabled=True, wall__is_active=True).select_related("wall")
    if wall is not None:
        if not Wall.objects.filter(slug=wall).exists():
            raise CommandError(f"No wall with slug {wall!r}.")
        qs = qs.filter(wall__slug=wall)
    runnable = []
    for source in qs.order_by("wall__slug", "name"):
        if KINDS[source.kind].adapter is None:
            warn(f"skipping {source.name}: no {source.kind} adapter yet")
            continue
        runnable.append(source)
    if not runnable:
        raise CommandError("No enabled sources to run" + (f" for wall {wall!r}." if wall else "."))
    return runnable


def summary_table(sources: list[Source], stats: Mapping[int, SourceStats]) -> Table:
    """Per source: what the run did, and the cursor now saved in the database."""
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, header_style="bold")
    for column in _COLUMNS:
        table.add_column(column, justify="left" if column in ("source", "state") else "right")
    saved = dict(Source.objects.filter(pk__in=[s.pk for s in sources]).values_list("pk", "cursor"))
    for source in sources:
        s = stats[source.pk]
        state = "finished" if s.finished else (f"error: {s.error}" if s.error else "stopped")
        table.add_row(
            source.name,
            *(
                str(n)
                for n in (s.posts, s.created, s.updated, s.deleted, s.rejected, s.quarantined)
            ),
            saved.get(source.pk, ""),
            state,
        )
    return table


def run_sources(
    mode: Mode,
    sources: list[Source],
    *,
    overrides: Mapping[str, Any],
    limit: int | None,
    verbose: bool,
    say: Callable[[str], None],
    warn: Callable[[str], None],
) -> Table:
    """Run ``sources`` until SIGTERM/SIGINT (stream) or until each is done (backfill); the
    summary table. ``say`` gets progress lines (per batch when ``verbose``), ``warn`` errors."""

    def on_batch(source: Source, result: BatchResult, stats: SourceStats) -> None:
        if verbose:
            say(
                f"{source.name}: +{result.created} new, {result.updated} updated, "
                f"{result.deleted} deleted, {len(result.rejected)} rejected, "
                f"{result.quarantined} quarantined (cursor {stats.cursor})"
            )

    def on_error(source: Source, exc: BaseException, delay: float) -> None:
        retry = f"; restarting in {delay:.1f} s" if delay else ""
        warn(f"{source.name}: {exc}{retry}")

    runner = StreamRunner(
        sources,
        mode=mode,
        overrides=dict(overrides),
        limit=limit,
        on_batch=on_batch,
        on_error=on_error,
    )

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        names = ", ".join(s.name for s in sources)
        workers = runner.pool.processes
        say(
            f"{mode}: {len(sources)} source(s) running: {names}"
            f" ({workers} prepare worker process{'es' if workers != 1 else ''})"
        )
        try:
            await runner.run(stop)
        finally:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)
        say("stopped" if stop.is_set() else "finished")

    asyncio.run(main())
    return summary_table(sources, runner.stats)
