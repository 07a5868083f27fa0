"""The moderation audit log: who did what, to which wall and post, and when."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from crowdwall.models.posts import Post
from crowdwall.models.walls import Wall


class ModerationAction(models.TextChoices):
    APPROVE = "approve", "Approve"
    REJECT = "reject", "Reject"
    HIDE = "hide", "Hide"
    PIN = "pin", "Pin"
    UNPIN = "unpin", "Unpin"
    BAN_AUTHOR = "ban_author", "Ban author"
    UNBAN_AUTHOR = "unban_author", "Unban author"
    BAN_WORD = "ban_word", "Ban word"
    UNBAN_WORD = "unban_word", "Unban word"
    CONFIGURE = "configure", "Change wall or source"
    NEVER_SHOW = "never_show", "Never show account"
    SHOW_AGAIN = "show_again", "Lift never-show"
    SCREEN = "screen", "Command the screens"


class ModerationLog(models.Model):
    """One moderator action. ``actor_name`` is kept so the log survives a deleted account;
    ``count`` is how many wall entries the action changed (bans apply retroactively)."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=150, blank=True)
    wall = models.ForeignKey(
        Wall, null=True, blank=True, on_delete=models.SET_NULL, related_name="moderation_log"
    )
    post = models.ForeignKey(
        Post, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    action = models.CharField(max_length=20, choices=ModerationAction.choices)
    detail = models.JSONField(default=dict, blank=True)
    count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "moderation log entry"
        verbose_name_plural = "moderation log"

    def __str__(self) -> str:
        return f"{self.actor_name or 'system'} {self.action} ({self.created_at:%Y-%m-%d %H:%M})"
