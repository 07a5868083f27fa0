"""Surrogate-key headers (herdcache.surrogate): vendor spelling, size limits, overflow buckets."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings
from hypothesis import given, settings
from hypothesis import strategies as st

from herdcache.surrogate import VENDORS, bucket, encode, header_value, purge_keys, vendor

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("xkey", "home t:blog.Post r:blog.Post:7"),
        ("Surrogate-Key", "home t:blog.Post r:blog.Post:7"),
        ("Cache-Tag", "home,t:blog.Post,r:blog.Post:7"),
    ],
)
def test_each_vendor_gets_its_separator(header, expected):
    assert header_value(["home", "t:blog.Post", "r:blog.Post:7", "home"], header) == expected


@pytest.mark.parametrize("tag", ["two words", "a,b", "café", "tab\there", "", "x" * 1025])
def test_tags_a_vendor_would_split_or_refuse_are_hashed_the_same_way_on_both_sides(tag):
    for header in VENDORS:
        key = encode(tag, vendor(header))
        assert key.startswith("hc:h:") and len(key) == 37
        assert header_value([tag], header) == key
        assert key in purge_keys([tag], header)


def test_overflow_keeps_the_first_tags_and_buckets_the_rest():
    tags = ["home", *(f"r:blog.Post:{n}" for n in range(2000))]
    value = header_value(tags, "Surrogate-Key")
    keys = value.split(" ")
    assert len(value) <= 16384
    assert keys[0] == "home" and keys[1] == "r:blog.Post:0"  # order kept: own tags first
    dropped = [tag for tag in tags if tag not in keys]
    assert dropped and {bucket(tag) for tag in dropped} <= set(keys)


_TAG = st.text(st.characters(min_codepoint=32, max_codepoint=300), min_size=1, max_size=60)


@settings(max_examples=60, deadline=None)
@given(tags=st.lists(_TAG, max_size=600), header=st.sampled_from(sorted(VENDORS)))
def test_every_tag_is_purgeable_and_the_header_fits(tags, header):
    rules = vendor(header)
    value = header_value(tags, header)
    assert len(value.encode()) <= rules.max_header
    keys = set(value.split(rules.separator)) if value else set()
    for tag in tags:
        # The purge of any tag names a key this page carries: its own or its bucket.
        assert keys & set(purge_keys([tag], header)), tag


def test_pages_carry_their_tags_only_when_a_header_is_configured(backend):
    assert "xkey" not in Client().get("/p/1/")
    with override_settings(HERDCACHE={"SURROGATE_HEADER": "xkey", "STATS_FLUSH_INTERVAL": 0}):
        miss, hit = Client().get("/p/2/"), Client().get("/p/2/")
    assert miss["xkey"] == hit["xkey"] == "posts"


@override_settings(
    HERDCACHE={"SURROGATE_HEADER": "Cache-Tag", "STATS_FLUSH_INTERVAL": 0},
    MIDDLEWARE=[
        "herdcache.middleware.UpdateCacheMiddleware",
        "herdcache.middleware.FetchFromCacheMiddleware",
    ],
)
def test_the_per_site_middleware_keeps_the_tags_of_an_inner_cache_page():
    first, second = Client().get("/p/3/"), Client().get("/p/3/")
    assert first["Cache-Tag"] == second["Cache-Tag"] == "posts"
