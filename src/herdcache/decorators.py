"""``herdcache.cached``: memoize a function with stale-while-revalidate and one refresh per expiry."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

from asgiref.sync import sync_to_async
from django.http import HttpRequest

from herdcache import tracking
from herdcache.cache_adapter import CacheAdapter
from herdcache.conf import conf
from herdcache.drivers import aget_or_compute, get_or_compute
from herdcache.keys import get_keys, herd_key
from herdcache.pages import (
    KeyPrefix,
    PageAdapter,
    PageOptions,
    PagePlan,
    PageTags,
    PostProcess,
    capture,
    finish,
    plan_request,
    serve,
)
from herdcache.stampede import Computed, Outcome, Policy
from herdcache.stats import arecord, record

F = TypeVar("F", bound=Callable[..., Any])
KeySpec = str | Callable[..., str] | None
TagSpec = Iterable[str] | Callable[..., Iterable[str]]


def cached(
    timeout: float,
    *,
    stale: float | None = None,
    key: KeySpec = None,
    tags: TagSpec = (),
    cache: str | None = None,
    background: bool = True,
    track: bool | None = None,
) -> Callable[[F], F]:
    """Memoize ``func`` in the cache, computing it once per expiry across every process.

    After ``timeout`` seconds the old value is still returned while one caller refreshes it (in a
    background thread when ``background``, so nobody waits); it is gone for good after
    ``timeout + stale`` (default ``timeout * STALE_FACTOR``). ``key`` is a format string over the
    call's arguments (``"user:{0}"``) or a callable returning a string; by default the function's
    dotted name and ``repr`` of the arguments. ``tags`` (or a callable over the arguments) lets
    ``herdcache.purge(tags=...)`` invalidate results. Works on ``async def`` functions too.
    ``track=True`` (default ``HERDCACHE["TRACK"]``, or on inside another tracked computation)
    records the tables and rows the function reads so committed writes to them purge the value
    (``herdcache.tracking``); a tracked value served inside a tracked page passes its tags on.

    The wrapper gains ``.purge(*args, soft=False, **kwargs)`` to drop one call's value.
    """
    if timeout is None or timeout <= 0:
        raise ValueError("cached() needs a positive timeout in seconds")
    tracking.declare(track)

    def decorator(func: F) -> F:
        name = f"{func.__module__}.{func.__qualname__}"

        def make_key(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
            if key is None:
                material = f"{name}|{args!r}|{sorted(kwargs.items())!r}"
            elif callable(key):
                material = f"{name}|{key(*args, **kwargs)}"
            else:
                material = f"{name}|{key.format(*args, **kwargs)}"
            return herd_key("f", material)

        def resolve_tags(args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[str]:
            return list(tags(*args, **kwargs) if callable(tags) else tags)

        def prepare(
            args: tuple[Any, ...], kwargs: dict[str, Any]
        ) -> tuple[CacheAdapter, str, Policy, list[str]]:
            return (
                CacheAdapter(cache or conf.CACHE),
                make_key(args, kwargs),
                Policy.build(timeout, stale),
                resolve_tags(args, kwargs),
            )

        def purge(*args: Any, soft: bool = False, **kwargs: Any) -> None:
            adapter, k, _, _ = prepare(args, kwargs)
            if soft:
                from herdcache.purging import soften

                soften(adapter.cache, [k])
            else:
                adapter.cache.delete(k)

        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                adapter, k, policy, tag_list = prepare(args, kwargs)
                tracked = tracking.wanted(track)  # here: a background refresh has no context

                async def acompute() -> Computed:
                    if not tracked:
                        value = await func(*args, **kwargs)
                        return Computed(value, value)
                    with tracking.recording(adapter.alias, adapter.entry_stamps) as recorder:
                        value = await func(*args, **kwargs)
                    return tracking.attach(Computed(value, value), recorder)

                outcome = await aget_or_compute(
                    adapter, k, policy, tag_list, acompute, background=background
                )
                _pass_on(outcome)
                return outcome.result

            async_wrapper.purge = purge  # type: ignore[attr-defined]
            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            adapter, k, policy, tag_list = prepare(args, kwargs)
            tracked = tracking.wanted(track)  # here: a background refresh has no context

            def compute() -> Computed:
                if not tracked:
                    value = func(*args, **kwargs)
                    return Computed(value, value)
                with tracking.recording(adapter.alias, adapter.entry_stamps) as recorder:
                    value = func(*args, **kwargs)
                return tracking.attach(Computed(value, value), recorder)

            outcome = get_or_compute(adapter, k, policy, tag_list, compute, background=background)
            _pass_on(outcome)
            return outcome.result

        wrapper.purge = purge  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorator


def _pass_on(outcome: Outcome) -> None:
    """A value served from the cache inside a tracked computation: its reads count there too."""
    recorder = tracking.current()
    if recorder is not None and outcome.from_cache and outcome.entry is not None:
        recorder.adopt(outcome.entry.tracked)


def _compute_page(plan: PagePlan, adapter: PageAdapter, render: Callable[[], Any]) -> Computed:
    """Render and capture a page, tracking its reads when the plan says so."""
    if not plan.track:
        return capture(plan, render())
    with tracking.recording(plan.alias, adapter.entry_stamps) as recorder:
        computed = capture(plan, render())  # inside: a TemplateResponse reads while rendering
    computed = tracking.attach(computed, recorder)
    plan.tags = [*plan.tags, *(computed.tracked or {})]  # remembered with the URL: edge copies too
    return computed


async def _acompute_page(
    plan: PagePlan, adapter: PageAdapter, arender: Callable[[], Awaitable[Any]]
) -> Computed:
    """``_compute_page`` for async views."""
    if not plan.track:
        return capture(plan, await arender())
    with tracking.recording(plan.alias, adapter.entry_stamps) as recorder:
        computed = capture(plan, await arender())
    computed = tracking.attach(computed, recorder)
    plan.tags = [*plan.tags, *(computed.tracked or {})]
    return computed


def _tag_response(plan: PagePlan, outcome: Outcome, response: Any) -> Any:
    """Attach the page's tags (declared and tracked) to the response (``response_tags``)."""
    entry = outcome.entry if outcome.from_cache else None
    tracking.set_response_tags(
        response, tracking.entry_tags(entry) if entry is not None else plan.tags
    )
    return response


