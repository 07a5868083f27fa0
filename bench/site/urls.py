"""One URL per (cache, page) pair; ``stock/*`` is Django's cache_page, ``herd/*`` herdcache's."""

from __future__ import annotations

from django.conf import settings
from django.urls import path
from django.views.decorators.cache import cache_page as stock_cache_page

import herdcache
from bench.site.views import page, ping, post_tags

_LONG = 3600  # pages that must stay cached for a whole benchmark
_T = settings.EXPIRING_TIMEOUT
_RENDER = settings.RENDER_SECONDS

urlpatterns = [
    path("ping/", ping),
    path("stock/expiring/", stock_cache_page(_T, cache="stock")(page("stock-expiring", _RENDER))),
    path("herd/expiring/", herdcache.cache_page(_T)(page("herd-expiring", _RENDER))),
    path("stock/hit/", stock_cache_page(_LONG, cache="stock")(page("stock-hit", _RENDER))),
    path("herd/hit/", herdcache.cache_page(_LONG)(page("herd-hit", _RENDER))),
    path("uncached/", page("uncached")),
    path(
        "p/<int:pk>/",
        herdcache.cache_page(_LONG, remember_all_urls=True, tags=post_tags)(page("post")),
    ),
]
