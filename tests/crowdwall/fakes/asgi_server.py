"""Serve any ASGI app with uvicorn on a free loopback port, in a background thread.

The socket is bound (port 0) before uvicorn starts, so there is no race for the port, and
``start()`` returns once uvicorn has finished its startup (an event, not a poll)::

    with AsgiServer(app) as server:
        httpx.get(server.url + "/ping")

``stop()`` ends open connections at once (long-lived streams included): tests stay fast.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from types import TracebackType
from typing import Any

import uvicorn


class _Server(uvicorn.Server):
    """uvicorn's server, telling a thread when it is ready (or failed to start)."""

    def __init__(self, config: uvicorn.Config, ready: threading.Event) -> None:
        super().__init__(config)
        self.ready = ready
        self.loop: asyncio.AbstractEventLoop | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        self.loop = asyncio.get_running_loop()
        try:
            await super().startup(sockets=sockets)
        finally:
            self.ready.set()

    def install_signal_handlers(self) -> None:  # not the main thread: leave signals alone
        return None


class AsgiServer:
    """One ASGI app on ``127.0.0.1:<free port>``; a context manager, or ``start()``/``stop()``."""

    def __init__(self, app: Any, *, host: str = "127.0.0.1", **config: Any) -> None:
        self.app = app
        self.host = host
        self._config = {"log_level": "warning", "lifespan": "off", **config}
        self._sock: socket.socket | None = None
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The server thread's event loop (for ``call_soon_threadsafe``)."""
        assert self._server is not None and self._server.loop is not None
        return self._server.loop

    def start(self) -> AsgiServer:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, 0))
        self._sock = sock
        self.port = sock.getsockname()[1]
        ready = threading.Event()
        self._server = _Server(uvicorn.Config(self.app, **self._config), ready)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [sock]},
            name=f"asgi-server:{self.port}",
            daemon=True,
        )
        self._thread.start()
        if not ready.wait(10) or not self._server.started:
            self.stop()
            raise RuntimeError(f"uvicorn did not start on port {self.port}")
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            self._server.force_exit = True  # do not wait for open streams to finish
        if self._thread is not None:
            self._thread.join(10)
        if self._sock is not None:
            self._sock.close()
        self._server = self._thread = self._sock = None

    def __enter__(self) -> AsgiServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
