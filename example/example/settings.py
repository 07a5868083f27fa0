"""Example project: embedded defaults (SQLite, local-memory cache); production values from the
environment (``CROWDWALL_*`` variables), so the same file serves ``make demo`` and a deployment."""

from __future__ import annotations

import os
from importlib.util import find_spec
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
env = os.environ.get

SECRET_KEY = env("CROWDWALL_SECRET_KEY", "demo-only-insecure-key")
DEBUG = env("CROWDWALL_DEBUG", "1") == "1"
ALLOWED_HOSTS = env("CROWDWALL_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",  # serves the API docs' own static files (no CDN)
    "herdcache",
    "crowdwall",
]
if find_spec("daphne"):  # first: its runserver serves ASGI, WebSockets included (make demo)
    INSTALLED_APPS.insert(0, "daphne")
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "example.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
WSGI_APPLICATION = "example.wsgi.application"
ASGI_APPLICATION = "example.asgi.application"

if env("CROWDWALL_DATABASE_URL"):
    from urllib.parse import urlsplit

    _db = urlsplit(env("CROWDWALL_DATABASE_URL", ""))
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": _db.path.lstrip("/"),
            "USER": _db.username or "",
            "PASSWORD": _db.password or "",
            "HOST": _db.hostname or "",
            "PORT": str(_db.port or ""),
        }
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env("CROWDWALL_SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            # Transactions take the write lock when they begin, waiting for it (the busy timeout)
            # instead of failing with "database is locked" when another thread wrote meanwhile
            # (the stream, a moderator, herdcache's purge log from the figures refresh thread).
            "OPTIONS": {"transaction_mode": "IMMEDIATE"},
        }
    }

if env("CROWDWALL_MEMCACHED"):
    CACHES = {
        "default": {
            "BACKEND": "herdcache.backends.PyMemcacheCache",
            "LOCATION": env("CROWDWALL_MEMCACHED"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

HERDCACHE = {
    "FLAVOR": env("CROWDWALL_CACHE_FLAVOR", "demo"),
    "REMEMBER_ALL_URLS": True,
    "REMEMBER_STATS_ALL_URLS": True,
}

# Live walls: the in-memory channel layer works within one process only (the demo); with Redis,
# publishers (``crowdwall stream``) and consumers (the ASGI server, any number of workers: each
# process has one hub subscription, crowdwall.live.hub) may be separate processes.
# CROWDWALL_CHANNEL_LAYER=pubsub picks channels-redis' pub/sub layer instead of the core one.
# redis-py's asyncio pool raises MaxConnectionsError past its default 100: size it explicitly.
if env("CROWDWALL_REDIS_URL"):
    _pubsub = env("CROWDWALL_CHANNEL_LAYER", "core") == "pubsub"
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer"
            if _pubsub
            else "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": env("CROWDWALL_REDIS_URL"),
                        "max_connections": int(env("CROWDWALL_REDIS_MAX_CONNECTIONS", "1000")),
                    }
                ],
                # Per-channel queue (core layer only); with the hub one channel per process.
                **({} if _pubsub else {"capacity": int(env("CROWDWALL_CHANNEL_CAPACITY", "1000"))}),
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
# Without Redis the ASGI server runs the sources itself (crowdwall.live.embedded): the in-memory
# layer cannot carry posts from a separate ``crowdwall stream`` process.
EMBEDDED_STREAM = (
    env("CROWDWALL_EMBEDDED_STREAM", "0" if env("CROWDWALL_REDIS_URL") else "1") == "1"
)
CROWDWALL = {
    "PUBLISHER": "crowdwall.live.publisher.ChannelsPublisher",
    # "token=username,token2=username2": bearer tokens of staff users for the JSON API's writes.
    "API_TOKENS": dict(
        pair.split("=", 1) for pair in env("CROWDWALL_API_TOKENS", "").split(",") if "=" in pair
    ),
}

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "static-root"
STATICFILES_DIRS = [BASE_DIR / "static"]  # the landing page's stylesheet
# Django's two default finders, answering 404 (not 500) to /static/../ paths under runserver.
STATICFILES_FINDERS = [
    "example.staticfiles.FileSystemFinder",
    "example.staticfiles.AppDirectoriesFinder",
]
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
