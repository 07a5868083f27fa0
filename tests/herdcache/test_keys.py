"""Keys (herdcache.keys): any input gives a memcached-safe key; identity covers what it must."""

from __future__ import annotations

import pytest
from django.core.cache.backends.base import memcache_key_warnings
from django.test import RequestFactory, override_settings
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from herdcache.keys import (
    default_key_function,
    get_keys,
    herd_key,
    make_key,
    page_key,
    url_identity,
    variant_key,
)

# Arbitrary text, lone surrogates and every control character included, sometimes very long.
ANY_TEXT = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF), max_size=300)
HOSTILE = st.one_of(
    ANY_TEXT,
    st.sampled_from(
        ["", " ", "\r\n", "a b", "get x\r\nset y 0 0 1\r\nz", "\ud800", "ü" * 200, "k\n", "\x00"]
    ),
    st.builds(lambda s, n: s * n, ANY_TEXT, st.integers(1, 2000)),
)
VERSIONS = st.one_of(st.integers(), st.none(), ANY_TEXT)


def assert_memcached_safe(key: str) -> None:
    """At most 250 bytes of printable ASCII: no spaces, no control characters."""
    assert key.isascii(), key
    assert 0 < len(key.encode()) <= 250, key
    assert all("!" <= ch <= "~" for ch in key), key
    assert list(memcache_key_warnings(key)) == []


@hypothesis_settings(max_examples=300, deadline=None)
@given(key=HOSTILE, key_prefix=HOSTILE, version=VERSIONS, flavor=HOSTILE, herd_version=VERSIONS)
def test_default_key_function_is_memcached_safe_for_any_input(
    key: str, key_prefix: str, version: object, flavor: str, herd_version: object
) -> None:
    with override_settings(HERDCACHE={"FLAVOR": flavor, "VERSION": herd_version}):
        result = default_key_function(key, key_prefix, version)
        assert_memcached_safe(result)
        assert default_key_function(key, key_prefix, version) == result  # deterministic
        assert make_key(key, key_prefix, version) == result  # make_key: the configured function


@hypothesis_settings(max_examples=200, deadline=None)
@given(kind=st.sampled_from("pfvlst"), material=HOSTILE)
def test_herd_keys_are_memcached_safe(kind: str, material: str) -> None:
    assert_memcached_safe(herd_key(kind, material))
    assert_memcached_safe(page_key(material, material))
    assert_memcached_safe(variant_key(page_key(material, ""), [("accept-language", material)]))


@pytest.mark.parametrize("part", ["ok\n", "ok\r\n", "a b", "x" * 65, "é", "a:b"])
def test_unsafe_prefix_or_flavor_is_left_out_of_the_readable_label(settings, part: str) -> None:
    """Only a short ``[A-Za-z0-9_.-]`` label is shown; the digest still counts the part."""
    settings.HERDCACHE = {"FLAVOR": part}
    key = default_key_function("k", part, 1)
    assert_memcached_safe(key)
    assert len(key) == 40  # the digest alone
    settings.HERDCACHE = {"FLAVOR": "ok"}
    assert default_key_function("k", "ok", 1) not in (key, key.removeprefix("ok:ok:"))


def test_safe_prefix_and_flavor_stay_readable(settings) -> None:
    settings.HERDCACHE = {"FLAVOR": "staging"}
    key = default_key_function("games", "site1", 1)
    assert key.startswith("site1:staging:")
    assert len(key) == len("site1:staging:") + 40


def test_keys_are_deterministic_and_distinct() -> None:
    assert default_key_function("a", "", 1) == default_key_function("a", "", 1)
    keys = {default_key_function(k, "", 1) for k in ["a", "b", "a ", " a", "A", "", "\ud800"]}
    assert len(keys) == 7


@pytest.mark.parametrize(
    "change",
    [
        {"key": "other"},
        {"key_prefix": "p2"},
        {"version": 2},
        {"herdcache": {"VERSION": 2}},
        {"herdcache": {"FLAVOR": "prod"}},
    ],
)
def test_every_part_of_the_identity_changes_the_key(settings, change: dict) -> None:
    settings.HERDCACHE = {"VERSION": 1, "FLAVOR": "staging"}
    base = default_key_function("games", "p1", 1)
    settings.HERDCACHE = {"VERSION": 1, "FLAVOR": "staging", **change.get("herdcache", {})}
    args = {"key": "games", "key_prefix": "p1", "version": 1}
    args.update({k: v for k, v in change.items() if k != "herdcache"})
    assert default_key_function(args["key"], args["key_prefix"], args["version"]) != base


def test_version_is_hashed_as_text(settings) -> None:
    """VERSION may be an int or a str: 1 and "1" are the same version."""
    settings.HERDCACHE = {"VERSION": 1}
    as_int = default_key_function("games", "", 1)
    settings.HERDCACHE = {"VERSION": "1"}
    assert default_key_function("games", "", 1) == as_int


def test_herdcache_version_and_flavor_change_herd_keys(settings) -> None:
    settings.HERDCACHE = {"VERSION": 1, "FLAVOR": ""}
    base = page_key("http://testserver/", "")
    settings.HERDCACHE = {"VERSION": 2, "FLAVOR": ""}
    bumped = page_key("http://testserver/", "")
    settings.HERDCACHE = {"VERSION": 1, "FLAVOR": "prod"}
    flavored = page_key("http://testserver/", "")
    assert len({base, bumped, flavored}) == 3


