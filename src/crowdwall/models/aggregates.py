"""Stored counts for the wall pages: per wall, and per author on each wall.

Written only by ``manage.py crowdwall rebuild-aggregates`` (``crowdwall.jobs.aggregates``), never
by the ingest path, so they are as fresh as the last rebuild: pages read them for figures that
may lag ("1,204 posts by 317 people", a "top authors" box), never for what must be exact. The
live equivalent is a ``GROUP BY`` over ``PostWall``'s ``(wall, state, author)`` index.
"""

from __future__ import annotations

from django.db import models

from crowdwall.models.posts import Author
from crowdwall.models.walls import Wall


class WallAggregate(models.Model):
    """A wall's entries by state, its distinct approved authors and newest approved post."""

    wall = models.OneToOneField(
        Wall, on_delete=models.CASCADE, primary_key=True, related_name="aggregate"
    )
    approved = models.PositiveIntegerField(default=0)
    pending = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    deleted = models.PositiveIntegerField(default=0)
    authors = models.PositiveIntegerField(default=0, help_text="Authors with an approved post.")
    last_post_at = models.DateTimeField(null=True, blank=True)  # newest approved post
    computed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.wall_id}: {self.approved} approved"


class AuthorWallCount(models.Model):
    """One author's entries on one wall, by state (only pairs with at least one entry)."""

    wall = models.ForeignKey(Wall, on_delete=models.CASCADE, related_name="+", db_index=False)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="+")
    approved = models.PositiveIntegerField(default=0)
    pending = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    deleted = models.PositiveIntegerField(default=0)
    last_post_at = models.DateTimeField(null=True, blank=True)  # newest approved post
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["wall", "author"], name="crowdwall_authorcount_once")
        ]
        indexes = [  # "top authors of W": the first rows of this index
            models.Index(fields=["wall", "-approved", "author"], name="crowdwall_ac_top")
        ]

    def __str__(self) -> str:
        return f"{self.author_id} on {self.wall_id}: {self.approved}"
