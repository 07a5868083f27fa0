"""Moderators' operations, as the moderation screen and the API both perform them.

Each function changes what a wall shows (through ``crowdwall.moderation.actions``, which pushes
the change to every open page after commit) and writes one ``ModerationLog`` row naming the
actor. Bad input raises ``django.core.exceptions.ValidationError`` and changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from crowdwall.models import (
    BannedAuthor,
    BannedWord,
    ModerationAction,
    ModerationLog,
    ModerationState,
    Post,
    PostWall,
    Wall,
)
from crowdwall.moderation import actions

_STATES = {
    ModerationAction.APPROVE: ModerationState.APPROVED,
    ModerationAction.REJECT: ModerationState.REJECTED,
    ModerationAction.HIDE: ModerationState.REJECTED,
}
_PINS = {ModerationAction.PIN: True, ModerationAction.UNPIN: False}
POST_ACTIONS = frozenset(_STATES) | frozenset(_PINS)
MAX_BULK = 500


def record(
    actor: Any,
    action: str,
    *,
    wall: Wall | None = None,
    post_id: int | None = None,
    count: int = 0,
    detail: dict[str, Any] | None = None,
) -> ModerationLog:
    """Write one audit-log row (``actor``: a user, or None for the system)."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    return ModerationLog.objects.create(
        actor=user,
        actor_name=user.get_username() if user is not None else "",
        wall=wall,
        post_id=post_id,
        action=action,
        count=count,
        detail=detail or {},
    )


def moderate(wall: Wall, post_ids: Sequence[int], action: str, *, actor: Any) -> int:
    """Approve, reject, hide, pin or unpin these posts on ``wall``; returns how many entries
    changed (posts not on the wall are ignored). One log row per call (bulk included)."""
    try:
        action = ModerationAction(action)
    except ValueError:
        raise ValidationError({"action": f"Unknown action {action!r}."}) from None
    if action not in POST_ACTIONS:
        raise ValidationError({"action": f"{action} is not an action on posts."})
    ids = sorted({int(pid) for pid in post_ids})
    if not ids:
        raise ValidationError({"posts": "Name at least one post."})
    if len(ids) > MAX_BULK:
        raise ValidationError({"posts": f"At most {MAX_BULK} posts at once."})
    entries = PostWall.objects.filter(wall=wall, post_id__in=ids)
    # Only a post on this wall may be named in the log (a foreign key: unknown ids are ignored).
    logged_post = ids[0] if len(ids) == 1 and entries.exists() else None
    with transaction.atomic():
        if action in _STATES:
            count = actions.set_state(entries, _STATES[action])
        else:
            count = actions.set_pinned(entries, _PINS[action])
        record(
            actor,
            action,
            wall=wall,
            post_id=logged_post,
            count=count,
            detail={"posts": ids} if len(ids) > 1 else {},
        )
    return count


def ban_author(wall: Wall, account: str, *, actor: Any, note: str = "") -> tuple[BannedAuthor, int]:
    """Ban an account (stable id or @handle) from ``wall``; its posts already there are
    rejected at once. Returns the ban and how many entries it removed."""
    ban = BannedAuthor(wall=wall, account=account, note=note)
    ban.full_clean(exclude=["wall"], validate_unique=False)
    with transaction.atomic():
        ban, created = BannedAuthor.objects.get_or_create(
            wall=wall, account=ban.account, defaults={"note": note}
        )
        # Only the new ban is checked: what the wall's other bans cover is off it already.
        count = actions.reapply_bans([wall], authors=[ban.account]) if created else 0
        record(
            actor,
            ModerationAction.BAN_AUTHOR,
            wall=wall,
            count=count,
            detail={"account": ban.account},
        )
    return ban, count


def ban_word(wall: Wall, word: str, *, actor: Any) -> tuple[BannedWord, int]:
    """Ban a word or phrase (keyword syntax) on ``wall``; matching posts are rejected at once."""
    ban = BannedWord(wall=wall, word=word)
    ban.full_clean(exclude=["wall"], validate_unique=False)
    with transaction.atomic():
        ban, created = BannedWord.objects.get_or_create(wall=wall, word=ban.word)
        count = actions.reapply_bans([wall], words=[ban.word]) if created else 0
        record(actor, ModerationAction.BAN_WORD, wall=wall, count=count, detail={"word": ban.word})
    return ban, count


def unban_author(wall: Wall, account: str, *, actor: Any) -> bool:
    """Lift an author ban (posts it rejected stay rejected: approve them if wanted)."""
    deleted, _ = BannedAuthor.objects.filter(wall=wall, account=account).delete()
    if deleted:
        record(actor, ModerationAction.UNBAN_AUTHOR, wall=wall, detail={"account": account})
    return bool(deleted)


def unban_word(wall: Wall, word: str, *, actor: Any) -> bool:
    """Lift a word ban (posts it rejected stay rejected)."""
    deleted, _ = BannedWord.objects.filter(wall=wall, word=word).delete()
    if deleted:
        record(actor, ModerationAction.UNBAN_WORD, wall=wall, detail={"word": word})
    return bool(deleted)


def author_of(wall: Wall, post_id: int) -> str:
    """The stable account id of a post's author on ``wall`` (to ban "this post's author")."""
    key = (
        Post.objects.filter(pk=post_id, entries__wall=wall)
        .values_list("author__key", flat=True)
        .first()
    )
    if key is None:
        raise ValidationError({"post": "No such post on this wall."})
    return key
