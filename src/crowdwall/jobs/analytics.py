"""``rebuild-analytics``: recompute the analytics rollups (``crowdwall.models.analytics``).

For walls with history (before the rollups existed), and after changes the incremental refresh
cannot see (entries deleted, a re-index). Chunks are ranges of **entry** ids: a chunk
recomputes, for the walls in scope, every minute its entries fall in, from ``PostWall``
(``crowdwall.analytics.rollup.rebuild_minutes``, holding the wall's rollup lock, so page
refreshes and other nodes wait their turn). Recomputing a minute replaces its rows, so a chunk
run twice leaves the same rows, and two chunks sharing a minute agree.

``finish`` then drops rows of minutes that no longer have any entry, recomputes every coarser
level (hour rows, wall-wide totals) from the minute rows, and sets each wall's mark to its
newest entry, so later refreshes start from there.
"""

from __future__ import annotations

from crowdwall.analytics import rollup
from crowdwall.analytics.grains import SHAPES
from crowdwall.analytics.recompute import resum
from crowdwall.jobs.base import Stats
from crowdwall.jobs.slicing import Chunk
from crowdwall.jobs.walls import WallsJob
from crowdwall.models import PostWall


class RebuildAnalyticsJob(WallsJob):
    """Minute rollups by entry-id chunks, then hours, totals and marks (see the docstring)."""

    name = "rebuild-analytics"
    model = PostWall
    stat_names = ("entries", "minutes")

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
            for model in (shape.minute for shape in SHAPES):
                stored = set(model.objects.filter(wall_id=wall_id).values_list("minute", flat=True))
                gone = sorted(stored - present)
                for start in range(0, len(gone), 500):
                    model.objects.filter(
                        wall_id=wall_id, minute__in=gone[start : start + 500]
                    ).delete()
            resum(wall_id)
            rollup.set_mark(wall_id)
