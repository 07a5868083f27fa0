"""Whole-page caching shared by ``cache_page`` and the per-site middleware.

A page entry holds the response in a compact form (status, header pairs, body bytes) that takes
one cache GET and almost no work to rebuild; Django's own cache pickles the whole response object
behind a second "header" key. A response with ``Vary`` is stored under a variant key, and the
page's base key holds a small marker naming the varying headers.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.cache import get_max_age, patch_response_headers, patch_vary_headers

from herdcache import freshness, stamps, stats, surrogate
from herdcache import tags as tagging
from herdcache.cache_adapter import CacheAdapter
from herdcache.conf import conf
from herdcache.edge import store as edge_store
from herdcache.edge.store import (
    edge_body,
    forwarded_key,
    nginx_host,
    raw_request_uri,
    request_edge_key,
)
from herdcache.keys import page_key, url_identity, variant_key
from herdcache.locale import locale_key
from herdcache.rewarm import HEADER as REWARM_HEADER
from herdcache.rules import (
    late_cookie_refusal,
    request_bypass_reason,
    response_refusal,
    varies_on_cookie,
    vary_headers,
    vary_values,
)
from herdcache.stampede import Computed, Entry, Lookup, Outcome, Policy, classify

PAYLOAD = "hc1"
STALE_EDGE_SECONDS = 2  # how long nginx may serve a stale copy while one request re-renders
MARKER = "hcv"

PostProcess = Callable[[HttpResponseBase, HttpRequest], HttpResponseBase]
KeyPrefix = str | Callable[..., str | None] | None
PageTags = Iterable[str] | Callable[..., Iterable[str]]


@dataclass(frozen=True, slots=True)
class PageOptions:
    """Everything ``cache_page`` (or the middleware) was configured with."""

    timeout: float | None
    stale: float | None = None
    key_prefix: KeyPrefix = None
    only_get_keys: Sequence[str] | None = None
    forget_get_keys: Sequence[str] | None = None
    post_process_response: PostProcess | None = None
    post_process_response_always: PostProcess | None = None
    remember_all_urls: bool = False
    remember_stats_all_urls: bool = False
    tags: PageTags = ()
    cache: str | None = None
    # Per-site middleware: take the timeout from the response's max-age when it has one.
    timeout_from_response: bool = False
    # Also write edge copies for nginx (None: HERDCACHE["EDGE"]).
    edge: bool | None = None
    # Track the tables and rows the page reads (None: HERDCACHE["TRACK"]).
    track: bool | None = None


@dataclass(slots=True)
class PagePlan:
    """How one request uses the cache."""

    request: HttpRequest
    options: PageOptions
    alias: str
    url: str
    prefix: str
    base_key: str
    tags: list[str]
    remember: bool
    url_stats: bool
    policy: Policy = field(repr=False)
    edge_key: str | None = None
    vary_miss: bool = False  # the last read found the page's Vary marker but not our variant
    track: bool = False  # record what the render reads (herdcache.tracking)

    @property
    def stats_key(self) -> str | None:
        return self.base_key if self.url_stats else None


def plan_request(
    request: HttpRequest, options: PageOptions, args: tuple, kwargs: dict
) -> PagePlan | None:
    """Plan the cache use of ``request``, or None when it must bypass the cache."""
    if request_bypass_reason(request) is not None:
        return None
    timeout = options.timeout if options.timeout is not None else conf.MIDDLEWARE_SECONDS
    if timeout <= 0:  # cache_page(0), CACHE_MIDDLEWARE_SECONDS = 0: never stored
        return None
    prefix = options.key_prefix
    edge = options.edge if options.edge is not None else conf.EDGE
    # The edge is keyed by URL alone: a per-request key_prefix (per user, per anything) can't go there.
    edge_page = bool(edge) and not callable(prefix)
    edge_key = request_edge_key(request) if edge_page else None
    if callable(prefix):
        prefix = prefix(request, *args, **kwargs)
        if prefix is None:  # the site said: don't cache this one
            return None
    prefix = str(prefix or "")
    url = url_identity(request, options.only_get_keys, options.forget_get_keys)
    page_tags = options.tags(request, *args, **kwargs) if callable(options.tags) else options.tags
    return PagePlan(
        request=request,
        options=options,
        alias=options.cache or conf.CACHE,
        url=url,
        prefix=prefix,
        base_key=page_key(url, prefix, locale_key(request)),
        tags=list(page_tags),
        # Edge copies can only be purged through the registry: edge pages are always remembered,
        # also when this request may not write the edge (a logged-in visitor): an anonymous hit
        # later puts the stored page on the edge, which it may only do for a remembered page.
        remember=options.remember_all_urls or conf.REMEMBER_ALL_URLS or edge_page,
        url_stats=options.remember_stats_all_urls or conf.REMEMBER_STATS_ALL_URLS,
        policy=Policy.build(timeout, options.stale),
        edge_key=edge_key,
        track=options.track if options.track is not None else conf.TRACK,
    )


def capture(plan: PagePlan, response: HttpResponseBase) -> Computed:
    """Turn a freshly rendered response into what to return and what (if anything) to store."""
    request, options = plan.request, plan.options
    if REWARM_HEADER in request.headers:  # counted apart from visitors' renders (no I/O here)
        stats.recorder.record(plan.alias, "rewarm")
    if getattr(response, "render", None) and callable(response.render) and not response.is_rendered:
        response = response.render()  # store the final bytes, not a template
    if options.post_process_response is not None:
        response = options.post_process_response(response, request)
    if varies_on_cookie(request):
        patch_vary_headers(response, ("Cookie",))  # what SessionMiddleware will add anyway
    refusal = late_cookie_refusal(request) or response_refusal(
        response, timeout_from_response=options.timeout_from_response
    )
    timeout = plan.policy.timeout
    if options.timeout_from_response:
        timeout = float(get_max_age(response) or timeout)
    if refusal is None or (refusal == "status" and response.status_code == 304):
        # As Django's middleware: a 304 (ConditionalGetMiddleware, @etag) and a HEAD answer get
        # the freshness headers of the page they stand for, though neither is stored.
        patch_response_headers(response, int(timeout))
    if refusal:
        return Computed(response, store=False, event="uncacheable")
    if request.method != "GET":  # HEAD is answered from GET entries but never stored
        return Computed(response, store=False)
    # A response that already came out of a cache (an inner cache_page under the per-site
    # middleware) was rendered Age seconds ago; Age and Cache-Status belong to one response.
    rendered_at = time.time() - freshness.header_age(response)
    payload = (
        PAYLOAD,
        response.status_code,
        tuple(item for item in response.items() if item[0].lower() not in freshness.UNSTORED),
        response.content,
        tuple(vary_headers(response)),
        rendered_at,
    )
    return Computed(response, payload, timeout=timeout if options.timeout_from_response else None)


def build_response(payload: tuple[Any, ...]) -> HttpResponse:
    """Rebuild a response from a stored payload (a dict of headers and the body bytes)."""
    status, headers, body = payload[1:4]
    return HttpResponse(body, status=status, headers=dict(headers))


def serve(plan: PagePlan, outcome: Outcome) -> HttpResponseBase:
    """The response for an outcome, with honest freshness headers (and Cache-Status if enabled);
    refills a missing edge copy when nginx fell back to us."""
    if not outcome.from_cache:
        if conf.CACHE_STATUS:
            value = freshness.status(outcome, time.time(), vary_miss=plan.vary_miss)
            freshness.add_status(outcome.result, value)
        return outcome.result
    # Only a remembered page may go back on the edge: past MAX_REMEMBERED_URLS nothing could
    # purge the copy.
    if plan.edge_key and forwarded_key(plan.request) and _is_remembered(plan.base_key):
        if outcome.event in ("hit", "lock_wait"):
            # nginx asked memcached, found nothing, came here; the page is still fresh in the
            # origin entry: put it back on the edge for the rest of its freshness (add: never
            # overwrite).
            ttl = (outcome.fresh_until or 0) - time.time()
            if ttl >= 1:
                _to_edge(plan, outcome.result, ttl, only_if_missing=True)
        elif outcome.event == "stale":
            # Someone is re-rendering: let nginx answer the rest of the crowd with the stale copy
            # for a moment instead of queueing them all on Django; the renderer's set() replaces it.
            _to_edge(plan, outcome.result, STALE_EDGE_SECONDS, only_if_missing=True)
    return label(build_response(outcome.result), outcome, time.time())


def _is_remembered(base_key: str) -> bool:
    from herdcache import registry  # the models: not at import time (apps may not be ready)

    return registry.is_remembered(base_key)


def label(response: HttpResponse, outcome: Outcome, now: float) -> HttpResponse:
    """Freshness headers (and Cache-Status) of a page served from the cache at ``now``."""
    entry, payload = outcome.entry, outcome.result
    # Entries stored before the render time was part of the payload get no Age.
    if entry is not None and len(payload) > 5:
        if outcome.event == "stale":
            freshness.mark_stale(response, payload[5], now, entry.expires_at - now)
        else:
            freshness.mark_fresh(response, payload[5], now)
    if conf.CACHE_STATUS:
        freshness.add_status(response, freshness.status(outcome, now))
    return response


def _to_edge(
    plan: PagePlan, payload: tuple[Any, ...], ttl: float, *, only_if_missing: bool = False
) -> None:
    headers, body, vary = payload[2:5]
    value = edge_body(plan.request.path, headers, body, vary)
    if value is None or len(value) > conf.MAX_ENTRY_SIZE or plan.edge_key is None:
        return
    if edge_store.write(plan.edge_key, value, ttl, only_if_missing=only_if_missing):
        from herdcache import registry  # the models: not at import time (apps may not be ready)

        request = plan.request
        uri = raw_request_uri(request).decode("latin-1")
        registry.remember_edge(plan.base_key, plan.edge_key, plan.alias, nginx_host(request), uri)


def finish(
    plan_or_request: PagePlan | HttpRequest, options: PageOptions, response: HttpResponseBase
) -> HttpResponseBase:
    """Apply ``post_process_response_always`` (every response, hit or miss; never stored); a
    planned page gets its surrogate-key header, a bypass (``plan_or_request`` is the request)
    its Cache-Status entry here."""
    if isinstance(plan_or_request, PagePlan):
        request = plan_or_request.request
        surrogate.label(
            response, surrogate.page_tags(plan_or_request, response), conf.SURROGATE_HEADER
        )
    else:  # no plan: this request bypassed the cache
        request = plan_or_request
        if conf.CACHE_STATUS:
            reason = request_bypass_reason(request) or "bypass"
            freshness.add_status(response, freshness.bypass_status(reason))
    if options.timeout == 0 and not options.timeout_from_response:
        no_store_headers(request, response)
    if options.post_process_response_always is not None:
        response = options.post_process_response_always(response, request)
    return response


def no_store_headers(request: HttpRequest, response: HttpResponseBase) -> None:
    """``cache_page(0)``, as Django's: never stored, and marked expired where it would be stored."""
    if request_bypass_reason(request) is None and (
        response_refusal(response) in (None, "status") and response.status_code in (200, 304)
    ):
        patch_response_headers(response, 0)


