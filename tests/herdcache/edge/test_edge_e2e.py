"""End to end: nginx answers hits from memcached, Django renders misses (real everything)."""

from __future__ import annotations

import gzip
import itertools
import os
import threading
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests.herdcache.edge.stack import EdgeStack, edge_stack, raw_get

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def stack() -> Iterator[EdgeStack]:
    with edge_stack(trust=True) as running:
        yield running


@pytest.fixture(scope="module")
def untrusting_stack() -> Iterator[EdgeStack]:
    """Django ignores nginx's key header here and computes the key from the raw request URI."""
    with edge_stack(trust=False) as running:
        yield running


def test_miss_renders_in_django_then_nginx_serves_the_hit(stack):
    first = stack.get("/e/basic")
    second = stack.get("/e/basic")
    assert first.status == second.status == 200
    assert not first.from_edge and second.from_edge
    assert second.body == first.body == b"page /e/basic render 1"
    assert stack.renders("page:/e/basic") == 1


def test_gzip_clients_get_gzip_and_others_plain(stack):
    stack.get("/e/gz")
    zipped = stack.get("/e/gz", headers={"Accept-Encoding": "gzip"})
    plain = stack.get("/e/gz")
    assert zipped.from_edge and zipped.headers["content-encoding"] == "gzip"
    assert gzip.decompress(zipped.body) == plain.body == b"page /e/gz render 1"
    assert "content-encoding" not in plain.headers
    assert zipped.headers["content-type"] == "text/html; charset=utf-8"


# -- key agreement: Django writes exactly the key nginx reads, for any URI a client can send ------

_UNRESERVED = st.sampled_from(list("abcXYZ019-._~!$&'()*,;=:@"))
_PCT = st.integers(0, 255).map(lambda b: f"%{b:02X}")
_PCT_LOWER = st.integers(0, 255).map(lambda b: f"%{b:02x}")
# Unicode as browsers send it: UTF-8, percent-encoded (raw UTF-8 in a request line is refused
# by the WSGI server with a 400; see test_raw_utf8_request_lines_never_fail).
_UNICODE = st.sampled_from(["é", "ü", "日本", "🐍", "ß"]).map(
    lambda text: "".join(f"%{byte:02X}" for byte in text.encode())
)
_SEGMENT = st.lists(
    st.one_of(_UNRESERVED, _PCT, _PCT_LOWER, _UNICODE, st.just("+")), max_size=6
).map("".join)
_PATH = st.lists(_SEGMENT, min_size=1, max_size=4).map(lambda parts: "/".join(parts))
_QUERY = st.lists(st.tuples(_SEGMENT, _SEGMENT).map(lambda kv: f"{kv[0]}={kv[1]}"), max_size=3).map(
    "&".join
)
_URI = st.tuples(_PATH, st.sampled_from(["", "/", "//"]), st.one_of(st.none(), _QUERY)).map(
    lambda t: "/e/" + t[0] + t[1] + ("" if t[2] is None else "?" + t[2])
)
# Host spellings nginx's $host folds together (case, port); a fresh subdomain per call is added.
_HOST = st.tuples(
    st.sampled_from([str.lower, str.upper, str.title]), st.sampled_from(["", ":8080", ":80"])
)


_NONCE = itertools.count()


def _check_agreement(stack: EdgeStack, uri: str, host_form: tuple) -> None:
    # A fresh host per call: each call starts from a miss, so a failure replays the same way.
    spell, port = host_form
    host = spell(f"n{next(_NONCE)}.example.com") + port
    target = uri.encode("utf-8")
    first = raw_get(stack.port, target, host=host)
    assume(first.status == 200)  # nginx or Django may reject some byte soup (400/404): not ours
    second = raw_get(stack.port, target, host=host)
    assert second.status == 200
    assert second.from_edge, f"Django wrote an edge copy nginx did not find for {target!r}"
    assert second.body == first.body


