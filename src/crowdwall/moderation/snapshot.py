"""What a moderators' page needs on (re)connect, whatever the transport: the entries changed
since it last looked and the pending queue, as ``mod.update`` frames.

The Channels consumer (``crowdwall.moderation.consumers``) sends it on the socket when a page
connects; on the nchan transport the socket only carries live frames, so the page fetches the
same snapshot over HTTP (``crowdwall.moderation.views.snapshot``) right after subscribing.
"""

from __future__ import annotations

from datetime import timedelta

from crowdwall.live import frames
from crowdwall.live.catchup import CHANGE_MARGIN_MS, MAX_AT_MS, from_ms, now_ms, parse_position
from crowdwall.models import ModerationState, PostWall

SNAPSHOT_LIMIT = 500  # pending entries sent on connect; the page pages through the rest
_MAX_CHANGES = 2_000


def _frame(entry: PostWall) -> str:
    return frames.mod_frame(
        entry.post_id, entry.state, entry.pinned, frames.post_payload(entry.post)
    )


def snapshot(wall_id: int, changes: int | None) -> tuple[list[str], bool, int]:
    """The frames (JSON text) a moderators' page needs on (re)connect: with ``changes`` (epoch
    ms), every entry changed since then (any state), then the pending queue oldest first; whether
    either was cut; the time (epoch ms) of the read, the page's next ``changes``."""
    at = now_ms()
    texts: list[str] = []
    truncated = False
    entries = PostWall.objects.filter(wall_id=wall_id).select_related("post__author")
    if changes is not None:
        after = from_ms(changes) - timedelta(milliseconds=CHANGE_MARGIN_MS)
        changed = list(entries.filter(changed_at__gt=after).order_by("changed_at", "post_id")[
            : _MAX_CHANGES + 1
        ])  # fmt: skip
        truncated = len(changed) > _MAX_CHANGES
        texts += [_frame(entry) for entry in changed[:_MAX_CHANGES]]
    pending = list(
        entries.filter(state=ModerationState.PENDING).order_by("post_id")[: SNAPSHOT_LIMIT + 1]
    )
    truncated = truncated or len(pending) > SNAPSHOT_LIMIT
    texts += [_frame(entry) for entry in pending[:SNAPSHOT_LIMIT]]
    return texts, truncated, at


def parse_changes(value: str) -> int | None:
    """A ``changes`` query value (epoch ms) as an int; None when absent or not a plausible one."""
    return parse_position(value, MAX_AT_MS)
