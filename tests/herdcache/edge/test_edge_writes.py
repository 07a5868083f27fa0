"""What Django writes to the edge (real memcached, in process): decorator, middleware, refill."""

from __future__ import annotations

import gzip
import hashlib

import pytest
from django.core.cache import caches
from django.test import Client
from pymemcache.client.base import Client as RawClient

from herdcache.edge import store
from tests.herdcache.test_middleware import SITE_MIDDLEWARE
from tests.herdcache.views import RENDERS

pytestmark = pytest.mark.django_db


@pytest.fixture
def edge(settings, memcached_server):
    settings.CACHES = {
        "default": {
            "BACKEND": "herdcache.backends.PyMemcacheCache",
            "LOCATION": memcached_server.address,
        }
    }
    settings.HERDCACHE = {
        "STATS_FLUSH_INTERVAL": 0,
        "EDGE": True,
        "EDGE_TRUSTED_PROXIES": ["127.0.0.1"],
        "REMEMBER_ALL_URLS": True,
    }
    caches["default"].clear()
    store.clients.reset()
    RENDERS.clear()
    raw = RawClient(("127.0.0.1", memcached_server.port))
    yield raw
    raw.close()
    store.clients.reset()


def edge_copy(raw: RawClient, host_and_uri: str) -> bytes | None:
    return raw.get(hashlib.md5(host_and_uri.encode()).hexdigest(), default=None)


def test_decorated_page_is_written_gzip_under_nginx_key(edge):
    response = Client().get("/plain/?x=1", HTTP_HOST="example.com")
    value = edge_copy(edge, "example.com/plain/?x=1")
    assert value is not None and gzip.decompress(value) == response.content


def test_per_site_middleware_writes_the_edge_too(edge, settings):
    settings.MIDDLEWARE = SITE_MIDDLEWARE
    response = Client().get("/site/", HTTP_HOST="example.com")
    value = edge_copy(edge, "example.com/site/")
    assert value is not None and gzip.decompress(value) == response.content


def test_per_visitor_and_uncacheable_pages_never_reach_the_edge(edge):
    Client().get("/cookie/", HTTP_HOST="example.com")  # Set-Cookie
    Client().get(
        "/vary/", HTTP_HOST="example.com", HTTP_ACCEPT_LANGUAGE="fr"
    )  # Vary: Accept-Language
    Client().get("/prefixed/?v=a", HTTP_HOST="example.com")  # per-request key_prefix callable
    for path in ("/cookie/", "/vary/", "/prefixed/?v=a"):
        assert edge_copy(edge, f"example.com{path}") is None, path


def test_fallback_from_nginx_refills_a_missing_edge_copy_from_the_fresh_origin(edge):
    Client().get("/plain/", HTTP_HOST="example.com")
    key = hashlib.md5(b"example.com/plain/").hexdigest()
    edge.delete(key)  # as if the edge copy had been evicted
    Client().get(
        "/plain/", HTTP_HOST="example.com", HTTP_X_HERDCACHE_KEY=key, REMOTE_ADDR="127.0.0.1"
    )
    assert RENDERS["plain"] == 1  # answered from the origin entry
    assert edge.get(key) is not None


def test_untrusted_key_headers_refill_nothing(edge):
    Client().get("/plain/", HTTP_HOST="example.com")
    victim = hashlib.md5(b"example.com/other/").hexdigest()
    Client().get(
        "/plain/", HTTP_HOST="example.com", HTTP_X_HERDCACHE_KEY=victim, REMOTE_ADDR="192.0.2.1"
    )
    assert edge.get(victim) is None


def test_a_stale_answer_during_a_refresh_goes_back_on_the_edge_briefly(edge):
    import herdcache
    from herdcache.cache_adapter import CacheAdapter
    from herdcache.keys import page_key

    Client().get("/plain/", HTTP_HOST="example.com")
    key = hashlib.md5(b"example.com/plain/").hexdigest()
    herdcache.purge(urls=["/plain/"], soft=True)
    assert edge.get(key) is None
    CacheAdapter("default").lock(page_key("http://example.com/plain/", ""), 30)  # a refresh runs
    stale = Client().get(
        "/plain/", HTTP_HOST="example.com", HTTP_X_HERDCACHE_KEY=key, REMOTE_ADDR="127.0.0.1"
    )
    assert RENDERS["plain"] == 1  # answered with the stale copy
    assert gzip.decompress(edge.get(key)) == stale.content


def test_pages_in_a_language_or_zone_chosen_per_request_never_reach_the_edge(edge, settings):
    """nginx keys by host and URI: a page rendered in Spanish or New York time can't go there."""
    from django.utils import timezone, translation

    settings.USE_I18N = True
    settings.LANGUAGES = [("en", "English"), ("es", "Spanish")]
    settings.MIDDLEWARE = [
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.locale.LocaleMiddleware",
    ]
    Client().get("/localized/", HTTP_HOST="example.com", HTTP_ACCEPT_LANGUAGE="es")
    Client().get("/localized/?en", HTTP_HOST="example.com", HTTP_ACCEPT_LANGUAGE="en")
    settings.MIDDLEWARE = []
    translation.deactivate()  # LocaleMiddleware leaves its choice active in the thread
    with timezone.override("America/New_York"):
        Client().get("/localized/?ny", HTTP_HOST="example.com")
    Client().get("/localized/?default", HTTP_HOST="example.com")
    assert RENDERS["localized"] == 4
    for uri in ("/localized/", "/localized/?en", "/localized/?ny"):
        assert edge_copy(edge, f"example.com{uri}") is None, uri
    assert edge_copy(edge, "example.com/localized/?default") is not None
