"""``ChannelsPublisher``: ingest and moderation events to wall groups on a Channels layer.

Per event, each affected wall gets ONE ``group_send`` to its group (``wall.<slug>``), carrying
the finished client frame as text: the post is encoded once per event (not per wall, not per
consumer), and consumers forward the text as it is. What a wall's group receives depends on the
post's state on that wall after the change:

- approved: ``post.new`` (new, or approved by a moderator) or ``post.update`` (edited);
- anything else: ``post.delete`` — except a brand-new post that is not approved (nobody shows it).

Moderation events carry no post, so approved ones are loaded from the database in one query
(call ``publish`` from sync code, as the ingest pipeline and moderation do after commit; from a
running event loop the sends are scheduled as a task, but that query would be refused).
Delivery problems are logged and counted (``errors``), never raised: ``publish`` runs after
commit. Note: channels-redis silently skips a member whose channel is over ``capacity``; the
reconnect catch-up by id (``crowdwall.live.consumers``) is what repairs such a gap.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import DEFAULT_CHANNEL_LAYER, BaseChannelLayer, get_channel_layer

from crowdwall.ingest.publisher import Event, EventKind, Publisher
from crowdwall.live.catchup import now_ms
from crowdwall.live.frames import delete_frame, group_name, post_frame, post_payload
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
        sends = self.messages(list(events))
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

    def messages(self, events: list[Event]) -> list[Send]:
        """The (group, message) pairs for ``events``, in order; one pair per event and wall."""
        approved_ids = [
            e.post_id
            for e in events
            if e.kind == EventKind.MODERATION and ModerationState.APPROVED in e.walls.values()
        ]
        loaded = {
            post.pk: post_payload(post)
            for post in Post.objects.filter(pk__in=approved_ids).select_related("author")
        }
        sends: list[Send] = []
        at = now_ms()
        for event in events:
            frames: dict[str, str] = {}  # kind -> text, encoded at most once per event
            for slug, state in event.walls.items():
                kind = _client_kind(event.kind, state)
                if kind is None:
                    continue
                if kind not in frames:
                    if kind == "post.delete":
                        frames[kind] = delete_frame(event.post_id, at=at)
                    else:
                        post = event.post or loaded.get(event.post_id)
                        if not post:  # approved, then gone before we could load it
                            continue
                        frames[kind] = post_frame(kind, event.post_id, post, at=at)
                message = {"type": MESSAGE_TYPE, "kind": kind, "id": event.post_id}
                sends.append((group_name(slug), {**message, "text": frames[kind]}))
        return sends

    async def _send_all(self, layer: BaseChannelLayer, sends: list[Send]) -> None:
        for group, message in sends:
            try:
                await layer.group_send(group, message)
            except Exception:
                self.errors += 1
                logger.exception("group_send to %s failed (post %s)", group, message["id"])


def _client_kind(kind: EventKind, state: str) -> str | None:
    """What a wall showing (or not showing) the post must do after ``kind`` left it in ``state``."""
    if state != ModerationState.APPROVED:
        return None if kind == EventKind.NEW else "post.delete"
    if kind == EventKind.NEW or kind == EventKind.MODERATION:
        return "post.new"
    if kind == EventKind.UPDATE:
        return "post.update"
    return "post.delete"
