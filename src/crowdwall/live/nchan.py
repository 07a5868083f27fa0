"""``NchanPublisher``: ingest and moderation events to nginx's nchan pub/sub module.

nginx holds the browsers' WebSocket/EventSource connections and fans each message out in C;
Django only publishes, once per channel and batch: the frames of a batch of events are the
same as the Channels transport sends (``ChannelsPublisher.messages``: ``post.new``,
``post.update``, ``post.delete`` to ``wall.<slug>``, ``mod.update`` to ``moderate.<slug>``),
grouped by channel, and each channel gets ONE ``POST <NCHAN_PUBLISH_URL><channel>`` whose body
is the frame, or a JSON array of frames (a coalesced burst, which the page handles too).

``publish`` runs after commit: an unreachable or failing nchan is logged and counted
(``errors``, ``sent``), never raised. Pages lose nothing for good: they catch up from the
database (``/walls/<slug>/live/missed/``) whenever they (re)connect. The HTTP client is pooled
(keepalive to nginx) and its timeouts are short, so a dead nginx slows ingest by at most
``TIMEOUT`` per batch and channel, not more.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

import httpx

from crowdwall.conf import conf
from crowdwall.ingest.publisher import Event, Publisher
from crowdwall.live.frames import join_frames

logger = logging.getLogger("crowdwall.live")

# Seconds: nginx answers a publish from memory in well under a millisecond; waiting longer only
# holds up the ingest that called us.
TIMEOUT = httpx.Timeout(2.0, connect=0.5)
CONTENT_TYPE = "application/json"


class NchanPublisher(Publisher):
    """POSTs each batch's frames to ``publish_url`` (default: ``CROWDWALL['NCHAN_PUBLISH_URL']``)
    plus the channel id; ``transport`` replaces the network for tests."""

    def __init__(
        self, *, publish_url: str | None = None, transport: httpx.BaseTransport | None = None
    ) -> None:
        self._publish_url = publish_url
        self._transport = transport
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()
        self.errors = 0  # channels whose publish failed
        self.sent = 0  # channels published to

    @property
    def publish_url(self) -> str:
        """Where messages go (read at use time, so ``override_settings`` works)."""
        return self._publish_url if self._publish_url is not None else conf.NCHAN_PUBLISH_URL

    def publish(self, event: Event) -> None:
        self.publish_many([event])

    def publish_many(self, events: Iterable[Event]) -> None:
        batch = channel_messages(list(events))
        if not batch:
            return
        base = self.publish_url
        if not base:
            self.errors += len(batch)
            logger.error(
                "CROWDWALL['NCHAN_PUBLISH_URL'] is empty: %d message(s) dropped", len(batch)
            )
            return
        client = self._get_client()
        for channel, body in batch.items():
            try:
                response = client.post(base + channel, content=body.encode())
            except httpx.HTTPError as exc:
                self.errors += 1
                logger.error("nchan publish to %s failed: %r", channel, exc)
                continue
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

    def close(self) -> None:
        """Close the pooled connections (tests; a server process simply exits)."""
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    def _get_client(self) -> httpx.Client:
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


def channel_messages(events: list[Event]) -> dict[str, str]:
    """Channel id -> message body for ``events``: every frame the Channels transport would send
    to that group, in order, joined into one message (a JSON array when several)."""
    # The Channels publisher owns the event -> frames rules (which walls get post.new,
    # post.update or post.delete, the moderators' feed); reuse them rather than drift apart.
    from crowdwall.live.publisher import ChannelsPublisher

    texts: dict[str, list[str]] = {}
    for group, message in ChannelsPublisher().messages(events):
        texts.setdefault(group, []).append(message["text"])
    return {group: join_frames(frames) for group, frames in texts.items()}
