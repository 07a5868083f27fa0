"""Remembered URLs, find_urls and purge (by URL, wildcard, prefix, tag; soft and hard)."""

from __future__ import annotations

import pytest
from django.core.cache import caches
from django.test import Client

import herdcache
from herdcache.models import CachedURL
from tests.herdcache.views import RENDERS

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _reset_renders():
    RENDERS.clear()


def visit(*paths: str) -> None:
    for path in paths:
        assert Client().get(path).status_code == 200


def test_remembered_urls_are_found_with_their_stats(backend):
    visit("/p/1/", "/p/1/", "/p/1/", "/p/2/")
    found = {url: stats for url, _key, stats in herdcache.find_urls()}
    assert set(found) == {"http://testserver/p/1/", "http://testserver/p/2/"}
    assert found["http://testserver/p/1/"]["hit"] == 2
    assert found["http://testserver/p/1/"]["miss"] == 1
    assert found["http://testserver/p/2/"]["miss"] == 1


def test_every_variant_of_a_url_is_remembered(backend):
    visit("/p/1/", "/p/1/?utm=a", "/p/1/?utm=b")
    urls = sorted(url for url, _, _ in herdcache.find_urls(["/p/1/"]))
    assert urls == [
        "http://testserver/p/1/",
        "http://testserver/p/1/?utm=a",
        "http://testserver/p/1/?utm=b",
    ]
    assert [url for url, _, _ in herdcache.find_urls(["/p/1/?utm=a"])] == [
        "http://testserver/p/1/?utm=a"
    ]


def test_wildcards(backend):
    visit("/p/1/", "/p/12/", "/p/2/")
    assert sorted(url for url, _, _ in herdcache.find_urls(["/p/1*"])) == [
        "http://testserver/p/1/",
        "http://testserver/p/12/",
    ]
    assert len(list(herdcache.find_urls(["http://testserver/p/*"]))) == 3
    assert list(herdcache.find_urls(["http://other/p/*"])) == []


def test_find_urls_with_purge_purges_entries_and_their_stats(backend):
    visit("/p/1/", "/p/1/", "/p/2/")
    purged = list(herdcache.find_urls(["/p/1/"], purge=True))
    assert len(purged) == 1
    visit("/p/1/", "/p/2/")
    assert RENDERS["post"] == 3  # /p/1/ re-rendered, /p/2/ still cached
    (stats,) = [s for url, _, s in herdcache.find_urls(["/p/1/"])]
    assert stats["hit"] == 0 and stats["miss"] == 1  # old counts went with the purge


def test_hard_purge_by_url(backend):
    visit("/p/1/", "/p/2/")
    assert herdcache.purge(urls=["/p/1/"]) == 1
    assert not CachedURL.objects.filter(path="/p/1/").exists()
    visit("/p/1/", "/p/2/")
    assert RENDERS["post"] == 3


def test_soft_purge_keeps_the_entry_and_one_request_refreshes(backend):
    visit("/p/1/")
    assert herdcache.purge(urls=["/p/1/"], soft=True) == 1
    assert CachedURL.objects.filter(path="/p/1/").exists()
    visit("/p/1/", "/p/1/", "/p/1/")
    assert RENDERS["post"] == 2  # exactly one refresh
    assert herdcache.get_stats()["refresh"] == 1


def test_purge_by_prefix(backend):
    visit("/p/1/", "/p/2/", "/plain/")
    herdcache.purge(prefix="/p/")
    visit("/p/1/", "/p/2/")
    assert RENDERS["post"] == 4
    visit("/plain/")
    assert RENDERS["plain"] == 1


def test_purge_by_tag_reaches_unremembered_pages_too(backend):
    visit("/p/1/", "/p/2/", "/slow/?s=0")
    herdcache.purge(tags=["posts", "herd"])
    visit("/p/1/", "/p/2/", "/slow/?s=0")
    assert RENDERS["post"] == 4
    assert RENDERS["slow"] == 2  # not remembered, purged by its tag all the same


def test_unknown_urls_purge_nothing(backend):
    visit("/p/1/")
    assert herdcache.purge(urls=["/nope/", "/p/9*"]) == 0
    visit("/p/1/")
    assert RENDERS["post"] == 1


def test_remembering_survives_a_missing_table(backend, monkeypatch):
    """If the registry cannot write (e.g. migrations not run), pages still cache and serve."""
    from django.db import DatabaseError

    def broken(*args, **kwargs):
        raise DatabaseError("no such table: herdcache_cachedurl")

    monkeypatch.setattr(CachedURL.objects, "bulk_create", broken)
    visit("/p/1/", "/p/1/")
    assert RENDERS["post"] == 1


def test_a_page_cached_again_after_a_purge_is_remembered_again(backend):
    """Another process's purge forgets the row; re-caching must remember it, or the next
    purge would find nothing and the page would outlive it (a per-process memo did that)."""
    visit("/p/1/")
    CachedURL.objects.all().delete()  # what a purge in another process leaves behind here
    caches["default"].clear()
    visit("/p/1/")
    assert herdcache.purge(urls=["/p/1/"]) == 1
    visit("/p/1/")
    assert RENDERS["post"] == 3
