"""The example site's own pages: the landing page, and two pages that show herdcache at work
(a cached page, and one whose slow part is memoized)."""

from __future__ import annotations

import time

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils import timezone

import herdcache
from crowdwall.models import Wall


def home(request: HttpRequest) -> HttpResponse:
    """The landing page: every active wall, with links to each of its pages and its API."""
    walls = Wall.objects.filter(is_active=True).order_by("slug")
    return render(request, "example/home.html", {"walls": walls})


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico on every site: an icon, not a 404 in the console."""
    return redirect(static("example/favicon.svg"), permanent=True)


@herdcache.cached(10, stale=300)
def slow_remote_fetch() -> str:
    """Stands in for a slow API call: visitors never wait on it after the first fill."""
    time.sleep(0.5)
    return timezone.now().isoformat(timespec="seconds")


@herdcache.cache_page(5, tags=["home"])
def cache_demo(request: HttpRequest) -> HttpResponse:
    """A page cached for 5 s whose slow part is memoized for 10 s (stale for 300)."""
    return HttpResponse(
        '<!doctype html><html lang="en"><title>herdcache demo</title><h1>herdcache demo</h1>'
        f"<p>Rendered at {timezone.now().isoformat(timespec='seconds')}.</p>"
        f"<p>Slow data fetched at {slow_remote_fetch()}.</p>"
        '<p><a href="/">Home</a> · <a href="/herdcache/stats/">cache stats</a> (staff only).</p>'
    )


@herdcache.cache_page(30, stale=600)
def slow(request: HttpRequest) -> HttpResponse:
    time.sleep(0.5)
    return HttpResponse(f"rendered slowly at {timezone.now().isoformat()}")
