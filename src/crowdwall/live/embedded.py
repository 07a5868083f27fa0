"""Run the wall's sources inside the ASGI server process (``make demo``).

The in-memory channel layer only reaches consumers in its own process, so a separate
``manage.py crowdwall stream`` cannot push to them; with Redis it can, and that is the
production setup. For the embedded defaults, ``with_embedded_stream(app)`` wraps the ASGI
application and starts the stream runner on the server's own event loop at the first
connection (daphne's runserver has no lifespan events to start it earlier). Ingest runs in the
server's sync worker thread, so publishing reaches the in-memory layer on the same loop.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from asgiref.sync import sync_to_async

logger = logging.getLogger("crowdwall.live")

Scope = dict[str, Any]
App = Any


def _enabled_sources(wall: str | None) -> list[Any]:
    from django.core.management.base import CommandError

    from crowdwall.sources.stream_command import runnable_sources

    try:  # the same selection as ``crowdwall stream``: sources without an adapter are skipped
        return runnable_sources(wall, warn=logger.info)
    except CommandError as exc:  # no source to run is fine for a site: nothing to stream
        logger.info("Embedded stream: %s", exc)
        return []


class EmbeddedStream:
    """ASGI middleware: starts ``StreamRunner`` once, on the loop serving the first request."""

    def __init__(self, app: App, *, wall: str | None = None) -> None:
        self.app = app
        self.wall = wall
        self.task: asyncio.Task[Any] | None = None

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if self.task is None and scope["type"] in ("http", "websocket"):
            self.task = asyncio.get_running_loop().create_task(self._run())
        await self.app(scope, receive, send)

    async def _run(self) -> None:
        from crowdwall.sources.runner import StreamRunner

        try:
            sources = await sync_to_async(_enabled_sources, thread_sensitive=True)(self.wall)
            logger.info("Embedded stream: %d source(s)", len(sources))
            # A demo trickle inside the web server: no prepare worker processes here.
            await StreamRunner(sources, prepare_processes=0).run()
        except asyncio.CancelledError:
            raise
        except Exception:  # the site keeps serving; only the embedded stream stops
            logger.exception("Embedded stream stopped")


def with_embedded_stream(app: App, *, enabled: bool, wall: str | None = None) -> App:
    """``app`` wrapped in ``EmbeddedStream`` when ``enabled`` (the demo), else ``app`` itself."""
    return EmbeddedStream(app, wall=wall) if enabled else app
