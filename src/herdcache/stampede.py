"""The stampede protocol: one computation per expiry across every process sharing a cache.

Entries carry their soft expiry (``fresh_until``), the time their last computation took
(``delta``) and their tags' generations; the backend TTL is ``timeout + stale`` so a stale copy
outlives freshness. On read (see DESIGN §1):

* fresh: return it; with probability growing towards expiry (XFetch, Vattani et al. VLDB 2015)
  one caller refreshes early;
* stale: whoever wins ``cache.add(lock)`` (atomic across processes) refreshes; the rest get the
  stale value at once;
* missing: the lock winner computes; the others poll the entry with backoff for up to
  ``cold_wait`` seconds (trying the lock each time, so a crashed holder costs at most the lock
  TTL), then compute themselves rather than fail;
* backend down: compute and return, count ``error``; never raise.

The protocol is written once as a generator that yields I/O requests, so a blocking driver and
an asyncio driver run exactly the same decisions.
"""

from __future__ import annotations

import logging
import math
import queue
import random
import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field, replace
from enum import IntEnum
from typing import TYPE_CHECKING, Any

from herdcache import stamps
from herdcache import tags as tagging
from herdcache.conf import conf

if TYPE_CHECKING:
    from herdcache.cache_adapter import CacheAdapter

logger = logging.getLogger("herdcache")


class State(IntEnum):
    FRESH = 0
    EARLY = 1  # fresh, but XFetch picked this caller to refresh ahead of expiry
    STALE = 2
    MISSING = 3


@dataclass(frozen=True, slots=True)
class Policy:
    """How long entries live and how callers coordinate."""

    timeout: float
    stale: float
    lock_timeout: float
    cold_wait: float
    beta: float
    max_size: int

    @classmethod
    def build(cls, timeout: float, stale: float | None = None) -> Policy:
        """Policy for ``timeout`` with the configured defaults for everything else."""
        if timeout <= 0:
            raise ValueError("herdcache timeout must be a positive number of seconds")
        return cls(
            timeout=float(timeout),
            stale=float(timeout * conf.STALE_FACTOR if stale is None else stale),
            lock_timeout=conf.LOCK_TIMEOUT,
            cold_wait=conf.COLD_WAIT,
            beta=conf.XFETCH_BETA,
            max_size=conf.MAX_ENTRY_SIZE,
        )


@dataclass(slots=True)
class Entry:
    """A stored value and the metadata the protocol needs."""

    value: Any
    fresh_until: float
    delta: float
    gens: tagging.Generations
    expires_at: float
    # Tracked tags (herdcache.tracking) and what their computation saw (herdcache.stamps).
    tracked: dict[str, stamps.Seen] = field(default_factory=dict)

    def pack(self) -> tuple[Any, ...]:
        return (self.value, self.fresh_until, self.delta, self.gens, self.expires_at, self.tracked)

    @classmethod
    def unpack(cls, raw: object) -> Entry | None:
        # Five items: stored before tracked tags had their own field (their tags, if any, are
        # in ``gens`` and make the entry look purged: it is rendered again).
        if isinstance(raw, tuple) and len(raw) in (5, 6):
            return cls(*raw)
        return None  # foreign or corrupt value under our key: treat as missing


@dataclass(slots=True)
class Lookup:
    entry: Entry | None
    state: State
    gens: tagging.Generations


def classify(
    entry: Entry | None,
    gens: tagging.Generations,
    beta: float,
    written: dict[str, stamps.Current] | None = None,
) -> State:
    """Decide what a read found (pure: no I/O); ``written``: the stamps of the entry's tracked
    tags now."""
    if entry is None:
        return State.MISSING
    state = State.FRESH
    for tag, (soft, hard) in entry.gens.items():
        current = gens.get(tag)
        if current is None or current[1] != hard:
            return State.MISSING
        if current[0] != soft:
            state = State.STALE
    if entry.tracked:
        tracked = stamps.state(entry.tracked, written or {}, conf.TRACK_CLOCK_SKEW)
        if tracked == stamps.MISSING:
            return State.MISSING
        if tracked == stamps.STALE:
            state = State.STALE
    now = time.time()
    if state is State.STALE or now >= entry.fresh_until:
        return State.STALE
    # XFetch: -log(u) for u in (0, 1] is exponential, so early refresh grows likelier near expiry.
    jitter = -entry.delta * beta * math.log(1.0 - random.random()) if beta > 0 else 0.0
    if entry.delta > 0 and now + jitter >= entry.fresh_until:
        return State.EARLY
    return State.FRESH


# --- the protocol -------------------------------------------------------------------------------

COMPUTE = object()  # yielded to ask the driver to run the computation; sent back its result


@dataclass(slots=True)
class Sleep:
    seconds: float


