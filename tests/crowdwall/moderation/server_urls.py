"""The live test server's endpoints, crowdwall's pages, and test-only helpers for moderation:
log a (staff or plain) user in, and set a wall's moderation mode."""

from pathlib import Path

from django.contrib.auth import get_user_model, login
from django.http import HttpRequest, JsonResponse
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from django.views.static import serve

import crowdwall
from crowdwall.models import Role, Wall, WallRole
from tests.crowdwall.live.server_urls import urlpatterns as live_urlpatterns


@csrf_exempt
def test_login(request: HttpRequest, username: str) -> JsonResponse:
    """Create the user if needed (staff with ``?staff=1``, a viewer of a wall with
    ``?viewer_of=<slug>``) and log this client in: the answer
    sets a real session cookie, as the admin's login form would."""
    user, _ = get_user_model().objects.get_or_create(username=username)
    user.is_staff = request.GET.get("staff") == "1"
    user.save()
    if request.GET.get("viewer_of"):  # a role on one wall instead (crowdwall.moderation.access)
        wall = Wall.objects.get(slug=request.GET["viewer_of"])
        WallRole.objects.get_or_create(wall=wall, user=user, defaults={"role": Role.VIEWER})
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return JsonResponse({"user": user.pk, "staff": user.is_staff})


@csrf_exempt
def set_mode(request: HttpRequest, slug: str, mode: str) -> JsonResponse:
    changed = Wall.objects.filter(slug=slug).update(moderation=mode)
    return JsonResponse({"changed": changed})


urlpatterns = [
    *live_urlpatterns,
    path("test/login/<str:username>/", test_login),
    path("test/mode/<slug:slug>/<str:mode>/", set_mode),
    re_path(
        r"^static/(?P<path>.*)$",
        serve,
        {"document_root": Path(crowdwall.__file__).parent / "static"},
    ),
    path("", include("crowdwall.urls")),
]
