"""Every outbound HTTP request of the sources: one client factory, one User-Agent, robots.txt.

**User-Agent.** Servers we read from deserve to know who is asking and how to reach them:
every client built here (and every WebSocket the sources open: ``user_agent()``) sends
``CROWDWALL["USER_AGENT"]``, by default ``crowdwall/<version> (+<CONTACT_URL>)``.

**robots.txt.** Feeds are fetched by a program, on a schedule, so they are crawling in the
sense of RFC 9309: before a feed is read, the robots.txt of its host is consulted (fetched with
the same client, cached per host for ``ROBOTS_CACHE_SECONDS``) and parsed with
``urllib.robotparser``. As the RFC says: a robots.txt that is missing or refused (any 4xx)
allows everything; one that cannot be fetched (5xx, network error) makes us wait and ask again,
never read the feed; a path disallowed for our agent is not read at all
(``RobotsDisallowed``, a ``SourceError``: retrying would not help, the admin must decide).
The Mastodon and Bluesky APIs are not crawled pages; they are not checked.

**One TLS context per process.** httpx builds a verifying ``ssl.SSLContext`` for every client,
loading the whole CA bundle: 0.15–0.3 s of CPU, more than storing a batch of 500 posts, and
a Bluesky source builds a client (its profile lookup) each time it starts. Every client built
here shares one context instead (built on first use, as httpx would: ``create_ssl_context``
with the environment's ``SSL_CERT_FILE``/``SSL_CERT_DIR``); a caller passing ``verify`` keeps
its own.
"""

from __future__ import annotations

import ssl
import time
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from crowdwall.conf import conf
from crowdwall.exceptions import SourceDisconnected, SourceError
from crowdwall.sources import outbound

__all__ = [
    "ROBOTS",
    "RobotsCache",
    "RobotsDisallowed",
    "RobotsUnavailable",
    "http_client",
    "tls_context",
]

MAX_ROBOTS_BYTES = 512 * 1024  # RFC 9309: parse at least 500 KiB; beyond that, ignore the rest


def user_agent() -> str:
    """The User-Agent of every outbound request (``CROWDWALL["USER_AGENT"]``)."""
    return conf.USER_AGENT


@lru_cache(maxsize=1)
def tls_context() -> ssl.SSLContext:
    """The verifying TLS context every client of ``http_client`` shares (built once)."""
    return httpx.create_ssl_context()


def http_client(*, headers: dict[str, str] | None = None, **options: Any) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` sending our User-Agent, verifying TLS with the shared
    ``tls_context()``; ``options`` go to the client. Within ``outbound.guarded()`` (the
    console's "test this source") it reaches public addresses only."""
    options.setdefault("verify", tls_context())
    return httpx.AsyncClient(
        headers={**(headers or {}), "User-Agent": user_agent()},
        **outbound.transport_options(options),
    )


class RobotsDisallowed(SourceError):
    """robots.txt disallows this URL for our User-Agent."""


class RobotsUnavailable(SourceDisconnected):
    """The host's robots.txt could not be read (5xx, network): ask again later."""


class RobotsCache:
    """robots.txt per host (scheme and authority), kept for ``CROWDWALL["ROBOTS_CACHE_SECONDS"]``;
    ``clock`` is injectable for tests."""

    def __init__(self, clock: Any = time.monotonic) -> None:
        self._rules: dict[str, tuple[RobotFileParser, float]] = {}
        self._clock = clock

    def clear(self) -> None:
        self._rules.clear()

    async def check(self, client: httpx.AsyncClient, url: str) -> None:
        """Return if ``url`` may be fetched; ``RobotsDisallowed`` or ``RobotsUnavailable`` if not."""
        parts = urlsplit(url)
        host = f"{parts.scheme}://{parts.netloc}"
        cached = self._rules.get(host)
        now = self._clock()
        if cached is None or now - cached[1] >= conf.ROBOTS_CACHE_SECONDS:
            cached = (await self._fetch(client, host), now)
            self._rules[host] = cached
        agent = user_agent()
        if not cached[0].can_fetch(agent, url):
            raise RobotsDisallowed(f"{host}/robots.txt disallows {url} for {agent!r}.")

    async def _fetch(self, client: httpx.AsyncClient, host: str) -> RobotFileParser:
        rules = RobotFileParser(f"{host}/robots.txt")
        try:
            async with client.stream("GET", f"{host}/robots.txt") as response:
                status = response.status_code
                body = bytearray()
                if 200 <= status < 300:
                    async for chunk in response.aiter_bytes():
                        body += chunk
                        if len(body) >= MAX_ROBOTS_BYTES:
                            break
        except (httpx.TimeoutException, httpx.RequestError) as exc:
            raise RobotsUnavailable(f"{host}/robots.txt: {type(exc).__name__}: {exc}") from exc
        if status >= 500:
            raise RobotsUnavailable(f"{host}/robots.txt answered {status}")
        if 400 <= status < 500:
            rules.allow_all = True  # RFC 9309 2.3.1.3: "unavailable" means no rules
        else:
            text = bytes(body[:MAX_ROBOTS_BYTES]).decode("utf-8", errors="replace")
            rules.parse(text.splitlines())
        rules.modified()
        return rules


ROBOTS = RobotsCache()  # one per process: every feed source of a host shares its answer
