"""Posts, their authors, and the walls they appear on.

**Post ↔ Wall: the ``PostWall`` through table.** One post can match several walls of a site
(``#python`` on both the PyCon and the DjangoCon wall), and each wall moderates it on its own:
approved on one, held or banned on the other, pinned on a third. So the relation carries state,
and a through table is the honest model. It also makes the wall pages cheap: ``PostWall`` keeps
copies of the post's ``created_at`` and ``author_id`` (both immutable once stored), so

- the archive ("approved posts of wall W, newest first, before X") is one range scan of the
  ``(wall, state, -created_at, -post)`` index, with no join needed to order or filter;
- live catch-up ("approved posts of W after id N") is a range scan of ``(wall, state, post)``;
- "top authors of W" is an index-only ``GROUP BY author`` over ``(wall, state, author)``.

Authors are a model rather than fields embedded in each post: a ``GROUP BY`` over an integer
key is what makes "top authors" fast, and an author's name or avatar change is one row update.
Media are a JSON list on the post: always read with it, never queried alone, and one fewer
bulk insert per batch on the ingest path.

Deletions at the source are final: the post keeps its row (so a late re-delivery of the
original is recognised and ignored) with its content erased, and its wall rows move to the
``deleted`` state. Nothing here saves in signals: the ingest pipeline writes in bulk and
publishes each change once (``crowdwall.ingest``).
"""

from __future__ import annotations

from django.db import models

from crowdwall.models.locking import LockingDelete
from crowdwall.models.walls import Source, Wall
from crowdwall.states import ModerationState

__all__ = ["Author", "ModerationState", "Post", "PostWall"]


class Author(LockingDelete):
    """An account, by a stable id that survives renames (``key``: a DID, an actor URI, ...)."""

    key = models.CharField(max_length=255, unique=True)
    handle = models.CharField(max_length=255)
    display_name = models.CharField(max_length=255, blank=True)
    avatar_url = models.URLField(max_length=1000, blank=True)
    profile_url = models.URLField(max_length=1000, blank=True)
    is_bot = models.BooleanField(default=False)
    # Consent, as the author's network last reported it (null: not reported), and the verdict
    # (crowdwall.ingest.consent): re-read with every post, so an opt-out takes their posts off.
    noindex = models.BooleanField(null=True, blank=True)
    discoverable = models.BooleanField(null=True, blank=True)
    indexable = models.BooleanField(null=True, blank=True)
    no_unauthenticated = models.BooleanField(null=True, blank=True)
    opted_out = models.BooleanField(default=False, db_default=False)  # raw inserts omit it
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"@{self.handle}"


class Post(LockingDelete):
    """One post from one source; ``(source, external_id)`` is unique, which is how we dedupe."""

    # No database constraints on the four keys ingest writes per post (source, author; the
    # entry's post, wall): ingest and deletions lock instead (crowdwall.models.locking).
    source = models.ForeignKey(
        Source, on_delete=models.CASCADE, related_name="posts", db_index=False, db_constraint=False
    )
    external_id = models.CharField(max_length=255)
    url = models.URLField(max_length=1000, blank=True)
    author = models.ForeignKey(
        Author, on_delete=models.CASCADE, related_name="posts", db_constraint=False
    )
    content_html = models.TextField(blank=True, help_text="Sanitized at ingest.")
    text = models.TextField(blank=True)
    spoiler_text = models.CharField(max_length=500, blank=True)
    sensitive = models.BooleanField(default=False)
    is_reply = models.BooleanField(default=False)
    is_boost = models.BooleanField(default=False)
    language = models.CharField(max_length=16, blank=True)
    hashtags = models.JSONField(default=list, blank=True)
    # [{"url", "type", "alt", "preview_url", "blurhash"}]
    media = models.JSONField(default=list, blank=True)
    # {"card": {...}, "poll": {...}, "quote": {...}}, each optional: crowdwall.ingest.extras
    extras = models.JSONField(default=dict, blank=True, null=True)  # null: raw inserts without it
    boosts_count = models.PositiveIntegerField(null=True, blank=True)
    favourites_count = models.PositiveIntegerField(null=True, blank=True)
    replies_count = models.PositiveIntegerField(null=True, blank=True)
    # Hash of what a reader sees; an upsert that does not change it is a duplicate, not an edit.
    fingerprint = models.CharField(max_length=32)
    created_at = models.DateTimeField()
    # created_at is a guess: the post's own date could not be read (crowdwall.ingest.dates).
    # db_default too: raw bulk inserts (crowdwall.ingest.bulk) that name no value still work.
    date_estimated = models.BooleanField(default=False, db_default=False)
    ingested_at = models.DateTimeField()
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    walls = models.ManyToManyField(Wall, through="PostWall", related_name="posts")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], name="crowdwall_post_once_per_source"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source_id}:{self.external_id}"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class PostWall(models.Model):
    """A post on a wall, with that wall's moderation state (see the module docstring)."""

    wall = models.ForeignKey(
        Wall, on_delete=models.CASCADE, related_name="entries", db_index=False, db_constraint=False
    )
    post = models.ForeignKey(
        Post, on_delete=models.CASCADE, related_name="entries", db_index=False, db_constraint=False
    )
    # A copy of post.author_id, for index-only "top authors"; like the post's, no database
    # constraint (crowdwall.models.locking). Its delete cascades through the post.
    author = models.ForeignKey(
        Author, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    created_at = models.DateTimeField()  # copy of post.created_at: the archive's sort key
    state = models.CharField(
        max_length=10, choices=ModerationState.choices, default=ModerationState.PENDING
    )
    reason = models.CharField(max_length=200, blank=True)  # why it is not approved, if automatic
    pinned = models.BooleanField(default=False)
    moderated_at = models.DateTimeField(null=True, blank=True)  # set by a moderator's decision
    # Last change of what this entry shows after it was stored (state, pin, edit, deletion);
    # null: unchanged since stored. Live catch-up resends such changes to reconnecting pages.
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "post on a wall"
        verbose_name_plural = "posts on walls"
        constraints = [
            models.UniqueConstraint(fields=["post", "wall"], name="crowdwall_postwall_once")
        ]
        indexes = [
            models.Index(
                fields=["wall", "state", "-created_at", "-post"], name="crowdwall_pw_archive"
            ),
            models.Index(fields=["wall", "state", "post"], name="crowdwall_pw_since"),
            models.Index(fields=["wall", "state", "author"], name="crowdwall_pw_authors"),
            # Partial: most entries never change, and ingest should not pay for indexing them.
            models.Index(
                fields=["wall", "changed_at"],
                name="crowdwall_pw_changed",
                condition=models.Q(changed_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.post_id} on {self.wall_id} ({self.state})"
