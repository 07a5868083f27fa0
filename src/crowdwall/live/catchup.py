"""What a reconnecting page missed, read from the database (used by every live transport).

A page knows two positions: ``since``, the highest post id it has, and ``changes``, the server
time (epoch milliseconds, the ``at`` of the last frame it received, or of the page render) up to
which it has seen changes to older posts. Catching up sends

1. ``post.update`` or ``post.delete`` for the wall's entries with an id <= ``since`` whose
   ``changed_at`` is after ``changes`` (edited, approved, pinned, hidden, banned, deleted at the
   source while the page was away); an approved entry is sent whole, so a page that never had it
   inserts it in place;
2. ``post.new`` for the approved posts after ``since``, oldest first, at most ``limit`` (the
   newest ones; ``truncated`` says more were missed: reload);
3. ``wall.figures``: the wall's post count and top lists as of now (``crowdwall.live.figures``),
   which replace whatever the (perhaps cached) page was rendered with.

``changed_at`` is stamped before commit and ``at`` after it, so changes are read from a margin
(``CHANGE_MARGIN_MS``) before ``changes``: resending a change is harmless, missing one is not.

Both come from clients: ``parse_position`` reads them within their bounds (``MAX_POST_ID``,
``MAX_AT_MS``); a bigger number would overflow the database query or ``datetime``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from crowdwall.aggregates import WallRef
from crowdwall.live.figures import figures_frame
from crowdwall.live.frames import delete_frame, post_frame, post_payload
from crowdwall.models import ModerationState, PostWall, Wall

CHANGE_MARGIN_MS = 5_000
MAX_POST_ID = 2**63 - 1  # database ids are 64-bit
MAX_AT_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z, datetime's last millisecond
_MAX_CHANGES = 2_000  # changes resent at most; beyond that the page is told to reload


@dataclass(frozen=True, slots=True)
class Missed:
    """Frames to send, oldest first: (kind, post id, text)."""

    frames: list[tuple[str, int, str]]
    truncated: bool
    last_id: int | None  # highest post id sent, if any
    at: int  # server time (epoch ms) the read started: the page's next ``changes``
    figures: str | None = None  # the wall's ``wall.figures`` frame as of ``at``


def now_ms() -> int:
    """Server time in epoch milliseconds, the unit of ``at`` and ``changes``."""
    return int(time.time() * 1000)


def from_ms(value: int) -> datetime:
    """Epoch milliseconds as an aware datetime; past ``MAX_AT_MS`` it is datetime's last one."""
    return datetime.fromtimestamp(min(value, MAX_AT_MS) / 1000, tz=UTC)


def parse_position(value: Any, maximum: int) -> int | None:
    """``value`` (an int, or a string of ASCII digits) as an int in ``0..maximum``; else None."""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value) if len(value) <= len(str(maximum)) else None
    if isinstance(value, bool) or not isinstance(value, int):  # bool: JSON true is no position
        return None
    return value if 0 <= value <= maximum else None


def missed(
    wall_id: int, since: int, changes: int | None, limit: int, *, slug: str | None = None
) -> Missed:
    """Everything a page at (``since``, ``changes``) missed on wall ``wall_id`` (slug ``slug``,
    looked up when not given), and the wall's figures now."""
    at = now_ms()
    frames: list[tuple[str, int, str]] = []
    truncated = False
    if changes is not None:
        after = from_ms(changes) - timedelta(milliseconds=CHANGE_MARGIN_MS)
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
    if slug is None:
        slug = Wall.objects.values_list("slug", flat=True).get(pk=wall_id)
    figures = figures_frame(WallRef(wall_id, slug), at=at)
    return Missed(frames, truncated, rows[-1].post_id if rows else None, at, figures)
