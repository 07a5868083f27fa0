"""Freshness headers and Cache-Status through the real edge: nginx, memcached, Django (gunicorn).

nginx gets only the body from memcached, so an edge hit cannot know its age: it says
``Cache-Control: no-cache`` (no Age, no max-age, no Expires). Django's answers on the fallback
carry Django's honest headers, and nginx appends its own Cache-Status entry after Django's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest
from pymemcache.client.base import Client

from herdcache.edge.nginx import render_config
from tests.fixtures.nginx_generated import echo_upstream, fetch, run_generated
from tests.fixtures.servers import free_port
from tests.herdcache.edge.stack import EdgeStack, edge_stack

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def stack() -> Iterator[EdgeStack]:
    with edge_stack(cache_status=True) as running:
        yield running


@pytest.fixture(scope="module")
def local_stack() -> Iterator[EdgeStack]:
    with edge_stack(cache_status=True, local_ttl=60) as running:
        yield running


def drop_edge_copy(stack: EdgeStack, uri: str, host: str = "example.com") -> None:
    """Delete the edge copy only (as memcached eviction would); Django's entry stays."""
    with closing(Client(stack.memcached[0].address)) as client:
        assert client.delete(hashlib.md5(f"{host}{uri}".encode()).hexdigest(), noreply=False)


def test_a_miss_carries_djangos_headers_and_both_cache_status_entries(stack):
    miss = stack.get("/e/fresh-miss")
    assert not miss.from_edge
    assert (
        miss.joined("cache-status") == "herdcache; fwd=miss; stored, herdcache-edge; fwd=uri-miss"
    )
    assert "age" not in miss.headers
    assert miss.headers["cache-control"] == "max-age=60"
    assert "expires" in miss.headers


def test_an_edge_hit_claims_no_freshness_it_cannot_know(stack):
    stack.get("/e/fresh-hit")
    hit = stack.get("/e/fresh-hit")
    assert hit.from_edge
    assert hit.headers["cache-control"] == "no-cache"
    assert "age" not in hit.headers and "expires" not in hit.headers
    assert hit.joined("cache-status") == "herdcache-edge; hit"


def test_a_django_hit_behind_the_edge_carries_age(stack):
    stack.get("/e/fresh-fallback")
    drop_edge_copy(stack, "/e/fresh-fallback")
    fallback = stack.get("/e/fresh-fallback")
    assert not fallback.from_edge
    assert stack.renders("page:/e/fresh-fallback") == 1
    assert int(fallback.headers["age"]) <= 5  # rendered a moment ago, on this machine
    assert fallback.headers["cache-control"] == "max-age=60"
    status = fallback.joined("cache-status")
    assert status.startswith("herdcache; hit; ttl=")
    assert status.endswith(", herdcache-edge; fwd=uri-miss")
    refilled = stack.get("/e/fresh-fallback")  # Django put the copy back on the edge
    assert refilled.from_edge


def test_a_soft_purged_page_goes_out_stale_from_django(stack):
    stack.get("/e/fresh-purged")
    assert stack.purge(urls=("http://example.com/e/fresh-purged",), soft=True) >= 1
    # The edge copy is gone; this request wins the lock and re-renders the stale page.
    refresh = stack.get("/e/fresh-purged")
    assert refresh.joined("cache-status") == (
        "herdcache; fwd=stale; ttl=0; stored; detail=purged, herdcache-edge; fwd=uri-miss"
    )
    assert stack.renders("page:/e/fresh-purged") == 2


def test_bypassed_requests_say_so(stack):
    post = stack.get("/e/fresh-bypass", headers={"Authorization": "Bearer x"})
    assert post.joined("cache-status") == "herdcache; fwd=bypass, herdcache-edge; fwd=bypass"


def test_local_tier_adds_its_entry_and_keeps_no_cache(local_stack):
    local_stack.get("/e/fresh-local", headers={"Accept-Encoding": "gzip"})  # Django renders
    edge = local_stack.get("/e/fresh-local", headers={"Accept-Encoding": "gzip"})
    local = local_stack.get("/e/fresh-local", headers={"Accept-Encoding": "gzip"})
    assert edge.joined("cache-status") == "herdcache-edge; hit, herdcache-local; fwd=uri-miss"
    assert local.joined("cache-status") == "herdcache-edge; hit, herdcache-local; hit"
    # Downstream caches are told to revalidate; the local tier keeps its copy all the same.
    assert local.headers["cache-control"] == "no-cache"
    assert local.headers["x-herdcache-local"] == "HIT"


def test_memcached_down_and_other_methods_are_named_on_the_fallback():
    """Against a stand-in for Django (it sends no Cache-Status): only the edge's entry."""
    nobody_listens = f"127.0.0.1:{free_port()}"
    with contextmanager(echo_upstream)() as upstream:

        def config(port: int, prefix: Path) -> str:
            return render_config(
                listen=f"127.0.0.1:{port}",
                upstream=upstream.address,
                servers=[nobody_listens],
                prefix=str(prefix),
                worker_processes=1,
                cache_status=True,
            )

        with contextmanager(run_generated)(config) as nginx:
            down = fetch(nginx.port, "/e/down")
            post = fetch(nginx.port, "/e/down", method="POST", body=b"x")
    assert down.status == post.status == 200
    assert down.headers["Cache-Status"] == "herdcache-edge; fwd=miss; detail=memcached-unavailable"
    assert post.headers["Cache-Status"] == "herdcache-edge; fwd=method"
