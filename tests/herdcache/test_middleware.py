"""Per-site middleware pair: same rules and stampede protocol as cache_page."""

from __future__ import annotations

import pytest
from django.test import Client

import herdcache
from tests.herdcache.views import RENDERS

pytestmark = pytest.mark.django_db

SITE_MIDDLEWARE = [
    "herdcache.middleware.UpdateCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "herdcache.middleware.FetchFromCacheMiddleware",
]


@pytest.fixture(autouse=True)
def site_cache(settings, backend):
    settings.MIDDLEWARE = SITE_MIDDLEWARE
    settings.HERDCACHE = {
        "STATS_FLUSH_INTERVAL": 0,
        "MIDDLEWARE_SECONDS": 30,
        "REMEMBER_ALL_URLS": True,
    }
    RENDERS.clear()


def test_pages_are_cached_site_wide():
    first, second = Client().get("/site/"), Client().get("/site/")
    assert first.content == second.content
    assert RENDERS["undecorated"] == 1
    assert "max-age=30" in second["Cache-Control"]


def test_max_age_from_the_response_wins_and_zero_means_never():
    Client().get("/site/?cc=max-age=0"), Client().get("/site/?cc=max-age=0")
    assert RENDERS["undecorated"] == 2
    response = Client().get("/site/?cc=max-age=5")
    assert "max-age=5" in response["Cache-Control"]


@pytest.mark.parametrize("directive", ["private", "NO-STORE", "No-Cache"])
def test_forbidding_cache_control(directive):
    Client().get(f"/site/?cc={directive}"), Client().get(f"/site/?cc={directive}")
    assert RENDERS["undecorated"] == 2


def test_soft_purge_is_refreshed_by_one_request():
    Client().get("/site/")
    herdcache.purge(urls=["/site/"], soft=True)
    Client().get("/site/"), Client().get("/site/")
    assert RENDERS["undecorated"] == 2


def test_view_error_releases_the_lock(settings):
    """A 500 is not stored and the next request renders again at once (no lock left behind)."""
    Client(raise_request_exception=False).get("/status/500/")
    Client(raise_request_exception=False).get("/status/500/")
    assert RENDERS["status-500"] == 2


def test_authorization_bypasses():
    Client().get("/site/"), Client().get("/site/", HTTP_AUTHORIZATION="Basic eDp5")
    assert RENDERS["undecorated"] == 2


def test_decorated_view_under_the_site_middleware_never_waits_on_itself(settings):
    import time

    settings.HERDCACHE = {**settings.HERDCACHE, "COLD_WAIT": 30}
    started = time.monotonic()
    Client().get("/plain/"), Client().get("/plain/")
    assert time.monotonic() - started < 10  # waiting on its own lock would take 30 s
    assert RENDERS["plain"] == 1
