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
    for name in ("since", "changes"):
        for value in values:
            tried("socket")
            encoded = encode_component(value)
            query = f"since=0&{name}={encoded}" if name == "changes" else f"since={encoded}"
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
