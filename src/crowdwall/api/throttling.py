"""Rate limit for anonymous API clients: ``CROWDWALL["API_ANON_RATE"]`` (``"120/m"``).

A fixed-window counter per client address in the default cache (``add`` + ``incr``, both atomic
on memcached and Redis, so the limit holds across processes). Staff (a valid token or a staff
session) are never limited. Over the limit: 429 with ``Retry-After`` (seconds to the next
window). A cache outage lets requests through: rate limiting degrades, the API does not fail.

Responses served from the page cache never reach this check: they cost nothing to serve.
The client address is ``REMOTE_ADDR``; ``X-Forwarded-For`` counts only on requests from a
trusted proxy (``HERDCACHE["EDGE_TRUSTED_PROXIES"]``, the list the nginx edge is trusted by),
read from the right, past the trusted hops, as nginx's ``real_ip_recursive`` does. Anyone else
could send a fresh address with each request and never be limited (ninja's own rule, with
``NINJA_NUM_PROXIES`` unset, takes the header from anybody).
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time

from django.core.cache import caches
from django.http import HttpRequest
from ninja.throttling import BaseThrottle

from crowdwall.api.auth import staff_of
from crowdwall.conf import conf
from herdcache.edge.store import trusted

logger = logging.getLogger("crowdwall.api")

PERIODS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}


def client_address(request: HttpRequest) -> str:
    """The address of the client behind ``request``: ``REMOTE_ADDR``, unless that is a trusted
    proxy, then the rightmost untrusted hop of ``X-Forwarded-For``."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    proxies = conf.TRUSTED_PROXIES
    if not proxies or not trusted(remote, proxies):
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    hops = [hop for hop in hops if hop]
    # Each trusted proxy appended the address it saw; what a client wrote itself is further left.
    for hop in reversed(hops):
        if not trusted(hop, proxies):
            return hop
    return hops[0] if hops else remote


def parse_rate(rate: str) -> tuple[int, int]:
    """``"120/m"`` → (120, 60); raises ``ValueError`` for anything else."""
    count, _, period = rate.partition("/")
    seconds = PERIODS.get(period.strip().lower())
    if not count.strip().isdigit() or int(count) < 1 or seconds is None:
        raise ValueError(f"A rate is '<requests>/<s|m|h|d>', not {rate!r}.")
    return int(count), seconds


def over_limit(scope: str, ident: str, limit: int, period: int) -> int | None:
    """Count one request of ``ident`` in this ``period``-second window of ``scope``; None while
    within ``limit``, else the seconds until the next window (a cache outage lets it through)."""
    now = time.time()
    window = int(now // period)
    digest = hashlib.sha256(ident.encode()).hexdigest()[:32]
    key = f"crowdwall:{scope}:rate:{digest}:{period}:{window}"
    try:
        cache = caches["default"]
        cache.add(key, 0, period + 1)
        count = cache.incr(key)
    except Exception:
        logger.warning("%s rate limiting skipped: the cache is unavailable", scope, exc_info=True)
        return None
    if count > limit:
        return math.ceil((window + 1) * period - now) or 1
    return None


class AnonymousRate(BaseThrottle):
    """ninja throttle reading the rate at use time (so ``override_settings`` works)."""

    def __init__(self) -> None:
        # One instance serves every thread: the wait of the current request is per thread.
        self._local = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        rate = conf.API_ANON_RATE
        if not rate:
            return True
        try:
            if staff_of(request) is not None:
                return True
        except Exception:  # a bad token is refused by the view itself (401), not here
            pass
        limit, period = parse_rate(rate)
        wait = over_limit("api", self.get_ident(request), limit, period)
        if wait is not None:
            self._local.wait = wait
            return False
        return True

    def get_ident(self, request: HttpRequest) -> str:
        """The client address the limit counts against (``client_address``)."""
        return client_address(request)

    def wait(self) -> float | None:
        return getattr(self._local, "wait", None)
