"""Taking posts off walls for consent: an account that opted out, or one on a never-show list.

The same contract as a moderator's removal (``crowdwall.moderation.actions``): the wall entries
change in bulk in the caller's transaction and, after commit, the walls' pages are purged and
one ``post.moderation`` event per post tells every open page to drop it. The wall's figures
(top authors, post count) are hard-purged too: a person who asked to be left out must not
stay in "top authors" until the next refresh.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from functools import partial

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from crowdwall.ingest.announce import announce as announce_changes
from crowdwall.ingest.consent import account_opted_out, author_opted_out
from crowdwall.ingest.match import OPTED_OUT_REASON, WallRules, fold
from crowdwall.ingest.normalize import IncomingAuthor
from crowdwall.ingest.prepare import Entry, Prepared
from crowdwall.ingest.publisher import Event, EventKind
from crowdwall.ingest.walls import load_wall_rules
from crowdwall.models import Author, ModerationState, PostWall

logger = logging.getLogger("crowdwall.ingest")

_OPEN = (ModerationState.PENDING, ModerationState.APPROVED)
_CHUNK = 500

# The consent flags of an author row, in the order ``consent_values`` gives them.
CONSENT_FIELDS = ["noindex", "discoverable", "indexable", "no_unauthenticated"]

# (wall id, author key, author handle) -> whether that wall keeps showing the author's posts.
Spare = Callable[[int, str, str], bool]


def withdraw(entries: QuerySet[PostWall], reason: str, *, spare: Spare | None = None) -> int:
    """Reject the pending and approved ``entries`` (but those ``spare`` keeps) with ``reason``
    and push the removal to open pages after commit; returns how many were taken off."""
    now = timezone.now()
    with transaction.atomic():
        rows = list(
            entries.filter(state__in=_OPEN).values_list(
                "id", "post_id", "wall_id", "wall__slug", "author__key", "author__handle"
            )
        )
        if spare is not None:
            rows = [row for row in rows if not spare(row[2], row[4], row[5])]
        ids = [row[0] for row in rows]
        for start in range(0, len(ids), _CHUNK):
            PostWall.objects.filter(pk__in=ids[start : start + _CHUNK]).update(
                state=ModerationState.REJECTED, reason=reason, pinned=False, changed_at=now
            )
        if rows:
            rejected = ModerationState.REJECTED
            changed = [(post_id, slug, rejected, False) for _, post_id, _, slug, _, _ in rows]
            transaction.on_commit(partial(announce, changed))
    return len(rows)


def announce(changed: Iterable[tuple[int, str, str, bool]]) -> None:
    """After commit: ``changed`` holds (post id, wall slug, new state, pinned) rows. Purges the
    walls' figures and pages first (a page reloading on the event must not get the old copy),
    then publishes one ``post.moderation`` event per post. Moderation uses it too."""
    by_post: dict[int, dict[str, str]] = defaultdict(dict)
    pins: dict[int, dict[str, bool]] = defaultdict(dict)
    for post_id, slug, state, pinned in changed:
        by_post[post_id][slug] = state
        pins[post_id][slug] = pinned
    slugs = {slug for walls in by_post.values() for slug in walls}
    if not slugs:
        return
    events = [
        Event(EventKind.MODERATION, post_id, walls, pinned=pins[post_id])
        for post_id, walls in by_post.items()
    ]
    announce_changes(events, slugs)


def consent_values(author: IncomingAuthor) -> tuple[bool | None, ...]:
    """An author's ``CONSENT_FIELDS`` and then its ``opted_out`` verdict, for its row."""
    flags = (author.noindex, author.discoverable, author.indexable, author.no_unauthenticated)
    return (*flags, author_opted_out(author))


def withdraw_opted_out(chunk: Iterable[Entry], walls: Mapping[int, WallRules]) -> int:
    """Take the posts of the chunk's authors who opted out since we last stored them off every
    wall (but walls that show the accounts they follow anyway); returns how many entries.

    One indexed query when the chunk has opted-out authors, none otherwise. Their rows get
    the new flags here, since their own posts now match no wall and would not refresh them.
    """
    opted: dict[str, IncomingAuthor] = {}
    for entry in chunk:
        author = entry.post.author if isinstance(entry, Prepared) else None
        if author is not None and author_opted_out(author):
            opted[author.id] = author
    if not opted:
        return 0
    flipped = list(Author.objects.filter(key__in=list(opted), opted_out=False).only("id", "key"))
    if not flipped:
        return 0
    for row in flipped:
        values = dict(
            zip([*CONSENT_FIELDS, "opted_out"], consent_values(opted[row.key]), strict=True)
        )
        for name, value in values.items():
            setattr(row, name, value)
    Author.objects.bulk_update(flipped, [*CONSENT_FIELDS, "opted_out"])

    def spare(wall_id: int, key: str, handle: str) -> bool:
        wall = walls.get(wall_id)
        return wall is not None and wall.shows_opted_out(key, fold(handle))

    entries = PostWall.objects.filter(post__author_id__in=[row.pk for row in flipped])
    count = withdraw(entries, OPTED_OUT_REASON, spare=spare)
    logger.info("%d account(s) opted out: %d wall entries withdrawn", len(flipped), count)
    return count


def withdraw_accounts(
    flags_by_key: Mapping[str, bool], walls: Mapping[int, WallRules] | None = None
) -> int:
    """Record that the accounts of ``flags_by_key`` (author key -> whether their profile now
    carries ``!no-unauthenticated``) gained or lost the label, and take the open entries of
    those that gained it off every wall (but walls that show the accounts they follow
    anyway); returns how many entries. ``walls``: the active walls' rules (loaded if None).

    Losing the label only updates the row: their later posts show again, while the posts
    withdrawn meanwhile stay rejected (a moderator may approve them again). Keys with no row
    have no posts here: nothing to record (the source remembers the label)."""
    if not flags_by_key:
        return 0
    with transaction.atomic():
        return _withdraw_accounts(flags_by_key, walls)


def _withdraw_accounts(
    flags_by_key: Mapping[str, bool], walls: Mapping[int, WallRules] | None
) -> int:
    rows = list(
        Author.objects.filter(key__in=list(flags_by_key)).only("id", "key", *CONSENT_FIELDS)
    )
    gained = []
    for row in rows:
        labelled = flags_by_key[row.key]
        row.no_unauthenticated = True if labelled else None
        flags = {name: getattr(row, name) for name in CONSENT_FIELDS}
        row.opted_out = account_opted_out(**flags)
        if labelled:
            gained.append(row.pk)
    Author.objects.bulk_update(rows, ["no_unauthenticated", "opted_out"])
    if not gained:
        return 0
    rules = walls if walls is not None else {wall.id: wall for wall in load_wall_rules()}

    def spare(wall_id: int, key: str, handle: str) -> bool:
        wall = rules.get(wall_id)
        return wall is not None and wall.shows_opted_out(key, fold(handle))

    count = withdraw(
        PostWall.objects.filter(post__author_id__in=gained), OPTED_OUT_REASON, spare=spare
    )
    logger.info(
        "%d account(s) labelled !no-unauthenticated: %d wall entries withdrawn", len(gained), count
    )
    return count


def labelled_accounts(prefix: str, limit: int) -> list[str]:
    """Keys (starting with ``prefix``) of at most ``limit`` authors whose profile carries
    ``!no-unauthenticated``, the most recently updated first: a source's starting set."""
    rows = Author.objects.filter(no_unauthenticated=True, key__startswith=prefix)
    return list(rows.order_by("-updated_at").values_list("key", flat=True)[:limit])
