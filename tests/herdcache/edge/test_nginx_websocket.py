"""WebSockets through the generated edge config: an ASGI site's live sockets must reach Django
(never an edge lookup), with or without the local cache tier, while plain pages keep their
keepalive connections to Django."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import websockets
from websockets.sync.server import serve

from herdcache.edge.nginx import render_config
from tests.fixtures.nginx_generated import run_generated
from tests.fixtures.servers import Server, free_port

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ws_upstream() -> Iterator[str]:
    """A WebSocket echo server standing in for Django's ASGI server."""
    port = free_port()

    def echo(connection) -> None:
        for message in connection:
            connection.send(f"echo {connection.request.path} {message}")

    server = serve(echo, "127.0.0.1", port)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{port}"
    server.shutdown()


@pytest.fixture(scope="module", params=[0, 5], ids=["memcached-tier", "with-local-tier"])
def edge(request, ws_upstream: str, memcached_server: Server) -> Iterator[Server]:
    def render(port: int, prefix: Path) -> str:
        return render_config(
            listen=f"127.0.0.1:{port}",
            upstream=ws_upstream,
            servers=[memcached_server.address],
            prefix=str(prefix),
            local_ttl=request.param,
            worker_processes=1,
        )

    yield from run_generated(render)


def test_a_websocket_passes_through_the_edge_to_django(edge: Server):
    async def talk() -> list[str]:
        url = f"ws://{edge.address}/ws/walls/demo/?since=3"
        async with websockets.connect(url, origin="http://example.com") as ws:
            replies = []
            for word in ("one", "two"):
                await ws.send(word)
                replies.append(await asyncio.wait_for(ws.recv(), 10))
            return replies

    assert asyncio.run(talk()) == [
        "echo /ws/walls/demo/?since=3 one",
        "echo /ws/walls/demo/?since=3 two",
    ]
