"""fancy-cache's ``find_urls`` tests against ``herdcache.contrib.fancy`` on a real memcached.

Ported from django-fancy-cache 1.3.1 fancy_tests/tests/test_memory.py, Copyright (c) Peter
Bengtsson, BSD-3-Clause (see LICENSE-django-fancy-cache). Changed: unittest/nose to pytest; the
fixture caches the four pages through a view instead of writing fancy-cache's REMEMBERED_URLS
dict and the keys "key1".."key4" by hand (its storage format), so each test looks its page's key
up; "in the REMEMBERED_URLS dict" reads "found by find_urls". Tests of the zlib-compressed and
memcached check-and-set storage of that dict are skipped.
"""

import pytest
from django.core.cache import cache

from herdcache.contrib.fancy import find_urls
from herdcache.models import CachedURL
from tests.herdcache.conformance.fancy.conftest import STORAGE_FORMAT

pytestmark = pytest.mark.django_db


def remembered(url: str) -> bool:
    return any(found == url for found, _key, _stats in find_urls())


def test_find_all_urls(urls):
    found = list(find_urls([]))
    assert len(found) == 4
    for key, value in urls.items():
        pair = (key, value, None)
        assert pair in found


def test_find_and_purge_all_urls(urls):
    found = list(find_urls([], purge=True))
    assert len(found) == 4
    for key, value in urls.items():
        pair = (key, value, None)
        assert pair in found
    found = list(find_urls([]))
    assert len(found) == 0


@pytest.mark.skip(reason=STORAGE_FORMAT.format(what="FANCY_COMPRESS_REMEMBERED_URLS (zlib)"))
def test_find_and_purge_all_urls_with_zlib_compression():
    """fancy-cache stored its REMEMBERED_URLS dict zlib-compressed, then found and purged all."""


@pytest.mark.skip(reason=STORAGE_FORMAT.format(what="FANCY_COMPRESS_REMEMBERED_URLS (zlib)"))
def test_find_and_purge_all_urls_with_zlib_compression_first_time():
    """fancy-cache read an uncompressed dict after compression was switched on."""


def test_find_one_url(urls):
    found = list(find_urls(["/page1.html"]))
    assert len(found) == 1
    assert ("/page1.html", urls["/page1.html"], None) in found


def test_purge_one_url(urls):
    key1 = urls["/page1.html"]
    assert cache.get(key1)
    assert remembered("/page1.html")
    found = list(find_urls(["/page1.html"], purge=True))
    assert len(found) == 1
    assert ("/page1.html", key1, None) in found

    assert not cache.get(key1)
    assert not remembered("/page1.html")
    # find all the rest in there
    found = list(find_urls([]))
    assert len(found) == 3
    assert ("/page1.html", key1, None) not in found


def test_purge_one_expired_url(urls):
    """
    If a URL has expired from the cache it should still
    be deleted from remembered URLs when `find_urls` is called
    with `purge=True`.
    """
    key1 = urls["/page1.html"]
    cache.delete(key1)
    assert not cache.get(key1)
    assert CachedURL.objects.filter(full_path="/page1.html").exists()  # still remembered
    found = list(find_urls(["/page1.html"], purge=True))
    assert len(found) == 0
    assert not cache.get(key1)
    assert not CachedURL.objects.filter(full_path="/page1.html").exists()

    # find all the rest in there
    found = list(find_urls([]))
    assert len(found) == 3
    assert ("/page1.html", key1, None) not in found


def test_some_urls(urls):
    found = list(find_urls(["/page2.html*"]))
    assert len(found) == 1
    assert ("/page2.html", urls["/page2.html"], None) in found


def test_some_urls_double_star(urls):
    found = list(find_urls(["/page*.html?*"]))
    assert len(found) == 2
    assert ("/page3.html?foo=bar", urls["/page3.html?foo=bar"], None) in found
    assert ("/page3.html?foo=else", urls["/page3.html?foo=else"], None) in found


@pytest.mark.skip(
    reason=STORAGE_FORMAT.format(what="FANCY_USE_MEMCACHED_CHECK_AND_SET (CAS on the dict)")
)
def test_purge_one_url_with_memcached_check_and_set():
    """fancy-cache updated its REMEMBERED_URLS dict with memcached gets/cas; herdcache's table
    needs no CAS (test_purge_one_url above already runs on memcached)."""
