"""The live test server's endpoints, crowdwall's pages (the catch-up and nchan's authorize
view among them) and a test-only login that starts a session for a (staff) user."""

from django.contrib.auth import get_user_model, login
from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

from tests.crowdwall.live.server_urls import urlpatterns as live_urlpatterns


@csrf_exempt
def test_login(request: HttpRequest, name: str, staff: int) -> JsonResponse:
    user, _ = get_user_model().objects.update_or_create(
        username=name, defaults={"is_staff": bool(staff)}
    )
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return JsonResponse({"user": user.pk})


urlpatterns = [
    *live_urlpatterns,
    path("test/login/<str:name>/<int:staff>/", test_login),
    path("", include("crowdwall.urls")),
]
