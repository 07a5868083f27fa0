"""Moderation over a real ASGI server (uvicorn) with real WebSocket clients: a ban reaches every
open wall page within a second, the moderators' feed is staff only (HTTP and WebSocket), and on
a pre-approve wall a new post reaches the moderators live and the public only once approved."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.crowdwall.conftest import make_post
from tests.crowdwall.live.conftest import Api, AsgiServer, client, receive
from tests.crowdwall.moderation.conftest import Session

pytestmark = pytest.mark.slow

BO = {"id": "https://x.example/users/bo", "handle": "bo@x.example", "display_name": "Bo"}


def frames_of(text: str) -> list[dict]:
    data = json.loads(text)
    return data if isinstance(data, list) else [data]


async def snapshot(ws) -> tuple[list[dict], dict]:
    """The frames a moderators' socket sends first, up to ``catchup.done``."""
    frames: list[dict] = []
    while True:
        for frame in frames_of(await asyncio.wait_for(ws.recv(), 10)):
            if frame["type"] == "catchup.done":
                return frames, frame
            frames.append(frame)


async def collect(ws, wanted: set[int], kind: str, timeout: float = 10) -> tuple[dict, float]:
    """Frames of ``kind`` for ``wanted`` ids (the last per id), and when the last one arrived."""
    got: dict[int, dict] = {}
    async with asyncio.timeout(timeout):
        while not wanted <= set(got):
            for frame in frames_of(await ws.recv()):
                if frame["type"] == kind and frame["id"] in wanted:
                    got[frame["id"]] = frame
    return got, time.monotonic()


def test_a_ban_reaches_every_open_wall_page_within_a_second(mod_server: AsgiServer):
    api = Api(mod_server).create()
    ids = api.ingest(make_post(1), make_post(2), make_post(3), make_post(4, author=BO))
    ann = {ids["1"], ids["2"], ids["3"]}

    async def scenario() -> None:
        staff = await Session(mod_server).login("mo", staff=True)
        try:
            async with (
                client(api.ws_url()) as page,
                client(api.ws_url()) as big_screen,
                staff.ws(api.slug) as mod,
            ):
                await snapshot(mod)
                started = time.monotonic()
                response = await staff.post(
                    f"/walls/{api.slug}/moderate/act/", {"item": f"{ids['1']}:ban-author"}
                )
                assert response.status_code == 200, response.text
                assert sorted(response.json()["removed"]) == sorted(ann)
                (_, page_done), (_, screen_done), (updates, _) = await asyncio.gather(
                    collect(page, ann, "post.delete"),
                    collect(big_screen, ann, "post.delete"),
                    collect(mod, ann, "mod.update"),
                )
                slowest = max(page_done, screen_done) - started
                print(f"ban -> last post.delete on 2 pages: {slowest * 1000:.0f} ms")
                assert slowest < 1.0
                assert {f["state"] for f in updates.values()} == {"rejected"}
                # Bo's post stays: nothing else was deleted.
                with pytest.raises(TimeoutError):
                    await receive(page, timeout=0.3)
            # The screen shows the ban and the audit log row.
            html = (await staff.http.get(f"/walls/{api.slug}/moderate/?state=rejected")).text
            assert "https://social.example/users/ann" in html
            assert html.count("data-log-entry") == 1
        finally:
            await staff.aclose()

    asyncio.run(scenario())


def test_ban_word_and_hide_reach_open_pages(mod_server: AsgiServer):
    api = Api(mod_server).create()
    ids = api.ingest(make_post(1, html="<p>crypto giveaway</p>"), make_post(2), make_post(3))

    async def scenario() -> None:
        staff = await Session(mod_server).login("mo", staff=True)
        try:
            async with client(api.ws_url()) as page:
                started = time.monotonic()
                response = await staff.post(
                    f"/walls/{api.slug}/moderate/ban-word/", {"word": '"crypto giveaway"'}
                )
                assert response.status_code == 200 and response.json()["count"] == 1
                response = await staff.post(
                    f"/walls/{api.slug}/moderate/act/", {"item": f"{ids['2']}:hide"}
                )
                assert response.json()["posts"][0]["state"] == "rejected"
                _, done = await collect(page, {ids["1"], ids["2"]}, "post.delete")
                assert done - started < 1.0
        finally:
            await staff.aclose()

    asyncio.run(scenario())


