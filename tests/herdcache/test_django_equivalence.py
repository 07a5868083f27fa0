"""Property: herdcache never serves a body Django's own cache would not have served.

For random request sequences varying language (Accept-Language through LocaleMiddleware), time
zone (activated per request from a cookie), cookies, the view's ``Vary`` and the query string,
the same view is cached by herdcache and by Django (``cache_page`` decorators, then the per-site
middleware pairs). Every herdcache answer must be the view's fresh render for that request or
exactly what Django's cache answered: herdcache may cache less, never mix up pages.
"""

from __future__ import annotations

import zoneinfo

import pytest
from django.core.cache import caches
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import path
from django.utils import timezone, translation
from django.views.decorators.cache import cache_page as django_cache_page
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import herdcache

pytestmark = pytest.mark.django_db

VARIES = {
    "none": (),
    "cookie": ("Cookie",),
    "flavor": ("X-Flavor",),
    "both": ("Cookie", "X-Flavor"),
}


def page(request, vary: str) -> HttpResponse:
    """Shows only what its cache keys or its Vary cover: language, zone, query, varied headers."""
    names = VARIES[vary]
    shown = [
        translation.get_language(),
        timezone.get_current_timezone_name(),
        request.META.get("QUERY_STRING", ""),
        request.COOKIES.get("theme", "") if "Cookie" in names else "",
        request.headers.get("X-Flavor", "") if "X-Flavor" in names else "",
    ]
    response = HttpResponse("|".join(shown))
    if names:
        response["Vary"] = ", ".join(names)
    return response


class ZoneFromCookie:
    """The documented per-visitor time zone pattern: activate it, or deactivate for the rest."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        zone = request.COOKIES.get("tz")
        if zone:
            timezone.activate(zoneinfo.ZoneInfo(zone))
        else:
            timezone.deactivate()
        return self.get_response(request)


urlpatterns = [
    path("fresh/<str:vary>/", page),
    path("herd/<str:vary>/", herdcache.cache_page(3600)(page)),
    path("django/<str:vary>/", django_cache_page(3600, cache="django")(page)),
    path("site/<str:vary>/", page),
]

COMMON = ["django.middleware.locale.LocaleMiddleware", f"{__name__}.ZoneFromCookie"]
DECORATED = COMMON
HERD_SITE = ["herdcache.middleware.UpdateCacheMiddleware", *COMMON, "herdcache.middleware.FetchFromCacheMiddleware"]  # fmt: skip
DJANGO_SITE = ["django.middleware.cache.UpdateCacheMiddleware", *COMMON, "django.middleware.cache.FetchFromCacheMiddleware"]  # fmt: skip

requests = st.fixed_dictionaries(
    {
        "vary": st.sampled_from(sorted(VARIES)),
        "language": st.sampled_from(["", "en", "es", "es-ES,es;q=0.9", "fr"]),
        "zone": st.sampled_from(["", "Europe/Paris", "America/New_York"]),
        "theme": st.sampled_from(["", "dark", "light"]),
        "flavor": st.sampled_from(["", "a", "b"]),
        "query": st.sampled_from(["", "a=1", "a=2", "b=1&a=1"]),
    }
)


def get(prefix: str, middleware: list[str], request: dict[str, str]) -> bytes:
    cookies = "; ".join(
        f"{name}={request[key]}"
        for name, key in (("theme", "theme"), ("tz", "zone"))
        if request[key]
    )
    headers = {}
    if request["language"]:
        headers["HTTP_ACCEPT_LANGUAGE"] = request["language"]
    if cookies:
        headers["HTTP_COOKIE"] = cookies
    if request["flavor"]:
        headers["HTTP_X_FLAVOR"] = request["flavor"]
    url = f"/{prefix}/{request['vary']}/" + (f"?{request['query']}" if request["query"] else "")
    with override_settings(MIDDLEWARE=middleware):
        response = Client().get(url, **headers)
    assert response.status_code == 200
    return response.content


@pytest.fixture
def two_caches(settings, backend):
    settings.ROOT_URLCONF = __name__
    settings.USE_I18N = True
    settings.USE_TZ = True
    settings.LANGUAGE_CODE = "en"
    settings.LANGUAGES = [("en", "English"), ("es", "Spanish"), ("fr", "French")]
    settings.CACHES = {
        **settings.CACHES,
        "django": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "dj"},
    }
    settings.CACHE_MIDDLEWARE_ALIAS = "django"  # Django's per-site pair; herdcache's has HERDCACHE
    settings.HERDCACHE = {**settings.HERDCACHE, "CACHE": "default", "MIDDLEWARE_SECONDS": 3600}
    settings.CACHE_MIDDLEWARE_SECONDS = 3600
    yield
    translation.deactivate()
    timezone.deactivate()


def check(sequence: list[dict[str, str]], herd: tuple[str, list[str]], django: tuple[str, list[str]]) -> None:  # fmt: skip
    caches["default"].clear()
    caches["django"].clear()
    for request in sequence:
        fresh = get("fresh", DECORATED, request)
        ours = get(*herd, request)
        theirs = get(*django, request)
        assert ours in (fresh, theirs), (request, ours, fresh, theirs)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(requests, min_size=1, max_size=12))
def test_decorator_never_serves_what_djangos_cache_page_would_not(two_caches, sequence):
    check(sequence, ("herd", DECORATED), ("django", DECORATED))


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(requests, min_size=1, max_size=12))
def test_site_middleware_never_serves_what_djangos_would_not(two_caches, sequence):
    check(sequence, ("site", HERD_SITE), ("site", DJANGO_SITE))