@settings(
    max_examples=int(os.environ.get("EDGE_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
@given(uri=_URI, host=_HOST)
def test_key_agreement_through_nginx_with_forwarded_key(stack, uri, host):
    _check_agreement(stack, uri, host)


@settings(
    max_examples=int(os.environ.get("EDGE_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
@given(uri=_URI, host=_HOST)
def test_key_agreement_through_nginx_computed_from_the_raw_uri(untrusting_stack, uri, host):
    _check_agreement(untrusting_stack, uri, host)


def test_raw_utf8_request_lines_never_fail(stack):
    for target in ["/e/café".encode(), "/e/x?q=日本".encode(), b"/e/\xff\xfe"]:
        first, second = raw_get(stack.port, target), raw_get(stack.port, target)
        assert first.status < 500 and second.status < 500
        if second.from_edge:
            assert second.body == first.body


def test_a_client_cannot_choose_the_key_django_writes(untrusting_stack):
    """Poisoning attempt: a direct request naming another URL's key is not trusted."""
    import hashlib

    victim_key = hashlib.md5(b"example.com/e/victim").hexdigest()
    raw_get(untrusting_stack.django.port, b"/e/attacker", headers={"X-Herdcache-Key": victim_key})
    victim = untrusting_stack.get("/e/victim")
    assert b"attacker" not in victim.body


# -- safety --------------------------------------------------------------------------------------


def test_a_logged_in_page_never_reaches_another_client(stack):
    login = raw_get(stack.django.port, b"/login-as/alice/")
    cookie = login.headers["set-cookie"].split(";", 1)[0]
    mine = stack.get("/private/", headers={"Cookie": cookie})
    assert mine.body.startswith(b"hello alice")
    again = stack.get("/private/", headers={"Cookie": cookie})
    assert again.body.startswith(b"hello alice") and not again.from_edge
    for _ in range(3):
        other = stack.get("/private/")
        assert other.body.startswith(b"hello anonymous"), other.body


def test_a_logged_in_request_never_writes_the_edge(stack):
    login = raw_get(stack.django.port, b"/login-as/bob/")
    cookie = login.headers["set-cookie"].split(";", 1)[0]
    assert not stack.get("/e/by-bob", headers={"Cookie": cookie}).from_edge
    anonymous = stack.get("/e/by-bob")
    assert not anonymous.from_edge  # bob's request left nothing on the edge
    assert stack.get("/e/by-bob").from_edge


@pytest.mark.parametrize("header", [{"Authorization": "Bearer x"}, {"Cookie": "csrftoken=abc"}])
def test_credentials_bypass_the_edge(stack, header):
    stack.get("/e/creds"), stack.get("/e/creds")
    assert stack.get("/e/creds").from_edge
    assert not stack.get("/e/creds", headers=header).from_edge


# -- freshness and purge ---------------------------------------------------------------------------


def test_hard_purge_by_url_and_tag_removes_edge_copies(stack):
    stack.get("/e/purge-me"), stack.get("/e/purge-me")
    assert stack.get("/e/purge-me").from_edge
    assert stack.purge(urls=("/e/purge-me",)) == 1
    after = stack.get("/e/purge-me")
    assert not after.from_edge and after.body.endswith(b"render 2")
    assert stack.get("/e/purge-me").from_edge
    stack.purge(tags=("edge",))
    assert stack.get("/e/purge-me").body.endswith(b"render 3")


def test_soft_purge_removes_the_edge_copy_and_one_request_rerenders(stack):
    stack.get("/e/soft"), stack.get("/e/soft")
    stack.purge(urls=("/e/soft",), soft=True)
    replies = [stack.get("/e/soft") for _ in range(3)]
    assert stack.renders("page:/e/soft") == 2
    assert replies[-1].from_edge


def test_a_crowd_at_edge_expiry_costs_one_render(stack):
    stack.get("/slow/")
    before = stack.renders("slow")
    stack.purge(tags=("slow",), soft=True)  # edge copy gone, origin stale: as at expiry
    replies: list = []
    lock = threading.Lock()

    def hit() -> None:
        reply = stack.get("/slow/")
        with lock:
            replies.append(reply)

    threads = [threading.Thread(target=hit) for _ in range(200)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.status for r in replies] == [200] * 200
    assert stack.renders("slow") - before == 1


# -- faults --------------------------------------------------------------------------------------


def test_django_down_edge_hits_still_served(stack):
    stack.get("/e/survivor")
    assert stack.get("/e/survivor").from_edge
    stack.django.stop()
    try:
        reply = stack.get("/e/survivor")
        assert reply.status == 200 and reply.from_edge
        assert stack.get("/e/never-cached").status in (502, 504)  # a miss has nowhere to go
    finally:
        stack.django.start()


def test_memcached_down_falls_back_to_django_without_errors(stack):
    stack.get("/e/fault"), stack.get("/e/fault")
    stack.memcached[0].stop()
    try:
        replies = [stack.get("/e/fault") for _ in range(3)]
        assert [r.status for r in replies] == [200, 200, 200]
        assert not any(r.from_edge for r in replies)
    finally:
        stack.memcached[0].start()


# -- two tiers: nginx's local proxy_cache in front of the shared memcached tier ------------------


@pytest.fixture(scope="module")
def two_tiers() -> Iterator[EdgeStack]:
    with edge_stack(local_ttl=60) as running:
        yield running


def test_local_tier_serves_edge_hits_and_a_django_purge_reaches_it(two_tiers):
    replies = [two_tiers.get("/e/local") for _ in range(3)]
    assert [r.headers.get("x-herdcache-local") for r in replies[1:]] == ["MISS", "HIT"]
    assert two_tiers.purge(urls=("/e/local",)) == 1
    after = two_tiers.get("/e/local")
    assert after.headers.get("x-herdcache-local") != "HIT"
    assert after.body.endswith(b"render 2")  # without the PURGE the local copy would say "render 1"


def test_purge_log_names_every_tier_and_the_rewarm_refills_the_edge_through_nginx(two_tiers):
    """The purge reaches memcached, the edge copy and nginx's local tier (all logged); the
    re-warm GET goes through nginx, so the next visitor gets the edge copy: one render in all."""
    for _ in range(3):
        two_tiers.get("/e/warm")
    reply = two_tiers.purge_reply(urls=("/e/warm",), rewarm=True)
    assert reply["purged"] == reply["log"]["matched"] == 1
    tiers = {tier["tier"]: tier for tier in reply["log"]["tiers"]}
    assert set(tiers) == {"cache:default", "edge", "edge-nodes", "rewarm"}
    assert all(tier["ok"] for tier in tiers.values()), tiers
    assert tiers["rewarm"]["detail"] == "1/1 pages re-warmed"
    after = two_tiers.get("/e/warm")
    assert after.body.endswith(b"render 2") and after.from_edge
    assert two_tiers.renders("page:/e/warm") == 2


def test_local_tier_purge_by_tag_and_unicode_uri(two_tiers):
    uri = "/e/caf%C3%A9?q=%C3%BC"
    for _ in range(3):
        raw_get(two_tiers.port, uri.encode())
    assert raw_get(two_tiers.port, uri.encode()).headers.get("x-herdcache-local") == "HIT"
    two_tiers.purge(tags=("edge",))
    assert raw_get(two_tiers.port, uri.encode()).headers.get("x-herdcache-local") != "HIT"


# -- several memcached nodes: Django's edge copies land where nginx's consistent hash looks ----


def test_three_memcached_nodes_through_nginx():
    with edge_stack(nodes=3) as three:
        paths = [f"/e/node-{i}" for i in range(60)]
        for path in paths:
            three.get(path)
        assert all(three.get(path).from_edge for path in paths)


def test_a_page_in_the_visitors_language_is_never_served_by_the_edge(stack):
    """nginx keys by host and URI: a Spanish page there would be served to everyone."""
    spanish = stack.get("/localized/", headers={"Accept-Language": "es"})
    english = stack.get("/localized/", headers={"Accept-Language": "en"})
    again = stack.get("/localized/", headers={"Accept-Language": "es"})
    assert spanish.body.startswith(b"lang es ") and english.body.startswith(b"lang en ")
    assert not english.from_edge and not again.from_edge
    assert again.body == spanish.body  # still cached, per language, by Django
    assert stack.renders("localized") == 2
