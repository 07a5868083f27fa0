"""Keep a wall's per-minute rollups (``crowdwall.models.analytics``) equal to its entries.

Nothing in the ingest or moderation paths writes rollups: every change they make to an entry
is already visible in ``PostWall`` as a new row (a new id) or a new ``changed_at``. ``refresh``
reads what appeared since the wall's mark (``WallRollupMark``) and *recomputes* every minute
those entries fall in from ``PostWall`` itself, so a minute is never counted twice, whatever
path changed it, and a refresh that runs twice changes nothing. Wall-wide totals (per author,
per hashtag) move by the difference between a minute's old and new rows.

New entries are found by post id over the ``(wall, state, post)`` index (a new entry is a new
post: ingest adds entries only with their post), changes by ``changed_at`` over the partial
``(wall, changed_at)`` index. Post ids are drawn before their transaction commits, so a
refresh can see post 12 before post 11 commits: entries above the top read ``MARGIN`` seconds
ago are re-listed (ids only) and the ones not seen yet are counted then; ``changed_at`` is
stamped before commit too, so changes are re-read from ``MARGIN`` before the newest one read.
One refresh reads at most ``LIMIT`` new entries and ``LIMIT`` changes (the rest comes with the
next one); a wall with history gets its rollups from the ``rebuild-analytics`` job
(``crowdwall.jobs.analytics``), which ends by setting the mark.

Not seen: entries *deleted* from the table (a source deleted with its posts) and entries a
re-index adds to old posts or drops. Run ``rebuild-analytics`` after those.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone

from crowdwall.models import (
    ModerationState,
    PostWall,
    WallAuthorTotal,
    WallMinute,
    WallMinuteAuthor,
    WallMinuteTag,
    WallMinuteWait,
    WallRollupMark,
    WallTagTotal,
)

__all__ = [
    "LIMIT",
    "MARGIN",
    "lock",
    "minute_of",
    "rebuild_minutes",
    "refresh",
    "set_mark",
    "wait_bucket",
]

MARGIN = 60.0  # seconds: longer than any ingest or moderation transaction should take
LIMIT = 20_000  # entries (and changes) read per refresh
SPAN = 60  # minutes recomputed per query (a run of dirty minutes this long or shorter)
STATES = tuple(ModerationState.values)
TAG_LENGTH = 100  # WallMinuteTag.tag


def minute_of(moment: datetime) -> int:
    """The rollup minute of a moment: whole minutes since the epoch."""
    return int(moment.timestamp()) // 60


def minute_start(minute: int) -> datetime:
    """The first instant of a rollup minute (UTC)."""
    return datetime.fromtimestamp(minute * 60, tz=UTC)


def wait_bucket(seconds: float) -> int:
    """The histogram bucket of a wait: ``floor(2 * log2(1 + seconds))`` (``WallMinuteWait``)."""
    return int(2 * math.log2(1 + max(0.0, seconds)))


def _runs(minutes: Iterable[int]) -> list[list[int]]:
    # Sorted minutes cut into runs spanning at most SPAN minutes: one range query each.
    runs: list[list[int]] = []
    for minute in sorted(set(minutes)):
        if runs and minute - runs[-1][0] < SPAN:
            runs[-1].append(minute)
        else:
            runs.append([minute])
    return runs


def _entries(wall_id: int, run: list[int]) -> list[tuple[Any, ...]]:
    # The wall's entries of these minutes, in every state: the archive index's range.
    wanted = set(run)
    rows = PostWall.objects.filter(
        wall_id=wall_id,
        state__in=STATES,
        created_at__gte=minute_start(run[0]),
        created_at__lt=minute_start(run[-1] + 1),
    ).values_list(
        "created_at",
        "author_id",
        "state",
        "moderated_at",
        "post__source_id",
        "post__hashtags",
        "post__ingested_at",
    )
    return [row for row in rows if minute_of(row[0]) in wanted]


def _new_rows(wall_id: int, entries: list[tuple[Any, ...]]) -> tuple[list[Any], ...]:
    sources: dict[tuple[int, int], Counter[str]] = {}
    authors: dict[tuple[int, int], list[int]] = {}
    tags: Counter[tuple[int, str]] = Counter()
    waits: Counter[tuple[int, int]] = Counter()
    for created_at, author_id, state, moderated_at, source_id, hashtags, ingested_at in entries:
        minute = minute_of(created_at)
        counts = sources.setdefault((minute, source_id), Counter())
        counts["posts"] += 1
        counts[state] += 1
        pair = authors.setdefault((minute, author_id), [0, 0])
        pair[0] += 1
        if state != ModerationState.APPROVED:
            continue
        pair[1] += 1
        for tag in {str(tag).casefold()[:TAG_LENGTH] for tag in hashtags or ()}:
            tags[(minute, tag)] += 1
        if moderated_at is not None and ingested_at is not None:
            # A moderator's approval: how long the post waited since it arrived.
            waits[(minute, wait_bucket((moderated_at - ingested_at).total_seconds()))] += 1
    return (
        [
            WallMinute(
                wall_id=wall_id,
                minute=minute,
                source_id=source_id,
                **{name: counts[name] for name in ("posts", *STATES)},
            )
            for (minute, source_id), counts in sources.items()
        ],
        [
            WallMinuteAuthor(wall_id=wall_id, minute=m, author_id=a, posts=p, approved=ap)
            for (m, a), (p, ap) in authors.items()
        ],
        [WallMinuteTag(wall_id=wall_id, minute=m, tag=t, posts=n) for (m, t), n in tags.items()],
        [
            WallMinuteWait(wall_id=wall_id, minute=m, bucket=b, approvals=n)
            for (m, b), n in waits.items()
        ],
    )


def _apply_author_deltas(wall_id: int, deltas: dict[int, list[int]]) -> None:
    deltas = {key: d for key, d in deltas.items() if d != [0, 0]}
    if not deltas:
        return
    current = {
        row.author_id: row
        for row in WallAuthorTotal.objects.filter(wall_id=wall_id, author_id__in=list(deltas))
    }
    changed, created, gone = [], [], []
    for author_id, (posts, approved) in deltas.items():
        row = current.get(author_id)
        if row is None:
            row = WallAuthorTotal(wall_id=wall_id, author_id=author_id)
            created.append(row)
        else:
            changed.append(row)
        row.posts += posts
        row.approved += approved
        if row.posts <= 0:
            gone.append(author_id)
    WallAuthorTotal.objects.filter(wall_id=wall_id, author_id__in=gone).delete()
    WallAuthorTotal.objects.bulk_update(
        [row for row in changed if row.author_id not in gone], ["posts", "approved"]
    )
    WallAuthorTotal.objects.bulk_create([row for row in created if row.posts > 0])


def _apply_tag_deltas(wall_id: int, deltas: Counter[str]) -> None:
    deltas = Counter({tag: d for tag, d in deltas.items() if d})
    if not deltas:
        return
    current = {
        row.tag: row for row in WallTagTotal.objects.filter(wall_id=wall_id, tag__in=list(deltas))
    }
    changed, created = [], []
    for tag, delta in deltas.items():
        row = current.get(tag)
        if row is None:
            created.append(WallTagTotal(wall_id=wall_id, tag=tag, posts=delta))
        else:
            row.posts += delta
            changed.append(row)
    WallTagTotal.objects.filter(
        wall_id=wall_id, tag__in=[row.tag for row in changed if row.posts <= 0]
    ).delete()
    WallTagTotal.objects.bulk_update([row for row in changed if row.posts > 0], ["posts"])
    WallTagTotal.objects.bulk_create([row for row in created if row.posts > 0])


def rebuild_minutes(wall_id: int, minutes: Iterable[int]) -> int:
    """Recompute these minutes of the wall from ``PostWall`` (and move its totals by the
    difference); returns the entries read. Call it inside a transaction holding the mark."""
    read = 0
    for run in _runs(minutes):
        scope = {"wall_id": wall_id, "minute__in": run}
        old_authors = WallMinuteAuthor.objects.filter(**scope).values_list(
            "author_id", "posts", "approved"
        )
        old_tags = WallMinuteTag.objects.filter(**scope).values_list("tag", "posts")
        author_deltas: dict[int, list[int]] = {}
        tag_deltas: Counter[str] = Counter()
        for author_id, posts, approved in old_authors:
            delta = author_deltas.setdefault(author_id, [0, 0])
            delta[0] -= posts
            delta[1] -= approved
        for tag, posts in old_tags:
            tag_deltas[tag] -= posts
        entries = _entries(wall_id, run)
        read += len(entries)
        minutes_rows, author_rows, tag_rows, wait_rows = _new_rows(wall_id, entries)
        for row in author_rows:
            delta = author_deltas.setdefault(row.author_id, [0, 0])
            delta[0] += row.posts
            delta[1] += row.approved
        for row in tag_rows:
            tag_deltas[row.tag] += row.posts
        for model, rows in (
            (WallMinute, minutes_rows),
            (WallMinuteAuthor, author_rows),
            (WallMinuteTag, tag_rows),
            (WallMinuteWait, wait_rows),
        ):
            model.objects.filter(**scope).delete()
            model.objects.bulk_create(rows, batch_size=1000)
        _apply_author_deltas(wall_id, author_deltas)
        _apply_tag_deltas(wall_id, tag_deltas)
    return read


def _locked_mark(wall_id: int, *, wait: bool) -> WallRollupMark | None:
    # The wall's mark, locked for this transaction; None when another refresh holds it and
    # ``wait`` is false (its numbers are as good as ours a moment later).
    skip = not wait and connection.features.has_select_for_update_skip_locked
    for _ in range(2):
        mark = WallRollupMark.objects.select_for_update(skip_locked=skip).filter(wall_id=wall_id)
        found = mark.first()
        if found is not None:
            return found
        if WallRollupMark.objects.filter(wall_id=wall_id).exists():
            return None  # locked by someone else (skip_locked hid it)
        try:
            with transaction.atomic():
                WallRollupMark.objects.create(wall_id=wall_id)
        except IntegrityError:
            pass  # created meanwhile: lock that one
    return None


def lock(wall_id: int) -> WallRollupMark:
    """Take the wall's rollup lock for the current transaction, waiting for other holders."""
    mark = _locked_mark(wall_id, wait=True)
    assert mark is not None  # waiting, it cannot be skipped
    return mark


