"""The per-site middleware tracks too (HERDCACHE["TRACK"]): a committed write purges the pages
that read its rows, and only those; the tracked tags go out in the surrogate-key header."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import caches
from django.test import Client

from herdcache import tracking
from herdcache.drivers import refresher
from tests.herdcache.trackapp import site_urls
from tests.herdcache.trackapp.models import Item

pytestmark = pytest.mark.django_db(transaction=True)

SITE_MIDDLEWARE = [
    "herdcache.middleware.UpdateCacheMiddleware",
    "django.middleware.common.CommonMiddleware",
    "herdcache.middleware.FetchFromCacheMiddleware",
]


@pytest.fixture(autouse=True)
def site(settings, monkeypatch) -> Iterator[None]:
    settings.MIDDLEWARE = SITE_MIDDLEWARE
    settings.ROOT_URLCONF = "tests.herdcache.trackapp.site_urls"
    settings.HERDCACHE = {
        "STATS_FLUSH_INTERVAL": 0,
        "XFETCH_BETA": 0,
        "MIDDLEWARE_SECONDS": 300,
        "TRACK": True,
        "TRACK_PURGE": "hard",
        "SURROGATE_HEADER": "xkey",
    }
    monkeypatch.setattr(tracking, "declared", False)
    caches["default"].clear()
    site_urls.RENDERS.clear()
    yield
    refresher.wait()
    caches["default"].clear()


def get(path: str):
    response = Client().get(path)
    assert response.status_code == 200
    return response


def test_the_site_middleware_purges_a_page_when_a_row_it_read_changes() -> None:
    first = Item.objects.create(name="one", price=1)
    second = Item.objects.create(name="two", price=2)
    miss, hit = get(f"/item/{first.pk}/"), get(f"/item/{first.pk}/")
    assert miss.content == hit.content == b"one:1"
    for response in (miss, hit):  # the rows it read, whether rendered now or served cached
        assert f"r:trackapp.Item:{first.pk}" in response["xkey"].split()
    get(f"/item/{second.pk}/")

    Item.objects.filter(pk=second.pk).update(price=22)  # another row: /item/<first>/ stays
    assert get(f"/item/{first.pk}/").content == b"one:1"
    assert site_urls.RENDERS[f"item:{first.pk}"] == 1

    Item.objects.filter(pk=first.pk).update(price=11)
    assert get(f"/item/{first.pk}/").content == b"one:11"
    assert get(f"/item/{first.pk}/").content == b"one:11"
    assert {f"item:{first.pk}": 2, f"item:{second.pk}": 1} == site_urls.RENDERS
    assert tracking.current() is None  # the request's recorder ended with it


@pytest.mark.parametrize("view", ["item", "async"])
def test_under_asgi_the_site_middleware_tracks_sync_and_async_views(view) -> None:
    """Under ASGI the middleware halves run in sync_to_async threads and an async view queries
    in yet another: what the view reads still reaches the request's recorder (a context copied
    there and back), and the recorder ends with the request."""
    from asgiref.sync import async_to_sync
    from django.test import AsyncClient

    first = Item.objects.create(name="one", price=1)
    second = Item.objects.create(name="two", price=2)
    url = f"/{view}/{first.pk}/"

    async def fetch(path: str):
        response = await AsyncClient().get(path)
        assert response.status_code == 200
        return response

    get_async = async_to_sync(fetch)
    miss, hit = get_async(url), get_async(url)
    assert miss.content == hit.content == b"one:1"
    assert f"r:trackapp.Item:{first.pk}" in miss["xkey"].split()
    Item.objects.filter(pk=second.pk).update(price=22)
    assert get_async(url).content == b"one:1"
    Item.objects.filter(pk=first.pk).update(price=11)
    assert get_async(url).content == b"one:11"
    assert site_urls.RENDERS[f"{view}:{first.pk}"] == 2
    assert tracking.current() is None


def test_without_track_the_site_middleware_records_nothing(settings) -> None:
    settings.HERDCACHE = {**settings.HERDCACHE, "TRACK": False, "TRACK_WRITES": True}
    first = Item.objects.create(name="one", price=1)
    assert "xkey" not in get(f"/item/{first.pk}/")
    Item.objects.filter(pk=first.pk).update(price=11)
    assert get(f"/item/{first.pk}/").content == b"one:1"  # untracked: until it expires


def test_a_fetch_half_without_its_update_half_leaves_no_recorder_behind() -> None:
    from django.http import HttpResponse
    from django.test import RequestFactory

    from herdcache.middleware import FetchFromCacheMiddleware

    fetch = FetchFromCacheMiddleware(lambda request: HttpResponse("x"))
    try:
        for path in ("/a/", "/b/", "/c/"):
            assert fetch.process_request(RequestFactory().get(path)) is None  # renders: tracked
        recorder = tracking.current()
        assert recorder is not None and recorder.parent is None  # the last one, not a chain
    finally:
        tracking.end(tracking.current())
    assert tracking.current() is None
