"""The channel layer's Redis killed and restarted mid-stream, on a real ASGI server with real
WebSocket clients: ingest keeps answering 200 while Redis is down (publishing fails, logged),
and once Redis is back on the same port every client ends with every post exactly once (the
hub re-subscribes and resynchronises its sockets from the database)."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.crowdwall.conftest import make_post
from tests.crowdwall.live.conftest import Api, AsgiServer, asgi_servers, client, frames_of
from tests.fixtures.servers import Server, redis_command, run_server

pytestmark = pytest.mark.slow

CLIENTS = 12
RECOVERY = 40.0  # seconds the clients may take to get everything after Redis is back


@pytest.fixture(scope="module")
def own_redis() -> Iterator[Server]:
    """A Redis of this module's own: the test kills it (the session's one is shared)."""
    yield from run_server("redis-outage", redis_command)


@pytest.fixture(scope="module", params=["core", "pubsub"])
def server_on_redis(
    request: pytest.FixtureRequest, own_redis: Server, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AsgiServer]:
    tmp: Path = tmp_path_factory.mktemp(f"outage-{request.param}")
    for servers in asgi_servers(tmp, own_redis, 1, layer=request.param):
        yield servers[0]


async def collect(ws, seen: Counter[int], stop: asyncio.Event) -> None:
    """Count every ``post.new`` id received (before any deduplication)."""
    while not stop.is_set():
        try:
            text = await asyncio.wait_for(ws.recv(), 0.5)
        except TimeoutError:
            continue
        for frame in frames_of(text):
            if frame["type"] == "post.new":
                seen[frame["id"]] += 1


def test_redis_killed_and_restarted_mid_stream(server_on_redis: AsgiServer, own_redis: Server):
    api = Api(server_on_redis).create()

    async def scenario() -> None:
        loop = asyncio.get_running_loop()

        def ingest(n: int) -> list[int]:
            ids = []
            for _ in range(n):
                post = make_post()
                ids.append(api.ingest(post)[post["id"]])  # asserts HTTP 200
            return ids

        async with asyncio.TaskGroup() as group:
            sockets = [await client(api.ws_url()).__aenter__() for _ in range(CLIENTS)]
            seen = [Counter[int]() for _ in sockets]
            stop = asyncio.Event()
            for ws, counter in zip(sockets, seen, strict=True):
                group.create_task(collect(ws, counter, stop))

            before = await loop.run_in_executor(None, ingest, 5)
            await wait_for_all(seen, before, 20.0)

            own_redis.kill()
            during = await loop.run_in_executor(None, ingest, 5)
            # The server keeps serving: pages and ingest answer while Redis is down.
            url = f"http://{server_on_redis.base}/test/walls/{api.slug}/count/"
            page = httpx.get(url, timeout=30)
            assert page.status_code == 200 and page.json()["posts"] == 10, page.text
            await asyncio.sleep(1.5)  # a heartbeat or two fails meanwhile
            own_redis.start()  # same port
            after = await loop.run_in_executor(None, ingest, 5)

            expected = before + during + after
            await wait_for_all(seen, expected, RECOVERY)
            await asyncio.sleep(1.0)  # late duplicates would show up now
            stop.set()
        for ws in sockets:
            await ws.close()
        for counter in seen:
            assert set(counter) == set(expected), "lost"
            assert max(counter.values()) == 1, "duplicates"

    asyncio.run(scenario())


async def wait_for_all(seen: list[Counter[int]], ids: list[int], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while any(not set(ids) <= set(counter) for counter in seen):
        missing = [sorted(set(ids) - set(c)) for c in seen]
        assert time.monotonic() < deadline, f"still missing: {missing}"
        await asyncio.sleep(0.1)  # the collectors fill the counters; poll them
