"""The live test server's endpoints, crowdwall's pages, its static files, a staff login, and
ways to pin a post, to fill a wall's quarantine and to import a wall's schedule."""

import json
from pathlib import Path

from django.contrib.auth import get_user_model, login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import include, path, re_path
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.static import serve

import crowdwall
from crowdwall.caching import purge_walls
from crowdwall.models import PostWall, QuarantinedPost, Slide, Source, Wall
from crowdwall.moderation.actions import set_pinned
from crowdwall.schedule.importer import import_schedule
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


def staff_login(request: HttpRequest) -> HttpResponse:
    """Test only: log the browser in as a staff user (the moderation pages), then go to ?next=."""
    user, _ = get_user_model().objects.get_or_create(username="staff", defaults={"is_staff": True})
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    target = request.GET.get("next", "/walls/")
    return redirect(target if url_has_allowed_host_and_scheme(target, None) else "/walls/")


@csrf_exempt
def quarantine(request: HttpRequest, slug: str) -> HttpResponse:
    """Test only: three posts of the wall's source that "failed to store"."""
    source = Source.objects.get(wall__slug=slug)
    for n, reason in enumerate(
        [
            "DataError: value too long for type character varying(255)",
            "IntegrityError: poisoned row",
            "DataError: invalid byte sequence for encoding UTF8",
        ]
    ):
        QuarantinedPost.objects.create(
            source=source, external_id=f"quarantined-{n}", reason=reason,
            payload=json.dumps({"id": f"quarantined-{n}", "html": "<p>#test</p>"}),
        )  # fmt: skip
    return HttpResponse("ok")


@csrf_exempt
def pin(request: HttpRequest, slug: str, post_id: int) -> HttpResponse:
    """Test only: pin an approved post of the wall, as a moderator would."""
    set_pinned(PostWall.objects.filter(wall__slug=slug, post_id=post_id), True)
    return HttpResponse("ok")


@csrf_exempt
def schedule(request: HttpRequest, slug: str) -> HttpResponse:
    """Test only: import the request's body (Pretalx JSON) as the wall's schedule."""
    import_schedule(Wall.objects.get(slug=slug), request.body)
    return HttpResponse("ok")


urlpatterns = [
    path("test/walls/<slug:slug>/screen/", screen_settings),
    *server_urls.urlpatterns,
    path("test/login/", staff_login),
    path("test/walls/<slug:slug>/quarantine/", quarantine),
    path("test/pin/<slug:slug>/<int:post_id>/", pin),
    path("test/walls/<slug:slug>/schedule/", schedule),
    re_path(r"^static/(?P<path>.*)$", serve, {"document_root": STATIC_ROOT}),
    path("", include("crowdwall.urls")),
]
