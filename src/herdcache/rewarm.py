"""Re-warm: after a purge, re-render the most requested purged pages before visitors ask.

The pages are fetched through their real URL (an HTTP GET to the remembered absolute URL, or to
``REWARM_ORIGIN`` with the URL's host in the Host header), so the middleware runs, the entry is
stored with its tags and the nginx edge copy is written, exactly as for a visitor. Requests
carry ``X-Herdcache-Rewarm: 1``, so their renders are counted as ``rewarm`` in the stats.

Re-warm adds no renders: it is one more visitor. The stampede lock lets one request render a
purged page; a visitor arriving meanwhile waits for that render (hard purge) or gets the stale
copy (soft purge), and a page a visitor already re-rendered is a plain hit for the re-warm GET.

Which pages: the ``REWARM_TOP`` remembered URLs among those purged with the most requests
(per-URL counters, ``remember_stats_all_urls``; without them the order is by URL). After a
purge this runs in a background thread, ``REWARM_CONCURRENCY`` GETs at a time, and reports to the
purge log as the tier ``rewarm``; it never blocks or raises into the purging request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from http.client import HTTPConnection, HTTPSConnection
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.db import DatabaseError, connections

from herdcache import purgelog, stats
from herdcache.conf import conf

if TYPE_CHECKING:
    from herdcache.models import CachedURL

logger = logging.getLogger("herdcache")

HEADER = "X-Herdcache-Rewarm"
USER_AGENT = "herdcache-rewarm"


@dataclass(frozen=True, slots=True)
class Fetched:
    """One re-warm GET: the URL, its HTTP status (0: no answer), how long it took, and why not."""

    url: str
    status: int
    seconds: float
    error: str = ""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 400


class Ranking:
    """The ``top`` most requested URLs among the remembered rows it is shown."""

    def __init__(self, top: int) -> None:
        self.top = top
        self._requests: dict[str, int] = {}

    def add(self, rows: Iterable[CachedURL]) -> None:
        """Rank ``rows`` by their per-URL counters (one cache round trip per alias)."""
        by_alias: dict[str, list[CachedURL]] = defaultdict(list)
        for row in rows:
            by_alias[row.cache_alias].append(row)
        for alias, group in by_alias.items():
            counters = stats.read_counters(alias, {row.base_key for row in group})
            for row in group:
                requests = sum(counters.get(row.base_key, {}).values())
                # Variants of one URL (Vary, key prefixes) share it: re-warm it once.
                self._requests[row.url] = max(requests, self._requests.get(row.url, 0))
        if len(self._requests) > 4 * self.top:  # bounded memory for purges of any size
            self._requests = dict(self._ordered()[: self.top])

    def _ordered(self) -> list[tuple[str, int]]:
        return sorted(self._requests.items(), key=lambda item: (-item[1], item[0]))

    def best(self) -> list[str]:
        """The URLs to re-warm, most requested first."""
        return [url for url, _ in self._ordered()[: self.top]]


def fetch(url: str, *, origin: str | None = None, timeout: float = 30.0) -> Fetched:
    """GET ``url`` (from ``origin`` with the URL's Host when given) as a re-warm; never raises."""
    started = time.monotonic()
    parts = urlsplit(url)
    server = urlsplit(origin) if origin else parts
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection_class = HTTPSConnection if server.scheme == "https" else HTTPConnection
    try:
        connection = connection_class(server.hostname or "", server.port, timeout=timeout)
        try:
            connection.request(
                "GET",
                target,
                headers={"Host": parts.netloc, HEADER: "1", "User-Agent": USER_AGENT},
            )
            response = connection.getresponse()
            response.read()
            status = response.status
        finally:
            connection.close()
    except (OSError, ValueError, UnicodeError) as exc:  # down, timed out, unencodable URL
        return Fetched(url, 0, time.monotonic() - started, str(exc) or type(exc).__name__)
    error = "" if 200 <= status < 400 else f"HTTP {status}"
    return Fetched(url, status, time.monotonic() - started, error)


def rewarm_urls(
    urls: list[str],
    *,
    concurrency: int | None = None,
    origin: str | None = None,
    timeout: float | None = None,
) -> list[Fetched]:
    """GET every URL, ``concurrency`` at a time (defaults from settings); results in order."""
    if not urls:
        return []
    get = partial(
        fetch,
        origin=origin if origin is not None else conf.REWARM_ORIGIN,
        timeout=timeout if timeout is not None else conf.REWARM_TIMEOUT,
    )
    workers = min(concurrency or conf.REWARM_CONCURRENCY, len(urls))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="herdcache-rewarm") as pool:
        return list(pool.map(get, urls))


def summary(results: list[Fetched]) -> tuple[bool, str]:
    """(all answered, a one-line detail) for the purge log's ``rewarm`` tier."""
    failed = [result for result in results if not result.ok]
    detail = f"{len(results) - len(failed)}/{len(results)} pages re-warmed"
    if failed:
        detail += "; failed: " + ", ".join(f"{r.url} ({r.error})" for r in failed[:3])
    return not failed, detail


class Rewarmer:
    """Runs re-warm jobs one after another in one background thread (purges queue up)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        self._running: set[Future[None]] = set()

    def submit(self, job: Callable[[], None]) -> Future[None]:
        """Queue ``job``; it runs after the jobs queued before it."""
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(1, thread_name_prefix="herdcache-rewarm-job")
            future = self._executor.submit(_guarded, job)
            self._running.add(future)
        future.add_done_callback(self._running.discard)
        return future

    def wait(self, timeout: float = 60.0) -> None:
        """Block until queued jobs finish (tests, commands, graceful shutdown)."""
        deadline = time.monotonic() + timeout
        for future in list(self._running):
            future.result(timeout=max(0.0, deadline - time.monotonic()))


def _guarded(job: Callable[[], None]) -> None:
    try:
        job()
    except Exception:  # a re-warm is an optimisation: log it, never let it escape the thread
        logger.exception("herdcache: re-warm failed")
    finally:
        try:  # this thread is not a request: close the connections the job opened here
            connections.close_all()
        except Exception:
            logger.exception("herdcache: closing a re-warm thread's DB connections failed")


rewarmer = Rewarmer()


def schedule(ranking: Ranking, tags: list[str], record: purgelog.PurgeRecord | None) -> None:
    """After a purge: rank the rows carrying ``tags`` too, then re-warm the best in the background."""

    def job() -> None:
        if tags:
            # The models (and purging, which imports this module): not at import time.
            from herdcache import registry
            from herdcache.purging import _batches

            try:
                for batch in _batches(registry.find(tags=tags)):
                    ranking.add(batch)
            except DatabaseError as exc:
                logger.warning("herdcache: re-warm of tags %s skipped (%s)", tags, exc)
        results = rewarm_urls(ranking.best())
        if results:
            ok, detail = summary(results)
            purgelog.record_tier(record, "rewarm", ok, detail)

    try:
        rewarmer.submit(job)
    except RuntimeError as exc:  # interpreter shutting down: the pages render on demand
        logger.warning("herdcache: re-warm not started (%s)", exc)
