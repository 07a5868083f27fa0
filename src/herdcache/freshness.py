"""Honest freshness headers on pages served from the cache, and the opt-in ``Cache-Status``.

A stored page keeps the ``Cache-Control: max-age=T`` and ``Expires`` (render time + T) it was
rendered with. Serving it later:

* a fresh copy gets ``Age`` (whole seconds since it was rendered, RFC 9111 §5.1). ``max-age``
  stays the page's lifetime, so a downstream cache's remaining freshness is ``max-age - Age``
  (RFC 9111 §4.2.3), and ``Expires`` - the moment that freshness ends - is already right;
* a stale copy (stale-while-revalidate, soft purge) gets ``Age``, ``max-age=0`` (and
  ``s-maxage=0`` if it had one), an ``Expires`` of now and RFC 5861's
  ``stale-while-revalidate=N, stale-if-error=N``, N being the seconds left of its stale window:
  it says "stale, usable for N more seconds", never "fresh";
* a miss keeps exactly what the view sent.

``Cache-Status`` (RFC 9211, ``HERDCACHE["CACHE_STATUS"]``) names this cache ``herdcache``:
``hit; ttl=N`` (negative when a stale copy is served), ``fwd=miss; stored``,
``fwd=stale; ttl=-N; stored`` (this request re-rendered a stale page), ``fwd=miss; collapsed``
(it waited for another request's render), ``fwd=vary-miss`` (another variant is stored), ``fwd=bypass`` / ``fwd=method``; an XFetch early
refresh carries ``detail=early-refresh``, a soft-purged copy ``detail=purged``. Caches append to
the header, so a layer above (the nginx edge, a CDN) adds its entry after ours.

Everything here is pure: ``now`` is passed in, so tests use a fake clock.
"""

from __future__ import annotations

import math

from django.http import HttpResponseBase
from django.utils.cache import patch_cache_control
from django.utils.http import http_date

from herdcache.stampede import Entry, Outcome

NAME = "herdcache"
# Per-response headers that must never be stored with a page (each response gets its own).
UNSTORED = frozenset({"age", "cache-status"})


def age(rendered_at: float, now: float) -> int:
    """Whole seconds since the page was rendered (never negative: clocks of two hosts differ)."""
    return max(0, math.floor(now - rendered_at))


def header_age(response: HttpResponseBase) -> int:
    """The ``Age`` a response already carries (0 when none or not a number)."""
    try:
        return max(0, int(response.get("Age", 0)))
    except ValueError:
        return 0


def mark_fresh(response: HttpResponseBase, rendered_at: float, now: float) -> None:
    """Add ``Age`` to a fresh copy; its ``max-age`` and ``Expires`` are already right."""
    response["Age"] = str(age(rendered_at, now))


def mark_stale(
    response: HttpResponseBase, rendered_at: float, now: float, stale_for: float
) -> None:
    """Label a stale copy: ``Age``, ``max-age=0``, and how long it may still be used stale."""
    seconds = max(0, math.floor(stale_for))
    response["Age"] = str(age(rendered_at, now))
    shared = "s-maxage" in response.get("Cache-Control", "").lower()
    patch_cache_control(
        response,
        max_age=0,
        stale_while_revalidate=seconds,
        stale_if_error=seconds,
        **({"s_maxage": 0} if shared else {}),
    )
    response["Expires"] = http_date(now)


def stale_ttl(entry: Entry, now: float) -> int:
    """Cache-Status ``ttl`` of a stale entry: seconds since its freshness ended (<= 0; 0 for a
    soft-purged entry, whose freshness ended when it was purged, a moment nobody recorded)."""
    if entry.fresh_until <= 0:
        return 0
    return min(0, math.floor(entry.fresh_until - now))


def purged(entry: Entry, now: float) -> bool:
    """Whether a stale entry is stale because of a soft purge (its own freshness had not ended)."""
    return entry.fresh_until <= 0 or entry.fresh_until > now


def status(outcome: Outcome, now: float, *, vary_miss: bool = False) -> str:
    """This cache's ``Cache-Status`` entry for a page served through the stampede protocol
    (``vary_miss``: the page is stored, but not the variant this request's headers select)."""
    entry = outcome.entry
    miss = "fwd=vary-miss" if vary_miss else "fwd=miss"
    parts = [NAME]
    if outcome.from_cache and entry is not None:
        if outcome.event == "lock_wait":
            parts += [miss, "collapsed"]
        elif outcome.event == "stale":
            parts += ["hit", f"ttl={stale_ttl(entry, now)}"]
        else:
            parts += ["hit", f"ttl={max(0, math.floor(entry.fresh_until - now))}"]
    elif outcome.event == "refresh" and entry is not None and not outcome.early:
        parts += ["fwd=stale", f"ttl={stale_ttl(entry, now)}"]
    else:
        parts.append(miss)
    if outcome.stored:
        parts.append("stored")
    detail = _detail(outcome, now)
    if detail:
        parts.append(f"detail={detail}")
    return "; ".join(parts)


def _detail(outcome: Outcome, now: float) -> str | None:
    if outcome.early:
        return "early-refresh"
    if outcome.event == "error":
        return "cache-unavailable"
    if outcome.extra_events:
        return outcome.extra_events[0]  # why nothing was stored: uncacheable, oversize, ...
    entry = outcome.entry
    if entry is not None and outcome.event in ("stale", "refresh") and purged(entry, now):
        return "purged"
    return None


def bypass_status(reason: str) -> str:
    """This cache's ``Cache-Status`` entry for a request that never used it."""
    return f"{NAME}; fwd={'method' if reason == 'method' else 'bypass'}"


def add_status(response: HttpResponseBase, value: str) -> None:
    """Append an entry to ``Cache-Status`` (the list runs from the origin towards the client)."""
    current = response.get("Cache-Status")
    response["Cache-Status"] = f"{current}, {value}" if current else value
