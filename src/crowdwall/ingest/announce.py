"""After a commit: purge what changed, publish the events, and refresh the walls' figures, paced.

Every writer (ingest storing a batch, moderation, consent withdrawals, a re-index) ends the same
way: the walls' pages are soft-purged, the events published, and the walls' *figures* (post
count, top lists: ``crowdwall.aggregates``) hard-purged and pushed to live pages
(``wall.figures`` frames). Recomputing the figures costs a few queries that read the wall's
approved entries, so doing it after every batch melts a busy wall: a stream storing 20 batches a
second recomputed them 20 times a second. ``FiguresPacer`` refreshes a wall's figures at most once
per ``LIVE_FIGURES_INTERVAL`` (1 s) in this process: the first change of an interval at once
(leading edge), the changes after it together at the end of the interval (trailing edge), so the
figures are never behind by more than the posts of the last interval, and an idle wall costs
nothing. ``LIVE_FIGURES_INTERVAL = 0`` refreshes after every change (as the tests do).

The trailing refresh runs on a timer thread; it soft-purges the walls' pages again, because a
page re-rendered before it would otherwise keep the old figures until the next change.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable

from django.db import close_old_connections

from crowdwall.caching import purge_figures, purge_walls
from crowdwall.conf import conf
from crowdwall.ingest.publisher import Event, publish

logger = logging.getLogger("crowdwall.publisher")

Flush = Callable[[set[str]], None]


class FiguresPacer:
    """Lets each wall's figures through at most once per ``interval()`` seconds; the walls held
    back go to ``flush`` together when their interval ends (on a daemon timer thread)."""

    def __init__(self, flush: Flush, interval: Callable[[], float]) -> None:
        self._flush = flush
        self._interval = interval
        self._lock = threading.Lock()
        self._last: dict[str, float] = {}  # slug -> when its figures last went out
        self._pending: set[str] = set()
        self._timer: threading.Timer | None = None

    def take(self, slugs: Iterable[str]) -> set[str]:
        """The walls of ``slugs`` whose figures may be refreshed now; the others are held back
        for the trailing refresh."""
        interval = self._interval()
        slugs = set(slugs)
        if interval <= 0 or not slugs:
            return slugs
        now = time.monotonic()
        with self._lock:
            due = {s for s in slugs if now - self._last.get(s, float("-inf")) >= interval}
            for slug in due:
                self._last[slug] = now
            self._pending |= slugs - due
            self._pending -= due
            if self._pending and self._timer is None:
                wake = min(self._last[s] for s in self._pending) + interval
                self._timer = threading.Timer(max(0.0, wake - now), self._fire)
                self._timer.daemon = True
                self._timer.start()
            self._forget_idle(now, interval)
        return due

    def pending(self) -> set[str]:
        """The walls waiting for the trailing refresh."""
        with self._lock:
            return set(self._pending)

    def _forget_idle(self, now: float, interval: float) -> None:
        # Bounded memory whatever the number of walls: past one interval a wall is due anyway.
        if len(self._last) > 1000:
            self._last = {s: t for s, t in self._last.items() if now - t < interval}

    def _fire(self) -> None:
        now = time.monotonic()
        interval = self._interval()
        with self._lock:
            self._timer = None
            due = {s for s in self._pending if now - self._last.get(s, 0.0) >= interval - 0.001}
            self._pending -= due
            for slug in due:
                self._last[slug] = now
            if self._pending:  # a wall refreshed at the leading edge meanwhile: its own turn
                wake = min(self._last[s] for s in self._pending) + interval
                self._timer = threading.Timer(max(0.0, wake - now), self._fire)
                self._timer.daemon = True
                self._timer.start()
        if not due:
            return
        try:
            self._flush(due)
        except Exception:
            logger.exception("Refreshing the figures of walls %s failed", sorted(due))
        finally:
            close_old_connections()  # this thread's connection must not outlive its use


_state: dict[str, object] = {}


def pacer() -> FiguresPacer:
    """This process's pacer (a new one after a fork: the parent's timer thread is not ours)."""
    if _state.get("pid") != os.getpid() or "pacer" not in _state:
        _state["pacer"] = FiguresPacer(refresh, lambda: conf.LIVE_FIGURES_INTERVAL)
        _state["pid"] = os.getpid()
    found = _state["pacer"]
    assert isinstance(found, FiguresPacer)
    return found


def set_pacer(replacement: FiguresPacer | None) -> FiguresPacer | None:
    """Use ``replacement`` in this process from now on (``None``: a new default one); returns the
    previous pacer. For tests, like ``crowdwall.ingest.publisher.set_publisher``."""
    previous = _state.pop("pacer", None)
    if replacement is not None:
        _state["pacer"], _state["pid"] = replacement, os.getpid()
    return previous if isinstance(previous, FiguresPacer) else None


def refresh(slugs: set[str]) -> None:
    """Refresh the figures of the walls ``slugs`` now: hard-purge them, soft-purge the walls'
    pages (a page re-rendered before would keep the old figures), push them to live pages."""
    purge_figures(slugs)
    purge_walls(slugs)
    publish((), figures=slugs)


def announce(events: Iterable[Event], pages: Iterable[str], figures: Iterable[str] = ()) -> None:
    """After commit: soft-purge the pages of the walls ``pages``, publish ``events``, and refresh
    the figures of ``pages`` and ``figures`` (paced). Never raises for a cache or live outage."""
    pages = set(pages)
    due = pacer().take(pages | set(figures))
    # Figures before pages: a page re-rendered between the two purges must not cache old ones.
    purge_figures(due)
    purge_walls(pages)
    publish(events, figures=due)
