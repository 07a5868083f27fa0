"""The nchan transport end to end: posts ingested in a real Django (uvicorn) are published to a
real nginx+nchan and reach real WebSocket and EventSource clients; reconnecting pages catch up
from the database with no gap and no duplicate; moderation removes posts live; foreign Origins
and non-staff moderators are refused."""

from __future__ import annotations

import asyncio
import json
import threading

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.crowdwall.conftest import make_post
from tests.crowdwall.live.conftest import TIMEOUT, Api
from tests.crowdwall.live.nchan.conftest import (
    ORIGIN,
    Stack,
    WallClient,
    frames_of,
    receive_json,
)

pytestmark = pytest.mark.slow


def api(stack: Stack) -> Api:
    return Api(stack.django).create()


def test_ingested_post_reaches_websocket_clients(nchan_stack: Stack):
    wall = api(nchan_stack)

    async def scenario() -> None:
        page = await WallClient(nchan_stack.edge, wall.slug).connect()
        assert page.done is not None and page.done["count"] == 0 and page.posts == {}
        post = make_post()
        pid = wall.ingest(post)[post["id"]]
        await page.wait_for(lambda p: pid in p.posts)
        frame = page.frames[0]
        assert (frame["type"], frame["id"]) == ("post.new", pid)
        assert frame["post"]["html"].startswith("<p>Post") and frame["at"] > 1_600_000_000_000
        # A batch of three: one message (a JSON array) on the channel, applied in order.
        batch = [make_post(), make_post(), make_post()]
        ids = wall.ingest(*batch)
        await page.wait_for(lambda p: all(ids[b["id"]] in p.posts for b in batch))
        assert [f["id"] for f in page.frames[1:]] == [ids[b["id"]] for b in batch]
        await page.close()

    asyncio.run(scenario())


def test_first_message_is_not_the_buffered_backlog(nchan_stack: Stack):
    """nchan_subscriber_first_message newest: a new subscriber gets nothing already published;
    what it missed comes from the database (the missed endpoint)."""
    wall = api(nchan_stack)
    before = make_post()
    old = wall.ingest(before)[before["id"]]

    async def scenario() -> None:
        async with connect(nchan_stack.edge.ws_url(wall.slug), origin=ORIGIN) as ws:  # type: ignore[arg-type]
            with pytest.raises(TimeoutError):
                await receive_json(ws, timeout=1.0)  # the backlog is not replayed
            page = await WallClient(nchan_stack.edge, wall.slug).connect()
            assert list(page.posts) == [old]  # ... the database catch-up has it
            await page.close()

    asyncio.run(scenario())


def test_reconnect_catches_up_without_gaps_or_duplicates(nchan_stack: Stack):
    wall = api(nchan_stack)

    async def scenario() -> None:
        page = await WallClient(nchan_stack.edge, wall.slug).connect()
        first = [make_post(), make_post(), make_post()]
        ids = wall.ingest(*first)
        await page.wait_for(lambda p: len(p.posts) == 3)
        await page.close()

        # Away: three more posts, one earlier post rejected, one edited.
        away = [make_post(), make_post(), make_post()]
        ids |= wall.ingest(*away)
        rejected = ids[first[1]["id"]]
        wall.moderate(rejected, "rejected")
        edited = {
            **first[0],
            "html": "<p>Edited #DjangoCon</p>",
            "edited_at": "2026-01-01T00:00:00Z",
        }
        wall.ingest(edited)

        # Posts keep arriving while the page reconnects (subscribe / fetch race).
        during = [make_post() for _ in range(6)]
        done = threading.Event()

        def ingest_during() -> None:
            for post in during:
                ids.update(wall.ingest(post))
            done.set()

        thread = threading.Thread(target=ingest_during)
        thread.start()
        await page.connect()
        await asyncio.to_thread(done.wait, 60)
        thread.join()
        expected = {ids[p["id"]] for p in first + away + during} - {rejected}
        await page.wait_for(lambda p: set(p.posts) == expected)
        assert page.posts[ids[first[0]["id"]]]["html"] == "<p>Edited #DjangoCon</p>"
        # Applied as upserts, duplicates change nothing; the page shows each post once, in order.
        assert len(page.ordered()) == len(expected)
        await page.close()

    asyncio.run(scenario())


def test_moderation_removal_propagates(nchan_stack: Stack):
    wall = api(nchan_stack)

    async def scenario() -> None:
        page = await WallClient(nchan_stack.edge, wall.slug).connect()
        post = make_post()
        pid = wall.ingest(post)[post["id"]]
        await page.wait_for(lambda p: pid in p.posts)
        assert wall.moderate(pid, "rejected") == 1
        await page.wait_for(lambda p: pid not in p.posts)
        assert page.frames[-1]["type"] == "post.delete" and page.frames[-1]["id"] == pid
        await page.close()

    asyncio.run(scenario())


