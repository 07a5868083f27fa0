"""The soak benchmark's clients: valid visitors, signed webhook senders, API scripts, attackers.

Each kind of request is one small async function drawing from a seeded ``random.Random``, so a
run is reproducible. Hostile values come from the hostile-input suite's list
(``tests.security.strategies``): the same troublemakers, at volume and mixed with real traffic.
Every answer is tallied by kind and status class; a 5xx keeps its first lines for the report.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
from tests.security.strategies import KNOWN_TEXT, RAW_BODIES, encode_component
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from crowdwall.sources.webhook import sign

SLUG = "soak"
PAGES = [
    ("/walls/soak/", ["before", "after", "theme"]),
    ("/walls/soak/archive/", ["before", "after"]),
    ("/walls/soak/screen/", ["theme", "overlay"]),
    ("/walls/soak/posts/", ["before"]),
    ("/walls/soak/live/missed/", ["since", "changes"]),
    ("/api/walls/", ["limit", "cursor"]),
    ("/api/walls/soak/posts/", ["since", "before", "author", "state", "limit", "cursor"]),
    ("/api/walls/soak/count/", []),
    ("/api/walls/soak/top-authors/", ["n"]),
]
API_WRITES = [
    ("/api/walls/soak/bans/words/", "word"),
    ("/api/walls/soak/bans/authors/", "account"),
    ("/api/walls/soak/moderation/", "posts"),
]
REFUSED_CLOSE_CODES = {1003, 1007, 1008, 1009, 4400, 4404}


@dataclass
class Tally:
    """What the clients saw, by kind of request."""

    answers: Counter[str] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    sent_posts: list[str] = field(default_factory=list)
    socket_failures: list[str] = field(default_factory=list)
    unanswered: list[str] = field(default_factory=list)  # the server never answered
    unsendable: int = 0  # requests the client library itself refused to build (URL too long)

    def record(self, kind: str, status: int, what: str) -> None:
        self.answers[f"{kind} {status // 100}xx"] += 1
        if status >= 500 and len(self.server_errors) < 20:
            self.server_errors.append(f"{status} {kind}: {what[:160]}")

    @property
    def total(self) -> int:
        return sum(self.answers.values())

    @property
    def five_hundreds(self) -> int:
        return sum(n for key, n in self.answers.items() if key.endswith(" 5xx"))


@dataclass
class Target:
    base: str  # http://127.0.0.1:port
    hook_id: int
    secret: str
    token: str


JOB_SECONDS = 60.0  # no request or socket exchange may take longer, whatever hangs


async def guarded(job: Any, tally: Tally) -> None:
    """Run one request; a request the server never answered (or that hangs past
    ``JOB_SECONDS``) is a failure of the run, one the client library refused to send (a URL over
    httpx's 64 kB) is only counted."""
    name = getattr(job, "__name__", "job")
    try:
        await asyncio.wait_for(job, JOB_SECONDS)
    except TimeoutError:
        tally.unanswered.append(f"{name}: no answer within {JOB_SECONDS:.0f}s")
    except httpx.InvalidURL:
        tally.unsendable += 1
    except httpx.TransportError as exc:
        # Which request: the connection was dropped before an answer came back.
        request = exc.request if exc.__dict__.get("_request") else None
        what = f"{request.method} {len(str(request.url)):,}-char URL, " if request else ""
        size = f"{len(request.content):,}-byte body" if request else ""
        tally.unanswered.append(f"{name} ({what}{size}): {type(exc).__name__} {exc}"[:200])


def _hostile_value(rng: random.Random) -> str:
    value = rng.choice(KNOWN_TEXT)
    if rng.random() < 0.3:
        value += "".join(chr(rng.randrange(0, 0x110000)) for _ in range(rng.randrange(1, 8)))
    return value


def _post(rng: random.Random, number: int, *, hostile: bool = False) -> dict[str, Any]:
    post: dict[str, Any] = {
        "id": f"soak-{number}",
        "created_at": "2026-12-06T10:00:00+00:00",
        "author": {"id": f"soak-author-{number % 50}", "handle": f"a{number % 50}@soak.example"},
        "html": f"<p>#soak post {number} {rng.random():.6f}</p>",
        "url": f"https://soak.example/{number}",
    }
    if hostile:
        field_name = rng.choice(["html", "id", "language", "spoiler_text", "created_at", "url"])
        post[field_name] = _hostile_value(rng)
        post["id"] = f"soak-hostile-{number}"
    return post


async def _deliver(client: httpx.AsyncClient, target: Target, body: bytes) -> httpx.Response:
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-Crowdwall-Signature": sign(target.secret, body, timestamp),
        "X-Crowdwall-Timestamp": timestamp,
    }
    return await client.post(f"/hooks/{target.hook_id}/", content=body, headers=headers)


async def valid_read(client: httpx.AsyncClient, rng: random.Random, tally: Tally) -> None:
    path, _ = rng.choice(PAGES)
    query = "?since=0" if "missed" in path else ""
    response = await client.get(path + query)
    tally.record("valid read", response.status_code, path)


async def valid_webhook(
    client: httpx.AsyncClient, rng: random.Random, tally: Tally, target: Target, number: int
) -> None:
    post = _post(rng, number)
    response = await _deliver(client, target, json.dumps(post).encode())
    tally.record("valid webhook", response.status_code, post["id"])
    if response.status_code == 200:
        tally.sent_posts.append(post["id"])


