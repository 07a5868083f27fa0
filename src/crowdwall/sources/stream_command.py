"""``manage.py crowdwall stream|backfill``: which sources run, and the summary printed after."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from django.core.management.base import CommandError
from rich import box
from rich.table import Table

from crowdwall.models import Source, Wall
from crowdwall.sources.kinds import KINDS
from crowdwall.sources.runner import SourceStats

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
