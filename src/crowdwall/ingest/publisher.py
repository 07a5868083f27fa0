"""Where stored posts are announced: one small interface, one event per post and change.

The ingest pipeline (and moderation) call ``publish(events)`` after their transaction commits.
The live-delivery side plugs in by naming its ``Publisher`` in ``CROWDWALL["PUBLISHER"]``; the
default ``InProcessPublisher`` hands events to subscribers in this process::

    from crowdwall.ingest import publisher

    unsubscribe = publisher.subscribe(lambda event: print(event.kind, event.post_id))

There is deliberately no ``post_save`` signal: posts are written in bulk (no signals fire) and a
receiver that saved a post would re-enter itself. ``set_publisher()`` swaps the publisher for
tests, like Channels' ``channel_layers.set()``.
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.utils.module_loading import import_string

from crowdwall.conf import conf
from crowdwall.exceptions import PublisherError

logger = logging.getLogger("crowdwall.publisher")


class EventKind(StrEnum):
    NEW = "post.new"  # stored for the first time (on one or more walls)
    UPDATE = "post.update"  # edited at the source (content changed), or now on more walls
    DELETE = "post.delete"  # deleted at the source
    MODERATION = "post.moderation"  # a wall's state or pin changed (moderator or ban)


@dataclass(frozen=True, slots=True)
class Event:
    """One change to one post. ``walls`` maps each affected wall's slug to the post's state
    there after the change; ``post`` is the post as pages show it (new and update events);
    ``pinned`` maps a wall's slug to its pin, for the walls where moderation set or kept it."""

    kind: EventKind
    post_id: int
    walls: Mapping[str, str]
    post: Mapping[str, Any] = field(default_factory=dict)
    pinned: Mapping[str, bool] = field(default_factory=dict)


Subscriber = Callable[[Event], None]


class Publisher(ABC):
    """The interface: deliver an event somewhere. Must not raise for a delivery problem it can
    log; ``publish`` is called after commit, when nothing can be rolled back."""

    @abstractmethod
    def publish(self, event: Event) -> None: ...

    def publish_many(self, events: Iterable[Event]) -> None:
        for event in events:
            self.publish(event)

    def publish_figures(self, slugs: Collection[str]) -> None:
        """Push the current figures of the walls ``slugs`` to their live pages (after
        ``publish_many``, paced by ``crowdwall.ingest.announce``); by default nowhere."""
        return None

    def publish_batch(self, events: Iterable[Event], figures: Collection[str]) -> None:
        """``publish_many(events)`` then ``publish_figures(figures)``; a transport overrides it
        to send both as one batch."""
        self.publish_many(events)
        if figures:
            self.publish_figures(figures)

    def send_frames(self, group: str, texts: list[str]) -> bool:
        """Deliver finished client frames (JSON text) to a live group as they are, such as a
        screen command (``crowdwall.remote.control``); False: this publisher reaches no pages."""
        return False


class InProcessPublisher(Publisher):
    """Calls every subscriber in this process, in order; a failing subscriber is logged and
    counted (``errors``) and never stops the others."""

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []
        self._lock = threading.Lock()
        self.errors = 0

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def publish(self, event: Event) -> None:
        for callback in list(self._subscribers):
            try:
                callback(event)
            except Exception:
                self.errors += 1
                logger.exception(
                    "Subscriber %r failed on %s %s", callback, event.kind, event.post_id
                )


_state: dict[str, Any] = {"publisher": None, "path": None}
_load_lock = threading.Lock()


def load_publisher(path: str) -> Publisher:
    """Instantiate the publisher named by a dotted path (a Publisher class, factory or instance)."""
    try:
        target = import_string(path)
    except ImportError as exc:
        raise PublisherError(f"Cannot import CROWDWALL['PUBLISHER'] = {path!r}: {exc}") from exc
    value = target if isinstance(target, Publisher) else target() if callable(target) else target
    if not isinstance(value, Publisher):
        raise PublisherError(f"CROWDWALL['PUBLISHER'] = {path!r} is not a crowdwall Publisher.")
    return value


def get_publisher() -> Publisher:
    """The configured publisher, created on first use (and again if the setting changes)."""
    if _state["path"] == "<set>":
        return _state["publisher"]
    path = conf.PUBLISHER
    with _load_lock:
        if _state["publisher"] is None or _state["path"] != path:
            _state["publisher"] = load_publisher(path)
            _state["path"] = path
        return _state["publisher"]


def set_publisher(publisher: Publisher | None) -> Publisher | None:
    """Use ``publisher`` from now on (``None``: back to the setting); returns the previous one."""
    previous = _state["publisher"]
    _state["publisher"] = publisher
    _state["path"] = "<set>" if publisher is not None else None
    return previous


def subscribe(callback: Subscriber) -> Callable[[], None]:
    """Subscribe to the in-process publisher; returns a function that unsubscribes."""
    current = get_publisher()
    if not isinstance(current, InProcessPublisher):
        raise PublisherError(
            f"subscribe() needs the InProcessPublisher, not {type(current).__name__}."
        )
    return current.subscribe(callback)


def publish(events: Iterable[Event], *, figures: Collection[str] = ()) -> None:
    """Deliver events, then the figures of the walls ``figures``; a broken publisher is logged,
    never raised into the ingest path."""
    events = list(events)
    if not events and not figures:
        return
    try:
        get_publisher().publish_batch(events, sorted(figures))
    except Exception:
        logger.exception("Publishing %d event(s) failed", len(events))
