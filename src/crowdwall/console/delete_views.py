"""Deleting a source or a wall from the console: a confirmation page (GET) saying what goes with
it, then the deletion (POST only), written to the moderation log and the affected pages purged.

A wall's organisers may delete its sources. Deleting a wall is site-wide, like creating one
(``access.may_create``), and asks for the wall's slug to be typed: it takes the wall's sources,
their posts, its schedule, roles and figures with it. The log row of a deleted wall keeps its
slug and name in ``detail`` (the row's wall link is cleared with the wall).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from crowdwall.caching import purge_walls
from crowdwall.console import access
from crowdwall.console.access import organiser_required
from crowdwall.console.views import organised_wall
from crowdwall.models import ModerationAction, Post, PostWall, Source, Wall
from crowdwall.moderation import service


def _walls_showing(sources: list[Source]) -> set[str]:
    """Slugs of the walls with posts from these sources (a source may feed other walls)."""
    entries = PostWall.objects.filter(post__source__in=sources)
    return set(Wall.objects.filter(pk__in=entries.values("wall_id")).values_list("slug", flat=True))


@organiser_required
@require_http_methods(["GET", "HEAD", "POST"])
def source_delete(request: HttpRequest, slug: str, source_id: int) -> HttpResponse:
    """Confirm, then delete a source and the posts it fetched (on every wall showing them)."""
    wall = organised_wall(request, slug)
    source = get_object_or_404(Source, wall=wall, pk=source_id)
    if request.method != "POST":
        context = {
            "wall": wall,
            "source": source,
            "posts": Post.objects.filter(source=source).count(),
        }
        return render(request, "crowdwall/console/source_delete.html", context)
    walls = _walls_showing([source]) | {wall.slug}
    with transaction.atomic():
        detail = {"source": source.name, "deleted": True, "kind": source.kind}
        source.delete()
        service.record(request.user, ModerationAction.CONFIGURE, wall=wall, detail=detail)
    purge_walls(walls)
    messages.success(request, f"Deleted the source {detail['source']} and its posts.")
    return redirect("crowdwall:console_wall", wall.slug)


@organiser_required
@require_http_methods(["GET", "HEAD", "POST"])
def wall_delete(request: HttpRequest, slug: str) -> HttpResponse:
    """Confirm (by typing the slug), then delete a wall with everything that is only its own."""
    wall = organised_wall(request, slug)
    if not access.may_create(request.user):
        raise PermissionDenied("Deleting walls needs site-wide rights.")
    sources = list(wall.sources.all())
    context = {
        "wall": wall,
        "sources": sources,
        "posts": Post.objects.filter(source__in=sources).count(),
        "entries": PostWall.objects.filter(wall=wall).count(),
        "error": "",
    }
    if request.method != "POST":
        return render(request, "crowdwall/console/wall_delete.html", context)
    if request.POST.get("confirm", "").strip() != wall.slug:
        context["error"] = f"Type the wall's slug, {wall.slug}, to delete it."
        return render(request, "crowdwall/console/wall_delete.html", context, status=400)
    walls = _walls_showing(sources) | {wall.slug}
    with transaction.atomic():
        detail = {"deleted_wall": wall.slug, "name": wall.name, "sources": len(sources)}
        wall.delete()
        service.record(request.user, ModerationAction.CONFIGURE, wall=None, detail=detail)
    purge_walls(walls, wall_list=True)
    messages.success(request, f"Deleted the wall {detail['name']}.")
    return redirect("crowdwall:console")
