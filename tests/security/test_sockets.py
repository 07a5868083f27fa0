"""WebSockets against a real ASGI server (uvicorn): hostile upgrade paths, resume values and
messages. Never a server error (HTTP 5xx at the handshake, close code 1011), never a socket
left open and silent: each hostile input is refused, closed with a bad-request code, or the
socket still answers a good resume afterwards."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.crowdwall.live.conftest import Api, AsgiServer, asgi_server, client  # noqa: F401
from tests.security.conftest import examples, tried
from tests.security.strategies import (
    KNOWN_TEXT,
    deep_json,
    encode_component,
    hostile_json,
    huge_int_json,
)

pytestmark = pytest.mark.slow

TIMEOUT = 10.0
# Close codes a refused message may get: the standard "unacceptable data" / "invalid payload" /
# "policy" / "too big" codes and crowdwall's documented 4400 (bad request) and 4404.
REFUSALS = {1003, 1007, 1008, 1009, 4400, 4404}
EXAMPLES = examples(25)


@pytest.fixture(scope="module")
def wall_api(asgi_server: AsgiServer) -> Api:  # noqa: F811 (the imported fixture)
    return Api(asgi_server).create()


async def _still_answers(ws: Any) -> None:
    """A good resume gets its catch-up (``catchup.done``) within the timeout."""
    await ws.send(json.dumps({"type": "resume", "since": 0}))
    while True:
        text = await asyncio.wait_for(ws.recv(), TIMEOUT)
        value = json.loads(text)
        for frame in value if isinstance(value, list) else [value]:
            if frame.get("type") == "catchup.done":
                return


async def _send_and_check(url: str, message: str | bytes) -> None:
    async with client(url) as ws:
        if isinstance(message, str):  # as raw bytes: lone surrogates become invalid UTF-8
            await ws.send(message.encode("utf-8", "surrogatepass"), text=True)
        else:
            await ws.send(message)
        try:
            await _still_answers(ws)
        except ConnectionClosed as closed:
            code = closed.rcvd.code if closed.rcvd is not None else None
            assert code in REFUSALS, f"closed with {code} after {str(message)[:60]!r}"


def test_hostile_messages(wall_api: Api) -> None:
    url = wall_api.ws_url()
    known = [
        "",
        "not json",
        "\x00",
        "\ud800 invalid UTF-8",
        huge_int_json(),
        deep_json(100_000),
        deep_json(40_000, kind="object"),
        json.dumps({"type": "resume", "since": 2**63}),
        json.dumps({"type": "resume", "since": 10**30}),
        json.dumps({"type": "resume", "since": 0, "changes": 10**30}),
        '{"type": "resume", "since": ' + huge_int_json() + "}",
        b"\x00\xff binary",
    ]
    for message in known:
        tried("socket")
        asyncio.run(_send_and_check(url, message))

    @EXAMPLES
    @given(
        message=st.one_of(
            hostile_json().map(json.dumps),
            st.fixed_dictionaries(
                {"type": st.just("resume"), "since": hostile_json(), "changes": hostile_json()}
            ).map(json.dumps),
        )
    )
    def check(message: str) -> None:
        tried("socket")
        asyncio.run(_send_and_check(url, message))

    check()


def test_hostile_resume_values_in_the_url(wall_api: Api) -> None:
    base = wall_api.ws_url()
    values = [str(2**63), str(10**30), "9" * 5_000, "-1", "²", "1e3", *KNOWN_TEXT[:6]]
    for name in ("since", "changes", "screen"):  # screen: a big screen's id (issue 19)
        for value in values:
            tried("socket")
            encoded = encode_component(value)
            query = f"since={encoded}" if name == "since" else f"since=0&{name}={encoded}"
            url = f"{base}?{query}"

            async def scenario(url: str = url) -> None:
                try:
                    async with client(url) as ws:
                        await _still_answers(ws)
                except ConnectionClosed as closed:
                    code = closed.rcvd.code if closed.rcvd is not None else None
                    assert code in REFUSALS, f"closed with {code} for {url[-60:]}"

            asyncio.run(scenario())


@pytest.mark.parametrize(
    "path", ["/", "/ws/nothing/", "/walls/x/", "/ws/walls/", "/ws/walls/a/b/c/", "/ws/%00/"]
)
def test_unknown_socket_paths_are_refused(asgi_server: AsgiServer, path: str) -> None:  # noqa: F811
    tried("socket")

    async def scenario() -> None:
        with pytest.raises(InvalidStatus) as refused:
            async with client(f"ws://{asgi_server.base}{path}"):
                pass
        assert refused.value.response.status_code in (403, 404)

    asyncio.run(scenario())


PRESENCE = {
    "type": "presence", "screen": "abcdef0123456789", "layout": "columns", "theme": "dark",
    "width": 1920, "height": 1080, "last_id": 0, "lag_ms": 0, "reconnects": 0,
}  # fmt: skip


def test_hostile_presence_and_forged_commands_over_the_socket(wall_api: Api) -> None:
    """A screen's presence with any field hostile is ignored (the socket stays and answers);
    frames only the server sends (``screen.control``, ``screen.state``) sent *by* a browser
    are ignored too, never relayed to the wall's other screens."""
    url = wall_api.ws_url()
    forged = [
        {"type": "screen.control", "command": "reload", "screen": None},
        {"type": "screen.control", "command": "banner", "text": "pwned", "seconds": 60},
        {"type": "screen.state", "paused": True, "banner": {"text": "pwned", "seconds": 60}},
    ]

    async def forge() -> None:
        async with client(url) as watcher, client(url) as attacker:
            await _still_answers(watcher)
            await _still_answers(attacker)
            for frame in forged:
                tried("socket")
                await attacker.send(json.dumps(frame))
            await _still_answers(attacker)
            with pytest.raises(TimeoutError):  # nothing reached the other screen
                await asyncio.wait_for(watcher.recv(), 0.5)

    asyncio.run(forge())

    @EXAMPLES
    @given(
        name=st.sampled_from([k for k in PRESENCE if k != "type"] + ["offline_posts", "extra"]),
        value=hostile_json(),
    )
    def check(name: str, value: Any) -> None:
        tried("socket")
        asyncio.run(_send_and_check(url, json.dumps({**PRESENCE, name: value})))

    check()
    for name in ("screen", "width", "last_id", "lag_ms"):
        for raw in (huge_int_json(), '"\\u0000"', '"\\ud800"', "1e309", deep_json(20)):
            tried("socket")
            text = json.dumps({k: v for k, v in PRESENCE.items() if k != name})
            asyncio.run(_send_and_check(url, text[:-1] + f', "{name}": {raw}' + "}"))
