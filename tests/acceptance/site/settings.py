"""Settings of the acceptance site, from the environment the stack fixture sets:
``CROWDWALL_TEST_DB`` (SQLite file), ``ACCEPTANCE_MEMCACHED`` (host:port) and, with the edge,
``ACCEPTANCE_EDGE=1`` (herdcache writes edge copies that nginx serves from memcached)."""

import os

from tests.crowdwall.stream_settings import *  # noqa: F403
from tests.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "django.contrib.admin", "django.contrib.staticfiles"]
ROOT_URLCONF = "tests.acceptance.site.urls"
STATIC_URL = "/static/"
LOGIN_URL = "/admin/login/"

_memcached = os.environ.get("ACCEPTANCE_MEMCACHED", "")
if _memcached:
    CACHES = {"default": {"BACKEND": "herdcache.backends.PyMemcacheCache", "LOCATION": _memcached}}
HERDCACHE = {
    "STATS_FLUSH_INTERVAL": 0,
    "EDGE": os.environ.get("ACCEPTANCE_EDGE") == "1",
    "EDGE_SERVERS": [_memcached] if _memcached else None,
    "EDGE_TRUSTED_PROXIES": ["127.0.0.1"],  # nginx, on loopback, forwards the edge key
}
CROWDWALL = {
    "PUBLISHER": "crowdwall.live.publisher.ChannelsPublisher",
    # Small pages: the archive's pager shows with a handful of posts.
    "ARCHIVE_PAGE_SIZE": 5,
    # The fake feed listens on loopback: the console may test sources there.
    "SOURCE_TEST_ALLOWED_NETWORKS": ["127.0.0.0/8", "::1/128"],
}
# One server process: the in-memory layer reaches every consumer (ingest happens in-process,
# through the control endpoints).
CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
# Errors and warnings to the server's log file (the stack's Server.log), for failing scenarios.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
