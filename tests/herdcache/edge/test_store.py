"""Edge store rules: which requests and responses may go to the edge, and under which key."""

from __future__ import annotations

import gzip
import hashlib

import pytest
from django.test import RequestFactory

from herdcache.edge import store

rf = RequestFactory()
KEY = hashlib.md5(b"example.com/p/1/?a=1").hexdigest()


@pytest.fixture(autouse=True)
def edge_settings(settings):
    settings.HERDCACHE = {
        "STATS_FLUSH_INTERVAL": 0,
        "EDGE": True,
        "EDGE_TRUSTED_PROXIES": ["127.0.0.1", "10.0.0.0/8"],
        "EDGE_TYPES": {"/": "text/html; charset=utf-8", "/api/": "application/json"},
    }


def test_nginx_key_is_md5_of_host_and_raw_uri():
    assert store.nginx_key("example.com", "/p/1/?a=1") == KEY
    assert store.nginx_key("example.com", b"/p/1/?a=1") == KEY


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("example.com", "example.com"),
        ("EXAMPLE.com:8080", "example.com"),
        ("www.example.com.", "www.example.com"),
    ],
)
def test_host_as_nginx_sees_it(host, expected):
    request = rf.get("/", HTTP_HOST=host)
    assert store.nginx_host(request) == expected


def test_raw_uri_from_the_server_wins_over_djangos_reencoding():
    request = rf.get("/a b/", HTTP_HOST="example.com")
    request.META["RAW_URI"] = "/a%20b/?x=%2B"
    assert store.raw_request_uri(request) == b"/a%20b/?x=%2B"
    assert store.request_edge_key(request) == hashlib.md5(b"example.com/a%20b/?x=%2B").hexdigest()


def test_forwarded_key_is_trusted_only_from_configured_proxies():
    request = rf.get(
        "/p/1/", HTTP_HOST="example.com", HTTP_X_HERDCACHE_KEY="f" * 32, REMOTE_ADDR="10.1.2.3"
    )
    assert store.request_edge_key(request) == "f" * 32
    request.META["REMOTE_ADDR"] = "192.0.2.9"  # a client sending the header itself: poisoning
    assert store.request_edge_key(request) == store.nginx_key("example.com", "/p/1/")


@pytest.mark.parametrize("value", ["F" * 32, "f" * 31, "g" * 32, "f" * 32 + "\r\nX: y", ""])
def test_malformed_forwarded_keys_are_ignored(value):
    request = rf.get(
        "/p/1/", HTTP_HOST="example.com", HTTP_X_HERDCACHE_KEY=value, REMOTE_ADDR="127.0.0.1"
    )
    assert store.request_edge_key(request) == store.nginx_key("example.com", "/p/1/")


@pytest.mark.parametrize("cookie", ["sessionid", "csrftoken"])
def test_session_or_csrf_cookie_keeps_a_request_off_the_edge(cookie):
    request = rf.get("/", HTTP_HOST="example.com", HTTP_COOKIE=f"{cookie}=abc")
    assert store.request_edge_key(request) is None


def test_other_cookies_are_fine():
    request = rf.get("/", HTTP_HOST="example.com", HTTP_COOKIE="theme=dark")
    assert store.request_edge_key(request) is not None


def test_authorization_and_non_get_keep_a_request_off_the_edge():
    assert store.request_edge_key(rf.get("/", HTTP_AUTHORIZATION="Bearer x")) is None
    assert store.request_edge_key(rf.head("/")) is None
    assert store.request_edge_key(rf.post("/")) is None


HTML = (("Content-Type", "text/html; charset=utf-8"),)


def test_edge_body_is_gzip_of_the_page():
    value = store.edge_body("/p/1/", HTML, b"<p>hi</p>", ())
    assert gzip.decompress(value) == b"<p>hi</p>"


def test_content_type_must_match_the_location():
    assert store.edge_body("/p/", (("Content-Type", "application/json"),), b"{}", ()) is None
    assert store.edge_body("/api/x", (("Content-Type", "application/json"),), b"{}", ()) is not None
    assert store.edge_body("/api/x", HTML, b"<p>", ()) is None


def test_vary_other_than_accept_encoding_keeps_a_page_off_the_edge():
    assert store.edge_body("/", HTML, b"x", ("accept-encoding",)) is not None
    assert store.edge_body("/", HTML, b"x", ("cookie",)) is None
    assert store.edge_body("/", HTML, b"x", ("accept-language",)) is None


def test_already_gzipped_bodies_are_stored_as_is_and_other_encodings_refused():
    body = gzip.compress(b"x")
    assert (
        store.edge_body("/", (*HTML, ("Content-Encoding", "gzip")), body, ("accept-encoding",))
        == body
    )
    assert store.edge_body("/", (*HTML, ("Content-Encoding", "br")), b"x", ()) is None


def test_longest_prefix_wins():
    types = {"/": "a", "/api/": "b", "/api/v2/": "c"}
    assert [store.location_type(p, types) for p in ("/x", "/api/x", "/api/v2/x")] == ["a", "b", "c"]
    assert store.location_type("/x", {"/api/": "b"}) is None
