"""Looking up the profile label of Bluesky accounts the stream has not told us about.

Jetstream only tells us about a profile when it changes, so an account that set
``!no-unauthenticated`` long ago is unknown until then. With ``profile_lookup`` on (the
default), the source asks the public AppView (``app.bsky.actor.getProfiles``, at most 25
actors per call; the answer's ``labels`` carry the account's self-labels) about each DID first
seen in a matching post, before the batch goes to the pipeline. Answers are cached (``ttl``,
at most ``size`` DIDs); a call has a short ``timeout``. A failure (network, HTTP error, odd
JSON) is logged and counted and leaves the DIDs unknown, which is not a refusal
(``crowdwall.ingest.consent``); no lookup is tried for ``pause`` seconds after one, so an
AppView that is down costs one timeout a minute, not one per batch.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

import httpx

from crowdwall.ingest.consent import has_opt_out_label
from crowdwall.sources.http import http_client

logger = logging.getLogger("crowdwall.sources.bluesky")

DEFAULT_APPVIEW = "https://public.api.bsky.app"
ACTORS_PER_CALL = 25  # getProfiles' limit
METHOD = "/xrpc/app.bsky.actor.getProfiles"


class ProfileLookup:
    """Which DIDs carry ``!no-unauthenticated`` on their profile, asked of an AppView."""

    def __init__(
        self,
        base_url: str = DEFAULT_APPVIEW,
        *,
        ttl: float = 6 * 3600,
        size: int = 100_000,
        timeout: float = 3.0,
        pause: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = base_url.rstrip("/") + METHOD
        self.ttl, self.size, self.timeout, self.clock = ttl, size, timeout, clock
        self.pause, self.paused_until = pause, float("-inf")
        self.known: OrderedDict[str, float] = OrderedDict()  # DID -> when we asked
        self.calls = self.failures = 0
        self._client: httpx.AsyncClient | None = None

    def unknown(self, dids: Iterable[str]) -> list[str]:
        """The DIDs not looked up within ``ttl`` (each once, in order)."""
        now = self.clock()
        return [d for d in dict.fromkeys(dids) if now - self.known.get(d, -self.ttl) >= self.ttl]

    async def labelled(self, dids: Iterable[str]) -> set[str]:
        """Of the ``dids`` not looked up recently, those whose profile carries the label;
        empty for those a failed call could not tell."""
        found: set[str] = set()
        if self.clock() < self.paused_until:
            return found
        pending = self.unknown(dids)
        for start in range(0, len(pending), ACTORS_PER_CALL):
            chunk = pending[start : start + ACTORS_PER_CALL]
            answer = await self._call(chunk)
            if answer is None:  # unknown stays unknown; asked again after the pause
                self.paused_until = self.clock() + self.pause
                break
            found |= answer
            now = self.clock()
            for did in chunk:
                self.known[did] = now
                self.known.move_to_end(did)
            while len(self.known) > self.size:
                self.known.popitem(last=False)
        return found

    async def _call(self, dids: list[str]) -> set[str] | None:
        self.calls += 1
        if self._client is None:
            self._client = http_client(timeout=self.timeout)
        try:
            response = await self._client.get(self.url, params=[("actors", d) for d in dids])
            response.raise_for_status()
            profiles = response.json().get("profiles")
            if not isinstance(profiles, list):
                raise ValueError("no 'profiles' list")
            return {
                p["did"]
                for p in profiles
                if isinstance(p, dict)
                and p.get("did") in dids
                and has_opt_out_label(p.get("labels"))
            }
        except (httpx.HTTPError, ValueError, AttributeError) as exc:
            self.failures += 1
            logger.warning("Bluesky profile lookup failed (%d so far): %s", self.failures, exc)
            return None

    async def aclose(self) -> None:
        """Close the HTTP client."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None


def lookup_from_config(config: dict[str, Any]) -> ProfileLookup | None:
    """The lookup a source's config asks for (``profile_lookup``, ``profile_lookup_url``)."""
    if not config.get("profile_lookup", True):
        return None
    return ProfileLookup(str(config.get("profile_lookup_url") or DEFAULT_APPVIEW))
