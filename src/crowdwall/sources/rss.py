"""The RSS/Atom/JSON Feed source: polls one feed politely; each entry becomes a post once (and again when
it is edited). Entries are read by ``crowdwall.sources.feeds``; this module is the HTTP side.

Config (validated by ``crowdwall.sources.kinds``): ``url``, ``poll_interval`` (seconds between
the end of one request and the start of the next), ``timeout`` (per request).

**Polite polling.** One request at a time per feed, never overlapping (a slow feed just polls
less often); conditional GET with the ``ETag`` and ``Last-Modified`` of the last complete
read (``304 Not Modified`` costs the feed nothing and yields nothing); bodies bigger than
``MAX_FEED_BYTES`` are refused. Timeouts, dropped connections, 408, 429 and 5xx are retried
after an exponential backoff with jitter, never sooner than a ``Retry-After`` asks (capped
at an hour). Other 4xx are retried on the same schedule (a feed that moved is an admin's
fix, not a reason to hammer it); ``410 Gone`` stops the source. A malformed document is
skipped with its reason logged, and the cursor does not move: the next poll reads it again.
Every request sends crowdwall's User-Agent, and a feed its host's robots.txt disallows for
that agent is not read: the source stops with that reason (``crowdwall.sources.http``).

**Undated entries.** An entry whose date cannot be read is flagged ``date_estimated``. On the
first read of a feed (and in a backfill) it is part of the backlog, dated as the document's
oldest readable entry (``crowdwall.sources.feeds``), so a screen never shows it on top as
brand new; on later polls an entry that was not there before is news, dated when it was read.

**Cursor.** JSON ``{"etag", "modified", "seen": [[external id, version], ...]}``: the
validators of the last complete read, and the entries already emitted with a hash of what a
reader saw (oldest first, bounded to ``max_seen`` but never forgetting an entry still in the
feed). The runner stores each batch with its cursor in one transaction, so after a restart
a 304 or the ``seen`` list keeps old entries out, and an entry that changed comes out again
as an edit. When ``limit`` cuts a read short the validators are not advanced, so the next
poll reads the whole document again and emits the rest.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from crowdwall.exceptions import SourceDisconnected, SourceError
from crowdwall.ingest.dates import parse_datetime_robust
from crowdwall.sources.base import Backoff, Batch, Cursor, SourceAdapter
from crowdwall.sources.feeds import FeedEntry, ParsedFeed, parse_feed
from crowdwall.sources.http import ROBOTS, RobotsUnavailable, http_client

logger = logging.getLogger("crowdwall.sources.rss")

__all__ = ["FeedCursor", "FeedUnavailable", "RSSSource"]

DEFAULT_INTERVAL = 300.0
DEFAULT_TIMEOUT = 20.0
MAX_FEED_BYTES = 5 * 1024 * 1024
MAX_RETRY_AFTER = 3600.0
SEEN_LIMIT = 500
RETRY_STATUSES = frozenset({408, 425, 429})
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.1"
)


class FeedUnavailable(SourceDisconnected):
    """A poll failed in a way worth retrying; ``retry_after``: what the server asked for."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass
class FeedCursor:
    """The RSS source's resume position (see the module docstring)."""

    etag: str = ""
    modified: str = ""
    seen: dict[str, str] = field(default_factory=dict)  # external id -> version, oldest first

    @classmethod
    def load(cls, cursor: Cursor | str) -> FeedCursor:
        text = str(cursor)
        if not text:
            return cls()
        try:
            data = json.loads(text)
            return cls(
                etag=str(data.get("etag") or ""),
                modified=str(data.get("modified") or ""),
                seen={str(key): str(version) for key, version in data.get("seen") or []},
            )
        except (ValueError, TypeError, AttributeError) as exc:
            # Starting over re-reads the feed once; the pipeline drops what it already has.
            logger.warning("Unreadable RSS cursor (%s); starting from the current feed", exc)
            return cls()

    def dump(self) -> Cursor:
        data = {"etag": self.etag, "modified": self.modified, "seen": list(self.seen.items())}
        return Cursor(json.dumps(data, separators=(",", ":"), ensure_ascii=False))


