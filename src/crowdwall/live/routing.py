"""WebSocket routes, and the ASGI application that serves them behind the Origin check."""

from __future__ import annotations

from typing import Any

from django.urls import path

from crowdwall.live.consumers import WallConsumer
from crowdwall.moderation.consumers import ModerationConsumer

websocket_urlpatterns = [
    path("ws/walls/<slug:slug>/", WallConsumer.as_asgi(), name="crowdwall-live"),
    path("ws/walls/<slug:slug>/moderate/", ModerationConsumer.as_asgi(), name="crowdwall-mod"),
]


def websocket_application() -> Any:
    """The ``websocket`` entry of a ``ProtocolTypeRouter``: Origin must match ALLOWED_HOSTS
    (browsers send cookies cross-site; a wall is public, but moderators' sessions are not),
    then the session user is attached (``scope["user"]``) and the URL routed."""
    from channels.auth import AuthMiddlewareStack
    from channels.routing import URLRouter
    from channels.security.websocket import AllowedHostsOriginValidator

    return AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))
