"""Stats page (HTML, JSON) and Prometheus metrics: who may see them, what they show, outages."""

from __future__ import annotations

import re

import pytest
from django.core.cache import caches
from django.test import Client

from herdcache import views
from herdcache.stats import EVENTS, URL_EVENTS
from tests.fixtures.servers import free_port
from tests.herdcache.views import RENDERS

pytestmark = pytest.mark.django_db

STATS = "/herdcache/stats/"
METRICS = "/herdcache/metrics"
SAMPLE = re.compile(r"^herdcache_[a-z_]+(\{[^}]*\})? \d+$")
TOKEN = "s3cret-token"


@pytest.fixture(autouse=True)
def _reset_renders() -> None:
    """No renders counted, no entries or counters left by earlier tests in the default cache."""
    RENDERS.clear()
    caches["default"].clear()


@pytest.fixture
def staff(django_user_model) -> Client:
    client = Client()
    client.force_login(django_user_model.objects.create_user("staff", is_staff=True))
    return client


@pytest.fixture
def member(django_user_model) -> Client:
    client = Client()
    client.force_login(django_user_model.objects.create_user("member"))
    return client


@pytest.fixture
def token(settings) -> str:
    settings.HERDCACHE = {**settings.HERDCACHE, "METRICS_TOKEN": TOKEN}
    return TOKEN


def browse() -> None:
    """/p/1/: one miss, two hits; /p/2/: one miss (both remembered with per-URL stats)."""
    visitor = Client()
    for path in ("/p/1/", "/p/1/", "/p/1/", "/p/2/"):
        assert visitor.get(path).status_code == 200
    assert RENDERS["post"] == 2


def expected_global(**counts: int) -> dict[str, int]:
    return {**dict.fromkeys(EVENTS, 0), **counts}


def samples(body: str) -> dict[str, int]:
    """Parse an exposition body strictly: every sample line must match ``SAMPLE``."""
    found = {}
    for line in body.splitlines():
        if line.startswith("#"):
            continue
        assert SAMPLE.match(line), line
        name, value = line.rsplit(" ", 1)
        found[name] = int(value)
    return found


def assert_never_cached(response) -> None:
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


# stats page -------------------------------------------------------------------------------


def test_staff_sees_counters_ratio_chart_and_urls(backend, staff):
    browse()
    response = staff.get(STATS)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert_never_cached(response)
    html = response.content.decode()
    for event in EVENTS:
        assert f'id="count-{event}"' in html
    assert 'id="count-hit">2<' in html and 'id="count-miss">2<' in html
    assert 'id="hit-ratio">50.0%<' in html
    assert '<svg id="chart"' in html
    assert html.count("<rect") >= len(EVENTS)
    assert "http://testserver/p/1/" in html and "http://testserver/p/2/" in html
    assert html.index("http://testserver/p/1/") < html.index("http://testserver/p/2/")