@dataclass(slots=True)
class Computed:
    """What a computation returns: the caller's result, and what to store (``store=False``: nothing)."""

    result: Any
    stored: Any = None
    store: bool = True
    event: str | None = None  # why nothing was stored, counted by the caller (e.g. "uncacheable")
    timeout: float | None = None  # overrides the policy's timeout (per-site middleware: max-age)
    # The tags dependency tracking found (herdcache.tracking) and what was seen of their write
    # stamps (herdcache.stamps): stored with the entry beside its declared tags.
    tracked: dict[str, stamps.Seen] | None = None


@dataclass(slots=True)
class Outcome:
    result: Any
    event: str  # hit / stale / miss / refresh / lock_wait / error
    extra_events: tuple[str, ...] = ()
    from_cache: bool = False
    # Set when this caller won the refresh lock but asked for a background refresh: the driver
    # must run ``refresh_protocol`` with these (generations, lock token) after answering.
    refresh: tuple[tagging.Generations, str] | None = None
    fresh_until: float | None = None  # of the entry served from the cache, if any
    # The entry served from the cache, or the stale/early one a refresh replaced (freshness
    # headers and Cache-Status describe it).
    entry: Entry | None = None
    early: bool = False  # XFetch picked this caller to refresh before expiry
    stored: bool = False  # this caller's computation went into the cache


Protocol = Generator[Any, Any, Outcome]


def run_protocol(
    adapter: CacheAdapter, key: str, policy: Policy, tags: Sequence[str], background: bool
) -> Protocol:
    """The stampede protocol as a generator (see module docstring).

    Yields zero-argument callables (cache I/O), ``COMPUTE`` or ``Sleep``;
    returns an ``Outcome``. Cache exceptions turn into ``error`` outcomes here.
    """
    if not _abandoned.empty():
        yield from _release_abandoned()
    try:
        lookup: Lookup = yield lambda: adapter.read(key, tags, policy.beta)
    except Exception as exc:
        logger.warning(
            "herdcache: cache %r unavailable (%s): computing without it", adapter.alias, exc
        )
        computed: Computed = yield COMPUTE
        return Outcome(computed.result, "error")

    found = lookup.entry
    if lookup.state is State.FRESH:
        return Outcome(
            found.value,  # type: ignore[union-attr]
            "hit",
            from_cache=True,
            fresh_until=found.fresh_until,  # type: ignore[union-attr]
            entry=found,
        )

    if lookup.state in (State.EARLY, State.STALE):
        early = lookup.state is State.EARLY
        served = "hit" if early else "stale"
        token = yield from _try(lambda: adapter.lock(key, policy.lock_timeout))
        if token is None:
            return Outcome(found.value, served, from_cache=True, entry=found)  # type: ignore[union-attr]
        newer = yield from _done_meanwhile(adapter, key, tags, policy, token, lookup)
        if newer is not None:
            return Outcome(
                newer.value, "hit", from_cache=True, fresh_until=newer.fresh_until, entry=newer
            )
        if background:
            value = found.value  # type: ignore[union-attr]
            refresh = (lookup.gens, token)
            return Outcome(
                value, served, from_cache=True, refresh=refresh, entry=found, early=early
            )
        outcome = yield from _compute_and_store(adapter, key, policy, lookup.gens, token, "refresh")
        outcome.entry, outcome.early = found, early
        return outcome

    claimed = yield from _claim(adapter, key, tags, policy, lookup)
    if claimed is not None:
        return claimed

    # Cold miss while someone else renders: wait for their entry, retrying the lock so a
    # crashed holder is replaced once its lock expires; give up after cold_wait.
    deadline = time.monotonic() + policy.cold_wait
    delay = 0.005
    vanished = False  # the last look found no lock and no entry
    while time.monotonic() < deadline:
        if not vanished:
            yield Sleep(delay)
            delay = min(delay * 1.6, 0.1)
        try:
            lookup = yield lambda: adapter.read(key, tags, policy.beta)
        except Exception:
            break
        if lookup.state is not State.MISSING:
            return _waited(lookup.entry)  # type: ignore[arg-type]
        claimed = yield from _claim(adapter, key, tags, policy, lookup)
        if claimed is not None:
            return claimed
        if (yield from _try(lambda: adapter.lock_held(key))):
            vanished = False
            continue
        if vanished:
            # Twice no lock, no entry, and add() refused: a client failing silently refuses
            # a lock nobody holds, and waiting cannot help.
            logger.info("herdcache: no lock and no entry for %s: computing without waiting", key)
            return (yield from _compute_and_store(adapter, key, policy, lookup.gens, None, "miss"))
        # No lock: the holder finished (it stores before it unlocks, so the entry is there
        # now), or its lock expired after our add() failed (then exactly one waiter claims
        # it and the others see it held again). Look again at once.
        vanished = True
    logger.info("herdcache: waited %.1fs for %s; computing without the lock", policy.cold_wait, key)
    return (yield from _compute_and_store(adapter, key, policy, lookup.gens, None, "miss"))


