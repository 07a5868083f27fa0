"""URLs of the tracking benchmark's Varnish part (bench/tracking_varnish.py): one tracked page.

Imported only while that benchmark points ``ROOT_URLCONF`` here (with ``django.contrib.auth``
installed): a ``track=True`` decorator turns write tracking on for the whole process
(``TRACK_WRITES=None``), which no other benchmark must inherit from merely importing bench.
"""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.http import HttpRequest, HttpResponse
from django.urls import path

import herdcache


@herdcache.cache_page(300, track=True)
def group(request: HttpRequest, pk: int) -> HttpResponse:
    """The group's name, read by primary key: the entry's tracked tag is ``r:auth.Group:<pk>``."""
    return HttpResponse(Group.objects.get(pk=pk).name)


urlpatterns = [path("group/<int:pk>/", group)]
