"""A real Django site for end-to-end edge tests: run by gunicorn behind generated nginx.

Configured from the environment by the test fixture: EDGE_TEST_DB (SQLite file),
EDGE_TEST_MEMCACHED (comma-separated servers), EDGE_TEST_TRUST ("1": trust nginx's key header),
EDGE_TEST_VARNISH (a Varnish node in front: pages carry xkey headers, purges reach it).
"""

import os

from tests.herdcache_settings import *  # noqa: F403  (herdcache alone: no crowdwall)

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("EDGE_TEST_DB", ":memory:"),
    }
}
_servers = [s for s in os.environ.get("EDGE_TEST_MEMCACHED", "127.0.0.1:11211").split(",") if s]
CACHES = {"default": {"BACKEND": "herdcache.backends.PyMemcacheCache", "LOCATION": _servers}}
ROOT_URLCONF = "tests.edge_site.urls"
ALLOWED_HOSTS = ["example.com", ".example.com", "localhost", "127.0.0.1"]
HERDCACHE = {
    "STATS_FLUSH_INTERVAL": 0,
    "EDGE_SERVERS": _servers,
    "EDGE_TRUSTED_PROXIES": ["127.0.0.1"] if os.environ.get("EDGE_TEST_TRUST", "1") == "1" else [],
    "COLD_WAIT": 20,
    "EDGE_PURGE_NODES": [n for n in os.environ.get("EDGE_TEST_PURGE_NODES", "").split(",") if n],
    "CACHE_STATUS": os.environ.get("EDGE_TEST_CACHE_STATUS", "0") == "1",
    # Re-warm GETs go through nginx, so they write the edge copy as a visitor's request would.
    "REWARM_ORIGIN": os.environ.get("EDGE_TEST_REWARM_ORIGIN") or None,
}
if os.environ.get("EDGE_TEST_VARNISH"):
    HERDCACHE["SURROGATE_HEADER"] = "xkey"
    HERDCACHE["DOWNSTREAM"] = [
        {"kind": "varnish", "urls": [os.environ["EDGE_TEST_VARNISH"]], "backoff": 0.05}
    ]