def _floor(checkpoints: list[list[float]], now: float) -> tuple[int, list[list[float]]]:
    # The top as of MARGIN ago (entries at or below it have all committed), and the
    # checkpoints still needed to know it next time.
    old = [cp for cp in checkpoints if now - cp[0] >= MARGIN]
    kept = old[-1:] + [cp for cp in checkpoints if now - cp[0] < MARGIN]
    return (int(old[-1][1]) if old else 0), kept


def _anything_new(mark: WallRollupMark, now: float) -> bool:
    # Without a lock or a transaction (two index probes): is there an entry or a change the
    # mark has not counted? Most polls of a page find nothing, and then write nothing.
    window = mark.window or {}
    floor, _ = _floor(window.get("checkpoints") or [[now - MARGIN, mark.top]], now)
    seen = {pk for pk in window.get("seen", ()) if pk > floor}
    ids = PostWall.objects.filter(wall_id=mark.wall_id, state__in=STATES, post_id__gt=floor)
    if any(pk not in seen for pk in ids.values_list("post_id", flat=True)[: len(seen) + 1]):
        return True
    if mark.changed_at is None:
        return PostWall.objects.filter(wall_id=mark.wall_id, changed_at__isnull=False).exists()
    known = {(pk, at) for pk, at in window.get("changes", ())}
    changes = PostWall.objects.filter(
        wall_id=mark.wall_id, changed_at__gt=mark.changed_at - timedelta(seconds=MARGIN)
    ).values_list("post_id", "changed_at")[: len(known) + 1]
    return any((pk, at.isoformat()) not in known for pk, at in changes)


