"""The big screen's side of the WallConsumer: presence reports over the socket (stored in the
cache, throttled, a bad one ignored without closing) and the wall's ``screen.state`` with every
catch-up, so a reconnecting screen is paused or shows the banner it should."""

from __future__ import annotations

import asyncio
import json

import pytest
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from crowdwall.live.routing import websocket_urlpatterns
from crowdwall.remote import control, presence
from tests.crowdwall.live.conftest import frames_of
from tests.crowdwall.remote.test_presence import good


@pytest.mark.django_db(transaction=True)
def test_presence_over_the_socket_and_the_state_on_catch_up(wall, layer):
    control.send(wall, control.Command("pause"), actor=None)

    async def scenario() -> list[dict]:
        ws = WebsocketCommunicator(URLRouter(websocket_urlpatterns), "/ws/walls/djangocon/?since=0")
        connected, _ = await ws.connect()
        assert connected
        frames = frames_of(await ws.receive_from(5))
        await ws.send_to(json.dumps({"type": "presence", **good(last_id=7)}))
        await ws.send_to(json.dumps({"type": "presence", **good(last_id=8)}))  # too soon
        await ws.send_to(json.dumps({"type": "presence", "screen": "bad"}))
        assert await ws.receive_nothing(0.5)  # still open: nothing to say, no close
        await ws.disconnect()
        return frames

    frames = asyncio.run(scenario())
    assert [f["type"] for f in frames] == ["wall.figures", "screen.state", "catchup.done"]
    assert frames[1]["paused"] is True
    (screen,) = presence.screens(wall.pk)
    assert (screen["screen"], screen["last_id"], screen["transport"]) == (
        "abcdef0123456789", 7, "channels",
    )  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_a_screen_gets_its_own_overrides_on_every_connect(wall, layer):
    """A command to one screen survives that screen reconnecting or reloading: it connects with
    ``?screen=<id>`` (the id live.js keeps in sessionStorage) and its state frame carries it."""
    mine = "abcdef0123456789"
    control.send(wall, control.Command("pause", screen=mine), actor=None)
    control.send(wall, control.Command("layout", screen=mine, value="ticker"), actor=None)

    async def state_of(query: str) -> dict | int:
        url = f"/ws/walls/djangocon/?since=0{query}"
        ws = WebsocketCommunicator(URLRouter(websocket_urlpatterns), url)
        connected, code = await ws.connect()
        if not connected:
            return code
        output = await ws.receive_output(5)
        if output["type"] == "websocket.close":
            return output["code"]
        (state,) = [f for f in frames_of(output["text"]) if f["type"] == "screen.state"]
        await ws.disconnect()
        return state

    async def scenario() -> list[dict | int]:
        return [
            await state_of(f"&screen={mine}"),
            await state_of(f"&screen={mine}"),  # reconnected
            await state_of("&screen=another-screen-01"),
            await state_of("&screen=no%20such%20id"),
        ]

    first, again, other, bad = asyncio.run(scenario())
    assert (
        (first["paused"], first["layout"]) == (again["paused"], again["layout"]) == (True, "ticker")
    )
    assert (other["paused"], other["layout"]) == (False, "")
    assert bad == 4400
