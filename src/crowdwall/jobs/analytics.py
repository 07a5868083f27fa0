"""``rebuild-analytics``: recompute the analytics rollups (``crowdwall.models.analytics``).

For walls with history (before the rollups existed), and after changes the incremental refresh
cannot see (entries deleted, a re-index). Chunks are ranges of **entry** ids: a chunk
recomputes, for the walls in scope, every minute its entries fall in, from ``PostWall``
(``crowdwall.analytics.rollup.rebuild_minutes``, holding the wall's rollup lock, so page
refreshes and other nodes wait their turn). Recomputing a minute replaces its rows, so a chunk
run twice leaves the same rows, and two chunks sharing a minute agree.

``finish`` then drops rows of minutes that no longer have any entry, recomputes the wall-wide
totals from the minute rows, and sets each wall's mark to its newest entry, so later refreshes
start from there.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Sum

from crowdwall.analytics import rollup
from crowdwall.exceptions import JobError
from crowdwall.jobs.base import Job, Stats
from crowdwall.jobs.slicing import Chunk
from crowdwall.models import (
    PostWall,
    Wall,
    WallAuthorTotal,
    WallMinute,
    WallMinuteAuthor,
    WallMinuteTag,
    WallMinuteWait,
    WallTagTotal,
)

MINUTE_TABLES = (WallMinute, WallMinuteAuthor, WallMinuteTag, WallMinuteWait)


class RebuildAnalyticsJob(Job):
    """Per-minute rollups by entry-id chunks, then totals and marks (see the module docstring)."""

    name = "rebuild-analytics"
    model = PostWall
    stat_names = ("entries", "minutes")

    @classmethod
    def describe(cls, *, wall: str | None = None, label: str = "") -> dict[str, Any]:
        return {"wall": wall, "label": label, "walls": cls._wall_ids(wall)}

    @staticmethod
    def _wall_ids(slug: str | None) -> list[int]:
        walls = Wall.objects.all() if slug is None else Wall.objects.filter(slug=slug)
        ids = sorted(walls.values_list("pk", flat=True))
        if slug is not None and not ids:
            raise JobError(f"No wall with slug {slug!r}.")
        return ids

    def prepare(self) -> None:
        self.wall_ids: list[int] = list(self.params["walls"])

    def run_chunk(self, chunk: Chunk) -> Stats:
        rows = PostWall.objects.filter(
            wall_id__in=self.wall_ids, pk__gte=chunk.start, pk__lt=chunk.end
        ).values_list("wall_id", "created_at")
        minutes: dict[int, set[int]] = {}
        for wall_id, created_at in rows:
            minutes.setdefault(wall_id, set()).add(rollup.minute_of(created_at))
        entries = 0
        for wall_id in sorted(minutes):
            rollup.lock(wall_id)
            entries += rollup.rebuild_minutes(wall_id, minutes[wall_id])
        return {"entries": entries, "minutes": sum(len(m) for m in minutes.values())}

    def finish(self) -> None:
        for wall_id in self.wall_ids:
            rollup.lock(wall_id)
            present = {
                rollup.minute_of(at)
                for at in PostWall.objects.filter(wall_id=wall_id)
                .values_list("created_at", flat=True)
                .iterator(chunk_size=5000)
            }
            for model in MINUTE_TABLES:
                stored = set(model.objects.filter(wall_id=wall_id).values_list("minute", flat=True))
                gone = sorted(stored - present)
                for start in range(0, len(gone), 500):
                    model.objects.filter(
                        wall_id=wall_id, minute__in=gone[start : start + 500]
                    ).delete()
            _totals(wall_id)
            rollup.set_mark(wall_id)


def _totals(wall_id: int) -> None:
    # Wall-wide totals summed afresh from the minute rows: any drift is gone.
    authors = (
        WallMinuteAuthor.objects.filter(wall_id=wall_id)
        .values("author_id")
        .annotate(total_posts=Sum("posts"), total_approved=Sum("approved"))
        .order_by()
    )
    WallAuthorTotal.objects.filter(wall_id=wall_id).delete()
    WallAuthorTotal.objects.bulk_create(
        (
            WallAuthorTotal(
                wall_id=wall_id,
                author_id=row["author_id"],
                posts=row["total_posts"],
                approved=row["total_approved"],
            )
            for row in authors.iterator(chunk_size=5000)
        ),
        batch_size=2000,
    )
    tags = (
        WallMinuteTag.objects.filter(wall_id=wall_id)
        .values("tag")
        .annotate(total=Sum("posts"))
        .order_by()
    )
    WallTagTotal.objects.filter(wall_id=wall_id).delete()
    WallTagTotal.objects.bulk_create(
        WallTagTotal(wall_id=wall_id, tag=row["tag"], posts=row["total"]) for row in tags
    )
