"""``rebuild-aggregates``: recompute ``AuthorWallCount`` and ``WallAggregate`` from ``PostWall``.

Chunks are ranges of **author** ids. A chunk recomputes, for its authors and the walls in scope
(every wall, or ``--wall``), the entries per state with one ``GROUP BY (wall, author)`` and
replaces those authors' count rows: delete, then insert. Replacing is what makes a chunk
idempotent (run it twice, get the same rows) and drops pairs that no longer have entries.
The filter names every wall and every state explicitly so the database can read
``PostWall``'s ``(wall, state, author)`` index as a set of author ranges.

When every chunk of the run is done (whichever node finishes last), ``finish`` sums the
per-author rows into one ``WallAggregate`` per wall in scope, in the transaction that marks the
run finished, and soft-purges those walls' pages.

Counts are as of each chunk's transaction: posts ingested while the job runs may or may not be
counted, so the figures are "as of the last rebuild" (see ``crowdwall.models.aggregates``).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone

from crowdwall.caching import purge_walls
from crowdwall.jobs.base import Stats
from crowdwall.jobs.slicing import Chunk
from crowdwall.jobs.walls import WallsJob
from crowdwall.models import Author, AuthorWallCount, ModerationState, PostWall, Wall, WallAggregate

STATES = tuple(ModerationState.values)  # each one a count column of both aggregate models


def _per_state(prefix: str = "") -> dict[str, Any]:
    return {state: Count("pk", filter=Q(**{f"{prefix}state": state})) for state in STATES}


class RebuildAggregatesJob(WallsJob):
    """Per-author counts by author-id chunks, then per-wall totals (see the module docstring)."""

    name = "rebuild-aggregates"
    model = Author
    stat_names = ("authors", "entries")

    def run_chunk(self, chunk: Chunk) -> Stats:
        now = timezone.now()
        rows = (
            PostWall.objects.filter(
                wall_id__in=self.wall_ids,
                state__in=STATES,
                author_id__gte=chunk.start,
                author_id__lt=chunk.end,
            )
            .values("wall_id", "author_id")
            .annotate(
                **_per_state(),
                last_post_at=Max("created_at", filter=Q(state=ModerationState.APPROVED)),
            )
            .order_by()
        )
        counts = [AuthorWallCount(computed_at=now, **row) for row in rows]
        AuthorWallCount.objects.filter(
            wall_id__in=self.wall_ids, author_id__gte=chunk.start, author_id__lt=chunk.end
        ).delete()
        AuthorWallCount.objects.bulk_create(counts)
        entries = sum(getattr(c, state) for c in counts for state in STATES)
        return {"authors": len(counts), "entries": entries}

    def finish(self) -> None:
        now = timezone.now()
        sums = (
            AuthorWallCount.objects.filter(wall_id__in=self.wall_ids)
            .values("wall_id")
            .annotate(  # "total_" names: an annotation may not shadow a field it sums
                **{f"total_{state}": Sum(state) for state in STATES},
                total_authors=Count("pk", filter=Q(approved__gt=0)),
                total_last_post_at=Max("last_post_at"),
            )
            .order_by()
        )
        totals = {
            row.pop("wall_id"): {key.removeprefix("total_"): value for key, value in row.items()}
            for row in sums
        }
        walls = dict(Wall.objects.filter(pk__in=self.wall_ids).values_list("pk", "slug"))
        WallAggregate.objects.filter(wall_id__in=list(walls)).delete()
        WallAggregate.objects.bulk_create(
            WallAggregate(wall_id=wall_id, computed_at=now, **totals.get(wall_id, {}))
            for wall_id in walls
        )
        slugs = set(walls.values())
        transaction.on_commit(lambda: purge_walls(slugs))
