"""``herdcache.cached``: memoize a function with stale-while-revalidate and one refresh per expiry."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from asgiref.sync import sync_to_async
from django.http import HttpRequest

from herdcache.cache_adapter import CacheAdapter
from herdcache.conf import conf
from herdcache.drivers import aget_or_compute, get_or_compute
from herdcache.keys import get_keys, herd_key
from herdcache.pages import (
    KeyPrefix,
    PageAdapter,
    PageOptions,
    PageTags,
    PostProcess,
    capture,
    finish,
    plan_request,
    serve,
)
from herdcache.stampede import Computed, Policy
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
) -> Callable[[F], F]:
    """Memoize ``func`` in the cache, computing it once per expiry across every process.

    After ``timeout`` seconds the old value is still returned while one caller refreshes it (in a
    background thread when ``background``, so nobody waits); it is gone for good after
    ``timeout + stale`` (default ``timeout * STALE_FACTOR``). ``key`` is a format string over the
    call's arguments (``"user:{0}"``) or a callable returning a string; by default the function's
    dotted name and ``repr`` of the arguments. ``tags`` (or a callable over the arguments) lets
    ``herdcache.purge(tags=...)`` invalidate results. Works on ``async def`` functions too.

    The wrapper gains ``.purge(*args, soft=False, **kwargs)`` to drop one call's value.
    """
    if timeout is None or timeout <= 0:
        raise ValueError("cached() needs a positive timeout in seconds")

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

                async def acompute() -> Computed:
                    value = await func(*args, **kwargs)
                    return Computed(value, value)

                outcome = await aget_or_compute(
                    adapter, k, policy, tag_list, acompute, background=background
                )
                return outcome.result

            async_wrapper.purge = purge  # type: ignore[attr-defined]
            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            adapter, k, policy, tag_list = prepare(args, kwargs)

            def compute() -> Computed:
                value = func(*args, **kwargs)
                return Computed(value, value)

            return get_or_compute(
                adapter, k, policy, tag_list, compute, background=background
            ).result

        wrapper.purge = purge  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorator


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
    nginx to serve without Django (``herdcache.edge``).

    As Django's: ``timeout=None`` takes the response's ``max-age``, else
    ``CACHE_MIDDLEWARE_SECONDS`` (``max-age=0``: not stored); ``timeout=0`` never stores and marks
    responses expired (``Cache-Control: max-age=0``, ``Expires`` now).
    """
    if only_get_keys is not None and forget_get_keys is not None:
        raise TypeError("cache_page() takes only_get_keys or forget_get_keys, not both")
    if timeout is not None and (not isinstance(timeout, int | float) or timeout < 0):
        raise ValueError("cache_page() needs a timeout in seconds >= 0, or None")
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
    )

    def decorator(view: F) -> F:
        if inspect.iscoroutinefunction(view):

            @functools.wraps(view)
            async def async_view(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
                plan = await sync_to_async(plan_request)(request, options, args, kwargs)
                if plan is None:
                    await arecord(options.cache or conf.CACHE, "bypass")
                    return finish(request, options, await view(request, *args, **kwargs))

                async def acompute() -> Computed:
                    return capture(plan, await view(request, *args, **kwargs))

                outcome = await aget_or_compute(
                    PageAdapter(plan),
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
                return finish(plan, options, response)

            return async_view  # type: ignore[return-value]

        @functools.wraps(view)
        def sync_view(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            plan = plan_request(request, options, args, kwargs)
            if plan is None:
                record(options.cache or conf.CACHE, "bypass")
                return finish(request, options, view(request, *args, **kwargs))

            def compute() -> Computed:
                return capture(plan, view(request, *args, **kwargs))

            outcome = get_or_compute(
                PageAdapter(plan),
                plan.base_key,
                plan.policy,
                plan.tags,
                compute,
                url_key=plan.stats_key,
            )
            return finish(plan, options, serve(plan, outcome))

        return sync_view  # type: ignore[return-value]

    return decorator


__all__ = ["cache_page", "cached"]