def test_json_shape_and_counts(backend, staff):
    browse()
    response = staff.get(STATS, {"format": "json"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert_never_cached(response)
    data = response.json()
    assert data["global"] == expected_global(hit=2, miss=2)
    assert data["hit_ratio"] == 0.5
    assert [row["url"] for row in data["urls"]] == [
        "http://testserver/p/1/",
        "http://testserver/p/2/",
    ]
    first, second = data["urls"]
    assert first["stats"] == {**dict.fromkeys(URL_EVENTS, 0), "hit": 2, "miss": 1}
    assert second["stats"] == {**dict.fromkeys(URL_EVENTS, 0), "miss": 1}
    assert first["key"] != second["key"] and all(row["key"] for row in data["urls"])
    assert (data["page"], data["pages"], data["total_urls"]) == (1, 1, 2)


def test_accept_header_selects_json_and_format_overrides_it(staff):
    as_json = staff.get(STATS, HTTP_ACCEPT="application/json")
    assert as_json["Content-Type"] == "application/json"
    assert set(as_json.json()) >= {"global", "urls"}
    forced_html = staff.get(STATS, {"format": "html"}, HTTP_ACCEPT="application/json")
    assert forced_html["Content-Type"].startswith("text/html")


def test_url_pattern_filters_and_pages_split_the_table(staff, monkeypatch):
    browse()
    only_two = staff.get(STATS, {"format": "json", "url": "/p/2*"}).json()
    assert [row["url"] for row in only_two["urls"]] == ["http://testserver/p/2/"]
    monkeypatch.setattr(views, "PAGE_SIZE", 1)
    second_page = staff.get(STATS, {"format": "json", "page": 2}).json()
    assert [row["url"] for row in second_page["urls"]] == ["http://testserver/p/2/"]
    assert (second_page["page"], second_page["pages"]) == (2, 2)
    html = staff.get(STATS, {"page": 1}).content.decode()
    assert "page 1 of 2" in html and "page=2" in html


def test_empty_stats_page_explains_how_to_remember_urls(staff):
    response = staff.get(STATS)
    assert response.status_code == 200
    html = response.content.decode()
    assert "No remembered URLs" in html
    assert 'id="hit-ratio">n/a<' in html


@pytest.mark.parametrize("who", ["anonymous", "member"])
@pytest.mark.parametrize("as_json", [False, True])
def test_non_staff_get_403_with_a_message(request, who, as_json):
    client = Client() if who == "anonymous" else request.getfixturevalue("member")
    response = client.get(STATS, {"format": "json"} if as_json else {})
    assert response.status_code == 403
    assert_never_cached(response)
    if as_json:
        assert response.json() == {"error": views.STAFF_ONLY}
    else:
        assert "staff" in response.content.decode()


def test_inactive_staff_gets_403(django_user_model):
    client = Client()
    user = django_user_model.objects.create_user("gone", is_staff=True)
    client.force_login(user)
    user.is_active = False
    user.save()
    assert client.get(STATS).status_code == 403


# metrics ----------------------------------------------------------------------------------


def test_metrics_with_token_in_exposition_format(backend, token):
    browse()
    response = Client().get(METRICS, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert_never_cached(response)
    body = response.content.decode()
    assert body.endswith("\n")
    assert "# TYPE herdcache_events_total counter" in body
    assert "# HELP herdcache_events_total " in body
    assert samples(body) == {
        f'herdcache_events_total{{event="{event}"}}': count
        for event, count in expected_global(hit=2, miss=2).items()
    }


def test_metrics_bearer_scheme_is_case_insensitive(token):
    assert Client().get(METRICS, HTTP_AUTHORIZATION=f"bearer {token}").status_code == 200


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong", f"Bearer {TOKEN}x", f"Basic {TOKEN}", TOKEN, "Bearer", "Bearer ñ"],
)
def test_metrics_without_the_right_token_is_403(token, authorization):
    extra = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}
    response = Client().get(METRICS, **extra)
    assert response.status_code == 403
    assert "METRICS_TOKEN" in response.content.decode()
    assert_never_cached(response)


def test_metrics_empty_token_setting_never_matches_an_empty_bearer():
    assert Client().get(METRICS, HTTP_AUTHORIZATION="Bearer ").status_code == 403
    assert Client().get(METRICS, HTTP_AUTHORIZATION="Bearer").status_code == 403


def test_metrics_for_staff_session_without_token(staff, member):
    response = staff.get(METRICS)
    assert response.status_code == 200
    assert len(samples(response.content.decode())) == len(EVENTS)
    assert member.get(METRICS).status_code == 403


# cache outage -----------------------------------------------------------------------------

DEAD_CACHES = {
    "memcached": lambda port: {
        "BACKEND": "herdcache.backends.PyMemcacheCache",
        "LOCATION": f"127.0.0.1:{port}",
    },
    "redis": lambda port: {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": f"redis://127.0.0.1:{port}/0",
    },
}


@pytest.mark.parametrize("kind", sorted(DEAD_CACHES))
def test_cache_down_degrades_to_zeros_not_5xx(settings, staff, token, kind):
    browse()  # remembered URLs exist (locmem), then the cache server "goes away"
    settings.CACHES = {"default": DEAD_CACHES[kind](free_port())}
    data = staff.get(STATS, {"format": "json"}).json()
    assert data["global"] == expected_global()
    assert [row["stats"] for row in data["urls"]] == [dict.fromkeys(URL_EVENTS, 0)] * 2
    assert staff.get(STATS).status_code == 200
    metrics = Client().get(METRICS, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert metrics.status_code == 200
    assert set(samples(metrics.content.decode()).values()) == {0}


def test_recent_purges_with_reason_user_matches_and_failed_tiers(backend, staff):
    import herdcache
    from herdcache import purgelog

    staff.get("/p/1/"), staff.get("/p/2/")
    herdcache.purge(urls=["/p/*"], reason="admin", user="editor")
    herdcache.purge(tags=["posts"], soft=True, reason="tracked")
    first = purgelog.recent(2)[-1]
    purgelog.record_tier(first.pk, "varnish:10.0.0.7", False, "connection refused")
    page = staff.get(STATS).content.decode()
    table = page[page.index('id="purges"') :]
    rows = table.split("<tr id=")[1:]
    assert '>tracked <span class="muted">(soft)</span>' in rows[0] and "tags: posts" in rows[0]
    assert '<td data-label="matched" class="num">tagged</td>' in rows[0]
    assert ">admin<" in rows[1] and ">editor<" in rows[1] and "urls: /p/*" in rows[1]
    assert "<li>http://testserver/p/1/</li>" in rows[1]
    assert "varnish:10.0.0.7: connection refused" in rows[1]
    assert '<td data-label="failures" class="num fail">1</td>' in rows[1]
    purges = staff.get(STATS, {"format": "json"}).json()["purges"]
    assert [(p["reason"], p["matched"], p["failures"]) for p in purges] == [
        ("tracked", 0, 0),  # the first purge forgot the rows it purged
        ("admin", 2, 1),
    ]


def test_an_unreadable_purge_log_is_explained_not_a_500(staff, monkeypatch):
    from django.db import DatabaseError

    from herdcache import purgelog

    def broken(limit):
        raise DatabaseError("no such table: herdcache_purgelog")

    monkeypatch.setattr(purgelog, "recent", broken)
    response = staff.get(STATS)
    assert response.status_code == 200
    assert b"The purge log is unavailable (no such table: herdcache_purgelog)" in response.content
