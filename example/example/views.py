"""Demo views: a page cached with herdcache, and one whose slow part is memoized."""

from __future__ import annotations

import time

from django.http import HttpResponse
from django.utils import timezone

import herdcache


@herdcache.cached(10, stale=300)
def slow_remote_fetch() -> str:
    """Stands in for a slow API call: visitors never wait on it after the first fill."""
    time.sleep(0.5)
    return timezone.now().isoformat(timespec="seconds")


@herdcache.cache_page(5, tags=["home"])
def home(request):
    return HttpResponse(
        '<!doctype html><html lang="en"><title>crowdwall demo</title><h1>crowdwall demo</h1>'
        f"<p>Rendered at {timezone.now().isoformat(timespec='seconds')}.</p>"
        f"<p>Slow data fetched at {slow_remote_fetch()}.</p>"
        '<p><a href="/walls/">Walls</a> · <a href="/walls/djangocon/archive/">the demo wall</a>'
        ' · <a href="/herdcache/stats/">cache stats</a> (staff only).</p>'
    )


@herdcache.cache_page(30, stale=600)
def slow(request):
    time.sleep(0.5)
    return HttpResponse(f"rendered slowly at {timezone.now().isoformat()}")