@dataclass(frozen=True, slots=True)
class Fetched:
    """A feed document as fetched: its final URL (after redirects), headers and body."""

    url: str
    headers: httpx.Headers
    body: bytes


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date), capped."""
    if not value or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        seconds = float(value)
    else:
        now = now or datetime.now(UTC)
        moment = parse_datetime_robust(value, now=now)
        if moment is None:
            return None
        seconds = (moment - now).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


class RSSSource(SourceAdapter):
    """Polls one RSS/Atom feed. ``sleep`` and ``retry`` are injectable for tests."""

    kind = "rss"

    def __init__(
        self,
        *,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        retry: Backoff | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.url = str(self.config.get("url") or "")
        if not self.url:
            raise SourceError(f"RSS source {self.name!r} has no 'url'.")
        self.interval = float(self.config.get("poll_interval", DEFAULT_INTERVAL))
        self.timeout = float(self.config.get("timeout", DEFAULT_TIMEOUT))
        self.max_seen = SEEN_LIMIT
        self.failures = 0  # failed polls since the adapter started (also logged, each)
        self._sleep = sleep
        self._retry = retry or Backoff(5.0, max(600.0, self.interval * 8), sleep=sleep)
        self._client: httpx.AsyncClient | None = None
        self._lock = asyncio.Lock()  # one request at a time, whoever asks

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = http_client(
                timeout=httpx.Timeout(self.timeout),
                follow_redirects=True,
                max_redirects=5,
                headers={"Accept": ACCEPT},
            )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _fetch(self, state: FeedCursor) -> Fetched | None:
        """One conditional GET: the document, or ``None`` for a 304."""
        headers = {}
        if state.etag:
            headers["If-None-Match"] = state.etag
        if state.modified:
            headers["If-Modified-Since"] = state.modified
        try:
            await ROBOTS.check(self._http(), self.url)  # RobotsDisallowed stops the source
        except RobotsUnavailable as exc:
            raise FeedUnavailable(f"robots.txt unavailable ({exc})") from exc
        try:
            async with self._http().stream("GET", self.url, headers=headers) as response:
                status = response.status_code
                if status == 304:
                    return None
                if status == 410:
                    raise SourceError(f"Feed {self.url} is gone (410); remove the source.")
                if not 200 <= status < 300:
                    wait = retry_after(response.headers.get("Retry-After"))
                    level = (
                        logging.WARNING
                        if status in RETRY_STATUSES or status >= 500
                        else logging.ERROR
                    )
                    logger.log(level, "Feed %s answered %d", self.url, status)
                    raise FeedUnavailable(f"HTTP {status}", retry_after=wait)
                declared = response.headers.get("Content-Length", "")
                size = int(declared) if declared.isdigit() else 0
                body = bytearray()
                if size <= MAX_FEED_BYTES:
                    async for chunk in response.aiter_bytes():
                        body += chunk
                        if len(body) > MAX_FEED_BYTES:
                            break
                if size > MAX_FEED_BYTES or len(body) > MAX_FEED_BYTES:
                    raise FeedUnavailable(f"the feed is bigger than {MAX_FEED_BYTES} bytes")
                return Fetched(str(response.url), response.headers, bytes(body))
        except httpx.TimeoutException as exc:
            raise FeedUnavailable(f"timed out ({type(exc).__name__})") from exc
        except httpx.RequestError as exc:  # refused, dropped, broken encoding, redirect loop
            raise FeedUnavailable(f"{type(exc).__name__}: {exc}") from exc

    async def read_now(self) -> ParsedFeed:
        """The feed as it is now, fetched unconditionally and parsed, ``problem`` included (the
        console's "test this source"); ``FeedUnavailable`` or ``SourceError`` if unreadable."""
        async with self._lock:
            fetched = await self._fetch(FeedCursor.load(Cursor("")))
        assert fetched is not None  # no validators sent: never a 304
        return await asyncio.to_thread(
            parse_feed, fetched.body, url=fetched.url, headers=fetched.headers
        )

    async def poll(self, cursor: Cursor, *, limit: int | None = None) -> Batch | None:
        """One poll: new and changed entries (oldest first, at most ``limit``) and the cursor
        after them; ``None`` when nothing changed. ``FeedUnavailable`` if worth retrying."""
        state = FeedCursor.load(cursor)
        async with self._lock:
            fetched = await self._fetch(state)
        if fetched is None:
            logger.debug("Feed %s not modified", self.url)
            return None
        # Parsing a big feed takes a while: off the event loop, so other sources keep going.
        parsed = await asyncio.to_thread(
            parse_feed, fetched.body, url=fetched.url, headers=fetched.headers
        )
        if parsed.problem:
            logger.warning("Feed %s skipped: %s", self.url, parsed.problem)
            return None
        fresh = [e for e in reversed(parsed.entries) if state.seen.get(e.key) != e.version]
        if state.seen:  # not the first read: an undated entry new since the last poll is news
            read_at = datetime.now(UTC)
            for entry in fresh:
                if entry.post.date_estimated and entry.key not in state.seen:
                    entry.post.created_at = read_at
        fresh.sort(key=lambda e: e.post.created_at or datetime.min.replace(tzinfo=UTC))
        emit = fresh if limit is None else fresh[: max(limit, 0)]
        after = FeedCursor(state.etag, state.modified, dict(state.seen))
        if len(emit) == len(fresh):  # a complete read: its validators are ours now
            after.etag = fetched.headers.get("ETag", "")
            after.modified = fetched.headers.get("Last-Modified", "")
        self._remember(after, emit, parsed.entries)
        new_cursor = after.dump()
        if not emit and new_cursor.value == str(cursor):
            return None
        logger.debug("Feed %s: %d new or changed entries", self.url, len(emit))
        return Batch([e.post for e in emit], new_cursor)

    def _remember(
        self, state: FeedCursor, emitted: list[FeedEntry], current: list[FeedEntry]
    ) -> None:
        for entry in emitted:
            state.seen.pop(entry.key, None)  # re-inserted last: the most recent
            state.seen[entry.key] = entry.version
        keep = {e.key for e in current}
        excess = len(state.seen) - max(self.max_seen, len(keep))
        for key in [k for k in state.seen if k not in keep][: max(excess, 0)]:
            del state.seen[key]

    async def stream(self, cursor: Cursor) -> AsyncIterator[Batch]:
        emitted = 0
        while True:
            remaining = None if self.limit is None else self.limit - emitted
            try:
                batch = await self.poll(cursor, limit=remaining)
            except FeedUnavailable as exc:
                self.failures += 1
                delay = self._retry.next_delay()
                if exc.retry_after is not None:
                    delay = max(delay, exc.retry_after)
                logger.warning("Feed %s unavailable (%s); retrying in %.1f s", self.url, exc, delay)
                await self._sleep(delay)
                continue
            self._retry.reset()
            if batch is not None:
                cursor = batch.cursor or cursor
                emitted += len(batch.posts)
                yield batch
                if self.limit is not None and emitted >= self.limit:
                    return
            await self._sleep(self.interval)

    async def backfill(self, cursor: Cursor, *, limit: int | None = None) -> AsyncIterator[Batch]:
        """The entries in the feed now, read unconditionally; the live cursor does not move."""
        batch = await self.poll(Cursor(""), limit=limit or self.limit)
        if batch is not None and batch.posts:
            yield Batch(batch.posts, None)
