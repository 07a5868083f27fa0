"""Mastodon's streaming API: a WebSocket, or Server-Sent Events when the WebSocket is refused.

Both need a user token (``Authorization: Bearer``) since Mastodon 4.2 and live on the host
named by ``configuration.urls.streaming`` in ``/api/v2/instance``.

- WebSocket ``/api/v1/streaming?stream=hashtag&tag=X``; further hashtags are added with
  ``{"type": "subscribe", "stream": "hashtag", "tag": "y"}``. Each message is JSON
  ``{"stream": ["hashtag", "x"], "event": "update", "payload": "..."}`` whose ``payload`` is a
  JSON *string* (the status, to parse again) or, for ``delete``, the bare id.
- SSE ``/api/v1/streaming/hashtag?tag=X``, one connection per hashtag: ``event: update`` then
  ``data: {status JSON}`` (for ``delete``: the id), a blank line ending each event, and
  ``:comment`` lines as heartbeats.

Either way the adapter receives ``StreamEvent(event, data, tag)`` with ``data`` as text.
Connection trouble becomes ``SourceDisconnected`` (reconnect); a refused WebSocket handshake
``StreamRefused`` (try SSE); a refused token on SSE ``StreamUnauthorized`` (poll instead).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI

from crowdwall.exceptions import SourceDisconnected, SourceError
from crowdwall.sources.http import user_agent

logger = logging.getLogger("crowdwall.sources.mastodon")

_SCHEMES = {"websocket": {"https": "wss", "http": "ws"}, "sse": {"wss": "https", "ws": "http"}}


class StreamRefused(SourceError):
    """The server would not upgrade to a WebSocket (a proxy without upgrade support, ...)."""


class StreamUnauthorized(SourceError):
    """The streaming API refused the token: only polling is possible."""


@dataclass(frozen=True, slots=True)
class StreamEvent:
    event: str  # "update", "status.update", "delete", ...
    data: str  # a status as JSON text, or (delete) a status id
    tag: str | None = None  # the hashtag stream it arrived on, when known


def stream_url(base: str, transport: str, path: str, query: dict[str, str]) -> str:
    """``base`` (the instance's streaming URL) with the scheme ``transport`` needs, plus a path."""
    parts = urlsplit(base.rstrip("/"))
    scheme = _SCHEMES[transport].get(parts.scheme, parts.scheme)
    return urlunsplit((scheme, parts.netloc, parts.path + path, urlencode(query), ""))


class WebSocketStream:
    """All hashtags over one WebSocket."""

    def __init__(self, base: str, token: str, tags: Sequence[str], *, timeout: float) -> None:
        self.url = stream_url(
            base, "websocket", "/api/v1/streaming", {"stream": "hashtag", "tag": tags[0]}
        )
        self.token, self.tags, self.timeout = token, list(tags), timeout
        self._ws: ClientConnection | None = None

    async def open(self) -> None:
        try:
            self._ws = await connect(
                self.url,
                additional_headers={"Authorization": f"Bearer {self.token}"},
                user_agent_header=user_agent(),
                open_timeout=self.timeout,
                close_timeout=1,
                max_size=2**22,
            )
        except InvalidStatus as exc:
            status = exc.response.status_code
            if status >= 500:  # the server is in trouble, not against WebSockets: retry later
                raise SourceDisconnected(f"WebSocket handshake: HTTP {status}") from exc
            raise StreamRefused(f"WebSocket refused: HTTP {status}") from exc
        except InvalidURI as exc:
            raise SourceError(f"Bad streaming URL {self.url!r}: {exc}") from exc
        except InvalidHandshake as exc:
            raise StreamRefused(f"WebSocket handshake failed: {exc}") from exc
        except (OSError, TimeoutError) as exc:
            raise SourceDisconnected(f"WebSocket {self.url}: {exc!r}") from exc
        try:
            for tag in self.tags[1:]:
                await self._ws.send(
                    json.dumps({"type": "subscribe", "stream": "hashtag", "tag": tag})
                )
        except ConnectionClosed as exc:
            raise SourceDisconnected(f"WebSocket closed while subscribing: {exc}") from exc

    async def events(self) -> AsyncIterator[StreamEvent]:
        assert self._ws is not None, "open() first"
        try:
            async for message in self._ws:
                event = _parse_message(message)
                if event is not None:
                    yield event
        except ConnectionClosed as exc:
            raise SourceDisconnected(f"WebSocket closed: {exc}") from exc
        raise SourceDisconnected("WebSocket closed by the server")

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()


def _parse_message(message: str | bytes) -> StreamEvent | None:
    try:
        data: Any = json.loads(message)
    except (ValueError, UnicodeDecodeError):
        logger.warning("Streaming message is not JSON: %r", message[:200])
        return None
    if not isinstance(data, dict):
        logger.warning("Streaming message is not an object: %r", message[:200])
        return None
    if "error" in data:
        logger.warning("Streaming server says: %s", data.get("error"))
        return None
    event, payload, stream = data.get("event"), data.get("payload"), data.get("stream")
    if not isinstance(event, str):
        logger.warning("Streaming message without an event: %r", message[:200])
        return None
    tag = None
    if isinstance(stream, list) and len(stream) > 1 and str(stream[0]).startswith("hashtag"):
        tag = str(stream[1]).lower()
    return StreamEvent(event, payload if isinstance(payload, str) else "", tag)


class SseStream:
    """One Server-Sent Events connection per hashtag, merged into one event stream."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        base: str,
        token: str,
        tags: Sequence[str],
        *,
        timeout: float,
        read_timeout: float,
    ) -> None:
        self.http, self.tags = http, list(tags)
        self.url = stream_url(base, "sse", "/api/v1/streaming/hashtag", {})
        self.headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
        # Mastodon sends a heartbeat comment every 15 s: a silent connection is a dead one.
        self.timeout = httpx.Timeout(timeout, read=read_timeout)
        self._queue: asyncio.Queue[StreamEvent | BaseException] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._ready: list[asyncio.Future[None]] = []

    async def open(self) -> None:
        loop = asyncio.get_running_loop()
        ready = self._ready = [loop.create_future() for _ in self.tags]
        self._tasks = [
            asyncio.create_task(self._read(tag, future), name=f"mastodon-sse:{tag}")
            for tag, future in zip(self.tags, ready, strict=True)
        ]
        try:
            await asyncio.gather(*ready)
        except BaseException:
            await self.close()
            raise

    async def _read(self, tag: str, ready: asyncio.Future[None]) -> None:
        try:
            async with self.http.stream(
                "GET", self.url, params={"tag": tag}, headers=self.headers, timeout=self.timeout
            ) as response:
                if response.status_code in (401, 403):
                    raise StreamUnauthorized(
                        f"SSE stream refused the token (HTTP {response.status_code})"
                    )
                if response.status_code != 200:
                    raise SourceDisconnected(f"SSE stream answered HTTP {response.status_code}")
                ready.set_result(None)
                await self._parse(response, tag)
            raise SourceDisconnected("SSE stream closed by the server")
        except asyncio.CancelledError:
            raise
        except (httpx.TransportError, httpx.TimeoutException) as exc:
            self._fail(ready, SourceDisconnected(f"SSE stream #{tag}: {exc!r}"))
        except Exception as exc:
            self._fail(ready, exc)

    async def _parse(self, response: httpx.Response, tag: str) -> None:
        event, data = "", []
        async for line in response.aiter_lines():
            if not line:
                if data:
                    self._queue.put_nowait(StreamEvent(event or "message", "\n".join(data), tag))
                event, data = "", []
            elif not line.startswith(":"):  # ":..." is a comment (heartbeat)
                name, _, value = line.partition(":")
                value = value[1:] if value.startswith(" ") else value
                if name == "event":
                    event = value
                elif name == "data":
                    data.append(value)

    def _fail(self, ready: asyncio.Future[None], exc: BaseException) -> None:
        if ready.done():
            self._queue.put_nowait(exc)
        else:
            ready.set_exception(exc)

    async def events(self) -> AsyncIterator[StreamEvent]:
        while True:
            item = await self._queue.get()
            if isinstance(item, BaseException):
                raise item
            yield item

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for future in self._ready:  # retrieve failures nobody awaited (several tags failing)
            if future.done() and not future.cancelled():
                future.exception()
        self._tasks, self._ready = [], []


LiveStream = WebSocketStream | SseStream
