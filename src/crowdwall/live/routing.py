"""WebSocket routes, and the ASGI application that serves them behind the Origin check."""

from __future__ import annotations

from typing import Any

from django.urls import path, re_path

from crowdwall.live.consumers import WallConsumer
from crowdwall.moderation.consumers import ModerationConsumer

websocket_urlpatterns = [
    path("ws/walls/<slug:slug>/", WallConsumer.as_asgi(), name="crowdwall-live"),
    path("ws/walls/<slug:slug>/moderate/", ModerationConsumer.as_asgi(), name="crowdwall-mod"),
]


async def refuse(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Any other WebSocket path: refused before the handshake completes (HTTP 403)."""
    # Channels' URLRouter raises when nothing matches, which servers answer with HTTP 500.
    message = await receive()
    if message["type"] == "websocket.connect":
        await send({"type": "websocket.close"})


def websocket_application() -> Any:
    """The ``websocket`` entry of a ``ProtocolTypeRouter``: Origin must match ALLOWED_HOSTS
    (browsers send cookies cross-site; a wall is public, but moderators' sessions are not),
    then the session user is attached (``scope["user"]``) and the URL routed; an unknown path
    is refused with 403."""
    from channels.auth import AuthMiddlewareStack
    from channels.routing import URLRouter
    from channels.security.websocket import AllowedHostsOriginValidator

    routes = [*websocket_urlpatterns, re_path(r"", refuse)]  # the fallback: matches any path
    return AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(routes)))
