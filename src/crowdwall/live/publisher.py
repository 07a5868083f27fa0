"""``ChannelsPublisher``: ingest and moderation events to wall groups on a Channels layer.

Per event, each affected wall gets ONE ``group_send`` to its group (``wall.<slug>``), carrying
the finished client frame as text: the post is encoded once per event (not per wall, not per
consumer), and the hub (``crowdwall.live.hub``) forwards the text as it is. Each affected wall's
moderators' feed (``moderate.<slug>``) also gets a ``mod.update`` frame for every change,
pending new posts included, for the moderation screen's consumer. What a wall's group receives
depends on the post's state on that wall after the change:

- approved: ``post.new`` (new, or approved by a moderator) or ``post.update`` (edited);
- anything else: ``post.delete`` — except a brand-new post that is not approved (nobody shows it).

``publish_figures`` sends each wall ONE ``wall.figures`` frame (its post count and top lists,
read after the change: ``crowdwall.live.figures``), so the figures on every open page follow the
posts without a reload; ``crowdwall.ingest.announce`` calls it after the posts' frames, at most
once a second per wall.

Moderation events carry no post, so their posts are loaded from the database in one query
(call ``publish`` from sync code, as the ingest pipeline and moderation do after commit; from a
running event loop the sends are scheduled as a task, but that query would be refused).
Delivery problems are logged and counted (``errors``), never raised: ``publish`` runs after
commit; when the layer (Redis) is down, the hubs notice it too and resynchronise their sockets
from the database once it is back. Note: channels-redis silently skips a member whose channel is
over ``capacity``; with the hub there is one channel per process, drained continuously.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection, Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import DEFAULT_CHANNEL_LAYER, BaseChannelLayer, get_channel_layer

from crowdwall.ingest.publisher import Event, EventKind, Publisher
from crowdwall.live.catchup import now_ms
from crowdwall.live.figures import figures_frame
from crowdwall.live.frames import (
    FIGURES,
    delete_frame,
    group_name,
    mod_frame,
    moderation_group_name,
    post_frame,
    post_payload,
)
from crowdwall.models import ModerationState, Post

logger = logging.getLogger("crowdwall.live")

MESSAGE_TYPE = "wall.event"  # -> WallConsumer.wall_event
Send = tuple[str, dict[str, Any]]


class ChannelsPublisher(Publisher):
    """Publishes to the channel layer ``alias`` (the default layer unless told otherwise)."""

    def __init__(self, *, alias: str = DEFAULT_CHANNEL_LAYER) -> None:
        self.alias = alias
        self.errors = 0
        self._tasks: set[asyncio.Task[None]] = set()

    def publish(self, event: Event) -> None:
        self.publish_many([event])

    def publish_many(self, events: Iterable[Event]) -> None:
        self._dispatch(self.messages(list(events)))

    def publish_figures(self, slugs: Collection[str]) -> None:
        self._dispatch(self.messages([], figures=slugs))

    def publish_batch(self, events: Iterable[Event], figures: Collection[str]) -> None:
        self._dispatch(self.messages(list(events), figures=figures))

    def _dispatch(self, sends: list[Send]) -> None:
        if not sends:
            return
        layer = get_channel_layer(self.alias)
        if layer is None:
            self.errors += 1
            logger.error("No channel layer %r: %d live message(s) dropped", self.alias, len(sends))
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is None:
            # A sync caller (a request thread, a command): inside an ASGI server's worker
            # thread this runs on the server's loop, which the in-memory layer needs.
            async_to_sync(self._send_all)(layer, sends)
        else:
            task = loop.create_task(self._send_all(layer, sends))
            self._tasks.add(task)  # keep a reference until done
            task.add_done_callback(self._tasks.discard)

    def messages(self, events: list[Event], *, figures: Collection[str] = ()) -> list[Send]:
        """The (group, message) pairs for ``events``, in order: per event, one pair per wall that
        shows (or showed) the post, then one per affected wall's moderators' feed; last, one
        ``wall.figures`` pair per wall of ``figures`` (paced by ``crowdwall.ingest.announce``)."""
        wanted = [e.post_id for e in events if e.kind == EventKind.MODERATION]
        loaded = {
            post.pk: post_payload(post)
            for post in Post.objects.filter(pk__in=wanted).select_related("author")
        }
        sends: list[Send] = []
        at = now_ms()
        for event in events:
            post = event.post or loaded.get(event.post_id)
            frames: dict[tuple[str, bool | None], str] = {}  # encoded once per kind and pin
            for slug, state in event.walls.items():
                kind = _client_kind(event.kind, state)
                if kind is None:
                    continue
                pinned = event.pinned.get(slug) if kind != "post.delete" else None
                key = (kind, pinned)
                if key not in frames:
                    if kind == "post.delete":
                        frames[key] = delete_frame(event.post_id, at=at)
                    elif not post:  # approved, then gone before we could load it
                        continue
                    else:
                        frames[key] = post_frame(kind, event.post_id, post, pinned=pinned, at=at)
                sends.append(_message(group_name(slug), kind, event.post_id, at, frames[key]))
            for slug, state in event.walls.items():
                pinned = event.pinned.get(slug)
                text = mod_frame(event.post_id, state, pinned, post or None, at=at)
                sends.append(
                    _message(moderation_group_name(slug), "mod.update", event.post_id, at, text)
                )
        # Then each wall's figures, computed once for all its pages.
        for slug in sorted(figures):
            figures = figures_frame(slug, at=at)
            if figures is not None:
                sends.append(_message(group_name(slug), FIGURES, 0, at, figures))
        return sends

    def send_frames(self, group: str, texts: list[str]) -> bool:
        """Send finished frames to ``group`` through the hubs (id 0, no ``at``: no post, and the
        pages' change position stays where the posts put it)."""
        layer = get_channel_layer(self.alias)
        if layer is None:
            self.errors += 1
            logger.error("No channel layer %r: %d frame(s) dropped", self.alias, len(texts))
            return False
        message = {"type": MESSAGE_TYPE, "group": group, "kind": "frames", "id": 0}
        sends = [(group, {**message, "text": text}) for text in texts]
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            async_to_sync(self._send_all)(layer, sends)
            return True
        task = loop.create_task(self._send_all(layer, sends))
        self._tasks.add(task)  # keep a reference until done
        task.add_done_callback(self._tasks.discard)
        return True

    async def _send_all(self, layer: BaseChannelLayer, sends: list[Send]) -> None:
        failed = 0
        for group, message in sends:
            try:
                await layer.group_send(group, message)
            except Exception as exc:
                self.errors += 1
                failed += 1
                if failed == 1:  # during an outage every send fails: one traceback is enough
                    logger.exception("group_send to %s failed (post %s)", group, message["id"])
                else:
                    logger.debug("group_send to %s failed: %s", group, exc)
        if failed > 1:
            # The hubs resynchronise their sockets from the database once the layer is back.
            logger.error("%d of %d live message(s) not published", failed, len(sends))


def _message(group: str, kind: str, post_id: int, at: int, text: str) -> Send:
    # ``group`` and ``at`` ride along for the hub (one channel per process receives every
    # wall's messages, and resynchronising sockets need the latest ``at``).
    message = {"type": MESSAGE_TYPE, "group": group, "kind": kind, "id": post_id, "at": at}
    return group, {**message, "text": text}


def _client_kind(kind: EventKind, state: str) -> str | None:
    """What a wall showing (or not showing) the post must do after ``kind`` left it in ``state``."""
    if state != ModerationState.APPROVED:
        return None if kind == EventKind.NEW else "post.delete"
    if kind == EventKind.NEW or kind == EventKind.MODERATION:
        return "post.new"
    if kind == EventKind.UPDATE:
        return "post.update"
    return "post.delete"
