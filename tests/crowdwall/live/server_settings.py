"""Settings of the ASGI test server (``tests.crowdwall.live.asgi``) run in a subprocess: the
SQLite file of ``CROWDWALL_TEST_DB``, the Channels publisher, and the in-memory channel layer or,
with ``CROWDWALL_TEST_REDIS`` (host:port), channels-redis (``CROWDWALL_TEST_LAYER``: its core
layer, or ``pubsub``)."""

import os

from tests.crowdwall.stream_settings import *  # noqa: F403

ROOT_URLCONF = "tests.crowdwall.live.server_urls"
CROWDWALL = {
    "PUBLISHER": "crowdwall.live.publisher.ChannelsPublisher",
    "LIVE_CATCH_UP_LIMIT": int(os.environ.get("CROWDWALL_TEST_CATCH_UP_LIMIT", "500")),
}
if os.environ.get("CROWDWALL_TEST_REDIS"):
    _core = os.environ.get("CROWDWALL_TEST_LAYER", "core") == "core"
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer"
            if _core
            else "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": f"redis://{os.environ['CROWDWALL_TEST_REDIS']}/0",
                        "max_connections": 200,
                    }
                ],
                "prefix": os.environ.get("CROWDWALL_TEST_PREFIX", "asgi"),
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
LOGGING = {  # timestamps in the server's log: when did the hub notice, when did it recover
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"stamped": {"format": "%(asctime)s %(name)s %(levelname)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "stamped"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