def test_foreign_origin_is_rejected(nchan_stack: Stack):
    wall = api(nchan_stack)
    url = nchan_stack.edge.ws_url(wall.slug)

    async def scenario() -> None:
        for origin in ("http://evil.example", "http://127.0.0.1.evil.example"):
            with pytest.raises(InvalidStatus) as refused:
                async with connect(url, origin=origin, open_timeout=TIMEOUT):  # type: ignore[arg-type]
                    pass
            assert refused.value.response.status_code == 403
        for origin in (ORIGIN, "https://localhost:8443"):  # ALLOWED_HOSTS, any scheme and port
            async with connect(url, origin=origin, open_timeout=TIMEOUT):  # type: ignore[arg-type]
                pass

    asyncio.run(scenario())


def test_moderators_channel_needs_a_staff_session(nchan_stack: Stack):
    wall = api(nchan_stack)
    url = nchan_stack.edge.ws_url(wall.slug, moderate=True)
    visitor = nchan_stack.login("visitor", staff=False)
    moderator = nchan_stack.login("moderator", staff=True)

    async def scenario() -> None:
        for headers in ({}, {"Cookie": visitor}):
            with pytest.raises(InvalidStatus) as refused:
                async with connect(
                    url, origin=ORIGIN, additional_headers=headers, open_timeout=TIMEOUT
                ):  # type: ignore[arg-type]
                    pass
            assert refused.value.response.status_code == 403
        # A foreign site cannot ride on the moderator's cookies either.
        with pytest.raises(InvalidStatus):
            async with connect(
                url,
                origin="http://evil.example",
                additional_headers={"Cookie": moderator},
                open_timeout=TIMEOUT,
            ):  # type: ignore[arg-type]
                pass
        async with connect(
            url, origin=ORIGIN, additional_headers={"Cookie": moderator}, open_timeout=TIMEOUT
        ) as ws:  # type: ignore[arg-type]
            post = make_post()
            pid = wall.ingest(post)[post["id"]]
            (frame,) = frames_of(await receive_json(ws))
            assert (frame["type"], frame["id"], frame["state"]) == ("mod.update", pid, "approved")
            wall.moderate(pid, "rejected")
            (frame,) = frames_of(await receive_json(ws))
            assert (frame["type"], frame["id"], frame["state"]) == ("mod.update", pid, "rejected")

    asyncio.run(scenario())


def test_eventsource_subscriber_gets_the_same_frames(nchan_stack: Stack):
    wall = api(nchan_stack)
    url = nchan_stack.edge.http_url(f"/live/walls/{wall.slug}/")

    async def scenario() -> None:
        async with httpx.AsyncClient(timeout=TIMEOUT) as http:
            headers = {"Accept": "text/event-stream", "Origin": ORIGIN}
            async with http.stream("GET", url, headers=headers) as response:
                assert response.status_code == 200
                assert response.headers["content-type"].startswith("text/event-stream")
                page = await WallClient(nchan_stack.edge, wall.slug).connect()
                post = make_post()
                pid = wall.ingest(post)[post["id"]]
                lines = response.aiter_lines()
                data = None
                while data is None:
                    line = await asyncio.wait_for(anext(lines), TIMEOUT)
                    if line.startswith("data:"):
                        data = json.loads(line[5:].strip())
                await page.wait_for(lambda p: pid in p.posts and p.figures)
                post_frame, figures = data  # the post, then the wall's figures: one message
                assert post_frame == page.frames[0]  # the same frames, at included
                assert figures == page.figures[0] and figures["count"] == 1
                assert (post_frame["type"], post_frame["id"]) == ("post.new", pid)
                await page.close()

    asyncio.run(scenario())


def test_missed_endpoint_rejects_bad_input_and_unknown_walls(nchan_stack: Stack):
    wall = api(nchan_stack)
    base = nchan_stack.edge.http_url(f"/walls/{wall.slug}/live/missed/")
    for query in ("", "?since=-1", "?since=abc", "?since=1&changes=x", "?since=" + "9" * 30):
        response = httpx.get(base + query, timeout=30)
        assert response.status_code == 400, (query, response.text)
        assert "error" in response.json()
    response = httpx.get(nchan_stack.edge.http_url("/walls/nope/live/missed/?since=0"), timeout=30)
    assert response.status_code == 404
    assert "no-store" in response.headers["cache-control"]
