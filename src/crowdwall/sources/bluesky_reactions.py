"""Who liked and who reposted a Bluesky post, asked of the public AppView.

``app.bsky.feed.getLikes?uri=<at-uri>&limit=100`` answers ``{"likes": [{"actor": {did,
handle, ...}, ...}], "cursor"}`` and ``app.bsky.feed.getRepostedBy`` answers ``{"repostedBy":
[{did, handle, ...}], "cursor"}``; both page with ``cursor`` (absent on the last page). The
AppView is the one the Jetstream source asks about profiles (its ``profile_lookup_url``,
``https://public.api.bsky.app`` by default: ``crowdwall.sources.bluesky_profiles``), through
the same client factory (our User-Agent, the shared TLS context).

Only ``pages`` pages of each list are read. A 5xx, a timeout or a network error is
``ReactionsUnavailable`` (the caller leaves the AppView alone until later); a 4xx (a deleted
post answers 400) or an answer of the wrong shape is ``ReactionsError`` for this post only.
"""

from __future__ import annotations

from typing import Any

import httpx

from crowdwall.sources.bluesky_profiles import DEFAULT_APPVIEW
from crowdwall.sources.http import http_client
from crowdwall.sources.reactions import ReactionsError, ReactionsUnavailable, Reactor

PAGE_LIMIT = 100  # both methods' maximum
# (verb, XRPC method, the answer's list, where a list item keeps the account)
LISTS = (
    ("liked", "app.bsky.feed.getLikes", "likes", "actor"),
    ("reposted", "app.bsky.feed.getRepostedBy", "repostedBy", None),
)


class BlueskyReactions:
    """The reactions adapter of a Bluesky source (``base_url``: the AppView)."""

    def __init__(
        self,
        base_url: str = DEFAULT_APPVIEW,
        *,
        pages: int = 2,
        timeout: float = 5.0,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.pages = pages
        self._own_http = http is None
        self.http = http or http_client(timeout=timeout, follow_redirects=False)

    async def reactors(self, external_id: str) -> list[Reactor]:
        """Who liked and who reposted the post at-uri ``external_id``."""
        found: list[Reactor] = []
        for verb, method, key, inner in LISTS:
            cursor = ""
            for _page in range(self.pages):
                params = {"uri": external_id, "limit": PAGE_LIMIT}
                if cursor:
                    params["cursor"] = cursor
                data = await self._get(method, params)
                items = data.get(key)
                if not isinstance(items, list):
                    raise ReactionsError(f"{method} of {external_id}: no {key!r} list")
                for item in items:
                    actor = item.get(inner) if inner and isinstance(item, dict) else item
                    if isinstance(actor, dict) and isinstance(actor.get("did"), str):
                        handle = actor.get("handle")
                        handle = handle if isinstance(handle, str) and handle else actor["did"]
                        found.append(Reactor(verb, actor["did"], handle))
                cursor = data.get("cursor") if isinstance(data.get("cursor"), str) else ""
                if not cursor or not items:
                    break
        return found

    async def _get(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        url = f"{self.base_url}/xrpc/{method}"
        try:
            response = await self.http.get(url, params=params)
        except httpx.HTTPError as exc:  # timeouts, refused connections, broken answers
            raise ReactionsUnavailable(f"{method}: {type(exc).__name__}: {exc}") from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise ReactionsUnavailable(f"{method}: HTTP {response.status_code}")
        if response.status_code != 200:
            raise ReactionsError(f"{method}: HTTP {response.status_code} for {params['uri']}")
        try:
            data = response.json()
        except ValueError as exc:
            raise ReactionsUnavailable(f"{method}: the answer is not JSON ({exc})") from exc
        if not isinstance(data, dict):
            raise ReactionsError(f"{method}: the answer is not an object")
        return data

    async def aclose(self) -> None:
        if self._own_http:
            await self.http.aclose()
