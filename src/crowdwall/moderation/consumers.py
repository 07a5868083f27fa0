"""``ModerationConsumer``: the moderators' live feed of one wall (``ws/walls/<slug>/moderate/``).

Viewers, moderators and organisers of the wall only (``crowdwall.moderation.access``, action
``"view"``): anyone else is refused *before* the handshake completes, so the server answers the
upgrade request with HTTP 403 and nothing about the wall is sent. Unknown walls: accepted, then
closed with 4404 (as ``WallConsumer`` does), so the page stops reconnecting. A ``changes`` that
is not a whole number up to the year 9999 in epoch ms: accepted, then closed with 4400.

What it sends: ``mod.update`` frames (``crowdwall.live.frames.mod_frame``: a post's state and
pin on this wall after any change, new pending posts included), forwarded as the publisher
encoded them (a message may also be a JSON array of frames). On connect it first sends a
snapshot, so nothing is missed between the page's render and the socket opening, or while it
was away (``crowdwall.moderation.snapshot``; nchan pages fetch the same over HTTP):

1. with ``?changes=T`` (epoch ms, the page's render time or the last ``at`` it saw): a
   ``mod.update`` for every entry of the wall that changed since then (any state);
2. the pending queue, oldest first, at most ``SNAPSHOT_LIMIT`` entries;
3. ``{"type": "catchup.done", "count": n, "truncated": bool, "at": T}``.

The consumer joins the group before reading the database, and sends the snapshot inside
``connect``: Channels dispatches a consumer's messages one at a time, so live frames that arrive
meanwhile wait in the channel and follow the snapshot. A change committed during the read is
therefore sent after it (never overtaken by older state), at worst twice: frames are states,
and applying one again is harmless.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from crowdwall.live import frames
from crowdwall.live.consumers import CLOSE_BAD_MESSAGE, BadResume, resume_position
from crowdwall.models import Wall
from crowdwall.moderation.access import may, may_enter
from crowdwall.moderation.snapshot import SNAPSHOT_LIMIT, snapshot

logger = logging.getLogger("crowdwall.moderation")

CLOSE_UNKNOWN_WALL = 4404
__all__ = ["CLOSE_UNKNOWN_WALL", "SNAPSHOT_LIMIT", "ModerationConsumer", "snapshot"]


def _wall(slug: str) -> Wall | None:
    return Wall.objects.filter(slug=slug).first()


def _changes(scope: dict[str, Any]) -> int | None:
    """The ``changes`` query value; None when absent, ``BadResume`` when not a valid one."""
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    return resume_position(None, query.get("changes", [None])[0])[1]


class ModerationConsumer(AsyncWebsocketConsumer):
    """Live moderation frames of one wall (``url_route`` kwarg ``slug``), for its viewers and up."""

    async def connect(self) -> None:
        self.group: str | None = None
        user = self.scope.get("user")
        if not await database_sync_to_async(may_enter)(user):
            await self.close()  # before accept: the server refuses the handshake (HTTP 403)
            return
        try:
            changes = _changes(self.scope)
        except BadResume:
            await self.accept()
            await self.close(code=CLOSE_BAD_MESSAGE)
            return
        slug = self.scope["url_route"]["kwargs"]["slug"]
        wall = await database_sync_to_async(_wall)(slug)
        if wall is None:
            await self.accept()
            await self.close(code=CLOSE_UNKNOWN_WALL)
            return
        if not await database_sync_to_async(may)(user, wall, "view"):
            await self.close()  # no role on this wall: refused like a stranger (HTTP 403)
            return
        wall_id = wall.pk
        self.group = frames.moderation_group_name(slug)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        try:
            texts, truncated, at = await database_sync_to_async(snapshot)(wall_id, changes)
            for text in texts:
                await self.send(text_data=text)
            done = {"type": "catchup.done", "count": len(texts), "truncated": truncated, "at": at}
            await self.send(text_data=json.dumps(done))
        except Exception:
            logger.exception("Moderation snapshot of wall %s failed", slug)
            await self.close(code=1011)

    async def disconnect(self, code: int) -> None:
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """Moderators act over HTTP (CSRF-checked forms); anything sent here is ignored."""

    async def wall_event(self, message: dict[str, Any]) -> None:
        """A publisher message for this wall's moderators: the finished frame in ``text``."""
        await self.send(text_data=message["text"])
