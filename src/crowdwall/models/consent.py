"""The never-show list: accounts whose posts no wall (or one wall) stores or shows."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

from crowdwall.ingest.match import normalize_account
from crowdwall.models.walls import Wall


class NeverShow(models.Model):
    """An account that asked not to be shown: on every wall (``wall`` empty) or on one.

    Unlike a ban (``BannedAuthor``), which keeps the author's posts for moderators to see as
    rejected, posts of a never-show account are not stored at all, and adding an entry takes
    the posts already stored off the walls at once (``crowdwall.moderation.never_show``).
    """

    account = models.CharField(
        max_length=255, help_text="Stable account id (actor URI, DID), or @handle."
    )
    wall = models.ForeignKey(
        Wall,
        on_delete=models.CASCADE,
        related_name="never_show",
        null=True,
        blank=True,
        help_text="Empty: every wall.",
    )
    note = models.CharField(max_length=200, blank=True, help_text="Who asked, and when.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "never-show account"
        verbose_name_plural = "never-show list"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["wall", "account"],
                name="crowdwall_never_show_once_per_wall",
                condition=models.Q(wall__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["account"],
                name="crowdwall_never_show_once_globally",
                condition=models.Q(wall__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.account

    def clean(self) -> None:
        super().clean()
        self.account = normalize_account(self.account or "")
        if self.account in ("", "@"):
            raise ValidationError({"account": "Name an account id or @handle."})
        same = NeverShow.objects.filter(account=self.account, wall_id=self.wall_id)
        if self.pk is not None:
            same = same.exclude(pk=self.pk)
        if same.exists():
            raise ValidationError({"account": "This account is on that list already."})
