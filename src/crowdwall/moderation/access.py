"""Who may moderate, and how everyone else is turned away (HTTP views and WebSockets alike).

Staff only (``is_active`` and ``is_staff``). The answers differ by who asks:

- an anonymous browser asking for a page (GET, HTML) is sent to the login page (the admin's
  when the admin is installed, else ``settings.LOGIN_URL``) and comes back after logging in;
- everyone else — a logged-in user who is not staff, any POST, any JSON/XHR request — gets
  403, as JSON when JSON was asked for: a redirect would turn a refused action into a 200
  login page that a script cannot tell from success.

Every response of a moderation view, refusals and redirects included, is marked
``private, no-store`` (``never_cache``): these pages name moderators and show held posts, and
neither herdcache (which refuses to store private responses) nor any proxy may keep them.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.urls import NoReverseMatch, reverse
from django.views.decorators.cache import never_cache

View = Callable[..., HttpResponse]


def is_moderator(user: Any) -> bool:
    """Whether ``user`` may moderate walls: an active staff account."""
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.is_active
        and user.is_staff
    )


def wants_json(request: HttpRequest) -> bool:
    """Whether the caller is a script (fetch with ``Accept: application/json``, or XHR)."""
    return (
        "application/json" in request.headers.get("Accept", "")
        or request.headers.get("X-Requested-With") == "XMLHttpRequest"
    )


def login_url() -> str:
    """Where anonymous moderators log in: the admin's login page when the admin is installed."""
    try:
        return reverse("admin:login")
    except NoReverseMatch:
        return str(settings.LOGIN_URL)


def forbidden(request: HttpRequest, message: str = "Moderators only.") -> HttpResponse:
    """403, as JSON for scripts and as plain text otherwise."""
    if wants_json(request):
        return JsonResponse({"ok": False, "error": message}, status=403)
    return HttpResponseForbidden(message, content_type="text/plain; charset=utf-8")


def staff_required(view: View) -> View:
    """Let moderators through; redirect anonymous page views to the login, refuse the rest."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = getattr(request, "user", None)
        if is_moderator(user):
            return view(request, *args, **kwargs)
        anonymous = not getattr(user, "is_authenticated", False)
        if anonymous and request.method in ("GET", "HEAD") and not wants_json(request):
            return redirect_to_login(request.get_full_path(), login_url())
        return forbidden(request)

    return never_cache(wrapper)
