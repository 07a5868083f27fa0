"""fancy-cache's test settings, on a real memcached: ``default``, ``second_backend``, a dummy.

Ported from django-fancy-cache 1.3.1 fancy_tests/tests/settings.py, Copyright (c) Peter
Bengtsson, BSD-3-Clause (see LICENSE-django-fancy-cache).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import caches
from django.test.client import RequestFactory

from herdcache.models import CachedURL
from tests.fixtures.servers import Server
from tests.herdcache.conformance.fancy import views

STORAGE_FORMAT = (
    "fancy-cache internal storage format: {what}. herdcache remembers URLs in a database table "
    "(herdcache.models.CachedURL), so there is no such dict; see docs/compatibility.md"
)


@pytest.fixture(autouse=True)
def fancy_app(settings) -> None:
    """``herdcache.contrib.fancy`` installed, as fancy-cache's tests installed ``fancy_cache``."""
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "herdcache.contrib.fancy"]


@pytest.fixture(autouse=True)
def fancy_caches(settings, memcached_server: Server) -> Iterator[None]:
    """The caches fancy-cache's tests use; both memcached aliases share one server, as fancy's
    two locmem aliases shared one LOCATION."""
    memcached = {
        "BACKEND": "herdcache.backends.PyMemcacheCache",
        "LOCATION": memcached_server.address,
    }
    settings.CACHES = {
        "default": memcached,
        "second_backend": {**memcached, "KEY_PREFIX": "second"},
        "dummy_backend": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
    }
    caches["default"].clear()
    yield
    caches["default"].clear()


PAGES = ["/page1.html", "/page2.html", "/page3.html?foo=bar", "/page3.html?foo=else"]


@pytest.fixture
def urls(fancy_caches: None) -> dict[str, str]:
    """fancy-cache's four remembered pages, cached through a view: path -> cache key.

    fancy-cache's tests wrote its REMEMBERED_URLS dict ({url: ("keyN", expiry)}) by hand.
    """
    factory = RequestFactory()
    for page in PAGES:
        assert views.remembered(factory.get(page)).status_code == 200
    return dict(CachedURL.objects.values_list("full_path", "key"))