def cache_page(
    timeout: float | None,
    *,
    cache: str | None = None,
    key_prefix: KeyPrefix = None,
    only_get_keys: str | Iterable[str] | None = None,
    forget_get_keys: str | Iterable[str] | None = None,
    post_process_response: PostProcess | None = None,
    post_process_response_always: PostProcess | None = None,
    remember_all_urls: bool = False,
    remember_stats_all_urls: bool = False,
    tags: PageTags = (),
    stale: float | None = None,
    edge: bool | None = None,
    track: bool | None = None,
) -> Callable[[F], F]:
    """Cache a view's response: a drop-in for Django's ``cache_page`` that survives a crowd.

    One render per expiry across all processes (stale copies are served while one request
    re-renders), plus django-fancy-cache's extras: ``key_prefix`` may be a callable
    ``(request, *args, **kwargs)`` returning a string, or None to skip caching for that request;
    ``only_get_keys`` names the query parameters that matter (a string is one name),
    ``forget_get_keys`` those that don't (every other one matters); ``post_process_response(response,
    request)`` runs on the response that will be stored, ``post_process_response_always`` on
    every response (hit or miss) and is never stored; ``remember_all_urls`` and
    ``remember_stats_all_urls`` record the URL for ``find_urls``/``purge`` and count its hits.
    ``tags`` (or a callable like ``key_prefix``) lets ``purge(tags=...)`` drop pages in O(1).
    Never stores what Django's cache middleware would not (see ``herdcache.rules``).
    ``edge=True`` (default ``HERDCACHE["EDGE"]``) also writes edge-safe pages to memcached for
    nginx to serve without Django (``herdcache.edge``). ``track=True`` (default
    ``HERDCACHE["TRACK"]``) tags the page with the tables and rows it read, so committed writes
    to them purge it (``herdcache.tracking``, ``herdcache.invalidation``).

    As Django's: ``timeout=None`` takes the response's ``max-age``, else
    ``CACHE_MIDDLEWARE_SECONDS`` (``max-age=0``: not stored); ``timeout=0`` never stores and marks
    responses expired (``Cache-Control: max-age=0``, ``Expires`` now).
    """
    if only_get_keys is not None and forget_get_keys is not None:
        raise TypeError("cache_page() takes only_get_keys or forget_get_keys, not both")
    if timeout is not None and (not isinstance(timeout, int | float) or timeout < 0):
        raise ValueError("cache_page() needs a timeout in seconds >= 0, or None")
    tracking.declare(track)
    options = PageOptions(
        timeout=None if timeout is None else float(timeout),
        timeout_from_response=timeout is None,
        stale=stale,
        key_prefix=key_prefix,
        only_get_keys=get_keys("only_get_keys", only_get_keys),
        forget_get_keys=get_keys("forget_get_keys", forget_get_keys),
        post_process_response=post_process_response,
        post_process_response_always=post_process_response_always,
        remember_all_urls=remember_all_urls,
        remember_stats_all_urls=remember_stats_all_urls,
        tags=tags,
        cache=cache,
        edge=edge,
        track=track,
    )

    def decorator(view: F) -> F:
        if inspect.iscoroutinefunction(view):

            @functools.wraps(view)
            async def async_view(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
                plan = await sync_to_async(plan_request)(request, options, args, kwargs)
                if plan is None:
                    await arecord(options.cache or conf.CACHE, "bypass")
                    return finish(request, options, await view(request, *args, **kwargs))

                adapter = PageAdapter(plan)

                async def acompute() -> Computed:
                    return await _acompute_page(
                        plan, adapter, lambda: view(request, *args, **kwargs)
                    )

                outcome = await aget_or_compute(
                    adapter,
                    plan.base_key,
                    plan.policy,
                    plan.tags,
                    acompute,
                    url_key=plan.stats_key,
                )
                if plan.edge_key and outcome.from_cache:
                    response = await sync_to_async(serve)(plan, outcome)  # may write the edge
                else:
                    response = serve(plan, outcome)
                return finish(plan, options, _tag_response(plan, outcome, response))

            return async_view  # type: ignore[return-value]

        @functools.wraps(view)
        def sync_view(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            plan = plan_request(request, options, args, kwargs)
            if plan is None:
                record(options.cache or conf.CACHE, "bypass")
                return finish(request, options, view(request, *args, **kwargs))

            adapter = PageAdapter(plan)

            def compute() -> Computed:
                return _compute_page(plan, adapter, lambda: view(request, *args, **kwargs))

            outcome = get_or_compute(
                adapter,
                plan.base_key,
                plan.policy,
                plan.tags,
                compute,
                url_key=plan.stats_key,
            )
            return finish(plan, options, _tag_response(plan, outcome, serve(plan, outcome)))

        return sync_view  # type: ignore[return-value]

    return decorator


__all__ = ["cache_page", "cached"]
