"""The skeleton of a job over every wall or one (``--wall SLUG``): ``rebuild-aggregates`` and
``rebuild-analytics``. The walls in scope are part of the run's parameters, so a wall created
meanwhile starts a new run instead of joining one that did not count it."""

from __future__ import annotations

from typing import Any

from crowdwall.exceptions import JobError
from crowdwall.jobs.base import Job
from crowdwall.models import Wall

__all__ = ["WallsJob", "wall_ids"]


def wall_ids(slug: str | None) -> list[int]:
    """Every wall's id (active or not), or the named wall's; ``JobError`` if it does not exist."""
    walls = Wall.objects.all() if slug is None else Wall.objects.filter(slug=slug)
    ids = sorted(walls.values_list("pk", flat=True))
    if slug is not None and not ids:
        raise JobError(f"No wall with slug {slug!r}.")
    return ids


class WallsJob(Job):
    """A job whose ``wall_ids`` are fixed when the run starts (``describe``)."""

    wall_ids: list[int]

    @classmethod
    def describe(cls, *, wall: str | None = None, label: str = "") -> dict[str, Any]:
        return {"wall": wall, "label": label, "walls": wall_ids(wall)}

    def prepare(self) -> None:
        self.wall_ids = list(self.params["walls"])
