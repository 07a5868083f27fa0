"""Keep a wall's per-minute rollups (``crowdwall.models.analytics``) equal to its entries.

Nothing in the ingest or moderation paths writes rollups: every change they make to an entry
is already visible in ``PostWall`` as a new row (a new id) or a new ``changed_at``. ``refresh``
reads what appeared since the wall's mark (``WallRollupMark``) and *recomputes* every minute
those entries fall in from ``PostWall`` itself (``crowdwall.analytics.recompute``), so a minute
is never counted twice, whatever path changed it, and a refresh that runs twice changes
nothing. Hour rows and wall-wide totals move by the difference between a minute's old and new
rows.

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

from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone

from crowdwall.analytics.grains import minute_of, minute_start
from crowdwall.analytics.recompute import rebuild_minutes, wait_bucket
from crowdwall.models import ModerationState, PostWall, WallRollupMark

__all__ = [
    "LIMIT",
    "MARGIN",
    "lock",
    "minute_of",
    "minute_start",
    "rebuild_minutes",
    "refresh",
    "set_mark",
    "wait_bucket",
]

MARGIN = 60.0  # seconds: longer than any ingest or moderation transaction should take
LIMIT = 20_000  # entries (and changes) read per refresh
STATES = tuple(ModerationState.values)


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
