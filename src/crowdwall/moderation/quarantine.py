"""The moderation screen's view of a wall's quarantine (staff only): posts of its sources that
failed to store, with why (viewers and up) (``crowdwall.ingest.quarantine``). Read-only here: replaying and
discarding are the admin's actions and ``manage.py crowdwall quarantine``, done after a fix."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from crowdwall.models import QuarantinedPost, Wall
from crowdwall.moderation.access import wall_required

PAGE_SIZE = 50


def quarantined(wall: Wall) -> int:
    """How many posts of ``wall``'s sources are in quarantine (shown on the screen)."""
    return QuarantinedPost.objects.filter(source__wall=wall).count()


@wall_required("view")
@require_GET
def quarantine(request: HttpRequest, slug: str) -> HttpResponse:
    """The wall's quarantined posts, newest first, paginated (``?page=``)."""
    wall = get_object_or_404(Wall, slug=slug)
    rows = QuarantinedPost.objects.filter(source__wall=wall).select_related("source")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "crowdwall/moderate_quarantine.html", {"wall": wall, "page": page})
