"""Rollups of a wall's entries at two grains, for the analytics page and API (docs/analytics.md).

Each row is *derived*: ``crowdwall.analytics.recompute`` recomputes a (wall, minute) from
``PostWall`` whenever an entry of that minute appears or changes, and moves the hour rows and
the wall-wide totals by the difference, so every table here can be deleted and rebuilt
(``manage.py crowdwall rebuild-analytics``). A minute is an integer, ``epoch seconds // 60`` of
the entry's ``created_at`` (the post's own date, the archive's sort key): compact, the same on
SQLite and PostgreSQL, and a range of minutes is one index range.

Four shapes (per source, per author, per hashtag, per wait bucket) exist at two grains: the
minute tables (``WallMinute…``) and the hour tables (``WallHour…``), whose ``minute`` column is
the hour's first minute (a multiple of 60), so one query shape reads either grain. A range
reads its full hours from the hour tables and only its edge minutes from the minute tables.
Wall-wide totals per author and per hashtag answer the "whole event" range. Authors also have
a day grain (``WallDayAuthor``): a range reads its full UTC days of author rows from it.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models

from crowdwall.models.walls import Wall


class Rollup(models.Model):
    """A derived row of one wall's counts; ``KEY`` names the fields that identify it."""

    KEY: ClassVar[tuple[str, ...]] = ()
    COUNTS: ClassVar[tuple[str, ...]] = ("posts",)  # the first one > 0 means "the row exists"

    wall = models.ForeignKey(Wall, on_delete=models.CASCADE, related_name="+", db_index=False)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        key = "/".join(str(getattr(self, name)) for name in self.KEY)
        return f"{self.wall_id}@{key}: {getattr(self, self.COUNTS[0])}"


def _once(*key: str) -> list[models.UniqueConstraint]:
    # One row per wall and key: the unique index is also the range index every read uses.
    return [models.UniqueConstraint(fields=["wall", *key], name="%(app_label)s_%(class)s_once")]


class SourceCounts(Rollup):
    """Entries by moderation state, per source, in one minute (or hour) of one wall."""

    KEY = ("minute", "source_id")
    COUNTS = ("posts", "approved", "pending", "rejected", "deleted")

    minute = models.IntegerField()
    # No foreign key: a deleted source's history stays countable (its name is then unknown).
    source_id = models.IntegerField()
    posts = models.PositiveIntegerField(default=0)  # entries in any state
    approved = models.PositiveIntegerField(default=0)
    pending = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    deleted = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True
        constraints = _once("minute", "source_id")


class AuthorCounts(Rollup):
    """How many entries (and approved ones) one author has in one minute (or hour)."""

    KEY = ("minute", "author_id")
    COUNTS = ("posts", "approved")

    minute = models.IntegerField()
    author_id = models.BigIntegerField()
    posts = models.PositiveIntegerField(default=0)
    approved = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True
        constraints = _once("minute", "author_id")


class TagCounts(Rollup):
    """How many approved entries of one minute (or hour) carry one hashtag (lower case)."""

    KEY = ("minute", "tag")

    minute = models.IntegerField()
    tag = models.CharField(max_length=100)
    posts = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True
        constraints = _once("minute", "tag")


class WaitCounts(Rollup):
    """A histogram of how long a minute's (or hour's) approved entries waited for a moderator:
    ``bucket`` b holds waits of ``2**(b/2) - 1`` up to ``2**((b+1)/2) - 1`` seconds (±20 %)."""

    KEY = ("minute", "bucket")
    COUNTS = ("approvals",)

    minute = models.IntegerField()
    bucket = models.PositiveSmallIntegerField()
    approvals = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True
        constraints = _once("minute", "bucket")


class WallMinute(SourceCounts):
    """One minute of one wall, per source: its entries by moderation state."""


class WallHour(SourceCounts):
    """One hour of one wall, per source (``minute``: the hour's first minute)."""


