"""Hostile WebSocket input: unknown paths are refused at the handshake (403, not 500); a
``since``/``changes`` out of range (URL or resume message) and a message that is too deep, too
long or not JSON close the socket with 4400 at once — in process on both databases, and on a
real uvicorn server."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from websockets.exceptions import ConnectionClosed, InvalidStatus

from crowdwall.jsonlimits import MAX_DEPTH
from crowdwall.live.catchup import MAX_AT_MS, MAX_POST_ID, from_ms, parse_position
from crowdwall.live.consumers import CLOSE_BAD_MESSAGE, MAX_MESSAGE
from crowdwall.live.routing import websocket_application, websocket_urlpatterns
from tests.crowdwall.conftest import make_post
from tests.crowdwall.live.conftest import TIMEOUT, Api, AsgiServer, client, frames_of, receive

HUGE = [str(2**63), str(2**64), "9" * 31, "1" + "0" * 30]  # past a post id / past 2^63 / 10^30
BAD_QUERIES = [
    *(f"since={n}" for n in HUGE),
    *(f"since=0&changes={n}" for n in HUGE),
    "since=0&changes=253402300800000",  # the first millisecond of the year 10000
    "since=-1",
    "since=%C2%B2",  # a non-ASCII digit
    "since=abc",
]
DEEP = "[" * 100_000 + "]" * 100_000
BAD_MESSAGES = [
    DEEP,
    '{"type": "resume", "since": ' + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "}",
    '{"type": "resume", "since": ' + "9" * 5_000 + "}",
    json.dumps({"type": "resume", "since": 10**30}),
    json.dumps({"type": "resume", "since": 1, "changes": 2**63}),
    json.dumps({"type": "resume", "since": True}),
    json.dumps({"type": "resume", "since": 1, "pad": "x" * MAX_MESSAGE}),
    "not json",
]


@pytest.mark.parametrize(
    ("value", "maximum", "expected"),
    [
        (0, MAX_POST_ID, 0),
        ("42", MAX_POST_ID, 42),
        (MAX_POST_ID, MAX_POST_ID, MAX_POST_ID),
        (str(MAX_POST_ID), MAX_POST_ID, MAX_POST_ID),
        (MAX_POST_ID + 1, MAX_POST_ID, None),
        ("9" * 5_000, MAX_POST_ID, None),  # never converted: past the int-string limit
        (10**30, MAX_AT_MS, None),
        (-1, MAX_POST_ID, None),
        (True, MAX_POST_ID, None),
        (1.0, MAX_POST_ID, None),
        (" 1", MAX_POST_ID, None),
        ("\u00b2", MAX_POST_ID, None),
        (None, MAX_POST_ID, None),
        ([1], MAX_POST_ID, None),
    ],
)
def test_positions_are_whole_numbers_in_range(value, maximum, expected):
    assert parse_position(value, maximum) == expected


def test_times_past_the_year_9999_are_its_last_millisecond():
    assert from_ms(10**30) == from_ms(MAX_AT_MS)
    assert from_ms(MAX_AT_MS).year == 9999


async def closed_with(ws: WebsocketCommunicator) -> int:
    """The code the server closed ``ws`` with (fails if it stays silent for 5 s)."""
    message = await ws.receive_output(5)
    assert message["type"] == "websocket.close", message
    return message["code"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("query", BAD_QUERIES)
def test_a_position_out_of_range_on_the_url_closes_with_4400(wall, layer, query):
    async def scenario() -> int:
        ws = WebsocketCommunicator(
            URLRouter(websocket_urlpatterns), f"/ws/walls/djangocon/?{query}"
        )
        connected, _ = await ws.connect()
        assert connected
        return await closed_with(ws)

    assert asyncio.run(scenario()) == CLOSE_BAD_MESSAGE


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("text", BAD_MESSAGES, ids=range(len(BAD_MESSAGES)))
def test_a_bad_message_closes_with_4400(wall, layer, text):
    async def scenario() -> int:
        ws = WebsocketCommunicator(URLRouter(websocket_urlpatterns), "/ws/walls/djangocon/")
        connected, _ = await ws.connect()
        assert connected
        await ws.send_to(text)
        return await closed_with(ws)

    assert asyncio.run(scenario()) == CLOSE_BAD_MESSAGE


@pytest.mark.django_db(transaction=True)
def test_the_largest_positions_are_still_served(wall, source, layer):
    """The bounds themselves are valid: nothing after them, a catch-up that says so."""
    from crowdwall.ingest.write import ingest

    ingest(source, [make_post()])
    query = f"since={2**63 - 1}&changes=253402300799999"

    async def scenario() -> dict:
        ws = WebsocketCommunicator(
            URLRouter(websocket_urlpatterns), f"/ws/walls/djangocon/?{query}"
        )
        connected, _ = await ws.connect()
        assert connected
        frames = frames_of(await ws.receive_from(5))
        await ws.disconnect()
        return frames

    figures, state, done = asyncio.run(scenario())  # figures and screen state: every catch-up
    assert (figures["type"], figures["count"]) == ("wall.figures", 1)
    assert state["type"] == "screen.state"
    assert done["type"] == "catchup.done" and done["count"] == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("changes", ["1" + "0" * 30, str(2**63), "999999999999999", "soon"])
def test_the_moderators_socket_closes_a_bad_changes_with_4400(wall, admin_user, layer, changes):
    async def scenario() -> int:
        app = URLRouter(websocket_urlpatterns)
        ws = WebsocketCommunicator(app, f"/ws/walls/djangocon/moderate/?changes={changes}")
        ws.scope["user"] = admin_user
        connected, _ = await ws.connect()
        assert connected
        return await closed_with(ws)

    assert asyncio.run(scenario()) == CLOSE_BAD_MESSAGE


@pytest.mark.parametrize("path", ["/ws/nothing/", "/", "/walls/djangocon/", "/ws/walls/a/b/c/"])
def test_an_unknown_path_is_refused_at_the_handshake(path):
    async def scenario() -> Any:
        headers = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
        ws = WebsocketCommunicator(websocket_application(), path, headers=headers)
        return await ws.connect(5)

    connected, _ = asyncio.run(scenario())
    assert connected is False


# -- a real server (uvicorn): what a browser or a script sees ---------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("path", ["/ws/nothing/", "/", "/walls/djangocon/"])
def test_uvicorn_answers_403_to_an_unknown_websocket_path(asgi_server: AsgiServer, path):
    async def scenario() -> None:
        with pytest.raises(InvalidStatus) as refused:
            async with client(f"ws://{asgi_server.base}{path}"):
                pass
        assert refused.value.response.status_code == 403

    asyncio.run(scenario())


@pytest.mark.slow
def test_uvicorn_closes_out_of_range_positions_and_deep_messages_with_4400(
    asgi_server: AsgiServer,
):
    api = Api(asgi_server).create()

    async def close_code(url: str, send: str | None = None) -> int:
        async with client(url) as ws:
            if send is not None:
                await ws.send(send)
            with pytest.raises(ConnectionClosed) as closed:
                await receive(ws, TIMEOUT)  # bounded: a silent socket fails here
        assert closed.value.rcvd is not None
        return closed.value.rcvd.code

    async def scenario() -> list[int]:
        base = api.ws_url()
        return [
            await close_code(f"{base}?since={2**64}"),
            await close_code(f"{base}?since=0&changes={10**30}"),
            await close_code(base, json.dumps({"type": "resume", "since": 10**30})),
            await close_code(base, DEEP),
        ]

    assert asyncio.run(scenario()) == [CLOSE_BAD_MESSAGE] * 4
