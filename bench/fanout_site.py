"""The ASGI server the fanout benchmark measures (settings and application in one module).

``DJANGO_SETTINGS_MODULE=bench.fanout_site`` and ``uvicorn bench.fanout_site:application``;
the environment picks the channel layer: ``FANOUT_REDIS`` (host:port) and ``FANOUT_LAYER``
(``core`` or ``pubsub``), ``FANOUT_CAPACITY`` (the layer's per-channel capacity), and the
SQLite file ``FANOUT_DB`` that holds the wall. Two WebSocket routes serve the same wall group:

- ``ws/walls/<slug>/``: crowdwall's ``WallConsumer`` on the per-process hub;
- ``ws/plain/<slug>/``: ``bench.fanout_plain.PlainConsumer``, the textbook Channels consumer
  (``groups = [...]``, one ``self.send`` per event), the baseline.
"""

from __future__ import annotations

import os
from typing import Any

SLUG = "bench"
SECRET_KEY = "bench-only"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "herdcache", "crowdwall"]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("FANOUT_DB", ":memory:"),
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
ROOT_URLCONF = "bench.fanout_site"
urlpatterns: list[Any] = []
CROWDWALL = {
    "PUBLISHER": "crowdwall.live.publisher.ChannelsPublisher",
    "LIVE_COALESCE_MS": float(os.environ.get("FANOUT_COALESCE_MS", "50")),
    # The nchan run's publisher process (bench.fanout_nchan) POSTs here.
    "NCHAN_PUBLISH_URL": os.environ.get("FANOUT_NCHAN_URL", ""),
}
_layer = os.environ.get("FANOUT_LAYER", "core")
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer"
        if _layer == "pubsub"
        else "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            # redis-py's asyncio pool stops at 100 connections (MaxConnectionsError) otherwise.
            "hosts": [
                {
                    "address": f"redis://{os.environ.get('FANOUT_REDIS', '127.0.0.1:6379')}/0",
                    "max_connections": 2000,
                }
            ],
            **(
                {"capacity": int(os.environ.get("FANOUT_CAPACITY", "100"))}
                if _layer == "core"
                else {}
            ),
        },
    }
}


def _application() -> Any:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.fanout_site")
    from django.core.asgi import get_asgi_application

    http = get_asgi_application()
    from channels.routing import ProtocolTypeRouter, URLRouter
    from django.urls import path

    from bench.fanout_plain import PlainConsumer
    from crowdwall.live.consumers import WallConsumer

    websocket = URLRouter(
        [
            path("ws/walls/<slug:slug>/", WallConsumer.as_asgi()),
            path("ws/plain/<slug:slug>/", PlainConsumer.as_asgi()),
        ]
    )
    return ProtocolTypeRouter({"http": http, "websocket": websocket})


def __getattr__(name: str) -> Any:
    # ``application`` only when uvicorn asks for it: importing settings must not build it.
    if name == "application":
        return _application()
    raise AttributeError(name)
