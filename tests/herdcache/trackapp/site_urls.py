"""A site with no cache decorator: herdcache's per-site middleware caches it
(test_tracking_middleware.py)."""

from __future__ import annotations

from collections import Counter

from django.http import HttpResponse
from django.urls import path

from tests.herdcache.trackapp.models import Item

RENDERS: Counter[str] = Counter()


def item(request, pk):
    RENDERS[f"item:{pk}"] += 1
    found = Item.objects.get(pk=pk)
    return HttpResponse(f"{found.name}:{found.price}")


async def async_item(request, pk):
    RENDERS[f"async:{pk}"] += 1
    found = await Item.objects.aget(pk=pk)
    return HttpResponse(f"{found.name}:{found.price}")


urlpatterns = [path("item/<int:pk>/", item), path("async/<int:pk>/", async_item)]
