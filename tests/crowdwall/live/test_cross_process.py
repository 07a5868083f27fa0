"""Publisher and consumers in different processes: two ASGI servers sharing the SQLite file and
a channels-redis layer on the real Redis fixture; posts are ingested through one server and
delivered by the other."""

from __future__ import annotations

import asyncio

import pytest

from tests.crowdwall.conftest import make_post
from tests.crowdwall.live.conftest import Api, AsgiServer, client, receive, receive_until

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