async def hostile_read(client: httpx.AsyncClient, rng: random.Random, tally: Tally) -> None:
    path, names = rng.choice(PAGES)
    pairs = [
        (rng.choice([*names, "utm", "x"]), _hostile_value(rng)) for _ in range(rng.randrange(1, 4))
    ]
    query = "&".join(f"{encode_component(k)}={encode_component(v)}" for k, v in pairs)
    headers = {"X-Forwarded-For": f"10.{rng.randrange(256)}.0.{rng.randrange(256)}"}
    response = await client.get(f"{path}?{query}", headers=headers)
    tally.record("hostile read", response.status_code, f"{path}?{query}")


async def hostile_write(
    client: httpx.AsyncClient, rng: random.Random, tally: Tally, target: Target
) -> None:
    path, name = rng.choice(API_WRITES)
    value: Any = _hostile_value(rng) if rng.random() < 0.7 else rng.choice([2**64, -1, [], {}])
    body = rng.choice([json.dumps({name: value}).encode(), rng.choice(RAW_BODIES)])
    headers = {"Authorization": f"Bearer {target.token}", "Content-Type": "application/json"}
    response = await client.post(path, content=body, headers=headers)
    tally.record("hostile API write", response.status_code, f"{path} {body[:80]!r}")


async def hostile_webhook(
    client: httpx.AsyncClient, rng: random.Random, tally: Tally, target: Target, number: int
) -> None:
    if rng.random() < 0.3:
        body = rng.choice(RAW_BODIES)
    else:
        body = json.dumps({"posts": [_post(rng, number, hostile=True)]}, ensure_ascii=True).encode()
    response = await _deliver(client, target, body)
    tally.record("hostile webhook", response.status_code, repr(body[:120]))


async def hostile_socket(base_ws: str, rng: random.Random, tally: Tally) -> None:
    """One socket, one hostile message: refused with a documented code, or still answering."""
    path = rng.choice([f"/ws/walls/{SLUG}/", f"/ws/walls/{SLUG}/", "/ws/nothing/", "/"])
    message = rng.choice(
        [
            _hostile_value(rng),
            json.dumps({"type": "resume", "since": rng.choice([2**63, 10**30, -1, "x"])}),
            "[" * 50_000 + "]" * 50_000,
        ]
    )
    try:
        async with connect(base_ws + path, origin="http://127.0.0.1", open_timeout=10) as ws:
            # Raw bytes in a text frame: lone surrogates arrive as invalid UTF-8, as they would
            # from a hostile client (a text frame must be UTF-8: the server closes with 1007).
            await ws.send(message.encode("utf-8", "surrogatepass"), text=True)
            await ws.send(json.dumps({"type": "resume", "since": 0}))
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                text = await asyncio.wait_for(ws.recv(), 10)
                if "catchup.done" in str(text):
                    tally.record("hostile socket", 200, path)
                    return
            tally.socket_failures.append(f"silent socket after {message[:60]!r}")
    except InvalidStatus as refused:
        tally.record("hostile socket", refused.response.status_code, path)
    except ConnectionClosed as closed:
        code = closed.rcvd.code if closed.rcvd is not None else None
        if code in REFUSED_CLOSE_CODES:
            tally.record("hostile socket", 400, path)
        else:
            tally.socket_failures.append(f"closed with {code} after {message[:60]!r}")
    except TimeoutError:
        tally.socket_failures.append(f"silent socket after {message[:60]!r}")


async def watch_live(
    base_ws: str, stop: asyncio.Event, seen: set[str], ready: asyncio.Event, drops: list[str]
) -> None:
    """A big screen: collects the external ids pushed to it (``ready`` is set once it is first
    connected: traffic starts after that). Like live.js, a dropped socket reconnects with
    ``since`` (the newest post id it has) and receives what it missed; each drop is kept in
    ``drops`` for the report."""
    position = [0, int(time.time() * 1000)]  # since (post id), changes (epoch ms), as live.js
    while not stop.is_set():
        since, changes = position
        url = f"{base_ws}/ws/walls/{SLUG}/" + (f"?since={since}&changes={changes}" if since else "")
        try:
            async with connect(url, origin="http://127.0.0.1") as ws:
                ready.set()
                while not stop.is_set():
                    try:
                        text = await asyncio.wait_for(ws.recv(), 1.0)
                    except TimeoutError:
                        continue
                    _collect(json.loads(text), seen, position)
        except (ConnectionClosed, OSError) as exc:
            drops.append(f"{time.strftime('%H:%M:%S')} {type(exc).__name__}: {exc}"[:200])
            await asyncio.sleep(1.0)  # a screen's reconnect backoff


def _collect(value: Any, seen: set[str], position: list[int]) -> None:
    """Record the posts of one message (a frame or a list) and move the resume position."""
    newest = 0
    for frame in value if isinstance(value, list) else [value]:
        if isinstance(frame.get("at"), int):  # a change to an older post is resumed by time
            position[1] = max(position[1], frame["at"])
        post = frame.get("post") or {}
        if isinstance(post, dict) and post.get("external_id"):
            seen.add(post["external_id"])
        if frame.get("type") in ("post.new", "post.update") and str(frame.get("id")).isdigit():
            newest = max(newest, int(frame["id"]))
        if frame.get("type") == "catchup.done" and isinstance(frame.get("last_id"), int):
            newest = max(newest, frame["last_id"])
    position[0] = max(position[0], newest)