class PageAdapter(CacheAdapter):
    """Cache access for one page request: follows Vary markers, remembers stored URLs."""

    def __init__(self, plan: PagePlan) -> None:
        super().__init__(plan.alias)
        self.plan = plan

    def read(self, key: str, tags: Sequence[str], beta: float) -> Lookup:
        if tags:
            found = self.cache.get_many([key, *tagging.keys_for(tags)])
            gens = tagging.generations(self.cache, tags, found)
            raw = found.get(key)
        else:
            gens, raw = {}, self.cache.get(key)
        entry = Entry.unpack(raw)
        if entry is not None and _is_marker(entry.value):
            entry = Entry.unpack(self.cache.get(self._variant(key, list(entry.value[1]))))
            self.plan.vary_miss = entry is None
        return Lookup(entry, classify(entry, gens, beta, self.written(entry)), gens)

    def write(
        self,
        key: str,
        value: Any,
        delta: float,
        policy: Policy,
        gens: tagging.Generations,
        tracked: dict[str, stamps.Seen] | None = None,
    ) -> str | None:
        vary = list(value[4])
        target = key
        if vary:
            failure = super().write(key, (MARKER, tuple(vary)), 0.0, policy, {})
            if failure:
                return failure
            target = self._variant(key, vary)
        failure = super().write(target, value, delta, policy, gens, tracked)
        if failure is not None:
            return failure
        if not self.plan.remember:
            return None
        # The models and the lifecycle: not at import time (apps may not be ready).
        from herdcache import registry
        from herdcache.lifecycle import expiry

        remembered = registry.remember(
            self.plan.url,
            self.plan.prefix,
            self.plan.base_key,
            target,
            self.plan.tags,
            self.alias,
            expiry(policy.timeout + policy.stale),
        )
        # An edge copy is purged only through its remembered row: none for an unremembered page.
        if remembered and self.plan.edge_key:
            _to_edge(self.plan, value, policy.timeout)
        return None

    def _variant(self, base_key: str, names: list[str]) -> str:
        return variant_key(base_key, vary_values(self.plan.request, names))


def _is_marker(value: object) -> bool:
    return isinstance(value, tuple) and len(value) == 2 and value[0] == MARKER