def test_non_staff_are_denied_over_http_and_websocket(mod_server: AsgiServer):
    api = Api(mod_server).create()
    ids = api.ingest(make_post(1))
    screen = f"/walls/{api.slug}/moderate/"

    async def scenario() -> None:
        anonymous = Session(mod_server)
        member = await Session(mod_server).login("joe", staff=False)
        staff = await Session(mod_server).login("mo", staff=True)
        try:
            page = await anonymous.http.get(screen)
            assert page.status_code == 302 and "login" in page.headers["location"]
            assert "no-store" in page.headers["cache-control"]
            for who in (anonymous, member):
                refused = await who.post(screen + "act/", {"item": f"{ids['1']}:reject"})
                assert refused.status_code == 403 and refused.json()["ok"] is False
                refused = await who.post(screen + "ban-word/", {"word": "x"})
                assert refused.status_code == 403
            forbidden = await member.http.get(screen)
            assert forbidden.status_code == 403
            assert "private" in forbidden.headers["cache-control"]
            for who in (anonymous, member):
                with pytest.raises(InvalidStatus) as handshake:
                    async with who.ws(api.slug):
                        pass
                assert handshake.value.response.status_code == 403
            # A staff session from another site's page is refused too (Origin check).
            with pytest.raises(InvalidStatus) as foreign:
                async with staff.ws(api.slug, origin="http://evil.example"):
                    pass
            assert foreign.value.response.status_code == 403
            ok = await staff.http.get(screen)
            assert ok.status_code == 200 and "data-mod-item" in ok.text
            assert "private" in ok.headers["cache-control"]
            assert "no-store" in ok.headers["cache-control"]
            # The public wall was not touched by the refused requests.
            assert (await staff.http.get(screen + "log/")).text.count("data-log-entry") == 0
        finally:
            for session in (anonymous, member, staff):
                await session.aclose()

    asyncio.run(scenario())


def test_an_unknown_wall_closes_the_moderators_socket_with_4404(mod_server: AsgiServer):
    async def scenario() -> None:
        staff = await Session(mod_server).login("mo", staff=True)
        try:
            async with staff.ws("no-such-wall") as ws:
                with pytest.raises(ConnectionClosed) as closed:
                    await ws.recv()
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4404
        finally:
            await staff.aclose()

    asyncio.run(scenario())


def test_pre_approve_queue_fills_live_and_only_approved_posts_go_public(mod_server: AsgiServer):
    api = Api(mod_server).create()
    switched = httpx.post(f"http://{mod_server.base}/test/mode/{api.slug}/pre_approve/", timeout=30)
    assert switched.json() == {"changed": 1}
    held = api.ingest(make_post(1))["1"]

    async def scenario() -> None:
        staff = await Session(mod_server).login("mo", staff=True)
        try:
            async with client(api.ws_url()) as page, staff.ws(api.slug) as mod:
                queue, done = await snapshot(mod)
                assert [(f["type"], f["id"], f["state"]) for f in queue] == [
                    ("mod.update", held, "pending")
                ]
                assert queue[0]["post"]["id"] == held and done["truncated"] is False
                ids = await asyncio.to_thread(api.ingest, make_post(2))
                arrived, _ = await collect(mod, {ids["2"]}, "mod.update")
                assert arrived[ids["2"]]["state"] == "pending"
                assert arrived[ids["2"]]["post"]["id"] == ids["2"]
                with pytest.raises(TimeoutError):
                    await receive(page, timeout=0.5)  # nothing public while pending
                response = await staff.post(
                    f"/walls/{api.slug}/moderate/act/",
                    {"action": "approve", "post": [held, ids["2"]]},
                )
                assert response.json()["count"] == 2
                public, _ = await collect(page, {held, ids["2"]}, "post.new")
                assert public[ids["2"]]["post"]["id"] == ids["2"]
                moderated, _ = await collect(mod, {held, ids["2"]}, "mod.update")
                assert {f["state"] for f in moderated.values()} == {"approved"}
            # Reconnecting with ``changes`` replays what changed since (the approvals).
            since = int(time.time() * 1000) - 60_000
            async with staff.ws(api.slug, f"?changes={since}") as mod:
                frames, _ = await snapshot(mod)
                assert {f["id"]: f["state"] for f in frames} == {
                    held: "approved",
                    ids["2"]: "approved",
                }
        finally:
            await staff.aclose()

    asyncio.run(scenario())
