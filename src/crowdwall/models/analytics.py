"""Per-minute rollups of a wall's entries, for the analytics page and API (docs/analytics.md).

Each row is *derived*: ``crowdwall.analytics.rollup`` recomputes a (wall, minute) from
``PostWall`` whenever an entry of that minute appears or changes, so every table here can be
deleted and rebuilt (``manage.py crowdwall rebuild-analytics``). A minute is an integer,
``epoch seconds // 60`` of the entry's ``created_at`` (the post's own date, the archive's sort
key): compact, the same on SQLite and PostgreSQL, and a range of minutes is one index range.

Wall-wide totals per author and per hashtag (``WallAuthorTotal``, ``WallTagTotal``) answer the
"whole event" range without summing every minute: exact distinct posters over a million posts
is then a count of a few thousand rows.
"""

from __future__ import annotations

from django.db import models

from crowdwall.models.walls import Wall


class WallMinute(models.Model):
    """One minute of one wall, per source: its entries by moderation state."""

    wall = models.ForeignKey(Wall, on_delete=models.CASCADE, related_name="+", db_index=False)
    minute = models.IntegerField()
    # No foreign key: a deleted source's history stays countable (its name is then unknown).
    source_id = models.IntegerField()
    posts = models.PositiveIntegerField(default=0)  # entries in any state
    approved = models.PositiveIntegerField(default=0)
    pending = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    deleted = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["wall", "minute", "source_id"], name="crowdwall_wallminute_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.wall_id}@{self.minute}/{self.source_id}: {self.posts}"


class WallMinuteAuthor(models.Model):
    """How many entries (and approved ones) one author has in one minute of one wall."""

    wall = models.ForeignKey(Wall, on_delete=models.CASCADE, related_name="+", db_index=False)
    minute = models.IntegerField()
    author_id = models.BigIntegerField()
    posts = models.PositiveIntegerField(default=0)
    approved = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["wall", "minute", "author_id"], name="crowdwall_minuteauthor_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.wall_id}@{self.minute}/{self.author_id}: {self.posts}"


class WallMinuteTag(models.Model):
    """How many approved entries of one minute of one wall carry one hashtag (lower case)."""

    wall = models.ForeignKey(Wall, on_delete=models.CASCADE, related_name="+", db_index=False)
    minute = models.IntegerField()
    tag = models.CharField(max_length=100)
    posts = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["wall", "minute", "tag"], name="crowdwall_minutetag_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.wall_id}@{self.minute}#{self.tag}: {self.posts}"


class WallMinuteWait(models.Model):
    """A histogram of how long a minute's approved entries waited for a moderator: ``bucket``
    b holds waits of ``2**(b/2) - 1`` up to ``2**((b+1)/2) - 1`` seconds (±20 %)."""

    wall = models.ForeignKey(Wall, on_delete=models.CASCADE, related_name="+", db_index=False)
    minute = models.IntegerField()
    bucket = models.PositiveSmallIntegerField()
    approvals = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["wall", "minute", "bucket"], name="crowdwall_minutewait_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.wall_id}@{self.minute}[{self.bucket}]: {self.approvals}"


class WallAuthorTotal(models.Model):
    """One author's entries on one wall over all time (rows with at least one entry)."""

    wall = models.ForeignKey(Wall, on_delete=models.CASCADE, related_name="+", db_index=False)
    author_id = models.BigIntegerField()
    posts = models.PositiveIntegerField(default=0)
    approved = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["wall", "author_id"], name="crowdwall_authortotal_once")
        ]
        indexes = [models.Index(fields=["wall", "-approved", "author_id"], name="crowdwall_at_top")]

    def __str__(self) -> str:
        return f"{self.wall_id}/{self.author_id}: {self.posts}"


class WallTagTotal(models.Model):
    """One hashtag's approved entries on one wall over all time."""

    wall = models.ForeignKey(Wall, on_delete=models.CASCADE, related_name="+", db_index=False)
    tag = models.CharField(max_length=100)
    posts = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["wall", "tag"], name="crowdwall_tagtotal_once")
        ]
        indexes = [models.Index(fields=["wall", "-posts", "tag"], name="crowdwall_tt_top")]

    def __str__(self) -> str:
        return f"{self.wall_id}#{self.tag}: {self.posts}"


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
