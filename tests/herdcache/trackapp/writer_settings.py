"""Settings of the second process of test_tracking_processes.py: herdcache's test site on the
SQLite file and the memcached the test names (TRACK_WRITER_DB, TRACK_WRITER_MEMCACHED)."""

import os

from tests.herdcache_settings import *  # noqa: F403  (herdcache alone: no crowdwall)

DATABASES = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["TRACK_WRITER_DB"]}
}
CACHES = {
    "default": {
        "BACKEND": "herdcache.backends.PyMemcacheCache",
        "LOCATION": os.environ["TRACK_WRITER_MEMCACHED"],
    }
}
# This process defines no tracked view: it purges because it is told to, as a worker would.
HERDCACHE = {"STATS_FLUSH_INTERVAL": 0, "TRACK_WRITES": True, "TRACK_PURGE": "hard"}