def refresh(wall_id: int, *, wait: bool = False) -> int:
    """Bring the wall's rollups up to date with its entries; returns the entries read.

    Returns 0 at once when nothing changed since the last refresh, or when another refresh of
    the same wall is running (``wait=False``)."""
    mark = WallRollupMark.objects.filter(wall_id=wall_id).first()
    fresh = mark is not None and mark.refreshed_at is not None
    if fresh and not _anything_new(mark, timezone.now().timestamp()):  # type: ignore[arg-type]
        return 0
    with transaction.atomic():
        mark = _locked_mark(wall_id, wait=wait)
        if mark is None:
            return 0
        now = timezone.now()
        stamp = now.timestamp()
        window = mark.window or {}
        checkpoints = window.get("checkpoints") or [[stamp - MARGIN, mark.top]]
        floor, checkpoints = _floor(checkpoints, stamp)
        seen = {pk for pk in window.get("seen", ()) if pk > floor}
        # The (wall, state, post) index: entries above the floor, in post id order.
        entries = PostWall.objects.filter(wall_id=wall_id, state__in=STATES)
        late = [
            (pk, created)
            for pk, created in entries.filter(post_id__gt=floor, post_id__lte=mark.top).values_list(
                "post_id", "created_at"
            )
            if pk not in seen
        ]
        new = list(
            entries.filter(post_id__gt=mark.top)
            .order_by("post_id")
            .values_list("post_id", "created_at")[:LIMIT]
        )
        since = None if mark.changed_at is None else mark.changed_at - timedelta(seconds=MARGIN)
        changes = PostWall.objects.filter(wall_id=wall_id, changed_at__isnull=False)
        if since is not None:
            changes = changes.filter(changed_at__gt=since)
        read = list(
            changes.order_by("changed_at").values_list("post_id", "changed_at", "created_at")[
                :LIMIT
            ]
        )
        # Changes re-read within the margin and already counted are skipped, like entries.
        known = {(pk, at) for pk, at in window.get("changes", ())}
        changed = [row for row in read if (row[0], row[1].isoformat()) not in known]
        if not (late or new or changed) and mark.refreshed_at is not None:
            return 0  # nothing new: no write (the window is pruned with the next change)
        if new:
            mark.top = new[-1][0]
        if len(new) == LIMIT:
            # Catching up on history (more to read than one refresh takes): these entries
            # committed long ago, so their top counts as a margin old and none is kept as seen.
            checkpoints.append([stamp - MARGIN, mark.top])
            seen.update(pk for pk, _ in late)
        else:
            seen.update(pk for pk, _ in late + new)
            if checkpoints[-1][1] != mark.top:  # one checkpoint per top is enough
                checkpoints.append([stamp, mark.top])
        if read:
            mark.changed_at = max(mark.changed_at or read[-1][1], read[-1][1])
        mark.window = {
            "checkpoints": checkpoints,
            "seen": sorted(seen),
            "changes": _recent_changes(read, mark.changed_at),
        }
        mark.refreshed_at = now
        mark.save()
        minutes = {minute_of(created) for _, created in late + new}
        minutes |= {minute_of(created) for _, _, created in changed}
        return rebuild_minutes(wall_id, minutes) if minutes else 0


