"""The purge log: every purge recorded (why, who, what matched, tiers, failures), never failing one."""

from __future__ import annotations

import io
import logging
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import DatabaseError, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import herdcache
from herdcache import purgelog, registry
from herdcache.models import CachedURL, PurgeLog
from tests.conftest import cache_config
from tests.fixtures.servers import free_port
from tests.herdcache.views import RENDERS

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _reset_renders():
    RENDERS.clear()


def visit(*paths: str) -> None:
    for path in paths:
        assert Client().get(path).status_code == 200


def tiers(log: PurgeLog) -> dict[str, tuple[bool, str]]:
    return {tier["tier"]: (tier["ok"], tier["detail"]) for tier in log.tiers}


def test_a_url_purge_is_logged_with_what_it_matched_and_the_tiers_it_reached(backend):
    visit("/p/1/", "/p/1/?page=2", "/p/2/", "/plain/")
    assert herdcache.purge(urls=["/p/1/"]) == 2
    log = PurgeLog.objects.get()
    assert (log.reason, log.user, log.soft, log.matched, log.failures) == (
        "manual",
        "",
        False,
        2,
        0,
    )
    assert log.criteria == {"urls": ["/p/1/"]}
    assert sorted(log.sample) == ["http://testserver/p/1/", "http://testserver/p/1/?page=2"]
    assert tiers(log) == {"cache:default": (True, "2 entries deleted")}
    assert log.duration > 0


def test_a_tag_purge_is_logged_without_counting_what_carries_the_tag(backend):
    """Purges run on hot paths (ingest): one INSERT, no query for the tagged entries."""
    visit("/p/1/", "/p/2/", "/slow/?s=0")
    with CaptureQueriesContext(connection) as queries:
        assert herdcache.purge(tags=["posts"], soft=True) == 0  # tags return no URL count
    statements = [query["sql"] for query in queries]
    assert [sql for sql in statements if sql.startswith("INSERT")] == [statements[-1]]
    assert not any("herdcache_cachedurl" in sql for sql in statements)
    log = PurgeLog.objects.get()
    assert (
        log.soft and log.matched == 0 and log.sample == [] and log.criteria == {"tags": ["posts"]}
    )
    assert tiers(log) == {"cache:default": (True, "1 tags softened")}


def test_the_reason_comes_from_the_argument_or_the_enclosing_block():
    user = get_user_model().objects.create(username="editor")
    with purgelog.purge_reason("admin", user=user):
        herdcache.purge(tags=["a"])
        herdcache.purge(tags=["b"], reason="api", user="robot")
    herdcache.purge(tags=["c"])
    logged = [(log.reason, log.user) for log in PurgeLog.objects.order_by("id")]
    assert logged == [("admin", "editor"), ("api", "robot"), ("manual", "")]


def test_an_unknown_reason_is_refused_before_anything_is_purged(backend):
    visit("/p/1/")
    with pytest.raises(purgelog.UnknownReason, match="use one of manual, tracked, api"):
        herdcache.purge(urls=["/p/1/"], reason="because")
    visit("/p/1/")
    assert RENDERS["post"] == 1 and not PurgeLog.objects.exists()


@pytest.mark.parametrize(
    "error",
    [
        DatabaseError("no such table: herdcache_purgelog"),
        ImproperlyConfigured("settings.DATABASES is improperly configured"),  # no database at all
    ],
    ids=["table-missing", "no-database"],
)
def test_a_purge_still_purges_when_the_log_cannot_be_written(monkeypatch, caplog, error):
    caches["default"].clear()
    visit("/p/1/")

    def broken(*args, **kwargs):
        raise error

    monkeypatch.setattr(PurgeLog, "save", broken)
    with caplog.at_level(logging.WARNING, logger="herdcache"):
        assert herdcache.purge(urls=["/p/1/"]) == 1
    visit("/p/1/")
    assert RENDERS["post"] == 2
    assert f"not logged ({error})" in caplog.text


def test_a_tier_that_fails_is_logged_as_a_failure(settings):
    """memcached down during a tag purge: the purge raises as before, and the log says so."""
    settings.CACHES = {
        "default": {
            "BACKEND": "herdcache.backends.PyMemcacheCache",
            "LOCATION": f"127.0.0.1:{free_port()}",
        }
    }
    with pytest.raises(Exception):  # noqa: B017  (whatever the client raises, as before)
        herdcache.purge(tags=["posts"])
    log = PurgeLog.objects.get()
    ok, detail = tiers(log)["cache:default"]
    assert not ok and detail and log.failures == 1


