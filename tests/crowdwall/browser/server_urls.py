"""The live test server's endpoints, crowdwall's pages, and its static files."""

import json
from pathlib import Path

from django.http import HttpRequest, JsonResponse
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from django.views.static import serve

import crowdwall
from crowdwall.caching import purge_walls
from crowdwall.models import Slide, Wall
from tests.crowdwall.live import server_urls


@csrf_exempt
def screen_settings(request: HttpRequest, slug: str) -> JsonResponse:
    """Set a wall's big-screen fields and replace its slides (``{"wall": {...}, "slides": []}``)."""
    body = json.loads(request.body)
    wall = Wall.objects.get(slug=slug)
    for name, value in body.get("wall", {}).items():
        setattr(wall, name, value)
    wall.full_clean()
    wall.save()
    wall.slides.all().delete()
    for n, slide in enumerate(body.get("slides", [])):
        Slide.objects.create(wall=wall, position=n, **slide)
    purge_walls([slug])
    return JsonResponse({"wall": wall.pk})


STATIC_ROOT = Path(crowdwall.__file__).parent / "static"

urlpatterns = [
    path("test/walls/<slug:slug>/screen/", screen_settings),
    *server_urls.urlpatterns,
    re_path(r"^static/(?P<path>.*)$", serve, {"document_root": STATIC_ROOT}),
    path("", include("crowdwall.urls")),
]
