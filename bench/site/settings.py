"""Settings of the bench site; the bench passes its server addresses in ``BENCH_*`` variables."""

from __future__ import annotations

import json
import os

from bench.site.memcached import caches_for

SECRET_KEY = "bench-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
INSTALLED_APPS = ["herdcache"]
# No middleware: the hit path measured is the cache decorator's, not sessions' or CSRF's.
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "bench.site.urls"
WSGI_APPLICATION = "bench.site.wsgi.application"
# The registry benchmark points this at an SQLite file in a temporary folder; the edge benchmark
# passes its migrated file in BENCH_DATABASE, shared by gunicorn and the bench process's purges.
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("BENCH_DATABASE", ":memory:"),
    }
}
MEMCACHED = os.environ.get("BENCH_MEMCACHED", "127.0.0.1:11211")
CACHES = caches_for(MEMCACHED)
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# e.g. BENCH_HERDCACHE='{"XFETCH_BETA": 0}' to take early refreshes out of a measurement.
HERDCACHE: dict[str, object] = json.loads(os.environ.get("BENCH_HERDCACHE", "{}"))

# Stampede knobs: how long an entry stays fresh and how long a render takes.
EXPIRING_TIMEOUT = int(os.environ.get("BENCH_EXPIRING_TIMEOUT", "2"))
RENDER_SECONDS = float(os.environ.get("BENCH_RENDER_SECONDS", "0.5"))