def test_tiers_reporting_later_update_the_saved_entry(backend):
    """The hook downstream fan-outs (Varnish, CDNs) report through after the INSERT."""
    reported = []

    def fan_out() -> None:  # what a downstream purge does inline: grab the record
        reported.append(purgelog.current())

    from herdcache import purging

    original = purging._purge_tagged_edge
    purging._purge_tagged_edge = lambda tags, record=None: (fan_out(), original(tags, record))
    try:
        herdcache.purge(tags=["posts"])
    finally:
        purging._purge_tagged_edge = original
    (record,) = reported
    purgelog.record_tier(record, "varnish:10.0.0.1", True, "xkey purge: 200")
    purgelog.record_tier(record.log_id, "cdn", False, "HTTP 503 after 3 tries")
    log = PurgeLog.objects.get()
    assert tiers(log)["varnish:10.0.0.1"] == (True, "xkey purge: 200")
    assert tiers(log)["cdn"] == (False, "HTTP 503 after 3 tries")
    assert log.failures == 1
    purgelog.record_tier(10**9, "cdn", False, "a pruned entry: nothing to update, no error")


def test_edge_tiers_report_memcached_and_unreachable_nginx_nodes(settings, request):
    """Edge copies on real memcached are deleted; a local-tier node that is down is a failure."""
    settings.CACHES = {"default": cache_config("memcached", request)}
    node = f"127.0.0.1:{free_port()}"
    settings.HERDCACHE = {"STATS_FLUSH_INTERVAL": 0, "EDGE_PURGE_NODES": [node]}
    caches["default"].clear()
    visit("/p/1/")
    row = CachedURL.objects.get()
    registry.remember_edge(row.base_key, "e" * 32, "default", "testserver", "/p/1/")
    herdcache.purge(urls=["/p/1/"])
    log = PurgeLog.objects.get()
    assert tiers(log)["edge"] == (True, "1 copies deleted")
    assert tiers(log)["edge-nodes"] == (False, f"0 nodes reached; {node} unreachable")
    assert log.failures == 1


def test_find_urls_with_purge_and_the_urls_command_are_logged(backend):
    visit("/p/1/", "/p/2/")
    list(herdcache.find_urls(["/p/1/"], purge=True))
    call_command("herdcache", "urls", "--purge", "/p/2/", stdout=io.StringIO())
    logged = [(log.reason, log.matched, log.sample) for log in PurgeLog.objects.order_by("id")]
    assert logged == [
        ("manual", 1, ["http://testserver/p/1/"]),
        ("command", 1, ["http://testserver/p/2/"]),
    ]


def test_the_log_is_pruned_by_age_and_size(settings, monkeypatch):
    settings.HERDCACHE = {"PURGE_LOG_MAX_ROWS": 3, "PURGE_LOG_MAX_AGE": 7}
    # The process-wide writer prunes every 100th save: one of these five may be it.
    monkeypatch.setattr(purgelog, "writer", purgelog._Writer())
    for n in range(5):
        herdcache.purge(tags=[f"t{n}"])
    newest = PurgeLog.objects.order_by("id").last()
    PurgeLog.objects.filter(pk=newest.pk).update(created=timezone.now() - timedelta(days=8))
    assert purgelog.prune() == 2  # t4 by age, then t0 past the newest 3
    assert sorted(log.criteria["tags"][0] for log in PurgeLog.objects.all()) == ["t1", "t2", "t3"]


def test_downstream_caches_report_their_outcome_in_the_log(backend, monkeypatch):
    """A purge fanned out to Varnish/CDNs (herdcache.downstream) lands in the log per cache, as
    the cache's worker thread reports it — after the entry was saved."""
    from herdcache import downstream

    sent: list[tuple[downstream.PurgeRequest, object]] = []
    monkeypatch.setattr(
        downstream, "fan_out", lambda purge, on_result=None: sent.append((purge, on_result))
    )
    herdcache.purge(tags=["posts"])
    ((request, on_result),) = sent
    assert request.tags == ["posts"] and on_result is not None
    on_result(downstream.TierResult("varnish", "edge-1", "ok", request, requests=1, attempts=1))
    on_result(downstream.TierResult("fastly", "cdn", "failed", request, detail="HTTP 503 x4"))
    log = PurgeLog.objects.get()
    assert tiers(log)["downstream:edge-1"][0] is True
    assert tiers(log)["downstream:cdn"] == (False, "HTTP 503 x4")
    assert log.failures == 1
