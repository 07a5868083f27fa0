"""Test-only endpoints of the ASGI test server: create a wall, ingest posts, moderate, all in
the server process (so the in-memory layer reaches its consumers)."""

import json

from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from crowdwall.ingest.write import ingest
from crowdwall.models import PostWall, Source, Wall
from crowdwall.moderation.actions import set_state


@csrf_exempt
def add_wall(request: HttpRequest, slug: str) -> JsonResponse:
    wall = Wall.objects.create(name=slug, slug=slug, hashtags=[slug.replace("-", "")])
    Source.objects.create(wall=wall, name="test", kind="replay", include_all=True)
    return JsonResponse({"wall": wall.pk})


@csrf_exempt
def ingest_posts(request: HttpRequest, slug: str) -> JsonResponse:
    source = Source.objects.get(wall__slug=slug)
    result = ingest(source, json.loads(request.body))
    ids = dict(source.posts.values_list("external_id", "id"))
    return JsonResponse({"created": result.created, "ids": ids})


@csrf_exempt
def moderate(request: HttpRequest, slug: str, post_id: int, state: str) -> JsonResponse:
    changed = set_state(PostWall.objects.filter(wall__slug=slug, post_id=post_id), state)
    return JsonResponse({"changed": changed})


def wall_count(request: HttpRequest, slug: str) -> JsonResponse:
    """A plain read: the server still answers while the channel layer is down."""
    return JsonResponse({"posts": PostWall.objects.filter(wall__slug=slug).count()})


urlpatterns = [
    path("test/walls/<slug:slug>/count/", wall_count),
    path("test/walls/<slug:slug>/", add_wall),
    path("test/walls/<slug:slug>/ingest/", ingest_posts),
    path("test/walls/<slug:slug>/<int:post_id>/<str:state>/", moderate),
]
