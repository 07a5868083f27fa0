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
from collections.abc import Iterable
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from crowdwall.ingest.match import AccountSet, Haystack, KeywordSet, MatchInput, WallRules, fold
from crowdwall.ingest.verdicts import ban_reason
from crowdwall.ingest.walls import load_wall_rules
from crowdwall.ingest.withdraw import announce
from crowdwall.models import Author, ModerationState, PostWall, Wall

logger = logging.getLogger("crowdwall.moderation")

_CHUNK = 500


# What a wall's rules read of an entry when it is checked again (bans, trusted accounts).
RECHECK_FIELDS = (
    "post__text",
    "post__spoiler_text",
    "post__hashtags",
    "author__key",
    "author__handle",
    "author__display_name",
)


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
        transaction.on_commit(partial(announce, changed))
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
        transaction.on_commit(partial(announce, changed))
    return len(rows)


def reapply_bans(
    walls: Iterable[Wall],
    *,
    authors: Iterable[str] | None = None,
    words: Iterable[str] | None = None,
) -> int:
    """Reject the pending and approved posts of these walls that their bans now cover (after a
    ban was added). Returns how many entries were rejected.

    With ``authors`` or ``words``, only those (newly added) bans are checked: the posts the
    walls' other bans cover were rejected when those bans came. That keeps adding a ban linear
    in the wall's posts rather than in posts x bans (a wall with hundreds of bans stalled the
    site: each new one re-checked every post against every ban inside the request), and an
    author ban reads only that author's entries.
    """
    rules = {rule.id: rule for rule in load_wall_rules([wall.pk for wall in walls])}
    if authors is not None or words is not None:
        new_authors = AccountSet.of(authors or ())
        new_words = KeywordSet(words or ())
        for rule in rules.values():
            rule.banned_authors, rule.banned_words = new_authors, new_words
    rules = {pk: rule for pk, rule in rules.items() if rule.banned_authors or rule.banned_words}
    if not rules:
        return 0
    rejected: list[PostWall] = []
    changed: list[tuple[int, str, str, bool]] = []
    now = timezone.now()
    with transaction.atomic():
        for row in _candidates(rules.values()).iterator(chunk_size=_CHUNK):
            entry_id, wall_id, post_id, text, spoiler, hashtags, key, handle, name = row
            rule = rules[wall_id]
            reason = ban_reason(
                rule,
                MatchInput(
                    source_id=0,
                    body=Haystack(f"{spoiler}\n{text}" if spoiler else text),
                    hashtags=frozenset(hashtags),
                    author_id=key,
                    author_handle=fold(handle),
                    name=Haystack(name),
                ),
            )
            if reason:
                rejected.append(
                    PostWall(
                        pk=entry_id,
                        state=ModerationState.REJECTED,
                        reason=reason,
                        pinned=False,
                        changed_at=now,
                    )
                )
                changed.append((post_id, rule.slug, ModerationState.REJECTED, False))
        PostWall.objects.bulk_update(
            rejected, ["state", "reason", "pinned", "changed_at"], batch_size=_CHUNK
        )
        transaction.on_commit(partial(announce, changed))
    return len(rejected)


def _candidates(rules: Iterable[WallRules]) -> QuerySet[PostWall, tuple[Any, ...]]:
    """The live entries of these walls a ban could cover, as plain rows (no model instances).

    When no wall bans words, only the banned authors' entries can be covered: they are found
    through the author table (ids exactly; handles compared folded, so a handle whose fold is
    not its lower case is looked at in Python) and the (wall, state, author) index."""
    rules = list(rules)
    entries = PostWall.objects.filter(
        wall__in=[rule.id for rule in rules],
        state__in=[ModerationState.PENDING, ModerationState.APPROVED],
    )
    if not any(rule.banned_words for rule in rules):
        ids = set().union(*(rule.banned_authors.ids for rule in rules))
        handles = set().union(*(rule.banned_authors.handles for rule in rules))
        entries = entries.filter(author__in=authors_named(ids, handles))
    return entries.values_list("id", "wall_id", "post_id", *RECHECK_FIELDS)


def authors_named(ids: set[str], handles: set[str]) -> list[int]:
    """Primary keys of the authors these stable ids or folded handles name."""
    found: set[int] = set()
    if ids:
        found.update(Author.objects.filter(key__in=sorted(ids)).values_list("pk", flat=True))
    for handle in handles:
        # iexact finds the usual ASCII handles; NFKC + casefold can also equal a handle written
        # with other characters (fullwidth letters, "ß"), so those few authors are folded here.
        near = Author.objects.filter(Q(handle__iexact=handle) | ~Q(handle__regex=r"^[ -~]*$"))
        found.update(pk for pk, h in near.values_list("pk", "handle") if fold(h) == handle)
    return sorted(found)