class WallMinuteAuthor(AuthorCounts):
    """One author's entries in one minute of one wall."""


class WallHourAuthor(AuthorCounts):
    """One author's entries in one hour of one wall: what a day's top authors read."""

    class Meta(AuthorCounts.Meta):
        # Both covering (index-only scans on PostgreSQL): a range's rows by hour (a custom
        # range's distinct posters), and one author's hours (top-author candidates, an
        # author's newest minute).
        indexes = [
            models.Index(
                fields=["wall", "minute", "author_id", "posts", "approved"],
                name="crowdwall_ha_cover",
            ),
            models.Index(
                fields=["wall", "author_id", "minute", "posts", "approved"],
                name="crowdwall_ha_author",
            ),
        ]


class WallDayAuthor(AuthorCounts):
    """One author's entries in one UTC day of one wall (``minute``: the day's first minute, a
    multiple of 1,440): a past day's distinct posters read ~48,000 rows at a million posts
    where its hours are ~230,000 (most authors post about once an hour, not once a minute)."""

    class Meta(AuthorCounts.Meta):
        # Covering, like the hour table's: a range's rows by day, and one author's days.
        indexes = [
            models.Index(
                fields=["wall", "minute", "author_id", "posts", "approved"],
                name="crowdwall_da_cover",
            ),
            models.Index(
                fields=["wall", "author_id", "minute", "posts", "approved"],
                name="crowdwall_da_author",
            ),
        ]


class WallMinuteTag(TagCounts):
    """One hashtag's approved entries in one minute of one wall."""


class WallHourTag(TagCounts):
    """One hashtag's approved entries in one hour of one wall."""


class WallMinuteWait(WaitCounts):
    """Moderator approvals by wait, in one minute of one wall."""


class WallHourWait(WaitCounts):
    """Moderator approvals by wait, in one hour of one wall."""


class WallAuthorTotal(Rollup):
    """One author's entries on one wall over all time (rows with at least one entry), and the
    newest minute they have an entry in: the distinct posters of a range that reaches the
    wall's newest minute (the last hour, the last day) are the authors seen since its start."""

    KEY = ("author_id",)
    COUNTS = ("posts", "approved")

    author_id = models.BigIntegerField()
    posts = models.PositiveIntegerField(default=0)
    approved = models.PositiveIntegerField(default=0)
    last_minute = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["wall", "author_id"], name="crowdwall_authortotal_once")
        ]
        indexes = [
            models.Index(fields=["wall", "-approved", "author_id"], name="crowdwall_at_top"),
            models.Index(fields=["wall", "last_minute"], name="crowdwall_at_last"),
        ]


class WallTagTotal(Rollup):
    """One hashtag's approved entries on one wall over all time."""

    KEY = ("tag",)

    tag = models.CharField(max_length=100)
    posts = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["wall", "tag"], name="crowdwall_tagtotal_once")
        ]
        indexes = [models.Index(fields=["wall", "-posts", "tag"], name="crowdwall_tt_top")]


class WallRollupMark(models.Model):
    """How far a wall's rollups have read ``PostWall``; its row lock serialises refreshes.

    ``top``: the highest post id read among the wall's entries. ``window``:
    ``{"checkpoints": [[epoch seconds, top], ...], "seen": [post id, ...]}``, the entries read
    in the last margin: post ids are drawn before their transaction commits, so an id below
    ``top`` can still appear, and is found as one not yet seen (``crowdwall.analytics.rollup``).
    ``changed_at``: the newest ``PostWall.changed_at`` read (re-read with the same margin).
    """

    wall = models.OneToOneField(
        Wall, on_delete=models.CASCADE, primary_key=True, related_name="rollup_mark"
    )
    top = models.BigIntegerField(default=0)
    window = models.JSONField(default=dict, blank=True)
    changed_at = models.DateTimeField(null=True, blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.wall_id}: up to post {self.top}"
