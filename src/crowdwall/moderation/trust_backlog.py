"""Posts already waiting when an account becomes trusted: approved at once, as ingest would now.

Trusting an account changes ingest's verdict from the next batch on (``crowdwall.ingest.verdicts``);
this brings the wall's pre-approval queue in line at the moment of trusting, wherever that
happens (the API, the admin's inline, ``crowdwall.moderation.trusted.trust``). A waiting entry is
approved when its author is one of the newly trusted accounts and ``decide`` approves it under
the wall's current rules: so the default blocklist still holds a post it flags, a ban still
wins, and a moderator's own "back to pending" (``moderated_at`` set, no automatic reason) stands.

Boosts are the exception: who boosted a post is matched at ingest and never stored, so a post
waiting because nobody trusted its booster is not found here; the stream's periodic check asks
the network who boosted or favourited waiting posts (``crowdwall.moderation.reactions``).

Entries keep the automatic reason ingest would give ("auto-approved because @x is trusted"), so
the moderation screen says why and ``reindex`` recomputes them should the trust be lifted. The
change is pushed and purged like any approval (``crowdwall.ingest.withdraw.announce`` after
commit) and written to the moderation log as one ``approve`` row with the reason.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from crowdwall.ingest.match import AccountSet, Haystack, MatchInput, fold
from crowdwall.ingest.verdicts import decide
from crowdwall.ingest.walls import load_wall_rules
from crowdwall.ingest.withdraw import announce
from crowdwall.models import ModerationAction, ModerationState, PostWall, Wall
from crowdwall.moderation.actions import RECHECK_FIELDS, authors_named
from crowdwall.moderation.service import record

_CHUNK = 500
LOGGED_POSTS = 500  # post ids named in the log row; ``count`` has the full number


def approve_waiting(wall: Wall, accounts: Iterable[str], *, actor: Any) -> int:
    """Approve ``wall``'s waiting posts by ``accounts`` (trusted already, in this transaction or
    before) that its rules now let through; returns how many were approved."""
    named = AccountSet.of(accounts)
    if not named:
        return 0
    rules = load_wall_rules([wall.pk])
    if not rules:
        return 0
    rule = rules[0]
    now = timezone.now()
    approved: list[tuple[int, int, str]] = []  # (entry id, post id, reason)
    with transaction.atomic():
        rows = (
            PostWall.objects.filter(
                wall=wall,
                state=ModerationState.PENDING,
                author__in=authors_named(set(named.ids), set(named.handles)),
            )
            .exclude(Q(moderated_at__isnull=False) & Q(reason=""))  # a moderator's decision
            # Locked until commit: a moderator deciding meanwhile waits, and is not overwritten
            # (nor announced as approved) by this.
            .select_for_update(of=("self",))
            .values_list("id", "post_id", *RECHECK_FIELDS)
        )
        for entry_id, post_id, text, spoiler, hashtags, key, handle, name in rows.iterator(
            chunk_size=_CHUNK
        ):
            post = MatchInput(
                source_id=0,
                body=Haystack(f"{spoiler}\n{text}" if spoiler else text),
                hashtags=frozenset(hashtags or ()),
                author_id=key,
                author_handle=fold(handle),
                name=Haystack(name),
            )
            state, reason = decide(rule, post)
            if state == ModerationState.APPROVED:
                approved.append((entry_id, post_id, reason))
        by_reason: dict[str, list[int]] = defaultdict(list)  # one or two reasons, many posts
        for entry_id, _post_id, reason in approved:
            by_reason[reason].append(entry_id)
        for reason, ids in by_reason.items():
            for start in range(0, len(ids), _CHUNK):
                PostWall.objects.filter(pk__in=ids[start : start + _CHUNK]).update(
                    state=ModerationState.APPROVED, reason=reason, changed_at=now
                )
        if approved:
            changed = [
                (post_id, wall.slug, ModerationState.APPROVED, False) for _, post_id, _ in approved
            ]
            transaction.on_commit(partial(announce, changed))
            record(
                actor,
                ModerationAction.APPROVE,
                wall=wall,
                post_id=approved[0][1] if len(approved) == 1 else None,
                count=len(approved),
                detail={
                    "reason": approved[0][2] if len(approved) == 1 else _reason(named),
                    "posts": sorted(post_id for _, post_id, _ in approved)[:LOGGED_POSTS],
                },
            )
    return len(approved)


def _reason(named: AccountSet) -> str:
    accounts = sorted(named.ids | {f"@{handle}" for handle in named.handles})
    return f"waiting posts of a newly trusted account: {', '.join(accounts)}"[:200]
