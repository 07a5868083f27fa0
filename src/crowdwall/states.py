"""The moderation vocabulary: a wall's mode and a post's state on a wall.

Plain enums (no model), so code that runs without Django's app registry (the prepare workers of
``crowdwall.sources.prepare_pool`` decide a new post's state there) can use them;
``crowdwall.models`` re-exports both.
"""

from __future__ import annotations

from django.db.models import TextChoices


class ModerationMode(TextChoices):
    OPEN = "open", "Open: matching posts appear at once"
    PRE_APPROVE = "pre_approve", "Pre-approve: every post waits for a moderator"
    ACCOUNTS_ONLY = (
        "accounts_only",
        "Accounts only: the wall's accounts appear at once, others wait",
    )


class ModerationState(TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    DELETED = "deleted", "Deleted at the source"


class SourceScope(TextChoices):
    """Which walls a source's posts may reach (``crowdwall.sources.kinds`` has each kind's
    default; docs/security.md, "Sources stay in their lane")."""

    OWN = "own", "Its own wall only"
    ANY = "any", "Any wall whose rules match"
