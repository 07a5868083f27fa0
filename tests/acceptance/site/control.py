"""Test-only control endpoints of the acceptance site: set the scene (walls, posts, staff) in
the server process, so the in-memory channel layer reaches the browsers' sockets.

Never routed in a real project: ``tests.acceptance.site.urls`` mounts them under /control/.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth import get_user_model
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from crowdwall.ingest.write import ingest
from crowdwall.models import ModerationMode, Post, PostWall, Source, Wall
from crowdwall.moderation.actions import set_state
from tests.acceptance.site import PASSWORD


def _body(request: HttpRequest) -> Any:
    return json.loads(request.body or b"null")


@csrf_exempt
def add_wall(request: HttpRequest, slug: str) -> JsonResponse:
    """A wall that takes every post of its one source; ``{"moderation": "pre_approve"}``."""
    options = _body(request) or {}
    wall = Wall.objects.create(
        name=options.get("name", slug),
        slug=slug,
        hashtags=[slug.replace("-", "")],
        moderation=options.get("moderation", ModerationMode.OPEN),
    )
    Source.objects.create(wall=wall, name="test", kind="replay", include_all=True)
    return JsonResponse({"wall": wall.pk})


@csrf_exempt
def ingest_posts(request: HttpRequest, slug: str) -> JsonResponse:
    """Ingest posts (crowdwall's JSON format) as the wall's source would; external id -> id."""
    source = Source.objects.get(wall__slug=slug)
    result = ingest(source, _body(request))
    ids = dict(source.posts.values_list("external_id", "id"))
    return JsonResponse({"created": result.created, "ids": ids})


@csrf_exempt
def moderate(request: HttpRequest, slug: str, post_id: int, state: str) -> JsonResponse:
    changed = set_state(PostWall.objects.filter(wall__slug=slug, post_id=post_id), state)
    return JsonResponse({"changed": changed})


@csrf_exempt
def rewrite_quietly(request: HttpRequest, post_id: int) -> JsonResponse:
    """Change a post's text in the database only: no purge, no push (what a cached page must
    not show yet, and a freshly rendered one does)."""
    changed = Post.objects.filter(pk=post_id).update(content_html=_body(request)["html"])
    return JsonResponse({"changed": changed})


@csrf_exempt
def add_staff(request: HttpRequest, name: str) -> JsonResponse:
    """A staff user (superuser: may moderate every wall) with the shared test password."""
    user, _ = get_user_model().objects.get_or_create(
        username=name, defaults={"is_staff": True, "is_superuser": True}
    )
    user.set_password(PASSWORD)
    user.save()
    return JsonResponse({"user": user.pk})


urlpatterns = [
    path("control/walls/<slug:slug>/", add_wall),
    path("control/walls/<slug:slug>/ingest/", ingest_posts),
    path("control/walls/<slug:slug>/<int:post_id>/<str:state>/", moderate),
    path("control/posts/<int:post_id>/rewrite/", rewrite_quietly),
    path("control/staff/<str:name>/", add_staff),
]
