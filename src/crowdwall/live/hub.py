"""One channel-layer subscription per process (per event loop) feeding all its live sockets.

Why: a plain Channels consumer per socket means one layer channel, one receive loop and one
``group_send`` delivery per socket per event — a process then pushes only a few thousand
deliveries per second and channels-redis silently drops messages for channels over capacity.
The hub instead

- creates ONE channel (``layer.new_channel()``) and ``group_add``\\s it to every wall group that
  has at least one socket in this process (``group_discard`` when the last one leaves);
- runs ONE reader task that receives every wall's messages (each carries its ``group``) and a
  flusher that hands them to that wall's sockets: messages that reach the process within
  ``LIVE_COALESCE_MS`` of the previous flush go out together, as ONE text per wall per flush
  (the frame, or a JSON array of frames: ``frames.join_frames``), built once and shared by
  every socket — nothing is encoded per socket; of a wall's ``wall.figures`` frames in one
  flush only the last goes out (the newest figures are all a page needs);
- never awaits a socket: ``Socket.hub_deliver`` only queues (each consumer has its own sender
  task and a bounded backlog), so one slow browser cannot stall the others;
- watches the layer: a heartbeat goes round through a group of its own every
  ``LIVE_HEARTBEAT_SECONDS``. When a round trip fails or a receive raises (Redis down, or
  restarted and so without our group memberships), it backs off with jitter, re-adds every
  group, proves delivery with another round trip and then tells every socket to resynchronise
  from the database (``Socket.hub_resync``): what was published while the layer was down (the
  publisher's ``group_send`` failed, or the message was lost with Redis) reaches the browsers.

Works with channels-redis' core and pub/sub layers and with the in-memory layer. ``hub_for()``
returns the running loop's hub for a layer alias (each ASGI worker process has its own).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
import weakref
from collections import deque
from dataclasses import dataclass
from typing import Any, Protocol

from channels.layers import DEFAULT_CHANNEL_LAYER, BaseChannelLayer, get_channel_layer

from crowdwall.conf import conf
from crowdwall.live.frames import FIGURES, join_frames

logger = logging.getLogger("crowdwall.live")

PING = "hub.ping"  # the heartbeat message type (never handed to sockets)
MAX_BATCH = 200  # frames per WebSocket message at most: browsers parse a burst in one go
_MAX_BACKOFF = 5.0  # seconds between recovery attempts at most (then jittered)
_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, Hub]] = (
    weakref.WeakKeyDictionary()
)


@dataclass(frozen=True, slots=True)
class Batch:
    """Messages of one wall from one flush (``publisher`` messages: ``kind``, ``id``, ``at``,
    ``text``), and ``text``: all of them as one WebSocket message, shared by every socket."""

    messages: list[dict[str, Any]]
    text: str


class Socket(Protocol):
    """What the hub needs from a live socket (``WallConsumer``); neither method may block."""

    def hub_deliver(self, batch: Batch) -> None: ...

    def hub_resync(self) -> None: ...


class Hub:
    """The fan-out of one channel layer to the sockets of one event loop (see the module)."""

    def __init__(
        self,
        layer: BaseChannelLayer,
        *,
        coalesce_ms: float = 50.0,
        heartbeat: float = 1.0,
    ) -> None:
        self.layer = layer
        self.coalesce = max(coalesce_ms, 0.0) / 1000
        self.heartbeat = heartbeat
        self.ping_timeout = max(5.0, 3 * heartbeat)
        self.sockets: dict[str, set[Socket]] = {}
        self.subscribed: set[str] = set()  # groups our channel is in (as far as we know)
        self.channel: str | None = None
        self.healthy = True
        self.checkpoint = 0  # +1 per good heartbeat: everything before it was delivered
        # Counters for tests, logs and the benchmark.
        self.received = self.flushes = self.resyncs = self.failures = 0
        self._inbox: deque[dict[str, Any]] = deque()
        self._wakeup = asyncio.Event()
        self._lock = asyncio.Lock()  # group membership changes and recovery, one at a time
        self._ping_group = "crowdwall-hub." + uuid.uuid4().hex
        self._pings: dict[int, asyncio.Future[None]] = {}
        self._seq = 0
        self._started: asyncio.Task[None] | None = None
        self._tasks: list[asyncio.Task[None]] = []

    # -- sockets ---------------------------------------------------------------------------

    async def join(self, group: str, socket: Socket) -> None:
        """Deliver ``group``'s messages to ``socket`` from now on: when this returns, the
        process is in the group (or the layer is down, and the socket will be resynchronised
        once it is back). Never raises for a layer problem."""
        await self._start()
        self.sockets.setdefault(group, set()).add(socket)
        if group in self.subscribed:
            return
        async with self._lock:
            if group in self.subscribed or group not in self.sockets:
                return
            try:
                await self._group_add(group)
            except Exception:
                if self.healthy:
                    logger.warning("Live hub: cannot join %s; retrying in the background", group)
                self._trouble()

    async def leave(self, group: str, socket: Socket) -> None:
        """Stop delivering to ``socket``; the process leaves the group with its last socket."""
        members = self.sockets.get(group)
        if members is None:
            return
        members.discard(socket)
        if members:
            return
        del self.sockets[group]
        async with self._lock:
            if group in self.sockets or group not in self.subscribed:
                return  # someone joined again meanwhile
            self.subscribed.discard(group)
            try:
                await self.layer.group_discard(group, self.channel)
            except Exception:
                logger.warning("Live hub: group_discard(%s) failed", group, exc_info=True)

    # -- the tasks -------------------------------------------------------------------------

    async def _start(self) -> None:
        if self._started is None:
            self._started = asyncio.get_running_loop().create_task(self._setup())
        # If the layer is unreachable, go on: sockets are resynchronised once it is back.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._started), self.ping_timeout)

    async def _setup(self) -> None:
        # The pub/sub layer subscribes in new_channel (the core and in-memory ones do not touch
        # Redis): during an outage, retry with backoff; the watcher starts once we have it.
        delay = 0.1
        while self.channel is None:
            try:
                self.channel = await self.layer.new_channel()
            except Exception as exc:
                if self.healthy:
                    logger.warning("Live hub: no channel yet (%s); retrying", exc)
                self._trouble()
                await asyncio.sleep(_jitter(delay))
                delay = min(delay * 2, _MAX_BACKOFF)
        try:
            await self._group_add(self._ping_group)
        except Exception:
            self._trouble()
        loop = asyncio.get_running_loop()
        for job in (self._read, self._flush_loop, self._watch):
            self._tasks.append(loop.create_task(job(), name=f"crowdwall-hub-{job.__name__}"))

    async def _group_add(self, group: str) -> None:
        if self.channel is None:
            raise ConnectionError("the hub has no channel yet")
        await asyncio.wait_for(self.layer.group_add(group, self.channel), self.ping_timeout)
        self.subscribed.add(group)

    async def _read(self) -> None:
        """Receive forever; a failing receive (Redis down) backs off and marks us unhealthy."""
        assert self.channel is not None
        delay = 0.1
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self.healthy:
                    logger.warning("Live hub: receive failed (%s); recovering", exc)
                self._trouble()
                await asyncio.sleep(_jitter(delay))
                delay = min(delay * 2, _MAX_BACKOFF)
                continue
            delay = 0.1
            if message.get("type") == PING:
                future = self._pings.get(message.get("n", -1))
                if future is not None and not future.done():
                    future.set_result(None)
                continue
            self.received += 1
            self._inbox.append(message)
            self._wakeup.set()

    async def _flush_loop(self) -> None:
        loop = asyncio.get_running_loop()
        last = -self.coalesce
        while True:
            await self._wakeup.wait()
            wait = last + self.coalesce - loop.time()
            if wait > 0:  # in a burst: let more arrive, then send them together
                await asyncio.sleep(wait)
            self._wakeup.clear()
            self.flush()
            # Let the sockets' senders write what was just queued, THEN start the window: with
            # the core layer the reader gets one message per loop iteration, so under load it
            # catches up in the window, not while thousands of sends fill every iteration.
            await asyncio.sleep(0)
            last = loop.time()

    def flush(self) -> None:
        """Hand everything received to the sockets of each message's group: one ``Batch`` per
        wall (per ``MAX_BATCH`` frames), its text built once."""
        by_group: dict[str, list[dict[str, Any]]] = {}
        while self._inbox:
            message = self._inbox.popleft()
            by_group.setdefault(message.get("group", ""), []).append(message)
        for group, messages in by_group.items():
            sockets = self.sockets.get(group)
            if not sockets:
                continue
            messages = latest_figures(messages)
            for start in range(0, len(messages), MAX_BATCH):
                chunk = messages[start : start + MAX_BATCH]
                batch = Batch(chunk, join_frames([m["text"] for m in chunk]))
                self.flushes += 1
                for socket in list(sockets):
                    try:
                        socket.hub_deliver(batch)
                    except Exception:
                        logger.exception("Live hub: delivering to %r failed", socket)

    async def _watch(self) -> None:
        """Heartbeat while healthy; recover (re-add groups, round trip, resync) when not."""
        delay = self.heartbeat
        while True:
            await asyncio.sleep(_jitter(delay) if not self.healthy else self.heartbeat)
            if self.healthy:
                if await self._ping() == "ok":
                    self.checkpoint += 1
                    continue
                if self.healthy:
                    logger.warning("Live hub: heartbeat lost; recovering")
                self._trouble()
            outcome = await self._recover()
            # Still unreachable: back off. Back, or reachable but not delivering yet (the layer
            # is re-subscribing): look again soon.
            unreachable = outcome == "unreachable"
            delay = min(delay * 2, _MAX_BACKOFF) if unreachable else self.heartbeat

    async def _ping(self) -> str:
        """One round trip through our own group: "ok", "unreachable" (the send failed) or
        "lost" (sent, but it did not come back in time)."""
        self._seq += 1
        seq = self._seq
        future = asyncio.get_running_loop().create_future()
        self._pings[seq] = future
        try:
            try:
                send = self.layer.group_send(self._ping_group, {"type": PING, "n": seq})
                await asyncio.wait_for(send, self.ping_timeout)
            except asyncio.CancelledError:
                raise
            except Exception:
                return "unreachable"
            try:
                await asyncio.wait_for(future, self.ping_timeout)
            except TimeoutError:
                return "lost"
            return "ok"
        finally:
            self._pings.pop(seq, None)

    async def _recover(self) -> str:
        """Re-add every group (a restarted Redis forgot them), prove delivery, resync."""
        async with self._lock:
            try:
                for group in [self._ping_group, *self.sockets]:
                    await self._group_add(group)
            except Exception:
                return "unreachable"
        outcome = await self._ping()
        if outcome != "ok":
            return outcome
        self.healthy = True
        self.checkpoint += 1
        self.resyncs += 1
        sockets = [socket for members in self.sockets.values() for socket in members]
        logger.warning("Live hub: channel layer back; resynchronising %d socket(s)", len(sockets))
        for socket in sockets:
            try:
                socket.hub_resync()
            except Exception:
                logger.exception("Live hub: resync of %r failed", socket)
        return outcome

    def _trouble(self) -> None:
        if self.healthy:
            self.failures += 1
        self.healthy = False

    async def close(self) -> None:
        """Stop the tasks (tests; a server just exits)."""
        if self._started is not None:
            self._tasks.append(self._started)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()


def latest_figures(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``messages`` minus every ``wall.figures`` but the newest (highest ``at``; publishers in
    several processes may arrive out of order): in a burst, only the newest figures matter to a
    page, and they are the biggest frames."""
    found = [(m.get("at") or 0, i) for i, m in enumerate(messages) if m.get("kind") == FIGURES]
    keep = max(found)[1] if found else -1
    return [m for i, m in enumerate(messages) if m.get("kind") != FIGURES or i == keep]


def _jitter(delay: float) -> float:
    return delay * random.uniform(0.5, 1.5)


def hub_for(alias: str = DEFAULT_CHANNEL_LAYER) -> Hub:
    """The running event loop's hub for the channel layer ``alias`` (created on first use)."""
    loop = asyncio.get_running_loop()
    hubs = _hubs.setdefault(loop, {})
    hub = hubs.get(alias)
    if hub is None:
        layer = get_channel_layer(alias)
        if layer is None:
            raise RuntimeError(f"No channel layer {alias!r}: set CHANNEL_LAYERS for live walls.")
        hub = hubs[alias] = Hub(
            layer, coalesce_ms=conf.LIVE_COALESCE_MS, heartbeat=conf.LIVE_HEARTBEAT_SECONDS
        )
    return hub
