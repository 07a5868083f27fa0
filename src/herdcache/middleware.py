"""Per-site cache middleware: herdcache's equivalents of Django's Update/FetchFromCache pair.

    MIDDLEWARE = [
        "herdcache.middleware.UpdateCacheMiddleware",     # first
        ...,
        "herdcache.middleware.FetchFromCacheMiddleware",  # last
    ]

The stampede protocol spans the pair: the fetch half serves hits and stale copies, or pauses the
protocol (holding the refresh lock) while the view renders; the update half stores the response
and releases the lock. Settings: ``CACHE_MIDDLEWARE_SECONDS`` / ``HERDCACHE["MIDDLEWARE_SECONDS"]``
(used when the response has no ``max-age``), ``CACHE_MIDDLEWARE_KEY_PREFIX`` /
``MIDDLEWARE_KEY_PREFIX``, ``CACHE_MIDDLEWARE_ALIAS`` / ``CACHE``, ``REMEMBER_ALL_URLS``,
``REMEMBER_STATS_ALL_URLS``; all read per request unless given to the constructor.

Like Django's, ``CacheMiddleware(get_response, cache_timeout=..., page_timeout=...,
key_prefix=..., cache_alias=...)`` also works as a view decorator through
``decorator_from_middleware_with_args(CacheMiddleware)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache.backends.base import BaseCache
from django.http import HttpRequest, HttpResponseBase
from django.utils.deprecation import MiddlewareMixin

from herdcache import freshness, tracking
from herdcache.conf import conf
from herdcache.drivers import advance, drive, record_outcome, resume
from herdcache.pages import (
    PageAdapter,
    PageOptions,
    capture,
    finish,
    no_store_headers,
    plan_request,
    serve,
)
from herdcache.rules import request_bypass_reason
from herdcache.stampede import run_protocol
from herdcache.stats import record

_PENDING = "_herdcache_pending"
_BYPASS = "_herdcache_bypass"
# Django's own flag: set by the fetch half, read by the update half (and by code written for
# Django's middleware, which may set it itself).
_UPDATE = "_cache_update_cache"


class _MiddlewareSettings(MiddlewareMixin):
    """Django's middleware attributes (``cache_timeout``, ``key_prefix``, ...), read at use time.

    An attribute nobody assigned follows the settings per request (so ``override_settings``
    works); one given to the constructor or assigned sticks.
    """

    def __init__(self, get_response: Callable[..., Any]) -> None:
        super().__init__(get_response)
        self._cache_timeout: float | None = None
        self._key_prefix: str | None = None
        self._cache_alias: str | None = None
        self.page_timeout: float | None = None

    @property
    def cache_timeout(self) -> float:
        return conf.MIDDLEWARE_SECONDS if self._cache_timeout is None else self._cache_timeout

    @cache_timeout.setter
    def cache_timeout(self, value: float) -> None:
        self._cache_timeout = value

    @property
    def key_prefix(self) -> str:
        return conf.MIDDLEWARE_KEY_PREFIX if self._key_prefix is None else self._key_prefix

    @key_prefix.setter
    def key_prefix(self, value: str) -> None:
        self._key_prefix = value

    @property
    def cache_alias(self) -> str:
        return conf.MIDDLEWARE_CACHE if self._cache_alias is None else self._cache_alias

    @cache_alias.setter
    def cache_alias(self, value: str) -> None:
        self._cache_alias = value

    @property
    def cache(self) -> BaseCache:
        return caches[self.cache_alias]

    def page_options(self) -> PageOptions:
        """Page options for this request (settings are read now)."""
        page_timeout = self.page_timeout
        return PageOptions(
            timeout=float(self.cache_timeout if page_timeout is None else page_timeout),
            # Own namespace: a view that also has @cache_page must not wait on the lock this
            # request already holds for the same URL (Django keeps its two layers apart too).
            key_prefix=f"site:{self.key_prefix}",
            cache=self.cache_alias,
            # As Django's: a page_timeout beats the response's max-age, which beats cache_timeout.
            timeout_from_response=page_timeout is None,
        )


class FetchFromCacheMiddleware(_MiddlewareSettings):
    """Request half: answer from the cache, or let the view render under the refresh lock."""

    def process_request(self, request: HttpRequest) -> HttpResponseBase | None:
        options = self.page_options()
        plan = plan_request(request, options, (), {})
        if plan is None:
            setattr(request, _UPDATE, False)
            setattr(request, _BYPASS, True)
            record(options.cache or conf.CACHE, "bypass")
            return None
        pending = getattr(request, _PENDING, None)
        if pending is not None and pending[0].base_key == plan.base_key:
            # This request already holds the lock for this page (a second cache layer with
            # the same key, or process_request called twice): never wait on ourselves; the
            # first process_response stores the page.
            return None
        adapter = PageAdapter(plan)
        protocol = run_protocol(adapter, plan.base_key, plan.policy, plan.tags, False)
        outcome = advance(protocol, next(protocol), None)
        if outcome is None:  # paused at COMPUTE: the view renders, the update half resumes
            # HERDCACHE["TRACK"]: what the view (and the middleware inside this pair) reads
            # is recorded until the update half stores the page.
            recorder = self._begin_tracking(request, plan.alias, adapter) if plan.track else None
            setattr(request, _PENDING, (plan, protocol, recorder))
            setattr(request, _UPDATE, True)
            return None
        setattr(request, _UPDATE, False)
        record_outcome(plan.alias, outcome, plan.stats_key)
        response = serve(plan, outcome)
        if outcome.entry is not None:  # its tracked tags too, for the surrogate-key header
            tracking.set_response_tags(response, tracking.entry_tags(outcome.entry))
        return finish(plan, options, response)

    @staticmethod
    def _begin_tracking(
        request: HttpRequest, alias: str, adapter: PageAdapter
    ) -> tracking.Recorder:
        leftover = tracking.current()
        if leftover is not None and leftover.owner not in (None, request):
            # An earlier request's recorder that no update half ended (the fetch half used
            # without it): end it here, or each request would nest under the last one.
            tracking.end(leftover)
        recorder = tracking.begin(alias, adapter.entry_stamps)
        recorder.owner = request
        return recorder


class UpdateCacheMiddleware(_MiddlewareSettings):
    """Response half: store what the view rendered (if it may be stored) and release the lock."""

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        pending = getattr(request, _PENDING, None)
        if pending is None:
            if getattr(request, _UPDATE, False):
                return self._store_unplanned(request, response)
            if self.page_timeout == 0:  # as Django's: never stored, marked expired
                no_store_headers(request, response)
            if getattr(request, _BYPASS, False) and conf.CACHE_STATUS:
                reason = request_bypass_reason(request) or "bypass"
                freshness.add_status(response, freshness.bypass_status(reason))
            return response  # a bypass, or a response the fetch half served (already labelled)
        delattr(request, _PENDING)
        plan, protocol, recorder = pending
        computed = capture(plan, response)
        if recorder is not None:
            tracking.end(recorder)
            computed = tracking.attach(computed, recorder)
            plan.tags = [*plan.tags, *(computed.tracked or {})]  # remembered with the URL
        outcome = resume(protocol, computed)
        record_outcome(plan.alias, outcome, plan.stats_key)
        served = serve(plan, outcome)
        if recorder is not None:
            tracking.set_response_tags(served, [*tracking.response_tags(served), *plan.tags])
        return finish(plan, plan.options, served)

    def _store_unplanned(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        # Another fetch half (or code written for Django's pair) asked for an update without
        # holding our lock: store through the whole protocol, which takes the lock itself.
        options = self.page_options()
        plan = plan_request(request, options, (), {})
        if plan is None:
            return response
        computed = capture(plan, response)
        outcome = drive(
            run_protocol(PageAdapter(plan), plan.base_key, plan.policy, plan.tags, False),
            lambda: computed,
        )
        record_outcome(plan.alias, outcome, plan.stats_key)
        return finish(plan, options, computed.result)


class CacheMiddleware(UpdateCacheMiddleware, FetchFromCacheMiddleware):
    """Both halves in one middleware, or a view decorator with Django's constructor arguments.

    ``CacheMiddleware(get_response, cache_timeout=None, page_timeout=None, key_prefix=...,
    cache_alias=...)``: a ``key_prefix`` or ``cache_alias`` of None means Django's defaults
    (``""``, ``"default"``), an omitted one the settings.
    """

    def __init__(
        self,
        get_response: Callable[..., Any],
        cache_timeout: float | None = None,
        page_timeout: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(get_response)
        if "key_prefix" in kwargs:
            self.key_prefix = kwargs["key_prefix"] or ""
        if "cache_alias" in kwargs:
            self.cache_alias = kwargs["cache_alias"] or DEFAULT_CACHE_ALIAS
        if cache_timeout is not None:
            self.cache_timeout = cache_timeout
        self.page_timeout = page_timeout
