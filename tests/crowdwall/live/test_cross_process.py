"""Publisher and consumers in different processes: two ASGI servers sharing the SQLite file and
a channels-redis layer on the real Redis fixture; posts are ingested through one server and
delivered by the other."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from tests.crowdwall.conftest import make_post
from tests.crowdwall.live.conftest import (
    Api,
    AsgiServer,
    asgi_servers,
    client,
    receive,
    receive_until,
)
from tests.fixtures.servers import Server

pytestmark = pytest.mark.slow


def test_posts_ingested_elsewhere_reach_clients_and_resume_works(asgi_pair: list[AsgiServer]):
    consumers, ingester = asgi_pair
    api = Api(ingester).create()
    url = api.ws_url(server=consumers)

    async def scenario() -> None:
        async with client(url) as one, client(url) as two:
            post = make_post()
            pid = api.ingest(post)[post["id"]]
            for ws in (one, two):
                frame = await receive(ws)
                assert (frame["type"], frame["id"]) == ("post.new", pid)
            async with client(api.ws_url(server=consumers)) as three:
                missed = [make_post(), make_post()]
                ids = api.ingest(*missed)
                for ws in (one, two, three):
                    assert [(await receive(ws))["id"] for _ in missed] == [
                        ids[p["id"]] for p in missed
                    ]
            # Reconnect after missing two more: exactly those, then live ones.
            last = max(ids.values())
            later = [make_post(), make_post()]
            ids = api.ingest(*later)
            for ws in (one, two):
                assert [(await receive(ws))["id"] for _ in later] == [ids[p["id"]] for p in later]
            async with client(api.ws_url(since=last, server=consumers)) as three:
                frames = await receive_until(three, lambda f: f["type"] == "catchup.done")
                assert [f["id"] for f in frames[:-1]] == [ids[p["id"]] for p in later]
                live = make_post()
                live_id = api.ingest(live)[live["id"]]
                for ws in (one, two, three):
                    assert (await receive(ws))["id"] == live_id

            api.ingest({"id": post["id"], "action": "delete"})
            for ws in (one, two):
                assert await receive(ws) == {"type": "post.delete", "id": pid}

    asyncio.run(scenario())


@pytest.fixture(scope="module")
def two_workers(
    tmp_path_factory: pytest.TempPathFactory, redis_server: Server
) -> Iterator[AsgiServer]:
    """``uvicorn --workers 2`` on Redis: each worker process has its own hub."""
    for servers in asgi_servers(
        tmp_path_factory.mktemp("live-workers"), redis_server, 1, workers=2
    ):
        yield servers[0]


def test_several_workers_each_with_its_hub_deliver_everything_once(two_workers: AsgiServer):
    api = Api(two_workers).create()

    async def scenario() -> None:
        sockets = [await client(api.ws_url()).__aenter__() for _ in range(8)]
        try:
            posts = [make_post() for _ in range(6)]
            ids = api.ingest(*posts)  # handled by one worker, published to both through Redis
            expected = [ids[p["id"]] for p in posts]
            for ws in sockets:
                got = [(await receive(ws))["id"] for _ in expected]
                assert got == expected
        finally:
            for ws in sockets:
                await ws.close()

    asyncio.run(scenario())
