"""Where herdcache must behave as Django's cache does (issue 15): each a regression test.

CacheMiddleware's constructor and attributes, CACHE_MIDDLEWARE_* settings, cache_page(None) and
cache_page(0), freshness headers on 304 responses.
"""

from __future__ import annotations

import pytest
from django.core.cache import caches
from django.http import HttpResponse, HttpResponseNotModified
from django.test import Client, RequestFactory
from django.utils.decorators import decorator_from_middleware_with_args
from django.views.decorators.cache import cache_control
from django.views.decorators.http import etag

import herdcache
from herdcache.middleware import CacheMiddleware, FetchFromCacheMiddleware, UpdateCacheMiddleware
from tests.herdcache.test_middleware import SITE_MIDDLEWARE
from tests.herdcache.views import RENDERS

pytestmark = pytest.mark.django_db
rf = RequestFactory()


@pytest.fixture(autouse=True)
def two_caches(settings, backend):
    # "other" is apart from "default" whatever the backend (clearing memcached clears the server).
    other = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "other"}
    settings.CACHES = {**settings.CACHES, "other": other}
    caches["other"].clear()
    RENDERS.clear()
    yield
    caches["other"].clear()


def counted(name: str, **headers: str):
    def view(request):
        RENDERS[name] += 1
        return HttpResponse(f"{name} #{RENDERS[name]}", headers=headers)

    return view


def test_decorator_from_middleware_with_args_as_in_djangos_docs():
    cache_page_like = decorator_from_middleware_with_args(CacheMiddleware)
    view = cache_page_like(cache_timeout=30, key_prefix="docs")(counted("docs"))
    first, second = view(rf.get("/d/")), view(rf.get("/d/"))
    assert first.content == second.content == b"docs #1"
    assert "max-age=30" in second["Cache-Control"]
    other = cache_page_like(cache_timeout=30, key_prefix="elsewhere")(counted("docs"))
    assert other(rf.get("/d/")).content == b"docs #2"  # key_prefix separates entries


def test_constructor_arguments_and_attributes(settings):
    settings.CACHE_MIDDLEWARE_SECONDS = 45
    settings.CACHE_MIDDLEWARE_KEY_PREFIX = "mw"
    settings.CACHE_MIDDLEWARE_ALIAS = "other"
    plain = CacheMiddleware(counted("x"))
    assert (plain.cache_timeout, plain.key_prefix, plain.cache_alias) == (45, "mw", "other")
    assert plain.page_timeout is None and plain.cache is caches["other"]
    defaults = CacheMiddleware(counted("x"), cache_alias=None, key_prefix=None)
    assert (defaults.cache_alias, defaults.key_prefix, defaults.cache_timeout) == (
        "default",
        "",
        45,
    )
    custom = CacheMiddleware(counted("x"), cache_timeout=5, page_timeout=7, cache_alias="other")
    assert (custom.cache_timeout, custom.page_timeout, custom.cache_alias) == (5, 7, "other")
    for half in (UpdateCacheMiddleware(counted("x")), FetchFromCacheMiddleware(counted("x"))):
        assert (half.key_prefix, half.cache_alias) == ("mw", "other")


def test_page_timeout_beats_max_age():
    view = CacheMiddleware(cache_control(max_age=1)(counted("pt")), page_timeout=60)
    view(rf.get("/pt/")), view(rf.get("/pt/"))
    assert RENDERS["pt"] == 1


def test_cache_middleware_settings_are_honoured(settings):
    settings.MIDDLEWARE = SITE_MIDDLEWARE
    settings.CACHE_MIDDLEWARE_SECONDS = 45
    settings.CACHE_MIDDLEWARE_ALIAS = "other"
    settings.CACHE_MIDDLEWARE_KEY_PREFIX = "one"
    first = Client().get("/site/")
    assert "max-age=45" in first["Cache-Control"]
    caches["default"].clear()  # the page lives in "other": still a hit
    assert Client().get("/site/").content == first.content
    settings.CACHE_MIDDLEWARE_KEY_PREFIX = "two"
    assert Client().get("/site/").content != first.content
    assert RENDERS["undecorated"] == 2