def test_custom_key_function_by_dotted_path(settings) -> None:
    settings.HERDCACHE = {"KEY_FUNCTION": "tests.herdcache.test_keys.upper_key"}
    assert make_key("abc", "p", 3) == "P:3:ABC"


def upper_key(key: str, key_prefix: str, version: object) -> str:
    """A custom KEY_FUNCTION for the test above."""
    return f"{key_prefix}:{version}:{key}".upper()


# --- URL identity -------------------------------------------------------------------------------

rf = RequestFactory()


def test_url_identity_includes_scheme_host_path_and_query() -> None:
    request = rf.get("/p/1/?a=1&b=2", HTTP_HOST="example.com")
    assert url_identity(request) == "http://example.com/p/1/?a=1&b=2"
    secure = rf.get("/p/1/", HTTP_HOST="example.com", secure=True)
    assert url_identity(secure) == "https://example.com/p/1/"


def test_host_is_case_insensitive_but_part_of_the_identity() -> None:
    lower = url_identity(rf.get("/", HTTP_HOST="example.com"))
    upper = url_identity(rf.get("/", HTTP_HOST="EXAMPLE.COM"))
    other = url_identity(rf.get("/", HTTP_HOST="www.example.com"))
    assert lower == upper != other
    assert page_key(lower, "") == page_key(upper, "") != page_key(other, "")


def test_query_is_part_of_the_identity() -> None:
    urls = {url_identity(rf.get(p)) for p in ["/p/", "/p/?a=1", "/p/?a=2", "/p/?a=1&b=1"]}
    assert len(urls) == 4


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("/any/a%3Fb", "/any/a?b"),  # an encoded "?" in the path is not a query string
        ("/any/a%23b", "/any/a"),  # nor is an encoded "#" a fragment
        ("/any/%2525", "/any/%25"),  # double encoding stays apart
        ("/any/a%20b", "/any/a+b"),
    ],
)
def test_paths_that_only_look_alike_are_different_identities(one: str, other: str) -> None:
    assert url_identity(rf.get(one)) != url_identity(rf.get(other))


def test_url_identity_of_hostile_paths_is_printable() -> None:
    url = url_identity(rf.get("/any/%0d%0aset%20x%200%200%201%0d%0a/ü/"))
    assert url.isascii() and url.isprintable() and " " not in url


def test_only_get_keys_ignores_other_parameters_and_their_order() -> None:
    keys = ["page", "sort"]
    a = url_identity(rf.get("/l/?page=2&utm=x&sort=new"), keys)
    b = url_identity(rf.get("/l/?sort=new&page=2&utm=y"), keys)
    c = url_identity(rf.get("/l/?sort=new&page=3"), keys)
    assert a == b == "http://testserver/l/?page=2&sort=new"
    assert c != a


def test_only_get_keys_without_matching_parameters_is_the_bare_url() -> None:
    assert url_identity(rf.get("/l/?utm=x"), ["page"]) == "http://testserver/l/"
    assert url_identity(rf.get("/l/?utm=x"), []) == "http://testserver/l/"


def test_only_get_keys_count_a_repeated_key_by_its_last_value_as_views_read_it() -> None:
    keys = ["theme"]
    dark_last = url_identity(rf.get("/s/?theme=light&theme=dark"), keys)
    light_last = url_identity(rf.get("/s/?theme=dark&theme=light"), keys)
    assert dark_last == url_identity(rf.get("/s/?theme=dark"), keys)
    assert light_last == url_identity(rf.get("/s/?theme=light"), keys)
    assert dark_last != light_last


def test_forget_get_keys_keeps_every_other_parameter_in_a_stable_order() -> None:
    forget = ["utm", "ref"]
    a = url_identity(rf.get("/l/?page=2&utm=x&sort=new"), None, forget)
    b = url_identity(rf.get("/l/?sort=new&ref=y&page=2"), None, forget)
    assert a == b == "http://testserver/l/?page=2&sort=new"
    assert url_identity(rf.get("/l/?utm=x&ref=y"), None, forget) == "http://testserver/l/"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("page", ("page",)),
        (["page", "sort"], ("page", "sort")),
        (("page",), ("page",)),
        ([], ()),
        ({"page"}, ("page",)),
    ],
)
def test_get_keys_accepts_a_name_or_names(value: object, expected: object) -> None:
    assert get_keys("only_get_keys", value) == expected


@pytest.mark.parametrize("value", [1, 2.5, b"page", {"page": 1}, ["page", None], [""], True])
def test_get_keys_refuses_anything_else(value: object) -> None:
    with pytest.raises(TypeError, match="only_get_keys"):
        get_keys("only_get_keys", value)


def test_without_only_get_keys_the_raw_query_counts() -> None:
    assert url_identity(rf.get("/l/?a=1&b=2")) != url_identity(rf.get("/l/?b=2&a=1"))


def test_variant_keys_differ_per_header_value() -> None:
    base = page_key("http://testserver/", "")
    en = variant_key(base, [("accept-language", "en")])
    fr = variant_key(base, [("accept-language", "fr")])
    assert len({base, en, fr}) == 3
