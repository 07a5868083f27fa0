"""Purges fan out to CDNs (herdcache.downstream): request shapes, batching, retries, dead CDNs."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time

import pytest
from django.test import Client

import herdcache
from herdcache import downstream
from herdcache.downstream import PurgeRequest, TierResult
from herdcache.surrogate import purge_keys

pytestmark = pytest.mark.django_db


class Results:
    """Collects ``on_result`` calls (made from the workers' threads) and awaits them."""

    def __init__(self) -> None:
        self.items: list[TierResult] = []
        self.changed = threading.Condition()

    def __call__(self, result: TierResult) -> None:
        with self.changed:
            self.items.append(result)
            self.changed.notify_all()

    def wait_for(self, count: int, timeout: float = 30.0) -> list[TierResult]:
        with self.changed:
            assert self.changed.wait_for(lambda: len(self.items) >= count, timeout), self.items
            return list(self.items)


def configure(settings, cdn, kind: str, header: str, **extra) -> None:
    target = {"service": "SVC1"} if kind == "fastly" else {"zone": "ZONE1"}
    tier = {"kind": kind, "token": "sekret", "base_url": cdn.base_url, **target, **extra}
    settings.HERDCACHE = {
        "STATS_FLUSH_INTERVAL": 0,
        "SURROGATE_HEADER": header,
        "DOWNSTREAM": [tier],
        **extra.pop("_herdcache", {}),
    }


def test_fastly_tag_purge_shape(settings, fake_cdn):
    configure(settings, fake_cdn, "fastly", "Surrogate-Key")
    tags = ["posts", "r:blog.Post:7", "two words"]
    herdcache.purge(tags=tags, soft=True)
    (request,) = fake_cdn.wait_for(1)
    assert (request.method, request.path) == ("POST", "/service/SVC1/purge")
    assert request.headers["fastly-key"] == "sekret"
    assert request.headers["fastly-soft-purge"] == "1"
    assert request.json() == {"surrogate_keys": purge_keys(tags, "Surrogate-Key")}


def test_cloudflare_tag_purges_go_in_batches_of_30_with_a_bearer_token(settings, fake_cdn):
    configure(settings, fake_cdn, "cloudflare", "Cache-Tag")
    tags = [f"r:blog.Post:{n}" for n in range(40)]  # 40 keys + their buckets
    herdcache.purge(tags=tags, soft=True)  # Cloudflare has no soft purge: a hard one
    assert downstream.drain(20)
    keys = purge_keys(tags, "Cache-Tag")
    sent = fake_cdn.received
    assert [len(r.json()["tags"]) for r in sent] == [30] * (len(keys) // 30) + [len(keys) % 30]
    assert [key for r in sent for key in r.json()["tags"]] == keys
    assert {r.path for r in sent} == {"/client/v4/zones/ZONE1/purge_cache"}
    assert {r.headers["authorization"] for r in sent} == {"Bearer sekret"}


@pytest.mark.parametrize(
    ("kind", "method", "path", "body"),
    [
        ("fastly", "POST", "/purge/testserver/p/5/", b""),
        ("cloudflare", "POST", "/client/v4/zones/ZONE1/purge_cache",
         b'{"files": ["http://testserver/p/5/"]}'),
    ],
)  # fmt: skip
def test_url_purges_reach_the_cdn(settings, fake_cdn, kind, method, path, body):
    configure(settings, fake_cdn, kind, "Surrogate-Key" if kind == "fastly" else "Cache-Tag")
    assert Client().get("/p/5/").status_code == 200  # remembered: purge by URL finds it
    assert herdcache.purge(urls=["/p/5/"]) == 1
    (request,) = fake_cdn.wait_for(1)
    assert (request.method, request.path, request.body) == (method, path, body)


def test_5xx_and_429_are_retried_with_exponential_backoff(settings, fake_cdn):
    configure(settings, fake_cdn, "fastly", "Surrogate-Key", backoff=0.2, retries=3)
    fake_cdn.answers = [503, (429, {"Retry-After": "0"})]
    results = Results()
    downstream.fan_out(PurgeRequest(tags=["posts"]), on_result=results)
    (result,) = results.wait_for(1)
    assert (result.outcome, result.requests, result.attempts) == ("retried", 1, 3)
    first, second, third = fake_cdn.received
    assert second.at - first.at >= 0.2
    assert third.at - second.at >= 0.4  # doubled


@pytest.mark.parametrize(("answers", "attempts"), [([500] * 5, 3), ([400], 1)])
def test_a_cdn_that_keeps_failing_is_given_up_and_reported(settings, fake_cdn, answers, attempts):
    configure(settings, fake_cdn, "cloudflare", "Cache-Tag", backoff=0.01, retries=2)
    fake_cdn.answers = list(answers)
    results = Results()
    downstream.fan_out(PurgeRequest(tags=["posts"]), on_result=results)
    (result,) = results.wait_for(1)
    assert (result.outcome, result.attempts) == ("failed", attempts)
    assert str(answers[0]) in result.detail
    assert len(fake_cdn.received) == attempts  # a 400 is final: never sent again


def test_a_dead_cdn_never_slows_or_breaks_the_purging_request(settings, fake_cdn, caplog):
    fake_cdn.hang()  # accepts, never answers
    configure(
        settings,
        fake_cdn,
        "fastly",
        "Surrogate-Key",
        timeout=1,
        retries=0,
        _herdcache={"DOWNSTREAM_QUEUE_SIZE": 1},
    )
    results = Results()
    started = time.monotonic()
    herdcache.purge(tags=["a"])  # the worker takes it and hangs on the CDN
    fake_cdn.wait_for(1)
    downstream.fan_out(PurgeRequest(tags=["b"]), on_result=results)  # queued
    with caplog.at_level(logging.WARNING, logger="herdcache"):
        downstream.fan_out(PurgeRequest(tags=["c"]), on_result=results)  # queue full: dropped
        assert herdcache.purge(tags=["d"]) == 0  # never raises
    assert time.monotonic() - started < 1.0  # the 1 s request timeout was not waited for
    dropped = [r for r in results.items if r.outcome == "dropped" and r.tier == "fastly"]
    assert [r.purge.tags for r in dropped] == [["c"]]
    assert "queue of fastly:SVC1 is full" in caplog.text


def test_an_unreachable_cache_is_reported_failed(settings):
    dead = {"kind": "varnish", "urls": ["127.0.0.1:9"], "retries": 1, "backoff": 0.01}
    settings.HERDCACHE = {"SURROGATE_HEADER": "xkey", "DOWNSTREAM": [dead]}
    results = Results()
    downstream.fan_out(PurgeRequest(tags=["a"], urls=["http://example.com/x"]), on_result=results)
    (result,) = results.wait_for(1)
    assert (result.tier, result.outcome, result.requests, result.attempts) == (
        "varnish",
        "failed",
        2,
        4,
    )
    assert "ConnectionRefusedError" in result.detail


def test_a_raising_hook_does_not_stop_later_purges(settings, fake_cdn):
    configure(settings, fake_cdn, "fastly", "Surrogate-Key")
    results = Results()

    def broken(result: TierResult) -> None:
        raise RuntimeError("hook bug")

    downstream.fan_out(PurgeRequest(tags=["a"]), on_result=broken)
    downstream.fan_out(PurgeRequest(tags=["b"]), on_result=results)
    assert results.wait_for(1)[0].outcome == "ok"


@pytest.mark.parametrize(
    "config",
    [
        {"SURROGATE_HEADER": "X-Tags", "DOWNSTREAM": [{"kind": "varnish", "urls": ["x:1"]}]},
        {"SURROGATE_HEADER": "xkey", "DOWNSTREAM": {"kind": "varnish"}},
        {"SURROGATE_HEADER": "xkey", "DOWNSTREAM": [{"kind": "fastly"}]},
    ],
)
def test_bad_settings_never_fail_a_page_or_a_purge(settings, config):
    settings.HERDCACHE = config  # herdcache.E030/E031 report these
    assert Client().get("/p/6/").status_code == 200
    assert herdcache.purge(tags=["posts"]) == 0


_PURGE_AND_EXIT = """
import django
from django.conf import settings
settings.configure(
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
    INSTALLED_APPS=["herdcache"],
    HERDCACHE={"SURROGATE_HEADER": "Cache-Tag", "DOWNSTREAM": [
        {"kind": "cloudflare", "zone": "Z", "token": "t", "base_url": %r}]},
)
django.setup()
import herdcache
herdcache.purge(tags=["posts"])
"""


def test_a_process_that_purges_and_exits_still_sends_its_purges(fake_cdn):
    script = _PURGE_AND_EXIT % fake_cdn.base_url
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    subprocess.run([sys.executable, "-c", script], env=env, check=True, timeout=60)
    (request,) = fake_cdn.received  # sent before the interpreter exited
    assert request.json() == {"tags": purge_keys(["posts"], "Cache-Tag")}


def test_a_database_outage_after_a_job_does_not_kill_the_worker(monkeypatch):
    """The worker closes its thread's connections after each job; when that fails (the database
    went away) the thread still serves its queue and drain() still returns."""
    from herdcache.downstream import worker as worker_module
    from herdcache.downstream.tiers import Tier

    class Gone:
        alias = "default"

        def close(self) -> None:
            raise RuntimeError("database is down")

    monkeypatch.setattr(worker_module.connections, "all", lambda initialized_only=False: [Gone()])
    tier = Tier.from_setting({"kind": "varnish", "urls": ["127.0.0.1:9"]})
    worker = worker_module.TierWorker(tier, maxsize=4)
    ran: list[int] = []
    assert worker.submit(lambda: ran.append(1))
    assert worker.submit(lambda: 1 / 0)  # a bug in a job, too
    assert worker.submit(lambda: ran.append(3))
    assert worker.drain(10)
    assert ran == [1, 3] and worker.thread.is_alive()
