"""Purges fan out to the caches in front of Django: Varnish nodes, Fastly, Cloudflare.

``herdcache.purge`` calls ``fan_out`` once for its tags and once per batch of remembered URLs it
purged; each cache in ``HERDCACHE["DOWNSTREAM"]`` gets the purge in its own background thread
(``worker``) in the request shapes of ``tiers``. Nothing here blocks or raises into the caller.
``on_result`` hears how each cache took it (``TierResult``: ok, retried, failed, dropped), from
that cache's thread, e.g. to record in a purge log which tiers were reached.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from herdcache import surrogate
from herdcache.conf import conf
from herdcache.downstream.tiers import Call, Tier
from herdcache.downstream.worker import TierWorker

logger = logging.getLogger("herdcache")
Outcome = Literal["ok", "retried", "failed", "dropped"]


@dataclass(frozen=True)
class PurgeRequest:
    """What to purge downstream: tags (herdcache's, encoded per SURROGATE_HEADER on the way),
    absolute URLs (``scheme://host/path?query``), soft or hard."""

    tags: Sequence[str] = ()
    urls: Sequence[str] = ()
    soft: bool = False


@dataclass(frozen=True)
class TierResult:
    """How one downstream cache took one purge."""

    tier: str  # the cache's kind: varnish, fastly, cloudflare
    name: str  # the cache's name (DOWNSTREAM "name", or kind:target)
    outcome: Outcome  # ok; retried (ok after retries); failed; dropped (queue full, not sent)
    purge: PurgeRequest
    requests: int = 0
    attempts: int = 0
    detail: str = ""
    seconds: float = field(default=0.0, compare=False)


OnResult = Callable[[TierResult], None]

_workers: dict[tuple[str, int], TierWorker] = {}
_lock = threading.Lock()
# A management command or a worker process that purges and exits at once still sends its
# purges: the workers are daemon threads, alive while atexit handlers run (bounded wait).
DRAIN_AT_EXIT = 10.0


def fan_out(purge: PurgeRequest, on_result: OnResult | None = None) -> int:
    """Queue ``purge`` for every configured downstream cache; return how many accepted it."""
    try:
        return _fan_out(purge, on_result)
    except Exception:  # bad settings (reported by herdcache.E030/E031): never into purge()
        logger.exception("herdcache: downstream purge not sent (check HERDCACHE settings)")
        return 0


def _fan_out(purge: PurgeRequest, on_result: OnResult | None) -> int:
    tiers = conf.DOWNSTREAM
    if not tiers or not (purge.tags or purge.urls):
        return 0
    header = conf.SURROGATE_HEADER
    # Without a surrogate header no cached response carries keys: only URLs can be purged.
    keys = surrogate.purge_keys(purge.tags, header) if header else []
    if not keys and not purge.urls:
        return 0
    urls = list(dict.fromkeys(purge.urls))  # one row per stored variant: one URL each
    accepted = 0
    for entry in tiers:
        try:
            tier = Tier.from_setting(entry)
            calls = tier.calls(keys, urls, soft=purge.soft)
        except (KeyError, TypeError, ValueError) as exc:  # herdcache.E031 reports it too
            logger.warning("herdcache: downstream cache %r misconfigured (%r)", entry, exc)
            continue
        worker = _worker(tier)
        job = _job(worker, tier, calls, purge, on_result)
        if worker.submit(job):
            accepted += 1
            continue
        logger.warning(
            "herdcache: downstream queue of %s is full; purge of %d tags, %d URLs dropped",
            tier.name,
            len(purge.tags),
            len(purge.urls),
        )
        _report(on_result, TierResult(tier.kind, tier.name, "dropped", purge, detail="queue full"))
    return accepted


def drain(timeout: float = 10.0) -> bool:
    """Wait until every queued downstream purge was sent (tests, shutdown); False on timeout."""
    deadline = time.monotonic() + timeout
    with _lock:
        workers = [worker for worker in _workers.values() if worker.pid == os.getpid()]
    return all(worker.drain(max(0.0, deadline - time.monotonic())) for worker in workers)


def _worker(tier: Tier) -> TierWorker:
    key = (repr(sorted(tier.options.items(), key=lambda item: item[0])), os.getpid())
    with _lock:
        worker = _workers.get(key)
        if worker is None:  # first purge for this cache in this process (or after a fork)
            if not any(pid == os.getpid() for _, pid in _workers):
                atexit.register(drain, DRAIN_AT_EXIT)
            worker = _workers[key] = TierWorker(tier, conf.DOWNSTREAM_QUEUE_SIZE)
        return worker


def _job(
    worker: TierWorker,
    tier: Tier,
    calls: list[Call],
    purge: PurgeRequest,
    on_result: OnResult | None,
) -> Callable[[], None]:
    def run() -> None:
        started = time.monotonic()
        sent = [worker.send(call) for call in calls]
        failed = [s for s in sent if not s.ok]
        attempts = sum(s.attempts for s in sent)
        if failed:
            outcome: Outcome = "failed"
            detail = "; ".join(s.detail for s in failed[:3])
            logger.warning("herdcache: downstream purge on %s failed: %s", tier.name, detail)
        else:
            outcome = "retried" if attempts > len(sent) else "ok"
            detail = f"{len(sent)} requests, {attempts} attempts"
        result = TierResult(
            tier.kind,
            tier.name,
            outcome,
            purge,
            requests=len(sent),
            attempts=attempts,
            detail=detail,
            seconds=time.monotonic() - started,
        )
        _report(on_result, result)

    return run


def _report(on_result: OnResult | None, result: TierResult) -> None:
    if on_result is None:
        return
    try:
        on_result(result)
    except Exception:  # the hook's bug must not stop the purges behind it
        logger.exception("herdcache: downstream on_result hook raised for %s", result.name)


__all__ = ["PurgeRequest", "TierResult", "drain", "fan_out"]
