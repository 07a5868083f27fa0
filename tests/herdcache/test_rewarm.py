"""Re-warm after a purge: the most requested purged pages re-rendered through a real HTTP server
(pytest-django's live server) on real memcached, once each, whoever else arrives meanwhile."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

import herdcache
from herdcache import rewarm
from herdcache.cache_adapter import CacheAdapter
from herdcache.drivers import refresher
from herdcache.models import PurgeLog
from tests.conftest import cache_config
from tests.fixtures.servers import free_port
from tests.herdcache.views import RENDERS, WARM_GATES

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def site(request, settings, monkeypatch) -> Iterator[str]:
    """Memcached, per-URL counters flushed at once, re-warm GETs sent to the live server."""
    settings.STATIC_URL = "/static/"  # the live server's static handler needs one at start
    live_server = request.getfixturevalue("live_server")
    # The tests' SQLite is in memory, so the live server's request threads all use this thread's
    # connection object (Django shares it); two re-warm GETs at once (REWARM_CONCURRENCY 2)
    # interleaved their transactions on it and could leave it broken for every later test.
    # One request at a time here; the re-warm's own bound is tested by its counters.
    httpd = live_server.thread.httpd
    serial, handle = threading.Lock(), httpd.process_request_thread

    def one_at_a_time(*args) -> None:
        with serial:
            handle(*args)

    monkeypatch.setattr(httpd, "process_request_thread", one_at_a_time)
    settings.CACHES = {"default": cache_config("memcached", request)}
    settings.HERDCACHE = {
        "STATS_FLUSH_INTERVAL": 0,
        "REWARM_ORIGIN": live_server.url,
        "REWARM_TOP": 2,
        "REWARM_CONCURRENCY": 2,
    }
    caches["default"].clear()
    RENDERS.clear()
    yield live_server.url
    rewarm.rewarmer.wait()
    WARM_GATES.clear()
    caches["default"].clear()


def visit(path: str, times: int = 1) -> bytes:
    for _ in range(times):
        response = Client().get(path)
        assert response.status_code == 200
    return response.content


@pytest.mark.parametrize(
    "criteria",
    [{"tags": ["warm"]}, {"urls": ["/w/*"]}, {"prefix": "/w/"}],
    ids=["tag", "pattern", "prefix"],
)
def test_the_most_requested_purged_pages_are_rendered_again_once(site, criteria):
    visit("/w/1/", 5), visit("/w/2/", 3), visit("/w/3/", 2), visit("/plain/")
    assert herdcache.purge(rewarm=True, **criteria) in (0, 3)  # tags count no URLs
    rewarm.rewarmer.wait()
    # The two most requested, once each, through HTTP with the remembered Host; /w/3/ waits
    # for a visitor.
    assert (RENDERS["warm:1"], RENDERS["warm:2"], RENDERS["warm:3"]) == (2, 2, 1)
    assert herdcache.get_stats()["rewarm"] == 2
    assert visit("/w/1/") == b"warm 1 #2"  # the re-warmed copy, a hit
    assert RENDERS["warm:1"] == 2
    log = PurgeLog.objects.get()
    tiers = {tier["tier"]: tier for tier in log.tiers}
    assert tiers["rewarm"] == {"tier": "rewarm", "ok": True, "detail": "2/2 pages re-warmed"}
    assert tiers["cache:default"]["ok"] and log.failures == 0
    assert log.matched == (0 if "tags" in criteria else 3)  # a tag's entries are not counted


def test_no_rewarm_unless_asked(site):
    visit("/w/1/", 2)
    herdcache.purge(tags=["warm"])
    rewarm.rewarmer.wait()
    assert RENDERS["warm:1"] == 1
    assert herdcache.get_stats()["rewarm"] == 0


def test_rewarm_setting_turns_it_on_for_every_purge(site, settings):
    settings.HERDCACHE = {**settings.HERDCACHE, "REWARM": True}
    visit("/w/1/")
    herdcache.purge(urls=["/w/1/"])
    rewarm.rewarmer.wait()
    assert RENDERS["warm:1"] == 2


@pytest.mark.parametrize("soft", [False, True], ids=["hard", "soft"])
def test_a_visitor_during_the_rewarm_never_renders_the_page_again(site, monkeypatch, soft):
    """The re-warm render holds the stampede lock: a visitor waits for it (hard purge) or gets
    the stale copy (soft purge); the page renders once either way."""
    visit("/w/9/")
    entered, release = threading.Event(), threading.Event()
    WARM_GATES[9] = (entered, release)
    visitor_blocked = threading.Event()
    lock = CacheAdapter.lock

    def spied_lock(self, key, ttl):
        token = lock(self, key, ttl)
        if token is None:  # someone else renders: the visitor waits or serves stale now
            visitor_blocked.set()
        return token

    monkeypatch.setattr(CacheAdapter, "lock", spied_lock)
    herdcache.purge(urls=["/w/9/"], soft=soft, rewarm=True)
    assert entered.wait(60), "the re-warm GET never reached the view"
    answers: list[bytes] = []
    visitor = threading.Thread(target=lambda: answers.append(visit("/w/9/")))
    visitor.start()
    try:
        assert visitor_blocked.wait(60), "the visitor never met the re-warm's lock"
    finally:
        release.set()
    visitor.join(60)
    rewarm.rewarmer.wait()
    refresher.wait()
    assert RENDERS["warm:9"] == 2  # the first visit and the re-warm: nobody else
    assert answers == [b"warm 9 #1" if soft else b"warm 9 #2"]


def test_failed_rewarm_is_logged_and_never_raises(site, settings):
    settings.HERDCACHE = {**settings.HERDCACHE, "REWARM_ORIGIN": f"http://127.0.0.1:{free_port()}"}
    visit("/w/1/")
    assert herdcache.purge(urls=["/w/1/"], rewarm=True) == 1
    rewarm.rewarmer.wait()
    (tier,) = [t for t in PurgeLog.objects.get().tiers if t["tier"] == "rewarm"]
    assert not tier["ok"] and tier["detail"].startswith("0/1 pages re-warmed; failed:")
    assert PurgeLog.objects.get().failures == 1


def test_rewarm_command_gets_the_hottest_pages_now(site):
    visit("/w/1/", 3), visit("/w/2/")
    herdcache.purge(tags=["warm"])
    out = io.StringIO()
    call_command("herdcache", "rewarm", "--tag", "warm", "--top", "1", stdout=out)
    assert (RENDERS["warm:1"], RENDERS["warm:2"]) == (2, 1)
    lines = out.getvalue().splitlines()
    assert lines[2].split()[:2] == ["http://testserver/w/1/", "200"]
    assert lines[-1] == "1/1 pages re-warmed."
    with pytest.raises(CommandError, match=r"0/1 pages re-warmed; failed: http://testserver/w/1/"):
        call_command("herdcache", "rewarm", "/w/1/", "--origin", f"http://127.0.0.1:{free_port()}")
