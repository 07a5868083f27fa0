"""A wall's trusted accounts, as its organisers keep them (admin, API).

A trusted account's posts, and the posts it boosts, skip the wall's pre-approval queue from the
next ingested batch on (``crowdwall.ingest.verdicts``; the stream reloads the walls' rules per
batch). Its posts already waiting are approved when it is trusted
(``crowdwall.moderation.trust_backlog``: pushed live, logged with the reason); posts waiting
that it boosted or favourited are found by the stream's periodic check instead
(``crowdwall.moderation.reactions``: Mastodon and Bluesky posts).
Each change writes one audit-log row (``configure``) naming the actor.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from crowdwall.ingest.match import normalize_account
from crowdwall.models import ModerationAction, TrustedAccount, Wall
from crowdwall.moderation.service import record
from crowdwall.moderation.trust_backlog import approve_waiting


def trust(wall: Wall, account: str, *, note: str = "", actor: Any = None) -> TrustedAccount:
    """Trust ``account`` (stable id or ``@handle``) on ``wall`` and approve its posts waiting
    there; trusting it again changes nothing. ``ValidationError`` for an empty or overlong
    account."""
    entry = TrustedAccount(wall=wall, account=account or "", note=note)
    entry.full_clean(exclude=["wall"], validate_unique=False)  # normalises the account
    with transaction.atomic():
        entry, created = TrustedAccount.objects.get_or_create(
            wall=wall, account=entry.account, defaults={"note": note}
        )
        if created:
            record(actor, ModerationAction.CONFIGURE, wall=wall, detail={"trusted": entry.account})
            approve_waiting(wall, [entry.account], actor=actor)
    return entry


def distrust(wall: Wall, account: str, *, actor: Any = None) -> bool:
    """Stop trusting ``account`` on ``wall``; False when it was not trusted there."""
    account = normalize_account(account)
    with transaction.atomic():
        deleted, _ = TrustedAccount.objects.filter(wall=wall, account=account).delete()
        if deleted:
            record(actor, ModerationAction.CONFIGURE, wall=wall, detail={"untrusted": account})
    return bool(deleted)
