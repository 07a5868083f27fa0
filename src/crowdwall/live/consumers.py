"""``WallConsumer``: one WebSocket per browser, fed by its process's hub (``crowdwall.live.hub``).

Resuming: the browser sends the last post id it has and the ``at`` of the last frame it got,
as ``?since=N&changes=T`` on the URL or as a first message ``{"type": "resume", "since": N,
"changes": T}``; it then receives what it missed (``crowdwall.live.catchup``: changes to older
posts, then the approved posts after N, at most ``LIVE_CATCH_UP_LIMIT``), a ``catchup.done``
frame, and live events from then on. Every catch-up ends with the wall's ``wall.figures``
(post count, top lists): a page rendered from the cache corrects its figures at once. A message may be one frame or a JSON array of frames.

The race, and why there is no gap and no duplicate: the consumer registers with the hub
*before* it reads the database (the hub is in the wall's group when ``join`` returns), so every
event committed after the read is also delivered live; live events arriving during the
catch-up are kept in a buffer and sent after it, minus any ``post.new`` whose id the catch-up
(or an earlier event) already sent. Updates and deletions are always forwarded: applying them
twice is harmless.

Resynchronising: when the hub's channel layer was down (Redis restarted), events were lost, so
the hub asks every socket to catch up again from the last post id and ``at`` it had sent by the
hub's last good heartbeat (``mark``) — the same catch-up; the browser sees a few frames and a
``catchup.done`` it does not need to act on, and posts it already has are not sent again.

Sending never blocks the hub: frames go to this socket's outbox and its own sender task writes
them (merging what piled up into one array). A socket whose outbox exceeds
``LIVE_SOCKET_BACKLOG`` messages is closed with 1013: its browser reconnects with ``since``.

Screens: after every catch-up comes the wall's ``screen.state`` (paused, banner, spotlight, layout
and theme set from the Screens page: ``crowdwall.remote.control``; with ``?screen=<id>`` on the
URL, as that screen should be, its own overrides included), and a big screen sends its presence
as ``{"type": "presence", ...}`` messages (``crowdwall.remote.presence``; a bad one is logged and
ignored, the screen stays live).

Unknown or inactive walls: the socket is accepted and closed with code 4404, so the browser can
tell "no such wall" from a network failure and stop reconnecting.

Bad input: a ``screen`` that is no screen id, a ``since`` or ``changes`` that is not a whole number in range (post ids up to
2^63 - 1, times up to the year 9999: ``crowdwall.live.catchup.parse_position``), on the URL or
in a resume message, and a message that is not JSON, longer than ``MAX_MESSAGE`` characters or
nested deeper than ``crowdwall.jsonlimits.MAX_DEPTH``: the socket is closed with 4400 at once
(before anything is read from the database), never left open and silent nor closed with 1011.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
from collections import OrderedDict, deque
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import DEFAULT_CHANNEL_LAYER
from django.db.models import Max

from crowdwall import jsonlimits
from crowdwall.conf import conf
from crowdwall.live import catchup
from crowdwall.live.catchup import MAX_AT_MS, MAX_POST_ID, parse_position
from crowdwall.live.frames import done_frame, group_name, join_frames
from crowdwall.live.hub import MAX_BATCH, Batch, Hub, hub_for
from crowdwall.models import Post, Wall
from crowdwall.remote import presence
from crowdwall.remote.control import state_frame

logger = logging.getLogger("crowdwall.live")

CLOSE_UNKNOWN_WALL = 4404
CLOSE_BAD_MESSAGE = 4400  # bad since/changes, or a message we cannot read: do not retry as is
MAX_MESSAGE = 4_096  # characters: a resume message is under 100
CLOSE_TRY_AGAIN = 1013  # fell too far behind: reconnect (with since) later
_RECENT = 2_000  # post.new ids remembered to drop duplicates
_MAX_BUFFER = 10_000  # live events held during one catch-up
_RESYNC_SPREAD = 1.0  # seconds: resyncs after an outage are spread, not a thundering herd
_closing: set[asyncio.Task[None]] = set()


class BadResume(ValueError):
    """A ``since``/``changes`` given but out of range or not a whole number."""


def resume_position(since: Any, changes: Any) -> tuple[int | None, int | None]:
    """``since`` (a post id) and ``changes`` (epoch ms) as a client sent them, None where not
    sent; ``BadResume`` when one was sent but is not a whole number in range."""
    parsed = (
        None if since is None else parse_position(since, MAX_POST_ID),
        None if changes is None else parse_position(changes, MAX_AT_MS),
    )
    if (since is not None and parsed[0] is None) or (changes is not None and parsed[1] is None):
        raise BadResume(f"since={str(since)[:30]!r}, changes={str(changes)[:30]!r}")
    return parsed


def _wall(slug: str) -> tuple[int | None, int]:
    """The active wall's id (or None) and the newest post id: where a page that said nothing
    about ``since`` stands, should it ever need resynchronising."""
    wall_id = Wall.objects.filter(slug=slug, is_active=True).values_list("pk", flat=True).first()
    if wall_id is None:
        return None, 0
    return wall_id, Post.objects.aggregate(top=Max("pk"))["top"] or 0


def _missed(
    wall_id: int,
    since: int,
    changes: int | None,
    limit: int,
    slug: str | None,
    screen: str | None = None,
) -> tuple[catchup.Missed, str]:
    """What the page missed, and the screen control state, the wall's or as ``screen`` should
    be (one thread hop for both)."""
    found = catchup.missed(wall_id, since, changes, limit, slug=slug)
    return found, state_frame(wall_id, screen)


def merge(texts: list[str]) -> str:
    """WebSocket messages (frames or arrays of frames) as one message."""
    if len(texts) == 1:
        return texts[0]
    return "[" + ",".join(t[1:-1] if t.startswith("[") else t for t in texts) + "]"


class WallConsumer(AsyncWebsocketConsumer):
    """Live posts of one wall (``url_route`` kwarg ``slug``)."""

    # The hub owns the process's only layer channel: no channel (nor receive loop) per socket.
    channel_layer_alias = None  # type: ignore[assignment]
    hub_alias = DEFAULT_CHANNEL_LAYER

    def setup(self, wall_id: int | None = None, last_id: int = 0) -> None:
        """The per-socket state (``connect`` calls it; tests too, to drive one directly)."""
        self.group: str | None = None
        self.slug: str | None = None
        self.hub: Hub | None = None
        self.wall_id = wall_id
        self.last_id = last_id
        self.last_at = catchup.now_ms()  # before joining: a resync re-reads from here
        # Where a resync starts: (last_id, last_at) as they were when the first message after
        # the hub's latest good heartbeat (``checkpoint``) arrived — what came after it may be
        # partial, and messages may arrive again before the hub notices the layer failed.
        self.checkpoint = -1
        self.resync_id, self.resync_at = last_id, self.last_at
        self.live = False  # False while a catch-up runs: live events go to the buffer
        self.resync_pending = False
        self.buffer: deque[dict[str, Any]] = deque()
        self.recent: OrderedDict[int, None] = OrderedDict()
        self.outbox: deque[str] = deque()
        self.wake = asyncio.Event()
        self.closing = False
        self.tasks: set[asyncio.Task[None]] = set()
        self.presence_at = -math.inf  # when this socket's last presence report was read
        self.screen: str | None = None  # a big screen's id (``?screen=``): its own overrides

    async def connect(self) -> None:
        self.setup()
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        try:  # blank values are dropped by parse_qs: "?since=" is no since
            since, changes = resume_position(
                query.get("since", [None])[0], query.get("changes", [None])[0]
            )
        except BadResume as exc:
            logger.info("Live socket refused: %s", exc)
            await self.accept()
            await self.close(code=CLOSE_BAD_MESSAGE)
            return
        screen = query.get("screen", [None])[0]
        if screen is not None and not presence.SCREEN_ID.match(screen):
            logger.info("Live socket refused: screen=%r", screen[:50])
            await self.accept()
            await self.close(code=CLOSE_BAD_MESSAGE)
            return
        self.screen = screen
        slug = self.scope["url_route"]["kwargs"]["slug"]
        self.wall_id, self.last_id = await database_sync_to_async(_wall)(slug)
        self.resync_id = self.last_id
        if self.wall_id is None:
            await self.accept()
            await self.close(code=CLOSE_UNKNOWN_WALL)
            return
        # Join before accepting: once the handshake completes, no event can pass us by.
        self.slug, self.group = slug, group_name(slug)
        self.hub = hub_for(self.hub_alias)
        await self.hub.join(self.group, self)
        await self.accept()
        self.spawn(self.sender())
        if since is None:  # live now, with whatever arrived since joining
            buffered = list(self.buffer)
            self.buffer.clear()
            self.send_messages(buffered)
            self.live = True
            if self.resync_pending:  # the hub recovered while we were joining
                self.start_catch_up(self.resync_id, self.resync_at)
        else:
            self.start_catch_up(since, changes)

    async def disconnect(self, code: int) -> None:
        self.closing = True
        for task in list(self.tasks):
            task.cancel()
        if self.hub is not None and self.group is not None:
            await self.hub.leave(self.group, self)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data is None or len(text_data) > MAX_MESSAGE:  # binary, or far too long
            await self.close(code=CLOSE_BAD_MESSAGE)
            return
        try:
            message = jsonlimits.loads(text_data)  # nesting bounded: no RecursionError
        except jsonlimits.BadJson:
            await self.close(code=CLOSE_BAD_MESSAGE)
            return
        if isinstance(message, dict) and message.get("type") == "presence":
            await self.report_presence(message)
            return
        if not isinstance(message, dict) or message.get("type") != "resume":
            return  # nothing else is expected from browsers; ignore rather than fail
        try:
            since, changes = resume_position(message.get("since"), message.get("changes"))
        except BadResume:
            since = changes = None
        if since is None:  # a resume says where from: without a valid since it is bad
            await self.close(code=CLOSE_BAD_MESSAGE)
        elif self.live and self.group is not None:  # one catch-up at a time
            self.start_catch_up(since, changes)

    async def report_presence(self, message: dict[str, Any]) -> None:
        """A big screen's heartbeat (``crowdwall.remote.presence``), stored in the cache; at
        most one per half heartbeat per socket is even read."""
        now = asyncio.get_running_loop().time()
        if self.wall_id is None or now - self.presence_at < conf.SCREEN_HEARTBEAT_SECONDS / 2:
            return
        self.presence_at = now
        try:
            found = presence.parse_report(message)
            await database_sync_to_async(presence.report)(self.wall_id, found, transport="channels")
        except presence.BadReport as exc:  # a screen with a bug: it stays live, unlisted
            logger.info("Presence report on wall %s refused: %s", self.wall_id, exc)
        except presence.TooManyScreens as exc:
            logger.warning("Presence report on wall %s refused: %s", self.wall_id, exc)

    def spawn(self, job: Any) -> None:
        task = asyncio.get_running_loop().create_task(job)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    # -- catching up -----------------------------------------------------------------------

    def start_catch_up(self, since: int, changes: int | None, delay: float = 0.0) -> None:
        self.live = False
        self.spawn(self.catch_up(since, changes, delay))

    async def catch_up(self, since: int, changes: int | None, delay: float = 0.0) -> None:
        """Send what was missed (``crowdwall.live.catchup``), then the buffered live events;
        then go live (or catch up again if the hub asked meanwhile)."""
        try:
            if delay:
                await asyncio.sleep(delay)
            self.resync_pending = False
            limit = conf.LIVE_CATCH_UP_LIMIT
            missed, control = await database_sync_to_async(_missed)(
                self.wall_id, since, changes, limit, self.slug, self.screen
            )
            texts = [
                text
                for kind, post_id, text in missed.frames
                if kind != "post.new" or self.remember(post_id)
            ]
            if missed.figures is not None:
                texts.append(missed.figures)
            texts.append(control)  # the screens' paused/banner/layout state
            if missed.last_id is not None:
                self.last_id = max(self.last_id, missed.last_id)
            self.last_at = max(self.last_at, missed.at)
            self.mark(force=True)  # the database had everything up to here
            done = done_frame(len(missed.frames), missed.truncated, missed.last_id, missed.at)
            texts.append(done)
            for start in range(0, len(texts), MAX_BATCH):
                self.enqueue(join_frames(texts[start : start + MAX_BATCH]))
            buffered = list(self.buffer)
            self.buffer.clear()
            self.send_messages(buffered)
            if self.resync_pending:
                self.start_catch_up(self.resync_id, self.resync_at)
            else:
                self.live = True  # no await since the buffer was emptied: nothing slips past
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("Catch-up for wall %s failed", self.wall_id)
            await self.close(code=1011)

    # -- the hub's side (never blocks) -----------------------------------------------------

    def hub_deliver(self, batch: Batch) -> None:
        """Live messages of this wall: queued for the sender (held during a catch-up)."""
        if self.closing:
            return
        if not self.live:
            if len(self.buffer) + len(batch.messages) <= _MAX_BUFFER:
                self.buffer.extend(batch.messages)
            else:  # never let a stuck catch-up eat the memory
                self.give_up()
            return
        self.send_messages(batch.messages, batch.text)

    def hub_resync(self) -> None:
        """The layer lost messages: catch up again from what this socket was sent."""
        if self.closing or self.wall_id is None:
            return
        if self.live:
            delay = random.uniform(0, _RESYNC_SPREAD)
            self.start_catch_up(self.resync_id, self.resync_at, delay)
        else:
            self.resync_pending = True  # after the running catch-up

    def send_messages(self, messages: list[dict[str, Any]], text: str | None = None) -> None:
        """Queue live messages minus duplicate ``post.new``; ``text`` is all of them encoded."""
        fresh = [m for m in messages if self.track(m)]
        if not fresh:
            return
        if text is None or len(fresh) != len(messages):
            text = join_frames([m["text"] for m in fresh])
        self.enqueue(text)

    def track(self, message: dict[str, Any]) -> bool:
        """Note a live message about to be sent; False for a ``post.new`` sent already."""
        self.mark()
        kind, post_id = message["kind"], message["id"]
        if kind == "post.new" and not self.remember(post_id):
            return False
        if kind == "post.delete":
            self.recent.pop(post_id, None)  # approved again later: send it again
        elif post_id > self.last_id:
            self.last_id = post_id
        at = message.get("at")
        if isinstance(at, int) and at > self.last_at:
            self.last_at = at
        return True

    def mark(self, force: bool = False) -> None:
        """Move the resync position up to here, once per hub heartbeat (or when told)."""
        checkpoint = self.hub.checkpoint if self.hub is not None else 0
        if force or checkpoint != self.checkpoint:
            self.checkpoint = checkpoint
            self.resync_id, self.resync_at = self.last_id, self.last_at

    def remember(self, post_id: int) -> bool:
        """Note a sent ``post.new``; False if it was sent already."""
        if post_id in self.recent:
            return False
        self.recent[post_id] = None
        if len(self.recent) > _RECENT:
            self.recent.popitem(last=False)
        return True

    # -- sending ---------------------------------------------------------------------------

    def enqueue(self, text: str) -> None:
        if self.closing:
            return
        self.outbox.append(text)
        if len(self.outbox) > conf.LIVE_SOCKET_BACKLOG:
            self.give_up()
        else:
            self.wake.set()

    async def sender(self) -> None:
        """Write the outbox to the socket; what piled up meanwhile goes as one message."""
        while True:
            await self.wake.wait()
            self.wake.clear()
            while self.outbox:
                texts = list(self.outbox)
                self.outbox.clear()
                try:
                    await self.send(text_data=merge(texts))
                except Exception:  # the browser went away: disconnect() cleans up
                    logger.debug("Live socket on wall %s: send failed", self.wall_id)
                    return

    def give_up(self) -> None:
        """Too far behind: close with 1013, the browser reconnects and catches up by id."""
        if self.closing:
            return
        self.closing = True
        self.outbox.clear()
        self.buffer.clear()
        for task in list(self.tasks):
            task.cancel()
        logger.info("Live socket on wall %s fell behind: closed with 1013", self.wall_id)
        task = asyncio.get_running_loop().create_task(self.close(code=CLOSE_TRY_AGAIN))
        _closing.add(task)  # keep a reference until done
        task.add_done_callback(_closing.discard)
