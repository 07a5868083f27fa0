"""Freshness headers (Age, max-age, Expires, RFC 5861) and Cache-Status on pages herdcache serves.

A fake clock drives herdcache's (and Django's ``patch_response_headers``') notion of now; the
entries live in real locmem, memcached and Redis caches.
"""

from __future__ import annotations

import time
import types

import django.utils.cache
import pytest
from django.core.cache import caches
from django.http import HttpResponse
from django.test import Client
from django.utils.http import http_date
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import herdcache
from herdcache import cache_adapter, freshness, pages, purging, stampede
from herdcache.cache_adapter import CacheAdapter
from herdcache.stampede import Entry, Outcome
from tests.herdcache.views import RENDERS

pytestmark = pytest.mark.django_db

SITE_MIDDLEWARE = [
    "herdcache.middleware.UpdateCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "herdcache.middleware.FetchFromCacheMiddleware",
]


class FakeClock(types.SimpleNamespace):
    """Stands in for the ``time`` module: ``time()`` is ours, everything else is real."""

    def __init__(self, now: float) -> None:
        super().__init__(now=now, monotonic=time.monotonic, sleep=time.sleep)

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch) -> FakeClock:
    fake = FakeClock(float(int(time.time())))
    for module in (stampede, cache_adapter, pages, purging, django.utils.cache):
        monkeypatch.setattr(module, "time", fake)
    return fake


@pytest.fixture(autouse=True)
def _settings(settings):
    # XFetch off: a hit near expiry must not turn into an early refresh by chance.
    settings.HERDCACHE = {"STATS_FLUSH_INTERVAL": 0, "XFETCH_BETA": 0}
    RENDERS.clear()


@pytest.fixture
def cache_status(settings):
    settings.HERDCACHE = {**settings.HERDCACHE, "CACHE_STATUS": True}


@pytest.fixture
def renderer_elsewhere(monkeypatch):
    """Another process holds every refresh lock: this one serves what it finds."""
    monkeypatch.setattr(CacheAdapter, "lock", lambda self, key, ttl: None)


def directives(response) -> set[str]:
    return {part.strip() for part in response["Cache-Control"].split(",")}


# -- Age, max-age and Expires ---------------------------------------------------------------------


def test_a_miss_keeps_what_the_view_sent(backend, clock):
    miss = Client().get("/plain/")
    assert "Age" not in miss
    assert directives(miss) == {"max-age=60"}
    assert miss["Expires"] == http_date(clock.now + 60)


def test_a_hit_says_how_old_it_is_and_when_its_freshness_ends(backend, clock):
    rendered = clock.now
    Client().get("/plain/")
    clock.advance(25.7)
    hit = Client().get("/plain/")
    assert RENDERS["plain"] == 1
    assert hit["Age"] == "25"
    # max-age stays the lifetime: a downstream cache has max-age - Age = 35 s left (RFC 9111).
    assert directives(hit) == {"max-age=60"}
    assert hit["Expires"] == http_date(rendered + 60)


def test_a_stale_copy_says_stale_and_for_how_long(backend, clock, renderer_elsewhere):
    Client().get("/slow/?s=0")  # timeout 60, stale 600
    clock.advance(70)
    stale = Client().get("/slow/?s=0")
    assert RENDERS["slow"] == 1
    assert stale["Age"] == "70"
    left = 60 + 600 - 70
    assert directives(stale) == {
        "max-age=0",
        f"stale-while-revalidate={left}",
        f"stale-if-error={left}",
    }
    assert stale["Expires"] == http_date(clock.now)


def test_serving_stale_does_not_change_the_stored_copy(backend, clock, monkeypatch):
    Client().get("/slow/?s=0")
    clock.advance(70)
    with monkeypatch.context() as patched:
        patched.setattr(CacheAdapter, "lock", lambda self, key, ttl: None)
        Client().get("/slow/?s=0")
    refreshed = Client().get("/slow/?s=0")  # this one wins the lock and re-renders
    assert RENDERS["slow"] == 2
    assert "Age" not in refreshed and directives(refreshed) == {"max-age=60"}
    clock.advance(5)
    hit = Client().get("/slow/?s=0")
    assert (hit["Age"], directives(hit)) == ("5", {"max-age=60"})


