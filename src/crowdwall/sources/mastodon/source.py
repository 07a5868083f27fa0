"""``MastodonSource``: hashtag and account timelines of one Mastodon server.

Two ways to follow them (DESIGN §5):

- **Polling** (the default, no token needed): every ``poll_interval`` seconds, each timeline is
  read forward from the cursor with ``min_id`` (the 40 statuses just after it, oldest page
  first; full pages follow ``Link: rel="prev"``). The client sends one request at a time and
  obeys the rate limits (``client.py``). Polling sees new statuses only, not edits or deletes.
- **Streaming** (a user token as the source's secret, ``"stream": true``, and hashtags to
  follow): the hashtags come live over the streaming API (``streaming.py``) — new statuses,
  edits (``status.update``) and deletes. After every (re)connect, and every ``poll_interval``
  after that, the REST catch-up runs too: events arriving meanwhile wait in a queue, so what
  happened while disconnected is fetched and nothing live is lost. Accounts are always polled
  (there is no public per-account stream).

The cursor (``feeds.Positions``) only moves with REST pages, whose ``min_id`` paging has no
gaps; live batches carry no cursor. Catch-up and live events overlap on purpose, so everything
yielded passes a bounded memory of what was already yielded (id plus edit time; deletes apart).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from typing import Any

import httpx

from crowdwall.exceptions import InvalidPost, SourceError
from crowdwall.ingest.normalize import IncomingPost
from crowdwall.sources.base import Backoff, Batch, Cursor, SourceAdapter, reconnecting
from crowdwall.sources.mastodon.client import MastodonClient, MastodonHTTPError
from crowdwall.sources.mastodon.feeds import Positions
from crowdwall.sources.mastodon.statuses import to_deletion, to_post
from crowdwall.sources.mastodon.streaming import (
    LiveStream,
    SseStream,
    StreamEvent,
    StreamRefused,
    StreamUnauthorized,
    WebSocketStream,
)
from crowdwall.sources.mastodon.timelines import Timelines

logger = logging.getLogger("crowdwall.sources.mastodon")


class MastodonSource(SourceAdapter):
    """Config: ``instance``, ``hashtags`` (default: the wall's), ``accounts`` (ids, or handles
    like ``@ann`` / ``ann@host``), ``poll_interval`` (seconds), ``stream`` (use the streaming
    API when a token is set; default true). The keyword arguments tune timing (tests)."""

    kind = "mastodon"

    def __init__(
        self,
        *,
        timeout: float = 10.0,
        retries: int = 4,
        backoff: Backoff | None = None,
        retry_backoff: Backoff | None = None,
        stream_read_timeout: float = 90.0,
        http: httpx.AsyncClient | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        instance = self.config.get("instance")
        if not isinstance(instance, str) or not instance:
            raise SourceError(f"Mastodon source {self.name!r} has no 'instance' URL.")
        tags = self.config.get("hashtags") or self.wall_hashtags
        self.tags = list(
            dict.fromkeys(t.strip().lstrip("#").lower() for t in tags if t.strip("# "))
        )
        accounts = [str(a).strip() for a in self.config.get("accounts") or [] if str(a).strip()]
        if not self.tags and not accounts:
            raise SourceError(
                f"Mastodon source {self.name!r} follows nothing: give it (or its wall) hashtags, "
                "or accounts."
            )
        self.poll_interval = float(self.config.get("poll_interval", 15.0))
        self.streaming = (
            bool(self.secret) and bool(self.config.get("stream", True)) and bool(self.tags)
        )
        self.timeout, self.stream_read_timeout = timeout, stream_read_timeout
        self.client = MastodonClient(
            instance,
            token=self.secret,
            timeout=timeout,
            retries=retries,
            backoff=retry_backoff or Backoff(1.0, 60.0),
            http=http,
        )
        self.timelines = Timelines(self.client, name=self.name, tags=self.tags, accounts=accounts)
        self.transport = "websocket"  # "sse" once a WebSocket was refused
        self._backoff = backoff or Backoff(1.0, 60.0)
        self._streaming_base: str | None = None
        self._live: LiveStream | None = None
        self._session: AsyncGenerator[Batch, None] | None = None

    # The adapter interface ---------------------------------------------------------------------

    def stream(self, cursor: Cursor) -> AsyncIterator[Batch]:
        return _limited(self._follow(cursor), self.limit)

    def backfill(self, cursor: Cursor, *, limit: int | None = None) -> AsyncIterator[Batch]:
        return _limited(self._history(cursor, limit or self.limit), limit or self.limit)

    async def _history(self, cursor: Cursor, limit: int | None) -> AsyncGenerator[Batch, None]:
        self.timelines.positions = Positions.load(cursor)
        async for batch in self.timelines.history(limit):
            yield batch

    async def aclose(self) -> None:
        await self._end_session()
        await self.client.aclose()

    # Following ---------------------------------------------------------------------------------

    async def _follow(self, cursor: Cursor) -> AsyncGenerator[Batch, None]:
        self.timelines.positions = Positions.load(cursor)
        try:
            async for batch in reconnecting(
                self._connect, backoff=self._backoff, name=f"Mastodon source {self.name}"
            ):
                yield batch
        finally:
            await self._end_session()

    def _connect(self) -> AsyncGenerator[Batch, None]:
        """A new session (called again after each disconnect); resumes from the positions."""
        self._session = self._live_session() if self.streaming else self._polling_session()
        return self._session

    async def _end_session(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.aclose()
        if self._live is not None:
            await self._live.close()
            self._live = None

    async def _polling_session(self) -> AsyncGenerator[Batch, None]:
        while True:
            async for batch in self.timelines.poll():
                yield batch
            await asyncio.sleep(self.poll_interval)

    async def _live_session(self) -> AsyncGenerator[Batch, None]:
        await self.timelines.resolve()
        try:
            live = self._live = await self._open_stream()
        except StreamUnauthorized as exc:
            logger.error("Mastodon source %s: %s; polling instead", self.name, exc)
            self.streaming = False
            async for batch in self._polling_session():
                yield batch
            return
        queue: asyncio.Queue[StreamEvent | BaseException] = asyncio.Queue()
        pump = asyncio.create_task(_pump(live, queue), name=f"mastodon-live:{self.name}")
        loop = asyncio.get_running_loop()
        try:
            while True:
                # The catch-up: at once after connecting, then every poll_interval.
                async for batch in self.timelines.poll():
                    yield batch
                next_poll = loop.time() + self.poll_interval
                while (timeout := next_poll - loop.time()) > 0:
                    try:
                        # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a
                        # cancellation that races with an arriving event.
                        async with asyncio.timeout(timeout):
                            first = await queue.get()
                    except TimeoutError:
                        break
                    items = [first]
                    while not queue.empty():
                        items.append(queue.get_nowait())
                    failure = next((i for i in items if isinstance(i, BaseException)), None)
                    events = [i for i in items if isinstance(i, StreamEvent)]
                    seen = self.timelines.seen
                    posts = [p for e in events if (p := self._live_post(e)) and seen.add(p)]
                    if posts:
                        yield Batch(posts, None)  # the cursor moves with REST pages only
                    if failure is not None:
                        raise failure
        finally:
            pump.cancel()
            await asyncio.gather(pump, return_exceptions=True)
            await live.close()
            self._live = None

    async def _open_stream(self) -> LiveStream:
        base = await self._streaming_url()
        if self.transport == "websocket":
            websocket = WebSocketStream(base, self.secret, self.tags, timeout=self.timeout)
            try:
                await websocket.open()
                return websocket
            except StreamRefused as exc:
                logger.warning("Mastodon source %s: %s; using SSE", self.name, exc)
                self.transport = "sse"
        sse = SseStream(
            self.client.http,
            base,
            self.secret,
            self.tags,
            timeout=self.timeout,
            read_timeout=self.stream_read_timeout,
        )
        await sse.open()
        return sse

    async def _streaming_url(self) -> str:
        """``configuration.urls.streaming`` of ``/api/v2/instance`` (v1's ``urls.streaming_api``
        on old servers); the instance itself if neither says."""
        if self._streaming_base is None:
            url = None
            for path, keys in (
                ("/api/v2/instance", ("configuration", "urls", "streaming")),
                ("/api/v1/instance", ("urls", "streaming_api")),
            ):
                try:
                    data: Any = (await self.client.get(path)).data
                except MastodonHTTPError as exc:
                    logger.info("Mastodon source %s: %s", self.name, exc)
                    continue
                for key in keys:
                    data = data.get(key) if isinstance(data, dict) else None
                if isinstance(data, str) and "://" in data:
                    url = data
                    break
            self._streaming_base = url or self.client.instance
        return self._streaming_base

    def _live_post(self, event: StreamEvent) -> IncomingPost | None:
        try:
            if event.event in ("update", "status.update"):
                return to_post(json.loads(event.data), host=self.client.host)
            if event.event == "delete":
                return to_deletion(event.data)
        except json.JSONDecodeError as exc:
            logger.warning(
                "Mastodon source %s: %s event is not JSON (%s)", self.name, event.event, exc
            )
        except InvalidPost as exc:
            logger.warning(
                "Mastodon source %s: skipped %s event %s (%s)",
                self.name,
                event.event,
                exc.external_id or "?",
                exc,
            )
        return None


async def _pump(live: LiveStream, queue: asyncio.Queue[StreamEvent | BaseException]) -> None:
    """Move live events into ``queue`` (so they wait during a catch-up); then the reason it ended."""
    try:
        async for event in live.events():
            queue.put_nowait(event)
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        queue.put_nowait(exc)


async def _limited(batches: AsyncGenerator[Batch, None], limit: int | None) -> AsyncIterator[Batch]:
    """``batches`` up to ``limit`` posts in all. A batch cut short keeps no cursor: the posts
    left out must not count as stored."""
    count = 0
    async with aclosing(batches):
        async for batch in batches:
            if limit is not None and count + len(batch.posts) >= limit:
                if count + len(batch.posts) > limit:
                    batch = Batch(batch.posts[: limit - count], None)
                yield batch
                return
            count += len(batch.posts)
            yield batch
