"""URLs of the tracked pages served through Varnish (test_tracked_varnish.py): each page reads
rows through the ORM and is cached with ``track=True``, nothing tagged by hand."""

from __future__ import annotations

from collections import Counter

from django.http import HttpResponse
from django.urls import path

import herdcache
from tests.herdcache.trackapp.models import Item, Label

RENDERS: Counter[str] = Counter()


@herdcache.cache_page(60, track=True)
def item(request, pk):
    RENDERS[f"item:{pk}"] += 1
    found = Item.objects.get(pk=pk)  # a read by primary key: tag r:trackapp.Item:<pk>
    return HttpResponse(f"{found.name}:{found.price} render {RENDERS[f'item:{pk}']}")


@herdcache.cache_page(60, track=True)
def labels(request):
    RENDERS["labels"] += 1
    names = ",".join(Label.objects.order_by("name").values_list("name", flat=True))
    return HttpResponse(f"{names} render {RENDERS['labels']}")


urlpatterns = [path("item/<int:pk>/", item), path("labels/", labels)]
