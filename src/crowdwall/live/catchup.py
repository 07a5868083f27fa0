"""What a reconnecting page missed, read from the database (used by every live transport).

A page knows two positions: ``since``, the highest post id it has, and ``changes``, the server
time (epoch milliseconds, the ``at`` of the last frame it received, or of the page render) up to
which it has seen changes to older posts. Catching up sends

1. ``post.update`` or ``post.delete`` for the wall's entries with an id <= ``since`` whose
   ``changed_at`` is after ``changes`` (edited, approved, pinned, hidden, banned, deleted at the
   source while the page was away); an approved entry is sent whole, so a page that never had it
   inserts it in place;
2. ``post.new`` for the approved posts after ``since``, oldest first, at most ``limit`` (the
   newest ones; ``truncated`` says more were missed: reload).

``changed_at`` is stamped before commit and ``at`` after it, so changes are read from a margin
(``CHANGE_MARGIN_MS``) before ``changes``: resending a change is harmless, missing one is not.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from crowdwall.live.frames import delete_frame, post_frame, post_payload
from crowdwall.models import ModerationState, PostWall

CHANGE_MARGIN_MS = 5_000
_MAX_CHANGES = 2_000  # changes resent at most; beyond that the page is told to reload


@dataclass(frozen=True, slots=True)
class Missed:
    """Frames to send, oldest first: (kind, post id, text)."""

    frames: list[tuple[str, int, str]]
    truncated: bool
    last_id: int | None  # highest post id sent, if any
    at: int  # server time (epoch ms) the read started: the page's next ``changes``


def now_ms() -> int:
    """Server time in epoch milliseconds, the unit of ``at`` and ``changes``."""
    return int(time.time() * 1000)


def _from_ms(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1000, tz=UTC)


def missed(wall_id: int, since: int, changes: int | None, limit: int) -> Missed:
    """Everything a page at (``since``, ``changes``) missed on wall ``wall_id``."""
    at = now_ms()
    frames: list[tuple[str, int, str]] = []
    truncated = False
    if changes is not None:
        after = _from_ms(changes) - timedelta(milliseconds=CHANGE_MARGIN_MS)
        changed = list(
            PostWall.objects.filter(wall_id=wall_id, post_id__lte=since, changed_at__gt=after)
            .select_related("post__author")
            .order_by("changed_at", "post_id")[: _MAX_CHANGES + 1]
        )
        truncated = len(changed) > _MAX_CHANGES
        for entry in changed[:_MAX_CHANGES]:
            if entry.state == ModerationState.APPROVED:
                payload = post_payload(entry.post)
                text = post_frame("post.update", entry.post_id, payload, pinned=entry.pinned)
                frames.append(("post.update", entry.post_id, text))
            else:
                frames.append(("post.delete", entry.post_id, delete_frame(entry.post_id)))
    rows = list(
        PostWall.objects.filter(wall_id=wall_id, state=ModerationState.APPROVED, post_id__gt=since)
        .select_related("post__author")
        .order_by("-post_id")[: limit + 1]
    )
    truncated = truncated or len(rows) > limit
    rows = rows[:limit]
    rows.reverse()
    for row in rows:
        text = post_frame("post.new", row.post_id, post_payload(row.post), pinned=row.pinned)
        frames.append(("post.new", row.post_id, text))
    return Missed(frames, truncated, rows[-1].post_id if rows else None, at)