def test_a_soft_purged_page_is_stale_at_once(backend, clock, renderer_elsewhere, cache_status):
    Client().get("/p/1/")  # tags=["posts"], timeout 60, stale 600
    clock.advance(10)
    herdcache.purge(tags=["posts"], soft=True)
    stale = Client().get("/p/1/")
    assert stale["Age"] == "10"
    assert "max-age=0" in directives(stale)
    assert stale["Cache-Status"] == "herdcache; hit; ttl=0; detail=purged"


def test_async_views_get_age_too(backend, clock):
    Client().get("/async/")
    clock.advance(3)
    assert Client().get("/async/")["Age"] == "3"


def test_per_site_middleware_hits_carry_age_and_store_no_per_response_headers(
    backend, clock, settings, cache_status
):
    settings.MIDDLEWARE = SITE_MIDDLEWARE
    settings.HERDCACHE = {**settings.HERDCACHE, "MIDDLEWARE_SECONDS": 30}
    miss = Client().get("/site/")
    assert miss["Cache-Status"] == "herdcache; fwd=miss; stored"
    clock.advance(12)
    hit = Client().get("/site/")
    assert RENDERS["undecorated"] == 1
    assert hit["Age"] == "12"
    assert hit["Cache-Status"] == "herdcache; hit; ttl=18"  # not the miss's, stored with it


def test_a_page_already_aged_by_an_inner_cache_keeps_its_age(backend, clock, settings):
    Client().get("/plain/")  # cache_page(60) fills its entry
    settings.MIDDLEWARE = SITE_MIDDLEWARE
    clock.advance(20)
    Client().get("/plain/")  # the middleware stores the decorator's hit (Age 20)
    clock.advance(5)
    assert Client().get("/plain/")["Age"] == "25"


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(elapsed=st.floats(0, 659.9))
def test_downstream_caches_see_the_freshness_herdcache_sees(clock, monkeypatch, elapsed):
    """For any moment in an entry's life (locmem), what a downstream cache computes from the
    headers (RFC 9111 §4.2) agrees with herdcache's own fresh/stale decision."""
    caches["default"].clear()
    rendered = clock.now
    Client().get("/slow/?s=0")  # timeout 60, stale 600
    clock.now = rendered + elapsed
    with monkeypatch.context() as patched:
        patched.setattr(CacheAdapter, "lock", lambda self, key, ttl: None)
        served = Client().get("/slow/?s=0")
    cc = dict(part.split("=") for part in directives(served))
    remaining = int(cc["max-age"]) - int(served["Age"])  # freshness left, for a downstream cache
    if elapsed < 60:  # herdcache: fresh
        assert 0 <= remaining - (60 - elapsed) < 1  # whole seconds, never less than herdcache
        assert served["Expires"] == http_date(rendered + 60)
    else:  # herdcache: stale, usable until the end of its stale window
        assert remaining <= 0
        assert int(cc["stale-while-revalidate"]) == int(rendered + 660 - clock.now)
        assert served["Expires"] == http_date(clock.now)


# -- Cache-Status ---------------------------------------------------------------------------------


def test_cache_status_is_off_by_default(backend, clock):
    assert "Cache-Status" not in Client().get("/plain/")
    assert "Cache-Status" not in Client().get("/plain/")


def test_cache_status_of_misses_hits_and_refreshes(backend, clock, cache_status):
    assert Client().get("/slow/?s=0")["Cache-Status"] == "herdcache; fwd=miss; stored"
    clock.advance(45)
    assert Client().get("/slow/?s=0")["Cache-Status"] == "herdcache; hit; ttl=15"
    clock.advance(25)  # 10 s past freshness
    refresh = Client().get("/slow/?s=0")
    assert refresh["Cache-Status"] == "herdcache; fwd=stale; ttl=-10; stored"


def test_cache_status_of_a_miss_on_another_variant(backend, clock, cache_status):
    Client().get("/vary/", HTTP_ACCEPT_LANGUAGE="en")
    fr = Client().get("/vary/", HTTP_ACCEPT_LANGUAGE="fr")
    assert fr["Cache-Status"] == "herdcache; fwd=vary-miss; stored"
    assert (
        Client()
        .get("/vary/", HTTP_ACCEPT_LANGUAGE="fr")["Cache-Status"]
        .startswith("herdcache; hit; ")
    )


