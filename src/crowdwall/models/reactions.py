"""When each waiting post was last asked about its favourites and boosts, and when next.

``crowdwall.moderation.reactions`` looks again at the newest pending posts of walls with
trusted accounts (who favourited or boosted them since). One row per post it has asked about:
the time of the last answer and, after failures, a growing delay (``failures``), so a post
is asked at most every ``TRUSTED_REACTIONS_RECHECK_SECONDS`` and a server that fails is left
alone for longer each time. Rows go with their post.
"""

from __future__ import annotations

from django.db import models

from crowdwall.models.posts import Post

__all__ = ["ReactionCheck"]


class ReactionCheck(models.Model):
    """The reaction check of one post: last asked, failures in a row, next due."""

    post = models.OneToOneField(
        Post, on_delete=models.CASCADE, primary_key=True, related_name="reaction_check"
    )
    checked_at = models.DateTimeField()
    failures = models.PositiveSmallIntegerField(default=0)
    next_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = "reaction check"

    def __str__(self) -> str:
        return f"{self.post_id}: next {self.next_at:%Y-%m-%d %H:%M:%S}"
