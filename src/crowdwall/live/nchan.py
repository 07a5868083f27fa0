"""``NchanPublisher``: ingest and moderation events to nginx's nchan pub/sub module.

nginx holds the browsers' WebSocket/EventSource connections and fans each message out in C;
Django only publishes: the frames of a batch of events are the same as the Channels transport
sends (``ChannelsPublisher.messages``: ``post.new``, ``post.update``, ``post.delete`` to
``wall.<slug>``, ``mod.update`` to ``moderate.<slug>``), and a channel's message is
``POST <NCHAN_PUBLISH_URL><channel>`` whose body is the frame, or a JSON array of frames (a
coalesced burst, which the page handles too).

``publish`` computes the frames in the caller's thread (it may read the database) and queues
them; a background thread (``crowdwall.live.nchan_sender``) POSTs them, coalescing what arrives
within ``LIVE_COALESCE_MS`` into ONE message per channel: an isolated post goes out at once, a
burst as a few arrays instead of one POST (and one WebSocket message per browser) per post.
``flush()`` waits until the queue is sent, ``close()`` (also run at exit) stops the thread;
``background=False`` POSTs in the caller's thread instead, one POST per channel and call.

Publishing happens after commit: an unreachable or failing nchan is logged and counted
(``errors``, ``sent``; ``dropped`` when the queue overflowed), never raised. Pages lose nothing
for good: they catch up from the database (``/walls/<slug>/live/missed/``) whenever they
(re)connect. The HTTP client is pooled (keepalive to nginx) and its timeouts are short.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Collection, Iterable

import httpx

from crowdwall.conf import conf
from crowdwall.ingest.publisher import Event, Publisher
from crowdwall.live.frames import join_frames
from crowdwall.live.nchan_sender import MAX_PENDING, CoalescingSender

logger = logging.getLogger("crowdwall.live")

# Seconds: nginx answers a publish from memory in well under a millisecond; waiting longer only
# holds up the messages queued behind this one.
TIMEOUT = httpx.Timeout(2.0, connect=0.5)
CONTENT_TYPE = "application/json"


class NchanPublisher(Publisher):
    """POSTs each batch's frames to ``publish_url`` (default: ``CROWDWALL['NCHAN_PUBLISH_URL']``)
    plus the channel id, from a background thread coalescing bursts within ``coalesce_ms``
    (default: ``CROWDWALL['LIVE_COALESCE_MS']``); ``transport`` replaces the network for tests."""

    def __init__(
        self,
        *,
        publish_url: str | None = None,
        transport: httpx.BaseTransport | None = None,
        coalesce_ms: float | None = None,
        background: bool = True,
        max_pending: int = MAX_PENDING,
    ) -> None:
        self._publish_url = publish_url
        self._transport = transport
        self._coalesce_ms = coalesce_ms
        self.background = background
        self.max_pending = max_pending
        self.errors = 0  # messages (channel POSTs) that failed
        self.sent = 0  # messages delivered to nchan
        self._reset()

    def _reset(self) -> None:
        # Also after a fork (a preloading server): the parent's thread and sockets are not ours.
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._client: httpx.Client | None = None
        self._sender: CoalescingSender | None = None

    @property
    def publish_url(self) -> str:
        """Where messages go (read at use time, so ``override_settings`` works)."""
        return self._publish_url if self._publish_url is not None else conf.NCHAN_PUBLISH_URL

    @property
    def coalesce_seconds(self) -> float:
        value = self._coalesce_ms if self._coalesce_ms is not None else conf.LIVE_COALESCE_MS
        return max(value, 0.0) / 1000

    @property
    def dropped(self) -> int:
        """Frames dropped because too many were waiting (nchan unreachable for long)."""
        sender = self._sender
        return sender.dropped if sender is not None else 0

    def publish(self, event: Event) -> None:
        self.publish_many([event])

    def publish_many(self, events: Iterable[Event]) -> None:
        self._deliver(channel_frames(list(events)))

    def publish_figures(self, slugs: Collection[str]) -> None:
        self._deliver(channel_frames([], figures=slugs))

    def publish_batch(self, events: Iterable[Event], figures: Collection[str]) -> None:
        self._deliver(channel_frames(list(events), figures=figures))

    def _deliver(self, batch: dict[str, list[str]]) -> None:
        if not batch:
            return
        if not self.publish_url:
            self.errors += len(batch)
            logger.error(
                "CROWDWALL['NCHAN_PUBLISH_URL'] is empty: %d message(s) dropped", len(batch)
            )
            return
        if self.background and self._get_sender().put(batch.items()):
            return
        for channel, texts in batch.items():  # synchronous mode, or the sender is closed
            self._post(channel, texts)

    def send_frames(self, group: str, texts: list[str]) -> bool:
        """Queue finished frames for channel ``group`` (after what is queued already)."""
        if not self.publish_url:
            self.errors += 1
            logger.error("CROWDWALL['NCHAN_PUBLISH_URL'] is empty: %d frame(s) dropped", len(texts))
            return False
        if not (self.background and self._get_sender().put([(group, texts)])):
            self._post(group, texts)
        return True

    def flush(self, timeout: float | None = 5.0) -> bool:
        """Send what is queued now; True once it is all sent (delivered or counted failed)."""
        sender = self._sender
        return sender.flush(timeout) if sender is not None else True

    def close(self, timeout: float | None = 5.0) -> bool:
        """Send what is queued, stop the sender thread, close the pooled connections (tests,
        clean shutdown; also run at exit). A later publish starts afresh."""
        with self._lock:
            sender, self._sender = self._sender, None
        done = sender.close(timeout) if sender is not None else True
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None
        return done

    def _post(self, channel: str, texts: list[str]) -> None:
        """One message to ``channel``: counted, logged, never raised."""
        try:
            response = self._get_client().post(
                self.publish_url + channel, content=join_frames(texts).encode()
            )
        except httpx.HTTPError as exc:
            self.errors += 1
            logger.error("nchan publish to %s failed: %r", channel, exc)
            return
        # 201: delivered to subscribers; 202: queued (nobody subscribed right now).
        if response.status_code in (200, 201, 202):
            self.sent += 1
        else:
            self.errors += 1
            logger.error(
                "nchan publish to %s answered %s: %s",
                channel,
                response.status_code,
                response.text[:200],
            )

    def _get_sender(self) -> CoalescingSender:
        if self._pid != os.getpid():
            self._reset()
        with self._lock:
            if self._sender is None:
                self._sender = CoalescingSender(
                    self._post,
                    window=self.coalesce_seconds,
                    max_pending=self.max_pending,
                    name="crowdwall-nchan",
                )
            else:  # the setting is read at use time (override_settings)
                self._sender.window = self.coalesce_seconds
            return self._sender

    def _get_client(self) -> httpx.Client:
        if self._pid != os.getpid():
            self._reset()
        with self._lock:
            if self._client is None:
                self._client = httpx.Client(
                    timeout=TIMEOUT,
                    transport=self._transport,
                    headers={"Content-Type": CONTENT_TYPE},
                    # Keepalive to nginx: a publish is one small POST on a warm connection.
                    limits=httpx.Limits(max_connections=8, max_keepalive_connections=8),
                )
            return self._client


def channel_frames(events: list[Event], *, figures: Collection[str] = ()) -> dict[str, list[str]]:
    """Channel id -> every frame the Channels transport would send to that group for
    ``events`` (and the figures of the walls ``figures``), in order."""
    # The Channels publisher owns the event -> frames rules (which walls get post.new,
    # post.update or post.delete, the moderators' feed); reuse them rather than drift apart.
    from crowdwall.live.publisher import ChannelsPublisher

    texts: dict[str, list[str]] = {}
    for group, message in ChannelsPublisher().messages(events, figures=figures):
        texts.setdefault(group, []).append(message["text"])
    return texts


def channel_messages(events: list[Event], *, figures: Collection[str] = ()) -> dict[str, str]:
    """Channel id -> the message body for ``events`` (and the figures of the walls ``figures``)
    sent at once: every frame of that channel joined into one message (a JSON array when
    several)."""
    frames = channel_frames(events, figures=figures)
    return {group: join_frames(texts) for group, texts in frames.items()}
