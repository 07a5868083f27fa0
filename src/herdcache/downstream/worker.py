"""One background thread per downstream cache: sends its purge requests, retrying with backoff.

A request thread only enqueues (``put_nowait`` on a bounded queue): a slow or dead cache delays
nothing but its own thread, and a full queue drops the purge with a log line and a ``dropped``
result. Connection errors, 5xx and 429 are retried ``retries`` times, waiting ``backoff``,
then twice that, ... (capped at 30 s; a 429's ``Retry-After`` when it says longer, capped too).
A 4xx other than 429 is final: sending it again would not help. After a fork the child starts
its own threads (the parent's are not inherited).
"""

from __future__ import annotations

import http.client
import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.db import connections

from herdcache.downstream.tiers import Call, Tier

logger = logging.getLogger("herdcache")
MAX_DELAY = 30.0
Job = Callable[[], None]


@dataclass(frozen=True)
class Sent:
    """How one call went: answered 2xx in the end or not, after how many attempts, and why."""

    ok: bool
    attempts: int
    detail: str


class TierWorker:
    """A daemon thread with a bounded queue of jobs for one downstream cache."""

    def __init__(self, tier: Tier, maxsize: int) -> None:
        self.tier = tier
        self.jobs: queue.Queue[Job] = queue.Queue(maxsize=maxsize)
        self.pid = os.getpid()
        self.thread = threading.Thread(
            target=self._run, name=f"herdcache-downstream-{tier.name}", daemon=True
        )
        self.thread.start()

    def submit(self, job: Job) -> bool:
        """Queue ``job``; False (nothing queued) when the queue is full."""
        try:
            self.jobs.put_nowait(job)
        except queue.Full:
            return False
        return True

    def drain(self, timeout: float) -> bool:
        """Wait until every queued job has run; False if ``timeout`` seconds passed first."""
        deadline = time.monotonic() + timeout
        with self.jobs.all_tasks_done:
            while self.jobs.unfinished_tasks:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.jobs.all_tasks_done.wait(left)
        return True

    def _run(self) -> None:
        while True:
            job = self.jobs.get()
            try:
                job()
            except Exception:  # a bug in a job must not kill the thread serving the queue
                logger.exception("herdcache: downstream purge job for %s failed", self.tier.name)
            finally:
                _close_connections()  # never raises
                self.jobs.task_done()

    def send(self, call: Call) -> Sent:
        """Send ``call``, retrying connection errors, 5xx and 429 with exponential backoff."""
        attempts, delay = 0, self.tier.backoff
        while True:
            attempts += 1
            status, detail, retry_after = _request(call, self.tier.timeout)
            if status is not None and 200 <= status < 300:
                return Sent(True, attempts, detail)
            retryable = status is None or status == 429 or status >= 500
            if not retryable or attempts > self.tier.retries:
                return Sent(False, attempts, detail)
            time.sleep(min(MAX_DELAY, max(delay, retry_after or 0.0)))
            delay *= 2


def _close_connections() -> None:
    """Close this thread's database connections after a job.

    A job's purge-log report (purgelog.record_tier) opened one: it must not be held for ever,
    nor hold a lock a later request waits for. Only connections already open are touched —
    ``close_old_connections()`` would connect to ask (and raise during a database outage,
    which must not kill the thread serving the queue).
    """
    for connection in connections.all(initialized_only=True):
        try:
            connection.close()
        except Exception as exc:  # the next job reconnects; nothing else to do here
            logger.warning(
                "herdcache: downstream worker could not close %s (%s)", connection.alias, exc
            )


def _request(call: Call, timeout: float) -> tuple[int | None, str, float | None]:
    """One attempt: (status or None, detail, Retry-After seconds or None)."""
    parts = urlsplit(call.url)
    target = parts.path or "/"
    if parts.query:
        target += f"?{parts.query}"
    kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = kind(parts.hostname or "", parts.port, timeout=timeout)
    try:
        connection.request(call.method, target, body=call.body, headers=call.headers)
        response = connection.getresponse()
        body = response.read(500)
        retry_after = response.getheader("Retry-After")
        detail = f"{call.method} {call.url}: {response.status} {body[:200]!r}"
        return response.status, detail, _seconds(retry_after)
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return None, f"{call.method} {call.url}: {type(exc).__name__}: {exc}", None
    finally:
        connection.close()


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:  # an HTTP date: fall back to our own backoff
        return None
