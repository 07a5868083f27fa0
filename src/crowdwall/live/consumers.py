"""``WallConsumer``: one WebSocket per browser, joined to its wall's group.

Resuming: the browser sends the last post id it has and the ``at`` of the last frame it got,
as ``?since=N&changes=T`` on the URL or as a first message ``{"type": "resume", "since": N,
"changes": T}``; it then receives what it missed (``crowdwall.live.catchup``: changes to older
posts, then the approved posts after N, at most ``LIVE_CATCH_UP_LIMIT``), a ``catchup.done``
frame, and live events from then on.

The race, and why there is no gap and no duplicate: the consumer joins the group *before* it
reads the database, so every event committed after the read is also delivered live; live
events arriving during the catch-up are kept in a buffer (the consumer keeps draining its
channel meanwhile, so the layer's per-channel ``capacity`` is not what holds them) and sent
after it, minus any ``post.new`` whose id the catch-up already sent. Updates and deletions are
always forwarded: applying them twice is harmless.

Unknown or inactive walls: the socket is accepted and closed with code 4404, so the browser can
tell "no such wall" from a network failure and stop reconnecting.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict, deque
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from crowdwall.conf import conf
from crowdwall.live import catchup
from crowdwall.live.frames import done_frame, group_name
from crowdwall.models import Wall

logger = logging.getLogger("crowdwall.live")

CLOSE_UNKNOWN_WALL = 4404
CLOSE_BAD_MESSAGE = 4400
CLOSE_TRY_AGAIN = 1013  # the catch-up fell too far behind: reconnect (with since) later
_RECENT = 2_000  # post.new ids remembered to drop duplicates
_MAX_BUFFER = 10_000  # live events held during one catch-up


def parse_since(value: Any) -> int | None:
    """A non-negative post id, or None for anything else."""
    try:
        since = int(value)
    except (TypeError, ValueError):
        return None
    return since if since >= 0 else None


def _wall_id(slug: str) -> int | None:
    return Wall.objects.filter(slug=slug, is_active=True).values_list("pk", flat=True).first()


class WallConsumer(AsyncWebsocketConsumer):
    """Live posts of one wall (``url_route`` kwarg ``slug``)."""

    async def connect(self) -> None:
        self.group: str | None = None
        self.live = False  # False while a catch-up runs: live events go to the buffer
        self.buffer: deque[dict[str, Any]] = deque()
        self.recent: OrderedDict[int, None] = OrderedDict()
        self.catch_up_task: asyncio.Task[None] | None = None
        slug = self.scope["url_route"]["kwargs"]["slug"]
        self.wall_id = await database_sync_to_async(_wall_id)(slug)
        if self.wall_id is None:
            await self.accept()
            await self.close(code=CLOSE_UNKNOWN_WALL)
            return
        # Join before accepting: once the handshake completes, no event can pass us by.
        self.group = group_name(slug)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        since = parse_since(query.get("since", [None])[0])
        if since is None:
            self.live = True
        else:
            self.start_catch_up(since, parse_since(query.get("changes", [None])[0]))

    async def disconnect(self, code: int) -> None:
        if self.catch_up_task is not None:
            self.catch_up_task.cancel()
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            message = json.loads(text_data or "")
        except ValueError:
            await self.close(code=CLOSE_BAD_MESSAGE)
            return
        if not isinstance(message, dict) or message.get("type") != "resume":
            return  # nothing else is expected from browsers; ignore rather than fail
        since = parse_since(message.get("since"))
        if since is None:
            await self.close(code=CLOSE_BAD_MESSAGE)
        elif self.live and self.group is not None:  # one catch-up at a time
            self.start_catch_up(since, parse_since(message.get("changes")))

    def start_catch_up(self, since: int, changes: int | None) -> None:
        self.live = False
        self.catch_up_task = asyncio.get_running_loop().create_task(self.catch_up(since, changes))

    async def catch_up(self, since: int, changes: int | None) -> None:
        """Send what was missed (``crowdwall.live.catchup``), then the buffered live events;
        then go live."""
        try:
            limit = conf.LIVE_CATCH_UP_LIMIT
            missed = await database_sync_to_async(catchup.missed)(
                self.wall_id, since, changes, limit
            )
            for kind, post_id, text in missed.frames:
                if kind != "post.new" or self.remember(post_id):
                    await self.send(text_data=text)
            await self.send(
                text_data=done_frame(
                    len(missed.frames), missed.truncated, missed.last_id, missed.at
                )
            )
            while self.buffer:
                await self.deliver(self.buffer.popleft())
            self.live = True  # no await since the buffer was seen empty: nothing slips past
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("Catch-up for wall %s failed", self.wall_id)
            await self.close(code=1011)

    async def wall_event(self, message: dict[str, Any]) -> None:
        """A ``crowdwall.live.publisher`` message: the finished frame in ``text``."""
        if self.live:
            await self.deliver(message)
        elif len(self.buffer) < _MAX_BUFFER:
            self.buffer.append(message)
        elif self.catch_up_task is not None:  # never let a stuck catch-up eat the memory
            self.catch_up_task.cancel()
            self.buffer.clear()
            await self.close(code=CLOSE_TRY_AGAIN)

    async def deliver(self, message: dict[str, Any]) -> None:
        if message["kind"] == "post.new" and not self.remember(message["id"]):
            return  # the catch-up (or an earlier event) already sent it
        if message["kind"] == "post.delete":
            self.recent.pop(message["id"], None)  # approved again later: send it again
        await self.send(text_data=message["text"])

    def remember(self, post_id: int) -> bool:
        """Note a sent ``post.new``; False if it was sent already."""
        if post_id in self.recent:
            return False
        self.recent[post_id] = None
        if len(self.recent) > _RECENT:
            self.recent.popitem(last=False)
        return True
