"""One URL per (cache, page) pair; ``stock/*`` is Django's cache_page, ``herd/*`` herdcache's.

``edge/*`` pages are herdcache's with edge copies: nginx (bench/edge.py) serves them straight from
memcached; the edge benchmark's HERDCACHE["EDGE_TYPES"] covers only this prefix.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import path
from django.views.decorators.cache import cache_page as stock_cache_page

import herdcache
from bench.site.views import page, ping, post_tags, versioned, warm

_LONG = 3600  # pages that must stay cached for a whole benchmark
_T = settings.EXPIRING_TIMEOUT
_RENDER = settings.RENDER_SECONDS

urlpatterns = [
    path("ping/", ping),
    path("stock/expiring/", stock_cache_page(_T, cache="stock")(page("stock-expiring", _RENDER))),
    path("herd/expiring/", herdcache.cache_page(_T)(page("herd-expiring", _RENDER))),
    path("stock/hit/", stock_cache_page(_LONG, cache="stock")(page("stock-hit", _RENDER))),
    path("herd/hit/", herdcache.cache_page(_LONG)(page("herd-hit", _RENDER))),
    path("edge/hit/", herdcache.cache_page(_LONG, edge=True)(page("edge-hit", _RENDER))),
    path("edge/news/", herdcache.cache_page(_LONG, edge=True, tags=["news"])(versioned)),
    path("uncached/", page("uncached")),
    path(
        "p/<int:pk>/",
        herdcache.cache_page(_LONG, remember_all_urls=True, tags=post_tags)(page("post")),
    ),
    path(  # bench/rewarm.py: remembered with per-URL counters, all under one tag
        "warm/<int:pk>/",
        herdcache.cache_page(
            _LONG, remember_all_urls=True, remember_stats_all_urls=True, tags=["warm"]
        )(warm),
    ),
]
