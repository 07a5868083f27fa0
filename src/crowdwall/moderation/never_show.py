"""The never-show list, as staff keep it (admin, ``manage.py crowdwall never-show``, the API).

Adding an account takes its posts off the walls at once, pushed to every open page like a
moderator's removal (``crowdwall.ingest.withdraw``); from then on ingest does not store its
posts (``crowdwall.ingest.match``: the list is part of every wall's rules). Removing an
account lets its *new* posts in again; the ones taken off stay off (approve them if wanted).
Each change writes one audit-log row naming the actor.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet

from crowdwall.ingest.match import NEVER_SHOW_REASON, normalize_account
from crowdwall.ingest.withdraw import withdraw
from crowdwall.models import ModerationAction, NeverShow, PostWall, Wall
from crowdwall.moderation.service import record


def entries_of(account: str, wall: Wall | None = None) -> QuerySet[PostWall]:
    """The wall entries of ``account``'s posts (stable id, or ``@handle`` any case), on
    ``wall`` or on every wall."""
    account = normalize_account(account)
    if account.startswith("@"):
        match = Q(post__author__handle__iexact=account[1:])
    else:
        match = Q(post__author__key=account)
    entries = PostWall.objects.filter(match)
    return entries.filter(wall=wall) if wall is not None else entries


def add(
    account: str, *, wall: Wall | None = None, note: str = "", actor: Any = None
) -> tuple[NeverShow, int]:
    """Put ``account`` on the never-show list of ``wall`` (``None``: every wall) and take its
    posts off at once. Returns the entry and how many wall entries it withdrew; adding an
    account already listed changes nothing. ``ValidationError`` for an empty account."""
    entry = NeverShow(account=normalize_account(account or ""), wall=wall, note=note)
    entry.clean_fields(exclude=["wall"])  # lengths
    if entry.account in ("", "@"):
        raise ValidationError({"account": ["Name an account id or @handle."]})
    with transaction.atomic():
        entry, _ = NeverShow.objects.get_or_create(
            account=entry.account, wall=wall, defaults={"note": note}
        )
        count = withdraw(entries_of(entry.account, wall), NEVER_SHOW_REASON)
        record(
            actor,
            ModerationAction.NEVER_SHOW,
            wall=wall,
            count=count,
            detail={"account": entry.account, "scope": wall.slug if wall else "all walls"},
        )
    return entry, count


def remove(account: str, *, wall: Wall | None = None, actor: Any = None) -> bool:
    """Take ``account`` off the never-show list of ``wall`` (``None``: the global list);
    False when it was not there."""
    account = normalize_account(account)
    with transaction.atomic():
        deleted, _ = NeverShow.objects.filter(account=account, wall=wall).delete()
        if deleted:
            record(
                actor,
                ModerationAction.SHOW_AGAIN,
                wall=wall,
                detail={"account": account, "scope": wall.slug if wall else "all walls"},
            )
    return bool(deleted)
