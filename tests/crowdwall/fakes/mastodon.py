"""A fake Mastodon server: a plain ASGI app speaking the real wire protocol, with test controls.

REST: ``/api/v2/instance`` (``configuration.urls.streaming``), ``/api/v1/instance``,
``/api/v1/timelines/tag/:tag`` and ``/api/v1/accounts/:id/statuses`` with Mastodon's paging
(``max_id``/``since_id``/``min_id``/``limit`` — default 20, at most 40; newest first; with
``min_id`` the page just after it; ``Link`` headers ``rel="next"`` = older, ``rel="prev"`` =
newer), ``/api/v1/accounts/lookup?acct=`` and ``/api/v1/accounts/:id``; ``X-RateLimit-*``
headers on every answer and 429 past the limit, bearer tokens checked. Reactions:
``/api/v1/statuses/:id/favourited_by`` and ``/reblogged_by`` (accounts, newest first; ``limit``
default 40, at most 80; ``max_id``/``since_id``/``min_id`` over the reactions' own ids, as
Mastodon pages by the favourite's id; ``Link`` headers; 404 for an unknown status).

Lists (a user token required, as on Mastodon): ``GET/POST /api/v1/lists``, ``GET/PUT/DELETE
/api/v1/lists/:id``, ``GET /api/v1/lists/:id/accounts`` (``limit`` default 40, at most 80, 0 for
all; ``max_id``/``since_id``/``min_id`` over membership ids; ``Link`` headers), ``POST`` and
``DELETE /api/v1/lists/:id/accounts`` with ``account_ids[]`` (form, JSON or query string; a batch
is all or nothing: 404 for an unknown account, 422 for one already listed or not followed), and
``POST /api/v1/accounts/:id/follow``, ``GET /api/v1/accounts/relationships?id[]=`` (locked
accounts answer ``requested``; lists accept followed and requested accounts).

Streaming (token required): WebSocket ``/api/v1/streaming`` (``?stream=hashtag&tag=`` and
``subscribe`` messages; ``{"stream", "event", "payload"}`` frames with the payload a JSON
string) and SSE ``/api/v1/streaming/hashtag?tag=``.

Controls (thread-safe, called from the test's thread): ``post``, ``boost``, ``favourite``,
``edit``, ``delete``
(the last three also emit stream events), ``add_raw`` (malformed statuses), ``send_event``,
``fail``/``slow``/``malformed`` (the next REST answers), ``limit_rate``, ``cut_streams``
(abrupt disconnects), ``refuse_websocket``; ``requests`` records every request with its
start/end time, and ``wait_for`` awaits a condition from the test's event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlencode

Scope = dict[str, Any]
_CUT = object()  # queued to a stream: drop the connection without a goodbye


def now_iso(moment: datetime | None = None) -> str:
    return (moment or datetime.now(UTC)).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class RequestRecord:
    kind: str  # "rest", "websocket", "sse"
    method: str
    path: str
    query: dict[str, list[str]]
    authorization: str
    port: int
    start: float  # time.monotonic()
    wall: float  # time.time() at the start
    end: float | None = None
    status: int | None = None
    remaining: int | None = None  # X-RateLimit-Remaining sent back
    reset: float | None = None  # X-RateLimit-Reset sent back (epoch seconds)
    body: bytes = b""  # the request body (REST)
    content_type: str = ""
    user_agent: str = ""

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None

    def values(self, name: str) -> list[str]:
        """Every value of ``name`` from the query string and the body (form or JSON), as Rails
        merges them; ``name`` without ``[]`` (``account_ids`` finds ``account_ids[]``)."""
        found = self.query.get(name, []) + self.query.get(name + "[]", [])
        if self.body and "json" in self.content_type:
            with contextlib.suppress(ValueError):
                data = json.loads(self.body)
                value = data.get(name) if isinstance(data, dict) else None
                found += [str(v) for v in value] if isinstance(value, list) else []
                found += [str(value)] if isinstance(value, str | int) else []
        elif self.body:
            form = parse_qs(self.body.decode())
            found += form.get(name, []) + form.get(name + "[]", [])
        return found


@dataclass
class Entry:
    """A status in a timeline: its sort id and its JSON (anything, for malformed ones)."""

    id: int
    body: Any
    tags: frozenset[str]
    account_id: str | None
    reblog: bool = False


@dataclass
class Subscriber:
    kind: str  # "websocket" or "sse"
    tags: set[str]
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[Any] = field(default_factory=asyncio.Queue)


class FakeMastodon:
    """The app; serve it with ``AsgiServer``. ``domain`` is what statuses and handles say."""

    def __init__(
        self,
        *,
        token: str | None = "good-token",
        require_token: bool = False,
        domain: str = "social.example",
        first_id: int = 95,
    ) -> None:
        self.token = token  # a user token: REST and streaming
        self.app_tokens: set[str] = set()  # app tokens: REST only (streaming needs a user)
        self.url = ""  # where it is served (set by the fixture)
        self.streaming_down = False  # streaming answers 503 (WebSocket and SSE)
        self.require_token = require_token  # REST timelines need a token too (Mastodon 4.5 option)
        self.domain = domain
        self.streaming_url: str | None = None  # configuration.urls.streaming (None: no streaming)
        self.streaming_port: int | None = None  # when set, streaming is served on that port only
        self.refuse_websocket = False
        self.requests: list[RequestRecord] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._ids = itertools.count(first_id)
        self._lock = threading.RLock()
        self._entries: dict[int, Entry] = {}
        # status id -> list name ("favourited_by", "reblogged_by") -> entries (account bodies)
        self._reactions: dict[str, dict[str, list[Entry]]] = {}
        self._accounts: dict[str, dict[str, Any]] = {}
        self._subscribers: list[Subscriber] = []
        self._faults: list[tuple[str, dict[str, Any]]] = []
        self._waiters: list[
            tuple[asyncio.AbstractEventLoop, asyncio.Event, Callable[[], bool]]
        ] = []
        self.rate_limit, self.rate_window = 300, 300.0
        self._remaining, self._reset_at = 300, datetime.now(UTC) + timedelta(seconds=300)
        self.ann = self.add_account("ann")
        # Lists of the token's user: id -> list JSON; id -> [(membership id, account id)].
        self.lists: dict[str, dict[str, Any]] = {}
        self.list_members: dict[str, list[tuple[int, str]]] = {}
        self.following: set[str] = set()  # account ids the token's user follows
        self.requested: set[str] = set()  # follow requests pending (locked accounts)
        self._list_ids = itertools.count(1)
        self._membership_ids = itertools.count(1)

    # Test controls --------------------------------------------------------------------------

    def add_list(self, title: str, *account_ids: str) -> str:
        """A list of the token's user holding ``account_ids`` (followed); its id."""
        with self._lock:
            list_id = str(next(self._list_ids))
            self.lists[list_id] = {
                "id": list_id,
                "title": title,
                "replies_policy": "list",
                "exclusive": False,
            }
            self.following.update(account_ids)
            self.list_members[list_id] = [(next(self._membership_ids), a) for a in account_ids]
            return list_id

    def members(self, list_id: str) -> list[str]:
        """Account ids on a list, in the order they were added."""
        with self._lock:
            return [account_id for _, account_id in self.list_members[list_id]]

    def add_account(self, username: str, *, domain: str | None = None, bot: bool = False) -> dict:
        with self._lock:
            account_id = str(next(self._ids))
            host = domain or self.domain
            account = {
                "id": account_id,
                "username": username,
                "acct": username if domain is None else f"{username}@{domain}",
                "display_name": username.title(),
                "url": f"https://{host}/@{username}",
                "uri": f"https://{host}/users/{username}",
                "avatar": f"https://{host}/avatars/{username}.png",
                "bot": bot,
                "locked": False,
                # Consent flags as Mastodon 4.2+ sends them (crowdwall.ingest.consent).
                "discoverable": True,
                "indexable": True,
                "noindex": False,
                "created_at": now_iso(),
            }
            self._accounts[account_id] = account
            return account

    def post(
        self, *tags: str, content: str | None = None, account: dict | None = None, **fields: Any
    ) -> dict:
        """A new public status with ``tags``; emitted as ``update`` to their streams."""
        with self._lock:
            status_id = next(self._ids)
            account = account or self.ann
            status = {
                "id": str(status_id),
                "created_at": now_iso(),
                "edited_at": None,
                "in_reply_to_id": None,
                "in_reply_to_account_id": None,
                "sensitive": False,
                "spoiler_text": "",
                "visibility": "public",
                "language": "en",
                "uri": f"https://{self.domain}/users/{account['username']}/statuses/{status_id}",
                "url": f"https://{self.domain}/@{account['username']}/{status_id}",
                "replies_count": 0,
                "reblogs_count": 0,
                "favourites_count": 0,
                "content": content if content is not None else f"<p>status {status_id}</p>",
                "reblog": None,
                "account": account,
                "media_attachments": [],
                "mentions": [],
                "tags": [
                    {"name": t.lower(), "url": f"https://{self.domain}/tags/{t.lower()}"}
                    for t in tags
                ],
                "emojis": [],
                "card": None,
                "poll": None,
                **fields,
            }
            self._entries[status_id] = Entry(
                status_id, status, frozenset(t.lower() for t in tags), account["id"]
            )
            self._publish(tags, "update", json.dumps(status))
            return status

    def boost(self, status: dict, account: dict) -> dict:
        """``account`` boosts ``status``: a new status in the booster's timeline only."""
        with self._lock:
            status_id = next(self._ids)
            boost = {
                **status,
                "id": str(status_id),
                "created_at": now_iso(),
                "content": "",
                "account": account,
                "reblog": status,
                "tags": [],
                "media_attachments": [],
                "url": None,
                "uri": f"https://{self.domain}/users/{account['username']}/statuses/{status_id}/activity",
            }
            self._entries[status_id] = Entry(
                status_id, boost, frozenset(), account["id"], reblog=True
            )
            self._react(status["id"], "reblogged_by", account, status_id)
            return boost

    def favourite(self, status: dict, account: dict) -> None:
        """``account`` favourites ``status`` (listed by ``favourited_by``, newest first)."""
        with self._lock:
            self._react(status["id"], "favourited_by", account, next(self._ids))

    def _react(self, status_id: str, name: str, account: dict, reaction_id: int) -> None:
        lists = self._reactions.setdefault(status_id, {})
        lists.setdefault(name, []).append(Entry(reaction_id, account, frozenset(), account["id"]))

    def edit(self, status_id: str, content: str) -> dict:
        with self._lock:
            entry = self._entries[int(status_id)]
            entry.body = {**entry.body, "content": content, "edited_at": now_iso()}
            self._publish(entry.tags, "status.update", json.dumps(entry.body))
            return entry.body

    def delete(self, status_id: str) -> None:
        with self._lock:
            entry = self._entries.pop(int(status_id))
            self._publish(entry.tags, "delete", status_id)

    def add_raw(self, tag: str, body: Any) -> int:
        """Anything as the next entry of ``tag``'s timeline (not streamed); its sort id."""
        with self._lock:
            entry_id = next(self._ids)
            self._entries[entry_id] = Entry(entry_id, body, frozenset({tag.lower()}), None)
            return entry_id

    def send_event(self, tag: str, event: str, payload: str) -> None:
        """A raw stream event (any payload, malformed ones included)."""
        with self._lock:
            self._publish([tag], event, payload)

    def statuses(self, tag: str) -> list[dict]:
        """``tag``'s timeline as the server has it now, oldest first (well-formed entries)."""
        with self._lock:
            return [
                e.body
                for e in sorted(self._entries.values(), key=lambda e: e.id)
                if tag.lower() in e.tags and not e.reblog and isinstance(e.body, dict)
            ]

    def fail(self, status: int = 500, *, times: int = 1, **headers: str) -> None:
        """The next ``times`` REST requests answer ``status`` (with ``headers``)."""
        with self._lock:
            self._faults += [("status", {"status": status, "headers": headers})] * times

    def slow(self, delay: float, *, times: int = 1) -> None:
        with self._lock:
            self._faults += [("slow", {"delay": delay})] * times

    def malformed(self, *, times: int = 1) -> None:
        """The next ``times`` REST answers are 200 with a truncated JSON body."""
        with self._lock:
            self._faults += [("malformed", {})] * times

    def limit_rate(self, limit: int, window: float) -> None:
        """A fresh rate-limit window: ``limit`` requests per ``window`` seconds."""
        with self._lock:
            self.rate_limit, self.rate_window = limit, window
            self._remaining = limit
            self._reset_at = datetime.now(UTC) + timedelta(seconds=window)

    def cut_streams(self) -> None:
        """Drop every stream connection abruptly (no close frame, no end of body)."""
        with self._lock:
            for subscriber in self._subscribers:
                subscriber.loop.call_soon_threadsafe(subscriber.queue.put_nowait, _CUT)

    def subscribed(self, tag: str) -> int:
        with self._lock:
            return sum(tag.lower() in s.tags for s in self._subscribers)

    def rest_requests(self, path_prefix: str = "/api/v1/") -> list[RequestRecord]:
        with self._lock:
            return [r for r in self.requests if r.kind == "rest" and r.path.startswith(path_prefix)]

    async def wait_for(self, condition: Callable[[], bool], timeout: float = 3.0) -> None:
        """Wait (in the caller's event loop) until ``condition()`` holds after a server change."""
        loop, event = asyncio.get_running_loop(), asyncio.Event()
        waiter = (loop, event, condition)
        with self._lock:
            if condition():
                return
            self._waiters.append(waiter)
        try:
            async with asyncio.timeout(timeout):
                await event.wait()
        finally:
            with self._lock:
                self._waiters.remove(waiter)

    # Internals ------------------------------------------------------------------------------

    def _changed(self) -> None:
        with self._lock:
            for loop, event, condition in self._waiters:
                if condition():
                    loop.call_soon_threadsafe(event.set)

    def _publish(self, tags: Any, event: str, payload: str) -> None:
        for subscriber in self._subscribers:
            for tag in {t.lower() for t in tags} & subscriber.tags:
                subscriber.loop.call_soon_threadsafe(
                    subscriber.queue.put_nowait, (tag, event, payload)
                )

    def _record(self, scope: Scope, kind: str) -> RequestRecord:
        headers = dict(scope.get("headers") or [])
        record = RequestRecord(
            kind=kind,
            method=scope.get("method", "GET"),
            path=scope["path"],
            query=parse_qs(scope.get("query_string", b"").decode()),
            authorization=headers.get(b"authorization", b"").decode(),
            user_agent=headers.get(b"user-agent", b"").decode(),
            port=(scope.get("server") or ("", 0))[1],
            start=time.monotonic(),
            wall=time.time(),
        )
        with self._lock:
            self.requests.append(record)
            if kind == "rest":
                self.in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self.in_flight)
        self._changed()
        return record

    def _finish(self, record: RequestRecord, status: int | None) -> None:
        with self._lock:
            record.end, record.status = time.monotonic(), status
            if record.kind == "rest":
                self.in_flight -= 1
        self._changed()

    def _authorized(self, record: RequestRecord, *, streaming: bool = False) -> bool:
        given = record.authorization.removeprefix("Bearer ").strip() or record.param("access_token")
        return (given == self.token and given is not None) or (
            not streaming and given in self.app_tokens
        )

    # ASGI -----------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        streaming = path.startswith("/api/v1/streaming")
        wrong_port = self.streaming_port is not None and (
            streaming != ((scope.get("server") or ("", 0))[1] == self.streaming_port)
        )
        if scope["type"] == "websocket":
            await self._websocket(scope, receive, send, wrong_port)
        elif scope["type"] == "http" and streaming and not wrong_port:
            await self._sse(scope, receive, send)
        elif scope["type"] == "http":
            await self._rest(scope, receive, send, wrong_port)

    async def _rest(self, scope: Scope, receive: Any, send: Any, wrong_port: bool) -> None:
        record = self._record(scope, "rest")
        message = await receive()  # the request body (empty for GET)
        record.body = message.get("body", b"")
        while message.get("more_body"):
            message = await receive()
            record.body += message.get("body", b"")
        record.content_type = dict(scope.get("headers") or []).get(b"content-type", b"").decode()
        with self._lock:
            fault = self._faults.pop(0) if self._faults else None
        if fault and fault[0] == "slow":
            if await _client_left(receive, fault[1]["delay"]):
                return self._finish(record, None)  # the client hung up: no answer
            fault = None
        headers = self._rate_headers(record)
        body: Any
        if fault and fault[0] == "status":
            status, body = fault[1]["status"], {"error": "injected"}
            extra = {k.replace("_", "-").lower(): str(v) for k, v in fault[1]["headers"].items()}
            headers = [(k, v) for k, v in headers or [] if k not in extra] + list(extra.items())
        elif fault and fault[0] == "malformed":
            status, body = 200, b'[{"id": "1", "content": "<p>trunc'
        elif headers is None:
            status, body = 429, {"error": "Too many requests"}
            headers = self._rate_headers(record, count=False)
        elif wrong_port:
            status, body = 404, {"error": "Not found"}
        else:
            status, body, extra_headers = self._route(scope, record)
            headers += extra_headers
        # Done before the answer leaves: the client cannot start its next request earlier.
        self._finish(record, status)
        await _send(send, status, body, headers or [])

    def _rate_headers(
        self, record: RequestRecord, *, count: bool = True
    ) -> list[tuple[str, str]] | None:
        """Count a request against the window; its X-RateLimit headers (None: over the limit)."""
        with self._lock:
            now = datetime.now(UTC)
            if now >= self._reset_at:
                self._remaining = self.rate_limit
                self._reset_at = now + timedelta(seconds=self.rate_window)
            if count:
                if self._remaining <= 0:
                    return None
                self._remaining -= 1
            record.remaining, record.reset = self._remaining, self._reset_at.timestamp()
            return [
                ("x-ratelimit-limit", str(self.rate_limit)),
                ("x-ratelimit-remaining", str(self._remaining)),
                (
                    "x-ratelimit-reset",
                    self._reset_at.isoformat(timespec="microseconds").replace("+00:00", "Z"),
                ),
            ]

    def _route(self, scope: Scope, record: RequestRecord) -> tuple[int, Any, list[tuple[str, str]]]:
        path = scope["path"]
        parts = [unquote(p) for p in path.strip("/").split("/")]
        authorized = self._authorized(record)
        if record.authorization and not authorized:
            return 401, {"error": "The access token is invalid"}, []
        if path == "/api/v2/instance":
            urls = {"streaming": self.streaming_url} if self.streaming_url else {}
            return (
                200,
                {"domain": self.domain, "version": "4.3.0", "configuration": {"urls": urls}},
                [],
            )
        if path == "/api/v1/instance":
            return 200, {"uri": self.domain, "version": "4.3.0", "urls": {}}, []
        if parts[:4] == ["api", "v1", "timelines", "tag"] and len(parts) == 5:
            if self.require_token and not authorized:
                return 401, {"error": "This API requires an authenticated user"}, []
            with self._lock:
                entries = [
                    e for e in self._entries.values() if parts[4].lower() in e.tags and not e.reblog
                ]
            return self._page(scope, record, entries, always_next=True)
        if parts[:3] == ["api", "v1", "statuses"] and len(parts) == 5:
            if parts[4] not in ("favourited_by", "reblogged_by"):
                return 404, {"error": "Not found"}, []
            with self._lock:
                known = parts[3].isdigit() and int(parts[3]) in self._entries
                entries = list(self._reactions.get(parts[3], {}).get(parts[4], []))
            if not known:
                return 404, {"error": "Record not found"}, []
            return self._page(scope, record, entries, always_next=False, default=40, most=80)
        if parts[:3] == ["api", "v1", "lists"] or (
            parts[:3] == ["api", "v1", "accounts"]
            and (parts[3:] == ["relationships"] or parts[4:] == ["follow"])
        ):
            if record.authorization.removeprefix("Bearer ").strip() != self.token:
                return 401, {"error": "This API requires an authenticated user"}, []
            with self._lock:
                return self._lists_route(scope, record, parts)
        if parts[:3] == ["api", "v1", "accounts"] and len(parts) >= 4:
            if parts[3] == "lookup":
                acct = (record.param("acct") or "").lstrip("@")
                with self._lock:
                    # Local accounts answer to ``name`` and to ``name@<local domain>``.
                    found = [
                        a
                        for a in self._accounts.values()
                        if acct in (a["acct"], f"{a['acct']}@{self.domain}")
                    ]
                return (200, found[0], []) if found else (404, {"error": "Record not found"}, [])
            with self._lock:
                account = self._accounts.get(parts[3])
                entries = [e for e in self._entries.values() if e.account_id == parts[3]]
            if account is None:
                return 404, {"error": "Record not found"}, []
            if len(parts) == 4:
                return 200, account, []
            if parts[4] == "statuses" and len(parts) == 5:
                return self._page(scope, record, entries, always_next=False)
        return 404, {"error": "Not found"}, []

    def _relationship(self, account_id: str) -> dict[str, Any]:
        return {
            "id": account_id,
            "following": account_id in self.following,
            "requested": account_id in self.requested,
            "showing_reblogs": account_id in self.following,
            "notifying": False,
            "followed_by": False,
            "blocking": False,
            "muting": False,
            "endorsed": False,
            "note": "",
        }

    def _lists_route(
        self, scope: Scope, record: RequestRecord, parts: list[str]
    ) -> tuple[int, Any, list[tuple[str, str]]]:
        """Lists, list members, follows and relationships (called holding the lock)."""
        method, not_found = record.method, (404, {"error": "Record not found"}, [])
        if parts[3:] == ["relationships"] and method == "GET":
            ids = record.values("id")
            return 200, [self._relationship(i) for i in ids if i in self._accounts], []
        if parts[4:] == ["follow"] and method == "POST":
            account = self._accounts.get(parts[3])
            if account is None:
                return not_found
            (self.requested if account.get("locked") else self.following).add(parts[3])
            return 200, self._relationship(parts[3]), []
        if len(parts) == 3:
            if method == "GET":
                return 200, list(self.lists.values()), []
            if method == "POST":
                title = (record.values("title") or [""])[0].strip()
                if not title:
                    return 422, {"error": "Validation failed: Title can't be blank"}, []
                list_id = str(next(self._list_ids))
                self.lists[list_id] = {
                    "id": list_id,
                    "title": title,
                    "replies_policy": "list",
                    "exclusive": False,
                }
                self.list_members[list_id] = []
                return 200, self.lists[list_id], []
            return 404, {"error": "Not found"}, []
        list_id = parts[3]
        if list_id not in self.lists:
            return not_found
        if len(parts) == 4:
            if method == "DELETE":
                del self.lists[list_id], self.list_members[list_id]
                return 200, {}, []
            return 200, self.lists[list_id], []
        if parts[4:] != ["accounts"]:
            return 404, {"error": "Not found"}, []
        members = self.list_members[list_id]
        if method == "GET":
            return self._members_page(scope, record, members)
        ids = record.values("account_ids")
        if method == "DELETE":
            self.list_members[list_id] = [(m, a) for m, a in members if a not in ids]
            return 200, {}, []
        if method != "POST":
            return 404, {"error": "Not found"}, []
        listed = {a for _, a in members}
        for account_id in ids:  # all or nothing, like the transaction on Mastodon
            if account_id not in self._accounts:
                return not_found
            if account_id in listed:
                return 422, {"error": "Validation failed: Account has already been taken"}, []
            if account_id not in self.following | self.requested:
                return 422, {"error": "Validation failed: Follow can't be blank"}, []
        members += [(next(self._membership_ids), a) for a in dict.fromkeys(ids)]
        return 200, {}, []

    def _members_page(
        self, scope: Scope, record: RequestRecord, members: list[tuple[int, str]]
    ) -> tuple[int, Any, list[tuple[str, str]]]:
        """A page of list members (newest membership first), paged like statuses."""
        try:
            limit = int(record.param("limit") or 40)
            max_id, since_id, min_id = (
                int(v) if (v := record.param(k)) else None for k in ("max_id", "since_id", "min_id")
            )
        except ValueError:
            return 400, {"error": "bad paging parameter"}, []
        if limit == 0:  # everyone, no paging
            return 200, [self._accounts[a] for _, a in reversed(members)], []
        limit = min(max(limit, 1), 80)
        chosen = [
            (m, a)
            for m, a in members
            if (max_id is None or m < max_id)
            and (since_id is None or m > since_id)
            and (min_id is None or m > min_id)
        ]
        if min_id is not None:
            page = sorted(chosen)[:limit][::-1]
        else:
            page = sorted(chosen, reverse=True)[:limit]
        links = []
        if page:
            host = dict(scope["headers"]).get(b"host", b"localhost").decode()
            base = f"http://{host}{quote(scope['path'])}"
            if len(page) == limit:
                links.append(
                    f'<{base}?{urlencode({"limit": limit, "max_id": page[-1][0]})}>; rel="next"'
                )
            links.append(
                f'<{base}?{urlencode({"limit": limit, "min_id": page[0][0]})}>; rel="prev"'
            )
        headers = [("link", ", ".join(links))] if links else []
        return 200, [self._accounts[a] for _, a in page], headers

    def _page(
        self,
        scope: Scope,
        record: RequestRecord,
        entries: list[Entry],
        *,
        always_next: bool,
        default: int = 20,
        most: int = 40,
    ) -> tuple[int, Any, list[tuple[str, str]]]:
        """Mastodon's paging (``Paginable#to_a_paginated_by_id``) and Link headers."""
        try:
            limit = min(max(int(record.param("limit") or default), 1), most)
            max_id, since_id, min_id = (
                int(v) if (v := record.param(k)) else None for k in ("max_id", "since_id", "min_id")
            )
        except ValueError:
            return 400, {"error": "bad paging parameter"}, []
        chosen = [
            e
            for e in entries
            if (max_id is None or e.id < max_id)
            and (since_id is None or e.id > since_id)
            and (min_id is None or e.id > min_id)
        ]
        if min_id is not None:  # the page just after min_id, still newest first
            page = sorted(chosen, key=lambda e: e.id)[:limit][::-1]
        else:
            page = sorted(chosen, key=lambda e: e.id, reverse=True)[:limit]
        links = []
        if page:
            host = dict(scope["headers"]).get(b"host", b"localhost").decode()
            base = f"http://{host}{quote(scope['path'])}"
            if always_next or len(page) == limit:
                links.append(
                    f'<{base}?{urlencode({"limit": limit, "max_id": page[-1].id})}>; rel="next"'
                )
            links.append(
                f'<{base}?{urlencode({"limit": limit, "min_id": page[0].id})}>; rel="prev"'
            )
        return 200, [e.body for e in page], [("link", ", ".join(links))] if links else []

    async def _websocket(self, scope: Scope, receive: Any, send: Any, wrong_port: bool) -> None:
        record = self._record(scope, "websocket")
        await receive()  # websocket.connect
        refusal = (
            404
            if self.refuse_websocket or wrong_port or scope["path"] != "/api/v1/streaming"
            else None
        )
        if refusal is None and self.streaming_down:
            refusal = 503
        if refusal is None and not self._authorized(record, streaming=True):
            refusal = 401
        if refusal is not None:
            await _reject(scope, send, refusal)
            self._finish(record, refusal)
            return
        await send({"type": "websocket.accept"})
        tags = (
            {record.param("tag").lower()}
            if record.param("stream") == "hashtag" and record.param("tag")
            else set()
        )
        subscriber = self._subscribe("websocket", tags)
        try:
            await _race(self._ws_reader(receive, subscriber), self._ws_writer(send, subscriber))
        finally:
            self._unsubscribe(subscriber)
            self._finish(record, 101)
        # Returning without a close frame: uvicorn drops the connection (an abrupt cut).

    async def _ws_reader(self, receive: Any, subscriber: Subscriber) -> None:
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                return
            with contextlib.suppress(ValueError, TypeError, AttributeError):
                data = json.loads(message.get("text") or "")
                if data.get("stream") == "hashtag" and isinstance(data.get("tag"), str):
                    with self._lock:
                        if data.get("type") == "subscribe":
                            subscriber.tags.add(data["tag"].lower())
                        elif data.get("type") == "unsubscribe":
                            subscriber.tags.discard(data["tag"].lower())
                    self._changed()

    async def _ws_writer(self, send: Any, subscriber: Subscriber) -> None:
        while (item := await subscriber.queue.get()) is not _CUT:
            tag, event, payload = item
            frame = {"stream": ["hashtag", tag], "event": event, "payload": payload}
            await send({"type": "websocket.send", "text": json.dumps(frame)})

    async def _sse(self, scope: Scope, receive: Any, send: Any) -> None:
        record = self._record(scope, "sse")
        tag = record.param("tag")
        if self.streaming_down:
            await _send(send, 503, {"error": "Service unavailable"}, [])
            return self._finish(record, 503)
        if not self._authorized(record, streaming=True):
            await _send(send, 401, {"error": "Missing access token"}, [])
            return self._finish(record, 401)
        if scope["path"] != "/api/v1/streaming/hashtag" or not tag:
            await _send(send, 404, {"error": "Unknown stream"}, [])
            return self._finish(record, 404)
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"text/event-stream"),
                    (b"cache-control", b"no-store"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": b":)\n\n", "more_body": True})
        subscriber = self._subscribe("sse", {tag.lower()})
        try:
            await _race(_until_disconnect(receive), self._sse_writer(send, subscriber))
        finally:
            self._unsubscribe(subscriber)
            self._finish(record, 200)
        # Returning mid-body: uvicorn drops the connection (an abrupt cut).

    async def _sse_writer(self, send: Any, subscriber: Subscriber) -> None:
        while (item := await subscriber.queue.get()) is not _CUT:
            _, event, payload = item
            body = f"event: {event}\ndata: {payload}\n\n".encode()
            await send({"type": "http.response.body", "body": body, "more_body": True})

    def _subscribe(self, kind: str, tags: set[str]) -> Subscriber:
        subscriber = Subscriber(kind, tags, asyncio.get_running_loop())
        with self._lock:
            self._subscribers.append(subscriber)
        self._changed()
        return subscriber

    def _unsubscribe(self, subscriber: Subscriber) -> None:
        with self._lock:
            self._subscribers.remove(subscriber)
        self._changed()


