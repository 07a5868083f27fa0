"""A real ASGI server (uvicorn, in a subprocess) on a migrated SQLite file, and helpers for
real WebSocket clients (``websockets``) and the server's test-only HTTP endpoints."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import subprocess
import sys
import weakref
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from channels.layers import InMemoryChannelLayer, channel_layers
from websockets.asyncio.client import ClientConnection, connect

from tests.fixtures.servers import Server, free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[3]
CATCH_UP_LIMIT = 20  # the servers' LIVE_CATCH_UP_LIMIT
TIMEOUT = 10.0  # seconds any single expected message may take
_walls = itertools.count(1)


@pytest.fixture
def layer() -> Iterator[InMemoryChannelLayer]:
    """A fresh in-memory channel layer as this process's default one."""
    layer = InMemoryChannelLayer()
    previous = channel_layers.set("default", layer)
    yield layer
    if previous is not None:
        channel_layers.set("default", previous)
    else:
        channel_layers.backends.pop("default", None)


def _env(db: Path, redis: Server | None, prefix: str, layer: str = "core") -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.crowdwall.live.server_settings",
        "CROWDWALL_TEST_DB": str(db),
        "CROWDWALL_TEST_PREFIX": prefix,
        "CROWDWALL_TEST_CATCH_UP_LIMIT": str(CATCH_UP_LIMIT),
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")]),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("CROWDWALL_TEST_REDIS", None)
    if redis is not None:
        env["CROWDWALL_TEST_REDIS"] = redis.address
        env["CROWDWALL_TEST_LAYER"] = layer
    return env


@dataclass
class AsgiServer:
    port: int
    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def base(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_asgi(env: dict[str, str], log: Path, workers: int = 1) -> AsgiServer:
    port = free_port()
    more = ["--workers", str(workers)] if workers > 1 else []
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "tests.crowdwall.live.asgi:application",
             "--host", "127.0.0.1", "--port", str(port), "--ws", "websockets-sansio",
             "--lifespan", "off", "--log-level", "warning", *more],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        wait_for_port(port, proc)
    except Exception:
        proc.kill()
        proc.wait()
        raise RuntimeError(log.read_text()) from None
    return AsgiServer(port, proc, log)


def asgi_servers(
    tmp: Path, redis: Server | None, count: int, *, layer: str = "core", workers: int = 1
) -> Iterator[list[AsgiServer]]:
    """``count`` servers sharing a migrated SQLite file (and ``redis``, with its ``layer``:
    core or pubsub), each ``uvicorn --workers workers``; stopped when the generator closes."""
    db = tmp / "live.sqlite3"
    env = _env(db, redis, f"live{free_port()}", layer)
    subprocess.run(
        [sys.executable, "-m", "django", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT, env=env, check=True, timeout=120,
    )  # fmt: skip
    servers: list[AsgiServer] = []
    try:
        for n in range(count):
            servers.append(start_asgi(env, tmp / f"uvicorn{n}.log", workers))
        yield servers
    finally:
        for server in servers:
            server.stop()


@pytest.fixture(scope="module")
def asgi_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AsgiServer]:
    """One server process with the in-memory channel layer."""
    for servers in asgi_servers(tmp_path_factory.mktemp("live"), None, 1):
        yield servers[0]


@pytest.fixture(scope="module")
def asgi_pair(
    tmp_path_factory: pytest.TempPathFactory, redis_server: Server
) -> Iterator[list[AsgiServer]]:
    """Two server processes sharing the SQLite file and a channels-redis layer."""
    yield from asgi_servers(tmp_path_factory.mktemp("live-redis"), redis_server, 2)


class Api:
    """The test-only HTTP endpoints of one server, for one fresh wall."""

    def __init__(self, server: AsgiServer, slug: str | None = None) -> None:
        self.server = server
        self.slug = slug or f"wall-{next(_walls)}"

    def _post(self, path: str, body: Any = None) -> dict[str, Any]:
        response = httpx.post(
            f"http://{self.server.base}/test/walls/{self.slug}/{path}",
            content=json.dumps(body), timeout=30,
        )  # fmt: skip
        assert response.status_code == 200, response.text
        return response.json()

    def create(self) -> Api:
        self._post("")
        return self

    def ingest(self, *items: dict[str, Any]) -> dict[str, int]:
        """Ingest in the server process; returns external id -> post id (all of the wall's)."""
        return self._post("ingest/", list(items))["ids"]

    def moderate(self, post_id: int, state: str) -> int:
        return self._post(f"{post_id}/{state}/")["changed"]

    def ws_url(self, since: int | None = None, server: AsgiServer | None = None) -> str:
        query = "" if since is None else f"?since={since}"
        return f"ws://{(server or self.server).base}/ws/walls/{self.slug}/{query}"


def client(url: str, origin: str = "http://127.0.0.1") -> Any:
    return connect(url, origin=origin, open_timeout=TIMEOUT)  # type: ignore[arg-type]


_pending: weakref.WeakKeyDictionary[Any, deque[dict[str, Any]]] = weakref.WeakKeyDictionary()


def frames_of(text: str | bytes) -> list[dict[str, Any]]:
    """The frames of one WebSocket message: one frame, or a JSON array (a coalesced burst)."""
    value = json.loads(text)
    return value if isinstance(value, list) else [value]


async def receive(ws: Any, timeout: float = TIMEOUT, *, figures: bool = False) -> dict[str, Any]:
    """The next frame (arrays flattened), without its ``at`` (server time: checked to be a
    plausible epoch ms); ``wall.figures`` frames (and the ``screen.state`` of every catch-up)
    are skipped unless ``figures``."""
    pending = _pending.setdefault(ws, deque())
    while True:
        if not pending:
            pending.extend(frames_of(await asyncio.wait_for(ws.recv(), timeout)))
        frame = pending.popleft()
        at = frame.pop("at", None)
        assert at is None or (isinstance(at, int) and at > 1_600_000_000_000), frame
        if figures or frame.get("type") not in ("wall.figures", "screen.state"):
            return frame


async def receive_until(
    ws: ClientConnection, done: Callable[[dict[str, Any]], bool]
) -> list[dict[str, Any]]:
    """Frames up to and including the first for which ``done`` is true."""
    frames = []
    while True:
        frames.append(await receive(ws))
        if done(frames[-1]):
            return frames
