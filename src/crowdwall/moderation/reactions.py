"""Trusted reactions: waiting posts that a wall's trusted account favourited or boosted later.

Ingest approves a post boosted by a trusted account when the boost is what arrives
(``crowdwall.ingest.verdicts``). A post already waiting that a trusted account favourites,
likes, boosts or reposts *afterwards* arrives as nothing at all, so it is looked for: the
stream process (``crowdwall.moderation.reaction_watch``) asks the post's network who reacted
to it (``crowdwall.sources.reactions``) and hands the answer to ``approve_reacted`` here.

Which posts are asked about (``due_posts``), all bounds from ``crowdwall.conf``:

- pending on an active wall that has trusted accounts, with no automatic reason (the default
  blocklist holds a post for a human, trust or not) and no moderator's decision (a post sent
  back to the queue by hand stays there);
- from a Mastodon or Bluesky source of the stream process, not a boost (Mastodon keeps a
  boost's favourites on the boosted status, whose id is not stored), not deleted;
- younger than ``TRUSTED_REACTIONS_MAX_AGE`` seconds, the newest ``TRUSTED_REACTIONS_POSTS``
  per wall, each at most once per ``TRUSTED_REACTIONS_RECHECK_SECONDS`` (``ReactionCheck``);
  after a failure the delay doubles, up to 16 times, and is back to normal after an answer.

Approval is a moderation decision like any other, by the system: the wall's current rules
decide (``decide`` with the trusted account as the booster, so a ban still rejects), the
entry gets the reason ("auto-approved because favourited by @x", "... boosted by @x"), the
change is pushed and purged after commit (``crowdwall.ingest.withdraw.announce``: live pages,
the moderators' queue, the wall's figures), and the moderation log gets one ``approve`` row
per wall naming the post, the reason and the account.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.db import transaction
from django.utils import timezone

from crowdwall.conf import conf
from crowdwall.ingest.match import Haystack, MatchInput, fold
from crowdwall.ingest.verdicts import TRUSTED_BOOSTER, decide, reaction_reason
from crowdwall.ingest.walls import load_wall_rules
from crowdwall.ingest.withdraw import announce
from crowdwall.models import (
    ModerationAction,
    ModerationState,
    PostWall,
    ReactionCheck,
    TrustedAccount,
    Wall,
)
from crowdwall.moderation.actions import RECHECK_FIELDS
from crowdwall.moderation.service import record
from crowdwall.sources.reactions import Reactor

__all__ = ["Due", "approve_reacted", "due_posts", "note_checked"]

MAX_DOUBLINGS = 4  # after failures a post waits at most 16 x the recheck delay


@dataclass(frozen=True, slots=True)
class Due:
    """A waiting post to ask about: its id, its source, its id at the source."""

    post_id: int
    source_id: int
    external_id: str


def _waiting() -> dict[str, object]:
    """What makes an entry one that trust may still approve (see the module docstring)."""
    return {"state": ModerationState.PENDING, "reason": "", "moderated_at__isnull": True}


def due_posts(source_ids: Iterable[int], *, now: datetime | None = None) -> list[Due]:
    """The posts of ``source_ids`` to ask about now, newest first per wall, each once."""
    now = now or timezone.now()
    sources = sorted(set(source_ids))
    if not sources:
        return []
    walls = sorted(
        set(TrustedAccount.objects.filter(wall__is_active=True).values_list("wall_id", flat=True))
    )
    due: dict[int, Due] = {}
    for wall_id in walls:
        rows = (
            PostWall.objects.filter(
                wall_id=wall_id,
                created_at__gte=now - timedelta(seconds=conf.TRUSTED_REACTIONS_MAX_AGE),
                post__source_id__in=sources,
                post__is_boost=False,
                post__deleted_at__isnull=True,
                **_waiting(),
            )
            .exclude(post__reaction_check__next_at__gt=now)
            .order_by("-created_at", "-post_id")  # the archive index's order
            .values_list("post_id", "post__source_id", "post__external_id")
        )[: conf.TRUSTED_REACTIONS_POSTS]
        for post_id, source_id, external_id in rows:
            due.setdefault(post_id, Due(post_id, source_id, external_id))
    return list(due.values())


def note_checked(post_ids: Iterable[int], *, failed: bool, now: datetime | None = None) -> None:
    """Remember that these posts were asked about now (``failed``: without an answer)."""
    ids = sorted(set(post_ids))
    if not ids:
        return
    now = now or timezone.now()
    recheck = conf.TRUSTED_REACTIONS_RECHECK_SECONDS
    with transaction.atomic():
        before = dict(ReactionCheck.objects.filter(post_id__in=ids).values_list("post", "failures"))
        rows = []
        for post_id in ids:
            failures = min(before.get(post_id, 0) + 1, 1000) if failed else 0
            delay = recheck * 2 ** min(failures, MAX_DOUBLINGS)
            rows.append(
                ReactionCheck(
                    post_id=post_id,
                    checked_at=now,
                    failures=failures,
                    next_at=now + timedelta(seconds=delay),
                )
            )
        ReactionCheck.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["post"],
            update_fields=["checked_at", "failures", "next_at"],
        )


def approve_reacted(post_id: int, reactors: Sequence[Reactor]) -> int:
    """Approve ``post_id`` on each wall where it waits and one of ``reactors`` is trusted (the
    first such reactor names the reason); returns on how many walls it was approved."""
    if not reactors:
        return 0
    waiting = PostWall.objects.filter(post_id=post_id, **_waiting())
    rules = {
        rule.id: rule
        for rule in load_wall_rules(list(waiting.values_list("wall_id", flat=True)))
        if rule.trusted
    }
    if not rules:
        return 0
    now = timezone.now()
    approved: list[tuple[int, str, Reactor]] = []  # (wall id, reason, reactor)
    with transaction.atomic():
        rows = (
            waiting.filter(wall_id__in=sorted(rules))
            # Locked until commit: a moderator deciding meanwhile waits, and is not overwritten.
            .select_for_update(of=("self",))
            .values_list("id", "wall_id", *RECHECK_FIELDS)
        )
        for entry_id, wall_id, text, spoiler, hashtags, key, handle, name in rows:
            rule = rules[wall_id]
            reactor = next(
                (r for r in reactors if rule.trusted.contains(r.account_id, fold(r.handle))), None
            )
            if reactor is None:
                continue
            state, reason = decide(
                rule,
                MatchInput(
                    source_id=0,
                    body=Haystack(f"{spoiler}\n{text}" if spoiler else text),
                    hashtags=frozenset(hashtags or ()),
                    author_id=key,
                    author_handle=fold(handle),
                    name=Haystack(name),
                    booster_id=reactor.account_id,
                    booster_handle=fold(reactor.handle),
                ),
            )
            if state != ModerationState.APPROVED:
                continue  # a ban or the blocklist now holds it: a human decides
            if reason.startswith(TRUSTED_BOOSTER):  # approved because of this reactor
                reason = reaction_reason(reactor.verb, reactor.handle)
            PostWall.objects.filter(pk=entry_id).update(
                state=ModerationState.APPROVED, reason=reason, changed_at=now
            )
            approved.append((wall_id, reason, reactor))
        if approved:
            changed = [
                (post_id, rules[wall_id].slug, ModerationState.APPROVED, False)
                for wall_id, _, _ in approved
            ]
            transaction.on_commit(partial(announce, changed))
            walls = Wall.objects.in_bulk([wall_id for wall_id, _, _ in approved])
            for wall_id, reason, reactor in approved:
                record(
                    None,
                    ModerationAction.APPROVE,
                    wall=walls[wall_id],
                    post_id=post_id,
                    count=1,
                    detail={"reason": reason, "account": reactor.account_id},
                )
    return len(approved)
