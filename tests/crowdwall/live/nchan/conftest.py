"""A real uvicorn Django (``NchanPublisher``) behind a real nginx with nchan, on the config the
generator makes, and ``WallClient``: the page's nchan algorithm in Python.

The page (live.js with ``data-transport="nchan"``) and ``WallClient`` do the same: subscribe
first, keep what arrives in a buffer, fetch ``/walls/<slug>/live/missed/?since&changes``,
apply its frames, then the buffer; frames are applied as "upsert by id" (``post.new``,
``post.update``) and "remove" (``post.delete``), so a frame seen twice changes nothing. It
remembers ``since`` (highest post id seen) and ``changes`` (latest ``at``) for the next
reconnect.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.crowdwall.live.conftest import ROOT, TIMEOUT, AsgiServer, _env, start_asgi
from tests.fixtures.nchan import NchanEdge, publish_url, run_nchan
from tests.fixtures.servers import Server, free_port

ORIGIN = "http://127.0.0.1"


@dataclass
class Stack:
    django: AsgiServer
    edge: NchanEdge

    def login(self, name: str, *, staff: bool) -> str:
        """A session cookie header value for user ``name``."""
        response = httpx.post(
            f"http://{self.django.base}/test/login/{name}/{int(staff)}/", timeout=30
        )
        assert response.status_code == 200, response.text
        return f"sessionid={response.cookies['sessionid']}"


def run_nchan_stack(
    tmp: Path, memcached: Server, settings: str = "tests.crowdwall.live.nchan.server_settings"
) -> Iterator[Stack]:
    """Django (``settings``, migrated SQLite file in ``tmp``) and nginx+nchan in front of it."""
    publish_port = free_port()
    env = _env(tmp / "live.sqlite3", None, f"nchan{publish_port}")
    env["DJANGO_SETTINGS_MODULE"] = settings
    env["CROWDWALL_TEST_NCHAN_URL"] = publish_url(publish_port)
    subprocess.run(
        [sys.executable, "-m", "django", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT, env=env, check=True, timeout=120,
    )  # fmt: skip
    django = start_asgi(env, tmp / "uvicorn.log")
    edges = run_nchan(django=django.base, publish_port=publish_port, memcached=memcached.address)
    try:
        yield Stack(django, next(edges))
    finally:
        edges.close()
        django.stop()


@pytest.fixture(scope="module")
def nchan_stack(
    tmp_path_factory: pytest.TempPathFactory, memcached_server: Server
) -> Iterator[Stack]:
    """Django and nginx+nchan in front of it, for one test module."""
    yield from run_nchan_stack(tmp_path_factory.mktemp("nchan"), memcached_server)


@dataclass
class WallClient:
    """One page of a wall on the nchan transport (see the module docstring)."""

    edge: NchanEdge
    slug: str
    since: int = 0
    changes: int | None = None
    posts: dict[int, dict[str, Any]] = field(default_factory=dict)
    frames: list[dict[str, Any]] = field(default_factory=list)  # every live post frame received
    figures: list[dict[str, Any]] = field(default_factory=list)  # every ``wall.figures`` frame
    duplicates: int = 0  # post.new frames for posts already shown (harmless, counted)
    done: dict[str, Any] | None = None
    _ws: ClientConnection | None = None
    _reader: asyncio.Task[None] | None = None
    _buffer: list[dict[str, Any]] | None = None
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def connect(self, origin: str = ORIGIN) -> WallClient:
        """Subscribe, buffer, catch up from the database, apply the buffer: then live."""
        self._buffer = []
        self._ws = await connect(
            self.edge.ws_url(self.slug),
            origin=origin,
            open_timeout=TIMEOUT,  # type: ignore[arg-type]
        )
        self._reader = asyncio.get_running_loop().create_task(self._read())
        query: dict[str, int] = {"since": self.since}
        if self.changes is not None:
            query["changes"] = self.changes
        async with httpx.AsyncClient(timeout=30) as http:
            response = await http.get(
                self.edge.http_url(f"/walls/{self.slug}/live/missed/"), params=query
            )
        assert response.status_code == 200, response.text
        assert "no-store" in response.headers["cache-control"]
        body = response.json()
        for frame in body["frames"]:
            self.apply(frame)
        self.done = body["done"]
        self.changes = max(self.changes or 0, body["done"]["at"])
        buffered, self._buffer = self._buffer, None
        for frame in buffered:
            self.apply(frame)
        return self

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)

    async def _read(self) -> None:
        assert self._ws is not None
        try:
            async for message in self._ws:
                value = json.loads(message)
                for frame in value if isinstance(value, list) else [value]:
                    if frame.get("type") == "wall.figures":
                        self.figures.append(frame)
                    else:
                        self.frames.append(frame)
                    if self._buffer is not None:
                        self._buffer.append(frame)
                    else:
                        self.apply(frame)
                self._arrived.set()
        except ConnectionClosed:
            pass

    def apply(self, frame: dict[str, Any]) -> None:
        kind, post_id = frame["type"], frame.get("id")
        if kind in ("post.new", "post.update"):
            if kind == "post.new" and post_id in self.posts:
                self.duplicates += 1
            self.posts[post_id] = frame["post"]
            self.since = max(self.since, post_id)
        elif kind == "post.delete":
            self.posts.pop(post_id, None)
        if isinstance(frame.get("at"), int):
            self.changes = max(self.changes or 0, frame["at"])

    async def wait_for(self, check: Any, timeout: float = TIMEOUT) -> None:
        """Until ``check(self)`` is true (re-checked whenever frames arrive)."""

        async def until() -> None:
            while not check(self):
                self._arrived.clear()
                await self._arrived.wait()

        await asyncio.wait_for(until(), timeout)

    def ordered(self) -> list[int]:
        """Post ids as the page shows them: newest first by created_at, then id."""
        return [
            pid
            for pid, _ in sorted(
                self.posts.items(), key=lambda item: (item[1]["created_at"], item[0]), reverse=True
            )
        ]


async def receive_json(ws: ClientConnection, timeout: float = TIMEOUT) -> Any:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


def frames_of(message: Any) -> list[dict[str, Any]]:
    return message if isinstance(message, list) else [message]