def test_cache_status_of_a_stale_copy(backend, clock, cache_status, renderer_elsewhere):
    Client().get("/slow/?s=0")
    clock.advance(70)
    assert Client().get("/slow/?s=0")["Cache-Status"] == "herdcache; hit; ttl=-10"


def test_cache_status_names_the_xfetch_early_refresh(backend, clock, settings, monkeypatch):
    settings.HERDCACHE = {"STATS_FLUSH_INTERVAL": 0, "CACHE_STATUS": True, "XFETCH_BETA": 1e12}
    Client().get("/plain/")
    clock.advance(30)
    # The draw that makes -log(1 - u) as large as it gets: XFetch refreshes this request early.
    monkeypatch.setattr(stampede, "random", types.SimpleNamespace(random=lambda: 1 - 1e-12))
    early = Client().get("/plain/")
    assert RENDERS["plain"] == 2
    assert early["Cache-Status"] == "herdcache; fwd=miss; stored; detail=early-refresh"
    assert "Age" not in early


def test_cache_status_of_responses_that_are_not_stored(backend, clock, cache_status):
    assert Client().get("/cookie/")["Cache-Status"] == "herdcache; fwd=miss; detail=uncacheable"
    assert Client().head("/plain/")["Cache-Status"] == "herdcache; fwd=miss"  # HEAD: never stored
    assert Client().post("/plain/")["Cache-Status"] == "herdcache; fwd=method"
    bearer = Client().get("/plain/", HTTP_AUTHORIZATION="Bearer x")
    assert bearer["Cache-Status"] == "herdcache; fwd=bypass"


def test_cache_status_of_the_per_site_middleware_bypass(backend, settings, cache_status):
    settings.MIDDLEWARE = SITE_MIDDLEWARE
    assert Client().post("/site/")["Cache-Status"] == "herdcache; fwd=method"


# -- the pure parts -------------------------------------------------------------------------------


def _entry(fresh_until: float, expires_at: float = 2000.0) -> Entry:
    return Entry(value=None, fresh_until=fresh_until, delta=0.1, gens={}, expires_at=expires_at)


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        (Outcome(None, "hit", from_cache=True, entry=_entry(1042.5)), "herdcache; hit; ttl=42"),
        (Outcome(None, "stale", from_cache=True, entry=_entry(990)), "herdcache; hit; ttl=-10"),
        (
            Outcome(None, "stale", from_cache=True, entry=_entry(0.0)),
            "herdcache; hit; ttl=0; detail=purged",
        ),
        (
            Outcome(None, "lock_wait", from_cache=True, entry=_entry(1060)),
            "herdcache; fwd=miss; collapsed",
        ),
        (
            Outcome(None, "hit", from_cache=True, entry=_entry(1005), early=True),
            "herdcache; hit; ttl=5; detail=early-refresh",
        ),
        (Outcome(None, "miss", stored=True), "herdcache; fwd=miss; stored"),
        (Outcome(None, "miss", ("oversize",)), "herdcache; fwd=miss; detail=oversize"),
        (Outcome(None, "error"), "herdcache; fwd=miss; detail=cache-unavailable"),
        (
            Outcome(None, "refresh", stored=True, entry=_entry(970)),
            "herdcache; fwd=stale; ttl=-30; stored",
        ),
    ],
)
def test_status_values(outcome, expected):
    assert freshness.status(outcome, now=1000.0) == expected


def test_mark_stale_keeps_other_directives_and_zeroes_s_maxage():
    response = HttpResponse()
    response["Cache-Control"] = "public, max-age=60, s-maxage=120"
    freshness.mark_stale(response, rendered_at=900.0, now=1000.4, stale_for=30.9)
    assert response["Age"] == "100"
    assert directives(response) == {
        "public",
        "max-age=0",
        "s-maxage=0",
        "stale-while-revalidate=30",
        "stale-if-error=30",
    }
    assert response["Expires"] == http_date(1000.4)


def test_age_is_never_negative_and_a_bad_upstream_age_counts_as_none():
    assert freshness.age(rendered_at=1001.0, now=1000.0) == 0
    response = HttpResponse()
    response["Age"] = "soon"
    assert freshness.header_age(response) == 0


def test_status_entries_append_in_order():
    response = HttpResponse()
    freshness.add_status(response, "herdcache; hit")
    freshness.add_status(response, "cdn; fwd=miss")
    assert response["Cache-Status"] == "herdcache; hit, cdn; fwd=miss"