async def _send(send: Any, status: int, body: Any, headers: list[tuple[str, str]]) -> None:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    raw = [(b"content-type", b"application/json; charset=utf-8")]
    raw += [(k.lower().encode(), v.encode()) for k, v in headers]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": data})


async def _reject(scope: Scope, send: Any, status: int) -> None:
    """Refuse a WebSocket handshake with an HTTP status (or a bare 403 without the extension)."""
    if "websocket.http.response" in (scope.get("extensions") or {}):
        body = json.dumps({"error": "refused"}).encode()
        headers = [(b"content-type", b"application/json")]
        await send({"type": "websocket.http.response.start", "status": status, "headers": headers})
        await send({"type": "websocket.http.response.body", "body": body})
    else:
        await send({"type": "websocket.close", "code": 1008})


async def _until_disconnect(receive: Any) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _client_left(receive: Any, delay: float) -> bool:
    """Wait ``delay`` seconds unless the client hangs up first (then True)."""
    try:
        async with asyncio.timeout(delay):
            await _until_disconnect(receive)
    except TimeoutError:
        return False
    return True


async def _race(*coroutines: Any) -> None:
    """Run until the first of ``coroutines`` ends; cancel the others."""
    tasks = [asyncio.ensure_future(c) for c in coroutines]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
