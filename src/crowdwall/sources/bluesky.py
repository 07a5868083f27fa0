"""The Bluesky source: posts from Jetstream, the JSON firehose of the AT Protocol network.

One WebSocket, ``ENDPOINT?wantedCollections=app.bsky.feed.post&wantedCollections=app.bsky.actor.profile
[&wantedDids=...][&cursor=...]``: profiles tell us which accounts carry the
``!no-unauthenticated`` self-label (``bluesky_events``); a newly labelled account's posts are
withdrawn from every wall before the next batch is stored (``bluesky_accounts``).
Jetstream filters only by collection and author, so hashtags and keywords are matched here, on
every post of the network (``bluesky_events.JetstreamFilter``; it drops the vast majority of
events without parsing them).

Config (validated by ``kinds.validate_bluesky``):

- ``endpoint``: the subscribe URL (default: Bluesky's ``jetstream2.us-east`` instance).
- ``hashtags``: tags to follow; empty means the wall's hashtags.
- ``keywords``: keyword entries in the wall syntax (``python``, ``django*``, ``"django girls"``).
- ``accounts``: DIDs whose every post we want (at most 10,000). Jetstream then sends only their
  events (``wantedDids``), so hashtags and keywords no longer reach other authors: use a second
  source for those. Long lists go in an ``options_update`` message (``requireHello``), not the URL.
- ``batch_size`` (100), ``batch_interval`` (0.5 s): a batch goes to the pipeline when it is full
  or when its first post has waited that long. Deletions of posts we never delivered do not
  start that clock; they ride along with the next batch.
- ``progress_interval`` (5 s): while nothing matches, an empty batch carries the cursor at most
  this often, so a restart does not replay hours of firehose.
- ``overlap`` (5 s): how far before the cursor we resume. Jetstream's cursor is the event time
  in microseconds, comparable across instances but not exact, so we re-read a few seconds and
  drop what we already delivered (by at-uri and revision; the store dedupes after a restart).
- ``profile_lookup`` (true), ``profile_lookup_url`` (``https://public.api.bsky.app``): ask the
  AppView whether a first-seen author's profile carries ``!no-unauthenticated``
  (``bluesky_profiles``).

The cursor is the highest ``time_us`` seen. Commits carry no handle: authors are known by DID
until an identity event names them (see ``bluesky_records``). Backfill is not offered: Jetstream
replays only about 36 hours, which ``stream`` from an old cursor already covers.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from typing import Any, cast
from urllib.parse import urlencode

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import (
    ConnectionClosed,
    InvalidHandshake,
    InvalidStatus,
    InvalidURI,
)

from crowdwall.exceptions import SourceDisconnected, SourceError
from crowdwall.sources import outbound
from crowdwall.sources.base import Backoff, Batch, Cursor, SourceAdapter, reconnecting
from crowdwall.sources.bluesky_accounts import AccountLabels, DatabaseLabels
from crowdwall.sources.bluesky_events import JetstreamFilter
from crowdwall.sources.bluesky_profiles import lookup_from_config
from crowdwall.sources.bluesky_records import POST_COLLECTION, PROFILE_COLLECTION, JetstreamPost
from crowdwall.sources.http import user_agent

logger = logging.getLogger("crowdwall.sources.bluesky")

DEFAULT_ENDPOINT = "wss://jetstream2.us-east.bsky.network/subscribe"
MAX_WANTED_DIDS = 10_000  # Jetstream's limit
URL_DIDS = 50  # more than this and the URL gets long: send them in an options_update message
MAX_FRAME = 2**21  # bytes; a post record is at most a few kB
QUEUE_FRAMES = 4096  # frames buffered while a batch is stored (~2 MB), then TCP backpressure
COLLECTIONS = [POST_COLLECTION, PROFILE_COLLECTION]
MAX_LABELLED = 100_000  # labelled accounts remembered (LRU); ~10 MB


class BlueskySource(SourceAdapter):
    kind = "bluesky"

    def __init__(
        self,
        *,
        backoff: Backoff | None = None,
        labels: AccountLabels | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        config = self.config
        self.endpoint = str(config.get("endpoint") or DEFAULT_ENDPOINT)
        self.accounts = [str(did) for did in config.get("accounts") or ()][:MAX_WANTED_DIDS]
        self.batch_size = int(config.get("batch_size", 100))
        self.batch_interval = float(config.get("batch_interval", 0.5))
        self.progress_interval = float(config.get("progress_interval", 5.0))
        self.overlap_us = int(float(config.get("overlap", 5.0)) * 1_000_000)
        self.filter = JetstreamFilter(
            hashtags=config.get("hashtags") or self.wall_hashtags,
            keywords=config.get("keywords") or (),
            accounts=self.accounts,
            max_labelled=MAX_LABELLED,
        )
        self.labels: AccountLabels = labels if labels is not None else DatabaseLabels()
        self.lookup = lookup_from_config(config)
        self.backoff = backoff or Backoff(base=1.0, cap=60.0)
        self.connections = 0
        self._emitted = 0

    def subscribe_url(self, since_us: int | None) -> tuple[str, str | None]:
        """The URL to connect to, and the ``options_update`` message to send first (or None)."""
        params = [("wantedCollections", collection) for collection in COLLECTIONS]
        hello = None
        if len(self.accounts) > URL_DIDS:
            params.append(("requireHello", "true"))
            payload = {
                "wantedCollections": COLLECTIONS,
                "wantedDids": self.accounts,
                "maxMessageSizeBytes": 0,
            }
            hello = json.dumps({"type": "options_update", "payload": payload})
        else:
            params += [("wantedDids", did) for did in self.accounts]
        if since_us is not None:
            params.append(("cursor", str(since_us)))
        separator = "&" if "?" in self.endpoint else "?"
        return f"{self.endpoint}{separator}{urlencode(params)}", hello

    def stream(self, cursor: Cursor) -> AsyncIterator[Batch]:
        return self._stream(cursor)

    async def _stream(self, cursor: Cursor) -> AsyncIterator[Batch]:
        if not self.filter.selective:
            raise SourceError(
                f"Bluesky source {self.name!r} has no hashtags, keywords or accounts to follow."
            )
        try:
            start = int(cursor.value) if cursor else 0
        except ValueError:
            raise SourceError(
                f"A Bluesky cursor is a time in microseconds, not {cursor.value!r}."
            ) from None
        self.filter.time_us = max(self.filter.time_us, start)
        self.filter.label(reversed(await self.labels.labelled(MAX_LABELLED)))  # oldest first
        # ``reconnecting`` leaves the connection's generator suspended when it is closed; we
        # close that one too, so the WebSocket closes in this task and not in the GC.
        opened: list[AsyncGenerator[Batch, None]] = []

        def open_connection() -> AsyncGenerator[Batch, None]:
            opened[:] = [self._connect()]
            return opened[0]

        batches = reconnecting(
            open_connection, backoff=self.backoff, name=f"Bluesky source {self.name!r}"
        )
        try:
            async for batch in batches:
                yield batch
        finally:
            await cast(AsyncGenerator[Batch, None], batches).aclose()
            if opened:
                await opened[0].aclose()

    async def _connect(self) -> AsyncGenerator[Batch, None]:
        """One connection, resuming ``overlap`` before the latest event seen."""
        known = self.filter.time_us
        url, hello = self.subscribe_url(max(0, known - self.overlap_us) if known else None)
        self.connections += 1
        logger.debug("Bluesky source %r connecting: %s", self.name, url)
        try:
            async with outbound.websocket_connect(  # the console's test: public hosts only
                url,
                max_size=MAX_FRAME,
                max_queue=QUEUE_FRAMES,
                open_timeout=20,
                close_timeout=5,
                user_agent_header=user_agent(),
            ) as websocket:
                if hello is not None:
                    await websocket.send(hello)
                async with aclosing(self._receive(websocket)) as batches:
                    async for batch in batches:
                        yield batch
        except ConnectionClosed as exc:
            raise SourceDisconnected(f"Jetstream connection lost: {exc}") from exc
        except InvalidStatus as exc:
            status = exc.response.status_code
            if status == 429 or status >= 500:
                raise SourceDisconnected(f"Jetstream answered HTTP {status}") from exc
            raise SourceError(f"Jetstream refused the subscription: HTTP {status}") from exc
        except InvalidURI as exc:
            raise SourceError(f"Bad Jetstream endpoint: {exc}") from exc
        except InvalidHandshake as exc:
            raise SourceDisconnected(f"Jetstream handshake failed: {exc}") from exc

    async def _receive(self, websocket: ClientConnection) -> AsyncGenerator[Batch, None]:
        """Frames -> batches: flushed when full, when their first urgent post has waited
        ``batch_interval``, or (nothing urgent waiting) ``progress_interval`` after the last
        flush if the cursor moved since — also when no further frame comes.

        One timeout covers all the frames of a batch, rescheduled when the deadline changes:
        a timeout per frame would cost as much as filtering the frame. ``recv`` is cancel-safe,
        so a timeout that fires while it waits loses nothing. We never yield inside it (it
        would cancel whatever our consumer does meanwhile)."""
        flt, clock = self.filter, asyncio.get_running_loop().time
        pending: list[Any] = []
        flushed_at, flushed_us = clock(), flt.time_us
        try:
            while True:
                urgent = armed = False
                try:
                    async with asyncio.timeout(None) as timer:
                        while True:
                            post = flt.feed(await websocket.recv())
                            if post is None:
                                if flt.label_changes and not urgent:  # withdraw soon
                                    urgent = True
                                    due = clock() + self.batch_interval
                                    when = timer.when()
                                    timer.reschedule(due if when is None else min(when, due))
                            else:
                                pending.append(post)
                                if flt.urgent and not urgent:
                                    urgent = True
                                    due = clock() + self.batch_interval
                                    when = timer.when()
                                    timer.reschedule(due if when is None else min(when, due))
                                if len(pending) >= self.batch_size or (
                                    self.limit is not None
                                    and self._emitted + len(pending) >= self.limit
                                ):
                                    break
                            if not armed and flt.time_us != flushed_us:
                                armed = True  # something to save: flush within the interval
                                due = flushed_at + self.progress_interval
                                when = timer.when()
                                timer.reschedule(due if when is None else min(when, due))
                except TimeoutError:
                    pass
                await self._apply_labels(pending)
                yield Batch(pending, Cursor(str(flt.time_us)))
                self._emitted += len(pending)
                if self.limit is not None and self._emitted >= self.limit:
                    return
                pending = []
                flushed_at, flushed_us = clock(), flt.time_us
        except ConnectionClosed:
            if pending or flt.time_us != flushed_us:  # what arrived before the cut is whole
                await self._apply_labels(pending)
                yield Batch(pending, Cursor(str(flt.time_us)))
                self._emitted += len(pending)
            raise

    async def _apply_labels(self, pending: list[Any]) -> None:
        """Apply the label changes the filter noted, and those the profile lookup found for
        first-seen authors (before the batch is stored, so none is lost on a crash: the cursor
        moves past the profile only with the batch). Posts of a newly labelled account that
        came before its profile in this batch are marked too."""
        flt = self.filter
        changes = flt.take_label_changes()
        if self.lookup is not None:
            unknown = [
                item.did
                for item in pending
                if type(item) is JetstreamPost
                and item.did not in flt.labelled
                and item.did not in changes
            ]
            if unknown:
                found = await self.lookup.labelled(unknown)
                flt.label(found)
                changes.update(dict.fromkeys(found, True))
        if not changes:
            return
        gained = {did for did, labelled in changes.items() if labelled}
        for index, item in enumerate(pending):
            if type(item) is JetstreamPost and item.did in gained:
                pending[index] = item._replace(labelled=True)
        try:
            await self.labels.apply(changes)
        except BaseException:
            # Not applied (database down, cancelled): keep them for the next batch, or the
            # filter, which already knows the new labels, would never report them again.
            flt.label_changes = {**changes, **flt.label_changes}
            raise

    async def aclose(self) -> None:
        """Close the profile lookup's HTTP client."""
        if self.lookup is not None:
            await self.lookup.aclose()
