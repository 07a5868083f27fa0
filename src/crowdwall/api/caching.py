"""Page caching of the public GET endpoints, with herdcache, purged by the wall's tag.

Public answers are the same for everyone, so they are cached like the wall's pages and carry
the same tags: ``wall:<slug>`` (ingest and moderation soft-purge it) and ``walls`` for the wall
list. What must never be cached or served from the cache: anything for staff. herdcache already
bypasses requests with an ``Authorization`` header; requests with a session cookie bypass it
here too (a staff session may ask for held posts). So a staff answer is never stored, and a
stored public answer is never served to staff.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

import herdcache
from crowdwall.caching import WALL_LIST_TAG, wall_tag
from crowdwall.conf import conf
from herdcache.keys import kept_query

Run = Callable[..., HttpResponseBase]
logger = logging.getLogger("crowdwall.api")


def _public_only(request: HttpRequest, *args: Any, **kwargs: Any) -> str | None:
    # None tells herdcache "do not cache this request" (see herdcache.cache_page key_prefix).
    if settings.SESSION_COOKIE_NAME in request.COOKIES:
        return None
    return "api"


def _wall_tags(request: HttpRequest, *args: Any, **kwargs: Any) -> list[str]:
    return [wall_tag(kwargs["slug"])]


def _cached(run: Run, tags: Any, only_get_keys: Iterable[str]) -> Run:
    only_get_keys = tuple(only_get_keys)
    decorated: dict[int, Run] = {}

    @wraps(run)
    def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        # The operation sees only the query the cache key is made of (its declared parameters,
        # the last value of a repeated one): a foreign parameter can't reach the ``next`` links
        # of an answer that clean requests are then served from the cache.
        request.GET = kept_query(request, only_get_keys)
        # The timeout is read per request (settings at use time): one decorated run per value.
        timeout = conf.API_CACHE_SECONDS
        if timeout <= 0:
            return run(request, *args, **kwargs)
        if timeout not in decorated:
            decorated[timeout] = herdcache.cache_page(
                timeout, tags=tags, key_prefix=_public_only, only_get_keys=list(only_get_keys)
            )(run)
        return decorated[timeout](request, *args, **kwargs)

    return view


def cache_wall_response(*query: str) -> Callable[[Run], Run]:
    """For ``decorate_view``: cache a wall's public answer, keyed by the ``query`` parameters."""
    return lambda run: _cached(run, _wall_tags, query)


def cache_wall_list(*query: str) -> Callable[[Run], Run]:
    """For ``decorate_view``: cache the public wall list under the wall-list tag."""
    return lambda run: _cached(run, [WALL_LIST_TAG], query)


def purge_now(tags: list[str]) -> None:
    """Hard-purge ``tags`` after a configuration change (a renamed or deactivated wall must not
    be served stale). A cache outage is logged: the change itself is already saved."""
    try:
        herdcache.purge(tags=tags)
    except Exception:
        logger.exception("Purging cache tags %s failed", tags)
