"""A fake Bluesky AppView (``public.api.bsky.app``): a plain ASGI app speaking the XRPC wire format.

``GET /xrpc/app.bsky.feed.getLikes?uri=&limit=&cursor=`` answers ``{"uri", "likes": [{"actor":
{did, handle, displayName}, "createdAt", "indexedAt"}], "cursor"}`` and
``app.bsky.feed.getRepostedBy`` answers ``{"uri", "repostedBy": [{did, handle, ...}],
"cursor"}``, newest first; ``limit`` 1–100 (default 50), anything else ``400
{"error": "InvalidRequest"}``; ``cursor`` is opaque (here an offset), absent on the last page.
A post nobody reacted to answers empty lists. ``app.bsky.actor.getProfiles`` answers profiles
without labels (so a Jetstream source may use this server as its profile lookup too).

Controls (thread-safe, called from the test's thread): ``like``, ``repost``, ``fail`` (the next
answers get a status), ``slow`` (the next answers wait); ``requests`` records (method, params).
"""

from __future__ import annotations

import asyncio
import json
import threading
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

Scope = dict[str, Any]
LISTS = {"app.bsky.feed.getLikes": "likes", "app.bsky.feed.getRepostedBy": "repostedBy"}


def profile(did: str, handle: str) -> dict[str, Any]:
    """A ``profileView`` as the AppView sends it."""
    return {"did": did, "handle": handle, "displayName": handle.split(".")[0].title(), "labels": []}


class FakeAppView:
    """The app; serve it with ``AsgiServer``."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, list[str]]]] = []
        self._lock = threading.Lock()
        self._lists: dict[str, dict[str, list[dict[str, Any]]]] = {}  # uri -> key -> newest last
        self._faults: list[tuple[str, float]] = []

    def like(self, uri: str, did: str, handle: str) -> None:
        """``did`` likes the post ``uri``."""
        now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        item = {"actor": profile(did, handle), "createdAt": now, "indexedAt": now}
        self._add(uri, "likes", item)

    def repost(self, uri: str, did: str, handle: str) -> None:
        """``did`` reposts the post ``uri``."""
        self._add(uri, "repostedBy", profile(did, handle))

    def fail(self, status: int = 500, *, times: int = 1) -> None:
        with self._lock:
            self._faults += [("status", float(status))] * times

    def slow(self, delay: float, *, times: int = 1) -> None:
        with self._lock:
            self._faults += [("slow", delay)] * times

    def calls(self, method: str) -> list[dict[str, list[str]]]:
        with self._lock:
            return [params for name, params in self.requests if name == method]

    def _add(self, uri: str, key: str, item: dict[str, Any]) -> None:
        with self._lock:
            self._lists.setdefault(uri, {}).setdefault(key, []).append(item)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        method = scope["path"].removeprefix("/xrpc/")
        params = parse_qs(scope.get("query_string", b"").decode())
        with self._lock:
            self.requests.append((method, params))
            fault = self._faults.pop(0) if self._faults else None
        if fault and fault[0] == "slow":
            await asyncio.sleep(fault[1])
        if fault and fault[0] == "status":
            status, body = int(fault[1]), {"error": "InternalServerError", "message": "injected"}
        else:
            status, body = self._answer(method, params)
        headers = [(b"content-type", b"application/json; charset=utf-8")]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": json.dumps(body).encode()})

    def _answer(self, method: str, params: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        if method == "app.bsky.actor.getProfiles":
            actors = params.get("actors", [])
            return 200, {"profiles": [profile(did, "handle.invalid") for did in actors]}
        if method not in LISTS:
            return 501, {"error": "MethodNotImplemented", "message": f"{method} not implemented"}
        uri = (params.get("uri") or [""])[0]
        try:
            limit = int((params.get("limit") or ["50"])[0])
            offset = int((params.get("cursor") or ["0"])[0])
        except ValueError:
            return 400, {"error": "InvalidRequest", "message": "bad limit or cursor"}
        if not uri.startswith("at://") or not 1 <= limit <= 100:
            return 400, {"error": "InvalidRequest", "message": "Error: Params must have uri"}
        key = LISTS[method]
        with self._lock:
            items = list(reversed(self._lists.get(uri, {}).get(key, [])))  # newest first
        page = items[offset : offset + limit]
        body: dict[str, Any] = {"uri": uri, key: page}
        if offset + limit < len(items):
            body["cursor"] = str(offset + limit)
        return 200, body
