"""The purge log: every purge recorded with why, by whom, what it matched and which tiers it reached.

A purge collects its record in memory (``PurgeRecord``) while it runs: each tier it reaches
(a cache alias, the nginx edge's memcached, nginx's local tiers, a downstream cache) reports
through ``record_tier``. At the end the record is written with one INSERT. A tier that reports
after that (a background fan-out, the re-warm) updates the saved row. Writing the log never fails
a purge: with the database down the purge goes on and a warning is logged.

Why a purge happened comes from ``purge(reason=...)``, else from the innermost ``purge_reason``
block around it, else ``"manual"``::

    with purge_reason("admin", user=request.user):
        obj.save()  # whatever purges on the way is logged as "admin" by that user
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from herdcache.conf import conf

logger = logging.getLogger("herdcache")

#: Why a purge happened.
REASONS: tuple[str, ...] = ("manual", "tracked", "api", "command", "admin")
SAMPLE_SIZE = 10  # URLs (and tags, and URL patterns) kept per logged purge
_DETAIL_LIMIT = 500  # characters of a tier's detail (an exception message can be long)
_PRUNE_EVERY = 100  # logged purges per process between two prunes

_context: contextvars.ContextVar[tuple[str, str] | None] = contextvars.ContextVar(
    "herdcache_purge_reason", default=None
)
_current: contextvars.ContextVar[PurgeRecord | None] = contextvars.ContextVar(
    "herdcache_purge_record", default=None
)


class UnknownReason(ValueError):
    """A purge reason that is not one of ``REASONS``."""


@dataclass
class TierResult:
    """What one tier (``cache:default``, ``edge``, ``edge-nodes``, ``varnish``, ...) reported."""

    tier: str
    ok: bool
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"tier": self.tier, "ok": self.ok, "detail": self.detail}


@dataclass
class PurgeRecord:
    """A purge being logged: filled in while it runs, saved once (``log_id``) at the end."""

    reason: str
    user: str
    soft: bool
    criteria: dict[str, Any]
    matched: int = 0
    sample: list[str] = field(default_factory=list)
    tiers: list[TierResult] = field(default_factory=list)
    # Counts the purge's own tiers add up batch by batch: tier -> {"entries deleted": 500, ...}
    tallies: dict[str, dict[str, int]] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)
    log_id: int | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add_sample(self, urls: Iterable[str]) -> None:
        """Keep the first few matched URLs."""
        room = SAMPLE_SIZE - len(self.sample)
        if room > 0:
            self.sample += list(urls)[:room]

    def tally(self, tier: str, what: str, n: int) -> None:
        """Add ``n`` to what ``tier`` did (``"entries deleted"``): one line per tier in the log."""
        with self._lock:
            counts = self.tallies.setdefault(tier, {})
            counts[what] = counts.get(what, 0) + n

    def results(self) -> list[TierResult]:
        """One result per tier: its tallies, failed if any report for it failed."""
        merged: dict[str, TierResult] = {
            tier: TierResult(tier, True, ", ".join(f"{n} {what}" for what, n in counts.items()))
            for tier, counts in self.tallies.items()
        }
        for result in self.tiers:
            known = merged.get(result.tier)
            if known is None:
                merged[result.tier] = result
            else:
                detail = "; ".join(part for part in (known.detail, result.detail) if part)
                merged[result.tier] = TierResult(result.tier, known.ok and result.ok, detail)
        return list(merged.values())

    @property
    def failures(self) -> int:
        return sum(not result.ok for result in self.results())


def check_reason(reason: str) -> str:
    """``reason`` if it is one of ``REASONS``, else ``UnknownReason`` naming them."""
    if reason not in REASONS:
        raise UnknownReason(f"Unknown purge reason {reason!r}: use one of {', '.join(REASONS)}.")
    return reason


def username(user: object) -> str:
    """A user object's username (or the string given); "" for anonymous or nobody."""
    if user is None or getattr(user, "is_anonymous", False):
        return ""
    if isinstance(user, str):
        return user[:150]
    get_username = getattr(user, "get_username", None)
    return str(get_username() if callable(get_username) else user)[:150]


@contextlib.contextmanager
def purge_reason(reason: str, *, user: object = None) -> Iterator[None]:
    """Log every purge inside the block with ``reason`` (and ``user``, a user or a name)."""
    token = _context.set((check_reason(reason), username(user)))
    try:
        yield
    finally:
        _context.reset(token)


