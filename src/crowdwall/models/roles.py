"""Who may do what on which wall (``WallRole``), and whose posts skip the queue (``TrustedAccount``).

Roles are granted to a user or to a group (Django's auth), one wall at a time; what each role
allows is decided in one place, ``crowdwall.moderation.access``.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from crowdwall.ingest.match import normalize_account
from crowdwall.models.walls import Wall


class Role(models.TextChoices):
    """Ordered from least to most: each role allows what the ones before it allow."""

    VIEWER = "viewer", "Viewer (read-only moderation and figures)"
    MODERATOR = "moderator", "Moderator (moderation only)"
    ORGANISER = "organiser", "Organiser (settings, sources, moderation, screens)"


class WallRole(models.Model):
    """A role on one wall, held by a user or by every member of a group (exactly one of them)."""

    wall = models.ForeignKey(Wall, on_delete=models.CASCADE, related_name="roles")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="crowdwall_roles",
    )
    group = models.ForeignKey(
        "auth.Group",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="crowdwall_roles",
    )
    role = models.CharField(max_length=10, choices=Role.choices)

    class Meta:
        verbose_name = "role on the wall"
        verbose_name_plural = "roles on the wall"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False, group__isnull=True)
                | models.Q(user__isnull=True, group__isnull=False),
                name="crowdwall_wallrole_user_or_group",
            ),
            models.UniqueConstraint(fields=["wall", "user"], name="crowdwall_wallrole_user_once"),
            models.UniqueConstraint(fields=["wall", "group"], name="crowdwall_wallrole_group_once"),
        ]

    def __str__(self) -> str:
        holder = self.user if self.user_id else f"group {self.group}"
        return f"{holder}: {self.role} of {self.wall}"

    def clean(self) -> None:
        super().clean()
        if (self.user_id is None) == (self.group_id is None):
            raise ValidationError("Give the role to a user or to a group (one of them).")


class TrustedAccount(models.Model):
    """An account whose posts, and the posts it boosts, skip this wall's pre-approval queue.

    ``account``: a stable id (actor URI, DID) or ``@handle``, normalised like the wall's
    accounts. Bans and the default blocklist still apply to them."""

    wall = models.ForeignKey(Wall, on_delete=models.CASCADE, related_name="trusted_accounts")
    account = models.CharField(max_length=255, help_text="Stable account id, or @handle.")
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["wall", "account"], name="crowdwall_trusted_once")
        ]

    def __str__(self) -> str:
        return self.account

    def clean(self) -> None:
        super().clean()
        self.account = normalize_account(self.account)
        if self.account in ("", "@"):
            raise ValidationError({"account": "Name an account id or @handle."})
