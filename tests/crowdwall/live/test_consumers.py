"""WallConsumer over a real ASGI server (uvicorn, in-memory layer) with real WebSocket clients:
live delivery, resume by id without gaps or duplicates, deletions, Origin and unknown walls."""

from __future__ import annotations

import asyncio
import json

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.crowdwall.conftest import make_post
from tests.crowdwall.live.conftest import (
    CATCH_UP_LIMIT,
    Api,
    AsgiServer,
    client,
    receive,
    receive_until,
)

pytestmark = pytest.mark.slow


def is_done(frame: dict) -> bool:
    return frame["type"] == "catchup.done"


def new_ids(frames: list[dict]) -> list[int]:
    return [f["id"] for f in frames if f["type"] == "post.new"]


def test_a_new_post_reaches_every_client_of_the_wall(asgi_server: AsgiServer):
    api = Api(asgi_server).create()
    other = Api(asgi_server).create()

    async def scenario() -> None:
        async with (
            client(api.ws_url()) as one,
            client(api.ws_url()) as two,
            client(other.ws_url()) as elsewhere,
        ):
            post = make_post(html="<p>Hello <b>wall</b> #DjangoCon</p>")
            ids = api.ingest(post)
            for ws in (one, two):
                frame = await receive(ws)
                assert frame["type"] == "post.new" and frame["id"] == ids[post["id"]]
                assert frame["post"]["html"] == "<p>Hello <b>wall</b> #DjangoCon</p>"
                assert frame["post"]["author"]["handle"] == "ann@social.example"
                assert frame["post"]["created_at"] == post["created_at"]
            # The other wall's client gets its own wall's post first, not this one.
            mine = make_post()
            mine_id = other.ingest(mine)[mine["id"]]
            assert (await receive(elsewhere))["id"] == mine_id

    asyncio.run(scenario())


def test_a_reconnecting_client_gets_exactly_what_it_missed_then_live_posts(
    asgi_server: AsgiServer,
):
    api = Api(asgi_server).create()

    async def scenario() -> None:
        async with client(api.ws_url()) as witness:
            first = [make_post(), make_post()]
            ids = api.ingest(*first)
            seen = [(await receive(witness))["id"] for _ in first]
            async with client(api.ws_url(since=0)) as ws:
                frames = await receive_until(ws, is_done)
                assert new_ids(frames) == seen
                assert frames[-1] == {
                    "type": "catchup.done", "count": 2, "truncated": False, "last_id": seen[-1],
                }  # fmt: skip
            missed = [make_post(), make_post(), make_post()]
            ids = api.ingest(*missed)
            missed_ids = [ids[p["id"]] for p in missed]
            assert [(await receive(witness))["id"] for _ in missed] == missed_ids

            async with client(api.ws_url(since=seen[-1])) as ws:
                frames = await receive_until(ws, is_done)
                assert new_ids(frames) == missed_ids and frames[-1]["count"] == 3
                live = make_post()
                live_id = api.ingest(live)[live["id"]]
                frame = await receive(ws)
                assert frame["id"] == live_id and frame == await receive(witness)

    asyncio.run(scenario())


def test_resume_during_a_burst_has_no_gap_and_no_duplicate(asgi_server: AsgiServer):
    """Posts are stored while the client catches up: every id after ``since`` arrives once,
    in order, whether it came from the catch-up or from the live buffer."""
    api = Api(asgi_server).create()

    async def scenario() -> None:
        base = api.ingest(make_post())
        since = max(base.values())
        burst = asyncio.get_running_loop().run_in_executor(  # starts now, in a thread
            None, lambda: [api.ingest(make_post(), make_post()) for _ in range(15)]
        )
        async with client(api.ws_url(since=since)) as ws:
            await burst
            marker = make_post()
            ids = api.ingest(marker)
            frames = await receive_until(ws, lambda f: f.get("id") == ids[marker["id"]])
        got = new_ids(frames)
        expected = sorted(i for i in ids.values() if i > since)
        assert len(got) == len(set(got)), "duplicates"
        assert sorted(got) == expected, "gap"
        assert got == expected, "order"
        assert sum(map(is_done, frames)) == 1

    asyncio.run(scenario())


def test_resume_with_a_first_message(asgi_server: AsgiServer):
    api = Api(asgi_server).create()

    async def scenario() -> None:
        ids = api.ingest(make_post(), make_post())
        async with client(api.ws_url()) as ws:
            await ws.send(json.dumps({"type": "resume", "since": min(ids.values())}))
            frames = await receive_until(ws, is_done)
        assert new_ids(frames) == [max(ids.values())]

    asyncio.run(scenario())


def test_catch_up_is_capped_to_the_newest_posts(asgi_server: AsgiServer):
    api = Api(asgi_server).create()

    async def scenario() -> None:
        ids = api.ingest(*(make_post() for _ in range(CATCH_UP_LIMIT + 5)))
        async with client(api.ws_url(since=0)) as ws:
            frames = await receive_until(ws, is_done)
        assert new_ids(frames) == sorted(ids.values())[-CATCH_UP_LIMIT:]
        assert frames[-1]["truncated"] is True

    asyncio.run(scenario())


def test_deletion_and_moderation_propagate(asgi_server: AsgiServer):
    api = Api(asgi_server).create()

    async def scenario() -> None:
        async with client(api.ws_url()) as one, client(api.ws_url()) as two:
            post = make_post()
            pid = api.ingest(post)[post["id"]]
            for ws in (one, two):
                assert (await receive(ws))["type"] == "post.new"
            assert api.moderate(pid, "rejected") == 1
            for ws in (one, two):
                assert await receive(ws) == {"type": "post.delete", "id": pid}
            assert api.moderate(pid, "approved") == 1
            for ws in (one, two):
                frame = await receive(ws)  # loaded from the database: moderation has no post
                assert frame["type"] == "post.new" and frame["post"]["id"] == pid
            edited = {**post, "html": "<p>Edited #DjangoCon</p>", "action": "update"}
            api.ingest(edited)
            for ws in (one, two):
                frame = await receive(ws)
                assert frame["type"] == "post.update" and "Edited" in frame["post"]["html"]
            api.ingest({"id": post["id"], "action": "delete"})
            for ws in (one, two):
                assert await receive(ws) == {"type": "post.delete", "id": pid}
        async with client(api.ws_url(since=0)) as ws:  # and the catch-up no longer has it
            assert await receive(ws) == {
                "type": "catchup.done", "count": 0, "truncated": False, "last_id": None,
            }  # fmt: skip

    asyncio.run(scenario())


def test_a_foreign_origin_is_refused_at_the_handshake(asgi_server: AsgiServer):
    api = Api(asgi_server).create()

    async def scenario() -> None:
        with pytest.raises(InvalidStatus) as refused:
            async with client(api.ws_url(), origin="http://evil.example"):
                pass
        assert refused.value.response.status_code == 403

    asyncio.run(scenario())


def test_an_unknown_wall_is_closed_with_4404(asgi_server: AsgiServer):
    api = Api(asgi_server, slug="no-such-wall")

    async def scenario() -> None:
        async with client(api.ws_url()) as ws:
            with pytest.raises(ConnectionClosed) as closed:
                await receive(ws)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4404

    asyncio.run(scenario())