def begin(
    *,
    reason: str | None,
    user: object,
    soft: bool,
    urls: list[str],
    tags: list[str],
    prefix: str | None,
) -> PurgeRecord:
    """Start the record of a purge (``reason``/``user`` None: from ``purge_reason``, or manual)."""
    outer_reason, outer_user = _context.get() or ("manual", "")
    criteria: dict[str, Any] = {}
    if urls:
        criteria["urls"] = urls[:SAMPLE_SIZE]
    if tags:
        criteria["tags"] = tags[:SAMPLE_SIZE]
    if prefix is not None:
        criteria["prefix"] = prefix[:200]
    return PurgeRecord(
        reason=check_reason(reason) if reason is not None else outer_reason,
        user=username(user) if user is not None else outer_user,
        soft=soft,
        criteria=criteria,
    )


@contextlib.contextmanager
def recording(record: PurgeRecord) -> Iterator[PurgeRecord]:
    """Make ``record`` the current purge's record (``current()``) inside the block."""
    token = _current.set(record)
    try:
        yield record
    finally:
        _current.reset(token)


def current() -> PurgeRecord | None:
    """The record of the purge running in this context, if any (for tiers reporting inline)."""
    return _current.get()


def record_tier(log: PurgeRecord | int | None, tier: str, ok: bool, detail: str = "") -> None:
    """Report what ``tier`` did for a purge: ``log`` is its record (``current()``) or a saved id.

    Before the record is saved this only appends in memory; afterwards (a background fan-out
    reporting late) it updates the saved row. Never raises: a log that cannot be written is a
    warning, not a failed purge.
    """
    result = TierResult(tier, bool(ok), str(detail)[:_DETAIL_LIMIT])
    if log is None:
        return
    if isinstance(log, PurgeRecord):
        with log._lock:
            log.tiers.append(result)
            log_id = log.log_id
        if log_id is None:
            return
    else:
        log_id = log
    try:
        _append_tier(log_id, result)
    except Exception as exc:  # called from fan-out threads: a log write must not break them
        logger.warning("herdcache: purge log %s: tier %s not recorded (%s)", log_id, tier, exc)


def _append_tier(log_id: int, result: TierResult) -> None:
    from herdcache.models import PurgeLog  # not at import time (apps may not be ready)

    with transaction.atomic():
        row = PurgeLog.objects.select_for_update().filter(pk=log_id).first()
        if row is None:  # pruned meanwhile: nothing left to complete
            return
        row.tiers = [*row.tiers, result.as_dict()]
        row.failures += not result.ok
        row.save(update_fields=["tiers", "failures"])


class _Writer:
    """Saves records and prunes the table every ``_PRUNE_EVERY`` saves in this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._saved = 0

    def save(self, record: PurgeRecord) -> int | None:
        """INSERT ``record``; its id, or None (logged) when the database refused."""
        from herdcache.models import PurgeLog

        with record._lock:
            row = PurgeLog(
                reason=record.reason,
                user=record.user,
                soft=record.soft,
                criteria=record.criteria,
                matched=record.matched,
                sample=record.sample,
                tiers=[result.as_dict() for result in record.results()],
                failures=record.failures,
                duration=round(time.monotonic() - record.started, 6),
            )
            try:
                row.save()
            # Not only DatabaseError: a site without a database (tags only) must purge as before.
            except Exception as exc:
                logger.warning(
                    "herdcache: purge (%s, %d matched) not logged (%s)",
                    record.reason,
                    record.matched,
                    exc,
                )
                return None
            record.log_id = row.pk
        with self._lock:
            self._saved += 1
            due = self._saved % _PRUNE_EVERY == 0
        if due:
            try:
                prune()
            except Exception as exc:
                logger.warning("herdcache: purge log not pruned (%s)", exc)
        return row.pk


writer = _Writer()


def finish(record: PurgeRecord) -> int | None:
    """Write a finished purge's record (one INSERT); its id, or None when it could not be.

    No query counts what a tag purge reached (every entry carrying the tags, remembered or not):
    purges run on hot paths, and ``manage.py herdcache purge --dry-run --tag T`` lists them.
    """
    return writer.save(record)


def prune() -> int:
    """Delete log rows older than ``PURGE_LOG_MAX_AGE`` days or past the newest
    ``PURGE_LOG_MAX_ROWS``; return how many went."""
    from herdcache.models import PurgeLog

    cutoff = timezone.now() - timedelta(days=conf.PURGE_LOG_MAX_AGE)
    deleted, _ = PurgeLog.objects.filter(created__lt=cutoff).delete()
    newest = PurgeLog.objects.order_by("-id").values_list("id", flat=True)
    kept = conf.PURGE_LOG_MAX_ROWS
    boundary = list(newest[kept - 1 : kept])  # the oldest row that may stay
    if boundary:
        more, _ = PurgeLog.objects.filter(id__lt=boundary[0]).delete()
        deleted += more
    return deleted


def recent(limit: int = 20) -> list[Any]:
    """The newest ``limit`` log rows (``PurgeLog``), newest first."""
    from herdcache.models import PurgeLog

    return list(PurgeLog.objects.order_by("-created", "-id")[:limit])