def _recent_changes(rows: list[tuple[Any, ...]], newest: datetime | None) -> list[list[Any]]:
    # The changes the next refresh will read again (within the margin of the newest one).
    if newest is None:
        return []
    since = newest - timedelta(seconds=MARGIN)
    return [[pk, at.isoformat()] for pk, at, *_ in rows if at > since]


def set_mark(wall_id: int) -> None:
    """Mark the wall's rollups as read up to its current entries (after a full rebuild)."""
    entries = PostWall.objects.filter(wall_id=wall_id)
    changed_at = entries.filter(changed_at__isnull=False).aggregate(at=Max("changed_at"))["at"]
    entries = entries.filter(state__in=STATES)
    top = entries.aggregate(top=Max("post_id"))["top"] or 0
    now = timezone.now()
    # A checkpoint dated MARGIN ago: the rebuild read everything up to ``top`` itself.
    recent = []
    if changed_at is not None:
        since = changed_at - timedelta(seconds=MARGIN)
        recent = list(
            entries.filter(changed_at__gt=since).values_list("post_id", "changed_at")[:LIMIT]
        )
    window = {
        "checkpoints": [[now.timestamp() - MARGIN, top]],
        "seen": [],
        "changes": _recent_changes(recent, changed_at),
    }
    WallRollupMark.objects.update_or_create(
        wall_id=wall_id,
        defaults={"top": top, "window": window, "changed_at": changed_at, "refreshed_at": now},
    )