def test_an_explicit_herdcache_setting_wins(settings):
    settings.MIDDLEWARE = SITE_MIDDLEWARE
    settings.CACHE_MIDDLEWARE_SECONDS = 45
    settings.HERDCACHE = {**settings.HERDCACHE, "MIDDLEWARE_SECONDS": 20}
    assert "max-age=20" in Client().get("/site/")["Cache-Control"]


def test_cache_page_zero_never_stores_and_marks_expired():
    view = herdcache.cache_page(0)(counted("zero"))
    first, second = view(rf.get("/z/")), view(rf.get("/z/"))
    assert (first.content, second.content) == (b"zero #1", b"zero #2")
    assert second["Cache-Control"] == "max-age=0" and "Expires" in second


def test_cache_page_none_takes_max_age_else_cache_middleware_seconds(settings):
    settings.CACHE_MIDDLEWARE_SECONDS = 33
    default = herdcache.cache_page(None)(counted("none"))
    assert "max-age=33" in default(rf.get("/n/"))["Cache-Control"]
    assert default(rf.get("/n/")).content == b"none #1"
    from_response = herdcache.cache_page(None)(cache_control(max_age=5)(counted("five")))
    from_response(rf.get("/f/")), from_response(rf.get("/f/"))
    assert RENDERS["five"] == 1
    never = herdcache.cache_page(None)(cache_control(max_age=0)(counted("never")))
    never(rf.get("/0/")), never(rf.get("/0/"))
    assert RENDERS["never"] == 2


@pytest.mark.parametrize("timeout", [-1, "60"])
def test_cache_page_rejects_bad_timeouts(timeout):
    with pytest.raises(ValueError, match="cache_page"):
        herdcache.cache_page(timeout)


def test_304_from_etag_gets_freshness_headers_and_is_not_stored():
    view = herdcache.cache_page(60)(etag(lambda request: '"v1"')(counted("etag")))
    response = view(rf.get("/e/", HTTP_IF_NONE_MATCH='"v1"'))
    assert response.status_code == 304
    assert "max-age=60" in response["Cache-Control"] and "Expires" in response
    assert view(rf.get("/e/")).status_code == 200  # the 304 was not stored


def test_304_from_a_view_under_the_site_middleware(settings):
    settings.MIDDLEWARE = SITE_MIDDLEWARE
    settings.CACHE_MIDDLEWARE_SECONDS = 40
    view = CacheMiddleware(lambda request: HttpResponseNotModified())
    response = view(rf.get("/nm/"))
    assert response.status_code == 304
    assert "max-age=40" in response["Cache-Control"] and "Expires" in response


def test_zero_cache_middleware_seconds_means_no_caching_not_an_error(settings):
    settings.MIDDLEWARE = SITE_MIDDLEWARE
    settings.CACHE_MIDDLEWARE_SECONDS = 0
    first, second = Client().get("/site/"), Client().get("/site/")
    assert first.status_code == second.status_code == 200
    assert RENDERS["undecorated"] == 2


def test_page_timeout_zero_marks_expired_as_djangos():
    view = CacheMiddleware(counted("pt0"), page_timeout=0)
    first, second = view(rf.get("/pt0/")), view(rf.get("/pt0/"))
    assert (first.content, second.content) == (b"pt0 #1", b"pt0 #2")
    assert second["Cache-Control"] == "max-age=0" and "Expires" in second


def test_304_from_conditional_get_middleware_on_a_miss(settings):
    """ConditionalGetMiddleware turns the fresh render into a 304 before the update half sees it."""
    from hashlib import md5

    settings.MIDDLEWARE = [
        SITE_MIDDLEWARE[0],
        "django.middleware.http.ConditionalGetMiddleware",
        *SITE_MIDDLEWARE[1:],
    ]
    settings.CACHE_MIDDLEWARE_SECONDS = 50
    body = b"undecorated #1 /site/?c"  # what the view will render (tests.herdcache.views)
    response = Client().get("/site/?c", HTTP_IF_NONE_MATCH=f'"{md5(body).hexdigest()}"')
    assert response.status_code == 304 and RENDERS["undecorated"] == 1
    assert "max-age=50" in response["Cache-Control"] and "Expires" in response
