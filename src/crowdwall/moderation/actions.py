"""Moderation after ingest: approve, reject, pin, and bans applied to posts already stored.

Every function here changes rows in bulk inside one transaction and, after commit, publishes one
``post.moderation`` event per affected post and soft-purges the affected walls' pages (the same
contract as the ingest pipeline; see ``crowdwall.ingest.publisher``). It also hard-purges the
walls' figures (post count, top authors, top posts): unlike ingest, a moderation decision can
take content *off* a wall, and a banned author must not stay in "top authors" until the next
refresh.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from functools import partial

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from crowdwall.caching import purge_figures, purge_walls
from crowdwall.ingest.match import Haystack, MatchInput, fold
from crowdwall.ingest.publisher import Event, EventKind, publish
from crowdwall.ingest.walls import load_wall_rules
from crowdwall.models import ModerationState, PostWall, Wall
from crowdwall.moderation.rules import ban_reason

logger = logging.getLogger("crowdwall.moderation")

_CHUNK = 500


def _announce(changed: list[tuple[int, str, str, bool]]) -> None:
    """``changed``: (post id, wall slug, new state, pinned) rows, committed."""
    by_post: dict[int, dict[str, str]] = defaultdict(dict)
    pins: dict[int, dict[str, bool]] = defaultdict(dict)
    for post_id, slug, state, pinned in changed:
        by_post[post_id][slug] = state
        pins[post_id][slug] = pinned
    events = [
        Event(EventKind.MODERATION, pid, walls, pinned=pins[pid]) for pid, walls in by_post.items()
    ]
    slugs = {slug for _, slug, _, _ in changed}
    # Purge before the push: a page reloading on the event must not get the old copy. Figures
    # first: a page re-rendered between the two purges must not cache the old ones.
    purge_figures(slugs)
    purge_walls(slugs)
    publish(events)


def set_state(entries: QuerySet[PostWall], state: str) -> int:
    """A moderator's decision on these wall entries (posts deleted at the source are left
    alone); returns how many changed."""
    if state not in (ModerationState.PENDING, ModerationState.APPROVED, ModerationState.REJECTED):
        raise ValueError(f"A moderator cannot set the state {state!r}.")
    now = timezone.now()
    with transaction.atomic():
        rows = list(
            entries.exclude(state__in=[state, ModerationState.DELETED]).values_list(
                "id", "post_id", "wall__slug", "pinned"
            )
        )
        ids = [row[0] for row in rows]
        for start in range(0, len(ids), _CHUNK):
            PostWall.objects.filter(pk__in=ids[start : start + _CHUNK]).update(
                state=state, reason="", moderated_at=now, changed_at=now
            )
        changed = [(post_id, slug, state, pinned) for _, post_id, slug, pinned in rows]
        transaction.on_commit(partial(_announce, changed))
    return len(rows)


def set_pinned(entries: QuerySet[PostWall], pinned: bool) -> int:
    """Pin (or unpin) wall entries; only approved ones can be pinned. Returns how many changed."""
    with transaction.atomic():
        qs = entries.exclude(pinned=pinned)
        if pinned:
            qs = qs.filter(state=ModerationState.APPROVED)
        rows = list(qs.values_list("id", "post_id", "wall__slug", "state"))
        PostWall.objects.filter(pk__in=[row[0] for row in rows]).update(
            pinned=pinned, changed_at=timezone.now()
        )
        changed = [(post_id, slug, state, pinned) for _, post_id, slug, state in rows]
        transaction.on_commit(partial(_announce, changed))
    return len(rows)


def reapply_bans(walls: Iterable[Wall]) -> int:
    """Reject the pending and approved posts of these walls that their bans now cover (after a
    ban was added). Returns how many entries were rejected."""
    rules = {rule.id: rule for rule in load_wall_rules([wall.pk for wall in walls])}
    rejected: list[PostWall] = []
    changed: list[tuple[int, str, str, bool]] = []
    now = timezone.now()
    with transaction.atomic():
        qs = (
            PostWall.objects.filter(
                wall__in=list(rules), state__in=[ModerationState.PENDING, ModerationState.APPROVED]
            )
            .select_related("post", "author")
            .only(
                "id",
                "wall_id",
                "post_id",
                "state",
                "pinned",
                "post__text",
                "post__spoiler_text",
                "post__hashtags",
                "author__key",
                "author__handle",
                "author__display_name",
            )
        )
        for entry in qs.iterator(chunk_size=_CHUNK):
            rule = rules[entry.wall_id]
            if not (rule.banned_authors or rule.banned_words):
                continue
            text = entry.post.text
            if entry.post.spoiler_text:
                text = f"{entry.post.spoiler_text}\n{text}"
            reason = ban_reason(
                rule,
                MatchInput(
                    source_id=0,
                    body=Haystack(text),
                    hashtags=frozenset(entry.post.hashtags),
                    author_id=entry.author.key,
                    author_handle=fold(entry.author.handle),
                    name=Haystack(entry.author.display_name),
                ),
            )
            if reason:
                rejected.append(
                    PostWall(
                        pk=entry.pk,
                        state=ModerationState.REJECTED,
                        reason=reason,
                        pinned=False,
                        changed_at=now,
                    )
                )
                changed.append((entry.post_id, rule.slug, ModerationState.REJECTED, False))
        PostWall.objects.bulk_update(
            rejected, ["state", "reason", "pinned", "changed_at"], batch_size=_CHUNK
        )
        transaction.on_commit(partial(_announce, changed))
    return len(rejected)
