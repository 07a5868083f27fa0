"""A tracked page in real Varnish (varnishd + xkey) leaves it within a second of a commit that
changes a row it read: the write goes through the ORM here, the purge through herdcache's
downstream fan-out, and Varnish serves pytest-django's live server, which shares this test's
database. Pages that read other rows or tables stay in Varnish."""

from __future__ import annotations

import importlib
import socket
import time
from collections.abc import Iterator

import pytest
from django.core.cache import caches
from django.db import transaction

from herdcache import downstream, tracking
from herdcache.downstream.vcl import render_vcl
from tests.conftest import cache_config
from tests.fixtures.servers import Server
from tests.fixtures.varnish import run_varnish
from tests.herdcache.edge.stack import Reply, raw_get
from tests.herdcache.trackapp.models import Item, Label

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
PURGED_WITHIN = 1.0  # seconds from the commit to Varnish no longer serving the page


@pytest.fixture(scope="module")
def varnish_server(live_server) -> Iterator[Server]:
    """Varnish in front of the live server, for this module's tests."""
    port = int(live_server.url.rsplit(":", 1)[1])
    yield from run_varnish(lambda _port, _dir: render_vcl(backend=f"127.0.0.1:{port}", grace=10))


@pytest.fixture
def varnish(request, settings, monkeypatch) -> Iterator[Server]:
    settings.STATIC_URL = "/static/"  # the live server's static handler needs one at start
    server = request.getfixturevalue("varnish_server")
    settings.ROOT_URLCONF = "tests.herdcache.downstream.tracked_urls"
    settings.CACHES = {"default": cache_config("memcached", request)}
    # The tracked views turn purging on (TRACK_WRITES=None) for this test only: imported here,
    # never at collection, or every later test's writes would purge (and log).
    monkeypatch.setattr(tracking, "declared", False)
    caches["default"].clear()
    renders().clear()
    varnish_node = {"kind": "varnish", "urls": [f"http://{server.address}"], "backoff": 0.05}
    settings.HERDCACHE = {
        "STATS_FLUSH_INTERVAL": 0,
        "XFETCH_BETA": 0,
        "TRACK_WRITES": True,
        "TRACK_PURGE": "hard",
        "SURROGATE_HEADER": "xkey",
        "DOWNSTREAM": [varnish_node],
    }
    yield server
    downstream.drain(5)
    # Out of Varnish: the next test's rows may reuse these keys (SQLite reuses them).
    for path in WARMED:
        with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
            sock.sendall(f"PURGE {path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
            assert sock.recv(100).startswith(b"HTTP/1.1 200"), path
    WARMED.clear()
    caches["default"].clear()


def renders():
    """The render counts of the tracked views (their module imported under the monkeypatch)."""
    return importlib.import_module("tests.herdcache.downstream.tracked_urls").RENDERS


def get(server: Server, path: str) -> Reply:
    return raw_get(server.port, path.encode(), host="localhost")


def cached(reply: Reply) -> bool:
    """Varnish answered from its cache: X-Varnish names this request and the one it stored."""
    return len(reply.headers["x-varnish"].split()) == 2


WARMED: list[str] = []


def warm(server: Server, *paths: str) -> None:
    WARMED.extend(paths)
    for path in paths:
        assert get(server, path).status == 200
        assert cached(get(server, path)), path


def gone_after(server: Server, path: str, started: float) -> tuple[Reply, float]:
    """Poll Varnish until ``path`` is no longer its first copy; the seconds since ``started``."""
    while True:
        reply = get(server, path)
        elapsed = time.monotonic() - started
        if not cached(reply) or b"render 1" not in reply.body:
            return reply, elapsed
        assert elapsed < PURGED_WITHIN, f"{path} still in Varnish {elapsed:.2f}s after the commit"
        time.sleep(0.01)  # Varnish's purge has no event this process can await


def test_a_commit_changing_a_row_a_page_read_purges_it_from_varnish(varnish) -> None:
    first = Item.objects.create(name="one", price=1)
    second = Item.objects.create(name="two", price=2)
    Label.objects.create(name="red")
    warm(varnish, f"/item/{first.pk}/", f"/item/{second.pk}/", "/labels/")
    tags = get(varnish, f"/item/{first.pk}/").headers
    assert "xkey" not in tags  # the keys stay between Django and Varnish

    with transaction.atomic():
        Item.objects.filter(pk=first.pk).update(price=11)
        started = time.monotonic()  # leaving the block commits, then herdcache purges
    reply, elapsed = gone_after(varnish, f"/item/{first.pk}/", started)
    assert reply.body == b"one:11 render 2", reply.body
    assert elapsed < PURGED_WITHIN

    # Another row of the same table and another table: still Varnish's first copies.
    for path, body in ((f"/item/{second.pk}/", b"two:2 render 1"), ("/labels/", b"red render 1")):
        reply = get(varnish, path)
        assert cached(reply) and reply.body == body, (path, reply.body)
    expected = {f"item:{first.pk}": 2, f"item:{second.pk}": 1, "labels": 1}
    assert expected == renders()


def test_a_rolled_back_write_leaves_varnish_alone(varnish) -> None:
    first = Item.objects.create(name="one", price=1)
    warm(varnish, f"/item/{first.pk}/")
    with pytest.raises(RuntimeError), transaction.atomic():
        Item.objects.filter(pk=first.pk).update(price=11)
        raise RuntimeError("rolled back")
    assert downstream.drain(5)  # whatever was queued has been sent
    reply = get(varnish, f"/item/{first.pk}/")
    assert cached(reply) and reply.body == b"one:1 render 1"
