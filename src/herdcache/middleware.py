"""Per-site cache middleware: herdcache's equivalents of Django's Update/FetchFromCache pair.

    MIDDLEWARE = [
        "herdcache.middleware.UpdateCacheMiddleware",     # first
        ...,
        "herdcache.middleware.FetchFromCacheMiddleware",  # last
    ]

The stampede protocol spans the pair: the fetch half serves hits and stale copies, or pauses the
protocol (holding the refresh lock) while the view renders; the update half stores the response
and releases the lock. Settings: ``HERDCACHE["MIDDLEWARE_SECONDS"]`` (used when the response has
no ``max-age``), ``MIDDLEWARE_KEY_PREFIX``, ``CACHE``, ``REMEMBER_ALL_URLS``,
``REMEMBER_STATS_ALL_URLS``.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseBase
from django.utils.deprecation import MiddlewareMixin

from herdcache import freshness
from herdcache.conf import conf
from herdcache.drivers import advance, record_outcome, resume
from herdcache.pages import PageAdapter, PageOptions, capture, finish, plan_request, serve
from herdcache.rules import request_bypass_reason
from herdcache.stampede import run_protocol
from herdcache.stats import record

_PENDING = "_herdcache_pending"
_BYPASS = "_herdcache_bypass"


def site_options() -> PageOptions:
    """Page options of the per-site middleware, from settings (read per request)."""
    return PageOptions(
        timeout=None,
        # Own namespace: a view that also has @cache_page must not wait on the lock this
        # request already holds for the same URL (Django keeps its two layers apart too).
        key_prefix=f"site:{conf.MIDDLEWARE_KEY_PREFIX}",
        cache=conf.CACHE,
        timeout_from_response=True,
    )


class FetchFromCacheMiddleware(MiddlewareMixin):
    """Request half: answer from the cache, or let the view render under the refresh lock."""

    def process_request(self, request: HttpRequest) -> HttpResponseBase | None:
        options = site_options()
        plan = plan_request(request, options, (), {})
        if plan is None:
            record(options.cache or conf.CACHE, "bypass")
            setattr(request, _BYPASS, True)
            return None
        protocol = run_protocol(PageAdapter(plan), plan.base_key, plan.policy, plan.tags, False)
        outcome = advance(protocol, next(protocol), None)
        if outcome is None:  # paused at COMPUTE: the view renders, the update half resumes
            setattr(request, _PENDING, (plan, protocol))
            return None
        record_outcome(plan.alias, outcome, plan.stats_key)
        return finish(plan, options, serve(plan, outcome))


class UpdateCacheMiddleware(MiddlewareMixin):
    """Response half: store what the view rendered (if it may be stored) and release the lock."""

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        pending = getattr(request, _PENDING, None)
        if pending is None:
            if getattr(request, _BYPASS, False) and conf.CACHE_STATUS:
                reason = request_bypass_reason(request) or "bypass"
                freshness.add_status(response, freshness.bypass_status(reason))
            return response  # a bypass, or a response the fetch half served (already labelled)
        delattr(request, _PENDING)
        plan, protocol = pending
        outcome = resume(protocol, capture(plan, response))
        record_outcome(plan.alias, outcome, plan.stats_key)
        return finish(plan, plan.options, serve(plan, outcome))


class CacheMiddleware(UpdateCacheMiddleware, FetchFromCacheMiddleware):
    """Both halves in one middleware (for a single position in MIDDLEWARE)."""