def _claim(
    adapter: CacheAdapter, key: str, tags: Sequence[str], policy: Policy, lookup: Lookup
) -> Generator[Any, Any, Outcome | None]:
    """On a miss: take the lock and compute (or use what landed meanwhile); None when someone
    else holds the lock."""
    token = yield from _try(lambda: adapter.lock(key, policy.lock_timeout))
    if token is None:
        return None
    newer = yield from _done_meanwhile(adapter, key, tags, policy, token, lookup)
    if newer is not None:
        return _waited(newer)
    return (yield from _compute_and_store(adapter, key, policy, lookup.gens, token, "miss"))


def _waited(entry: Entry) -> Outcome:
    """An entry another caller computed while this one waited."""
    return Outcome(
        entry.value, "lock_wait", from_cache=True, fresh_until=entry.fresh_until, entry=entry
    )


def _done_meanwhile(
    adapter: CacheAdapter, key: str, tags: Sequence[str], policy: Policy, token: str, before: Lookup
) -> Generator[Any, Any, Entry | None]:
    """Double-check after winning the lock: another caller may have stored a new entry (and
    released its lock) between our read and our ``add``. If so, release ours and use theirs."""
    try:
        now: Lookup = yield lambda: adapter.read(key, tags, 0.0)
    except Exception:
        return None
    entry = now.entry
    if entry is None or now.state is State.MISSING:
        return None
    if before.entry is not None and entry.fresh_until == before.entry.fresh_until:
        return None  # the same entry we saw: the work is still ours to do
    yield from _try(lambda: adapter.unlock(key, token))
    return entry


def _try(op: Callable[[], Any]) -> Generator[Any, Any, Any]:
    try:
        return (yield op)
    except Exception as exc:
        logger.warning("herdcache: cache operation failed (%s)", exc)
        return None


def refresh_protocol(
    adapter: CacheAdapter, key: str, policy: Policy, gens: tagging.Generations, token: str
) -> Protocol:
    """A background refresh: compute, store, release the lock the foreground caller won."""
    return _compute_and_store(adapter, key, policy, gens, token, "refresh")


def _compute_and_store(
    adapter: CacheAdapter,
    key: str,
    policy: Policy,
    gens: tagging.Generations,
    token: str | None,
    event: str,
) -> Protocol:
    extra: tuple[str, ...] = ()
    stored = False
    started = time.monotonic()
    try:
        computed: Computed = yield COMPUTE
    except GeneratorExit:  # abandoned (e.g. a request that never reached the response phase)
        if token is not None:
            _abandoned.put((adapter, key, token))  # released by the next protocol that runs
        raise
    except BaseException:
        if token is not None:
            yield from _try(lambda: adapter.unlock(key, token))
        raise
    delta = time.monotonic() - started
    if computed.store:
        if computed.timeout is not None:
            policy = replace(
                policy, timeout=computed.timeout, stale=computed.timeout * conf.STALE_FACTOR
            )
        tracked = computed.tracked or {}
        try:
            failure = yield lambda: adapter.write(
                key, computed.stored, delta, policy, gens, tracked
            )
        except Exception as exc:
            logger.warning("herdcache: could not store %s (%s)", key, exc)
            # pymemcache: "object too large for cache"; pylibmc raises TooBig with no message.
            too_big = "too large" in str(exc).lower() or type(exc).__name__ == "TooBig"
            failure = "oversize" if too_big else "error"
        if failure:
            extra = (failure,)
        stored = not failure
    elif computed.event:
        extra = (computed.event,)
    if token is not None:
        yield from _try(lambda: adapter.unlock(key, token))
    return Outcome(computed.result, event, extra, stored=stored)


# Locks of computations abandoned at COMPUTE (the per-site middleware pauses there until the
# response phase, which may never come). Such a generator is closed by the garbage collector, at
# any allocation of any thread, maybe while that thread holds the very cache lock an unlock
# would take (locmem's: a deadlock CI hit), so it does no cache I/O there: it queues the lock
# (SimpleQueue.put is safe in a finalizer) and the next protocol to run releases it; unreleased,
# it expires after LOCK_TIMEOUT like the lock of a crashed process.
_abandoned: queue.SimpleQueue[tuple[CacheAdapter, str, str]] = queue.SimpleQueue()


def _release_abandoned() -> Generator[Any, Any, None]:
    while True:
        try:
            adapter, key, token = _abandoned.get_nowait()
        except queue.Empty:
            return
        yield from _try(lambda a=adapter, k=key, t=token: a.unlock(k, t))
