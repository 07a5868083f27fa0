"""django-fancy-cache's ``cache_page(timeout, *, cache, key_prefix, ...)`` on herdcache."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

from django.http import HttpRequest

from herdcache import decorators
from herdcache.pages import PageTags, PostProcess

FancyKeyPrefix = str | Callable[[HttpRequest], str | None] | None


def cache_page(
    timeout: float | None,
    *,
    cache: str | None = None,
    key_prefix: FancyKeyPrefix = None,
    cache_timeout: float | None = None,
    post_process_response: PostProcess | None = None,
    post_process_response_always: PostProcess | None = None,
    only_get_keys: str | Iterable[str] | None = None,
    forget_get_keys: str | Iterable[str] | None = None,
    remember_all_urls: bool = False,
    remember_stats_all_urls: bool = False,
    tags: PageTags = (),
    stale: float | None = None,
    edge: bool | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Cache a view as ``fancy_cache.cache_page`` did, with herdcache's stampede protection.

    Same arguments: a callable ``key_prefix`` gets the request alone (herdcache's own also gets
    the view's arguments); ``cache_timeout`` is the timeout when ``timeout`` is None. herdcache's
    ``tags``, ``stale`` and ``edge`` are accepted too. The settings FANCY_REMEMBER_ALL_URLS and
    FANCY_REMEMBER_STATS_ALL_URLS are not read: use ``HERDCACHE["REMEMBER_ALL_URLS"]`` and
    ``HERDCACHE["REMEMBER_STATS_ALL_URLS"]`` (``manage.py check`` says so).
    """
    if timeout is None and cache_timeout is not None:
        timeout = cache_timeout
    return decorators.cache_page(
        timeout,  # type: ignore[arg-type]  # None: herdcache's cache_page decides, as Django's
        cache=cache,
        key_prefix=_request_only(key_prefix) if callable(key_prefix) else key_prefix,
        only_get_keys=only_get_keys,
        forget_get_keys=forget_get_keys,
        post_process_response=post_process_response,
        post_process_response_always=post_process_response_always,
        remember_all_urls=remember_all_urls,
        remember_stats_all_urls=remember_stats_all_urls,
        tags=tags,
        stale=stale,
        edge=edge,
    )


def _request_only(key_prefix: Callable[[HttpRequest], str | None]) -> Callable[..., str | None]:
    # fancy-cache called key_prefix(request); herdcache passes the view's arguments as well.
    @functools.wraps(key_prefix)
    def prefix(request: HttpRequest, *args: Any, **kwargs: Any) -> str | None:
        return key_prefix(request)

    return prefix
