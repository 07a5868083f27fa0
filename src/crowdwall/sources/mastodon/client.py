"""HTTP to one Mastodon server: one request in flight, rate limits obeyed, failures retried.

Mastodon allows 300 requests per 5 minutes per account and per IP and says how many are left
on every response (``X-RateLimit-Limit``, ``-Remaining``, ``-Reset``: an ISO 8601 time). The
rules here:

- One request at a time per client (a lock held across retries and waits), so a source never
  has two requests in flight, whatever its tasks do.
- ``Remaining: 0`` → no request before ``Reset`` (local clock; if it is off and the server
  still answers 429, the next rule applies).
- 429 → wait ``Retry-After`` (seconds or an HTTP date), else until ``Reset``, else a backoff;
  then repeat the request.
- 5xx, timeouts, connection errors and 2xx bodies that are not JSON → retry after an
  exponential backoff with jitter; after ``retries`` retries, ``SourceDisconnected`` (the
  source reconnects and resumes from its cursor).
- Other 4xx → ``MastodonHTTPError`` at once: retrying cannot fix a missing account or a
  refused token.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from crowdwall.exceptions import SourceDisconnected, SourceError
from crowdwall.sources.base import Backoff
from crowdwall.sources.http import http_client

logger = logging.getLogger("crowdwall.sources.mastodon")

MAX_WAIT = 900.0  # never trust a rate-limit reset further away than 15 minutes


class MastodonHTTPError(SourceError):
    """The server refused a request with a 4xx status other than 429."""

    def __init__(self, status: int, url: str, detail: str = "") -> None:
        self.status = status
        self.url = url
        super().__init__(f"HTTP {status} from {url}" + (f": {detail}" if detail else ""))


@dataclass(slots=True)
class Response:
    data: Any  # the parsed JSON body
    links: dict[str, str]  # Link header: rel ("next", "prev") -> URL
    headers: httpx.Headers


@dataclass(slots=True)
class RateLimit:
    """What the server said on its last response (``None``: it did not say)."""

    limit: int | None = None
    remaining: int | None = None
    reset: datetime | None = None
    waits: list[float] = field(default_factory=list)  # seconds waited for resets, for stats


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


def _seconds_until(moment: datetime | None) -> float | None:
    if moment is None:
        return None
    return (moment - datetime.now(UTC)).total_seconds()


def retry_after(headers: httpx.Headers) -> float | None:
    """Seconds to wait after a 429: ``Retry-After`` (seconds or HTTP date), else the reset."""
    value = headers.get("retry-after", "").strip()
    if value:
        try:
            return float(value)
        except ValueError:
            try:
                return _seconds_until(parsedate_to_datetime(value))
            except (TypeError, ValueError):
                pass
    return _seconds_until(_time(headers.get("x-ratelimit-reset")))


class MastodonClient:
    """GET JSON from one Mastodon server (``instance``: its base URL), politely."""

    def __init__(
        self,
        instance: str,
        *,
        token: str = "",
        timeout: float = 10.0,
        retries: int = 4,
        backoff: Backoff | None = None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.instance = instance.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff or Backoff(1.0, 60.0)
        self.rate_limit = RateLimit()
        self._sleep = sleep
        self._own_http = http is None
        self.http = http or http_client(timeout=timeout, follow_redirects=False)
        self._lock = asyncio.Lock()
        self._not_before = 0.0  # event-loop time before which no request may start

    @property
    def host(self) -> str:
        return urlsplit(self.instance).netloc

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def same_origin(self, url: str) -> bool:
        """Whether ``url`` is on this server (only then do we follow it with our token)."""
        ours, theirs = urlsplit(self.instance), urlsplit(url)
        return (ours.scheme, ours.netloc) == (theirs.scheme, theirs.netloc)

    async def aclose(self) -> None:
        if self._own_http:
            await self.http.aclose()

    async def get(self, target: str, params: Mapping[str, Any] | None = None) -> Response:
        """GET ``target`` (a path, or a URL on this server) and parse its JSON body."""
        url = target if "://" in target else self.instance + target
        if not self.same_origin(url):
            raise SourceError(f"Refusing to follow {url}: not on {self.instance}.")
        async with self._lock:
            failures = 0
            while True:
                await self._wait_for_rate_limit()
                problem = await self._attempt(url, params)
                if isinstance(problem, Response):
                    self.backoff.reset()
                    return problem
                if problem is None:  # 429: the wait is already scheduled, nothing failed
                    continue
                failures += 1
                if failures > self.retries:
                    raise SourceDisconnected(f"GET {url} failed {failures} times: {problem}")
                logger.warning("GET %s: %s; retry %d of %d", url, problem, failures, self.retries)
                await self.backoff.wait()

    async def _attempt(self, url: str, params: Mapping[str, Any] | None) -> Response | str | None:
        """One request: the response, ``None`` after a 429, or why it should be retried."""
        try:
            response = await self.http.get(url, params=params, headers=self.auth_headers())
        except httpx.TimeoutException as exc:
            return f"timed out ({type(exc).__name__})"
        except httpx.TransportError as exc:
            return f"{type(exc).__name__}: {exc}"
        self._note_rate_limit(response.headers)
        status = response.status_code
        if status == 429:
            delay = retry_after(response.headers)
            if delay is None or delay <= 0:  # nothing usable (or our clock is ahead): back off
                delay = self.backoff.next_delay()
            self._block_for(delay)
            logger.warning("GET %s: rate limited (429); waiting %.1f s", url, delay)
            return None
        if status >= 500:
            return f"HTTP {status}"
        if status >= 400:
            raise MastodonHTTPError(status, url, _error_text(response))
        if status != 200:
            return f"unexpected HTTP {status}"
        try:
            data = response.json()
        except ValueError as exc:  # a proxy's error page, a truncated body...
            return f"body is not JSON ({exc})"
        links = {rel: link["url"] for rel, link in response.links.items() if link.get("url")}
        return Response(data, links, response.headers)

    def _note_rate_limit(self, headers: httpx.Headers) -> None:
        limit = _int(headers.get("x-ratelimit-limit"))
        remaining = _int(headers.get("x-ratelimit-remaining"))
        reset = _time(headers.get("x-ratelimit-reset"))
        if limit is None and remaining is None:
            return
        self.rate_limit.limit, self.rate_limit.remaining, self.rate_limit.reset = (
            limit,
            remaining,
            reset,
        )
        if remaining is not None and remaining <= 0:
            wait = _seconds_until(reset)
            if wait is not None and wait > 0:
                self._block_for(wait)

    def _block_for(self, seconds: float) -> None:
        until = asyncio.get_running_loop().time() + min(seconds, MAX_WAIT)
        self._not_before = max(self._not_before, until)

    async def _wait_for_rate_limit(self) -> None:
        delay = self._not_before - asyncio.get_running_loop().time()
        if delay > 0:
            self.rate_limit.waits.append(delay)
            logger.info("%s: rate limit reached; waiting %.1f s for the reset", self.host, delay)
            await self._sleep(delay)


def _error_text(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(data, dict) and isinstance(data.get("error"), str):
        return data["error"][:200]
    return ""
