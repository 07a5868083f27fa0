"""Who may do what on which wall, and how everyone else is turned away (HTTP, API, WebSockets).

The one place that decides access to a wall's moderation, settings and sources. Each wall
grants roles (``crowdwall.models.WallRole``, to a user or a group), from least to most:

- ``viewer``: read-only moderation screens, log and figures — no actions;
- ``moderator``: moderation (approve, reject, pin, bans, never-show of the wall) as well;
- ``organiser``: everything for their walls — wall settings, sources, trusted accounts, screens.

``may(user, wall, action)`` answers for the actions ``"view"``, ``"moderate"`` and
``"organise"`` (each needing the role of the same rank). Superusers may do everything
everywhere; so may an active staff account without any role on any wall (as before roles
existed) unless ``CROWDWALL["PER_WALL_ROLES"]`` is True, which gives staff only the walls
their roles name. Site-wide things (creating walls, the global never-show list) are for those
with full access only (``may(user, None, action)``). Inactive accounts may do nothing.

Refusals differ by who asks:

- an anonymous browser asking for a page (GET, HTML) is sent to the login page (one in the
  admin's look that any active account may use when the admin is installed, else
  ``settings.LOGIN_URL``) and comes back after logging in;
- everyone else — a logged-in user without access, any POST, any JSON/XHR request — gets
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
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.urls import NoReverseMatch, reverse
from django.views.decorators.cache import never_cache

from crowdwall.conf import conf
from crowdwall.models import Role, Wall, WallRole

View = Callable[..., HttpResponse]

# The least role each action needs.
ACTIONS: dict[str, str] = {
    "view": Role.VIEWER,
    "moderate": Role.MODERATOR,
    "organise": Role.ORGANISER,
}
_RANK = {Role.VIEWER: 1, Role.MODERATOR: 2, Role.ORGANISER: 3}
REFUSED = "Your role on this wall does not allow this."


def is_moderator(user: Any) -> bool:
    """Whether ``user`` is an active staff account (say nothing about which walls: see ``may``)."""
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.is_active
        and user.is_staff
    )


def _active(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def _roles(user: Any) -> QuerySet[WallRole]:
    """The roles ``user`` holds, directly or through a group."""
    return WallRole.objects.filter(Q(user=user) | Q(group__user=user))


def has_full_access(user: Any) -> bool:
    """Whether ``user`` may do everything on every wall (and the site-wide things)."""
    if not _active(user):
        return False
    if user.is_superuser:
        return True
    # Staff from before roles existed: everything, until they get a role or the site opts in.
    return bool(user.is_staff) and not conf.PER_WALL_ROLES and not _roles(user).exists()


def may_enter(user: Any) -> bool:
    """Whether ``user`` may use the moderation screens and staff API at all (some wall or all)."""
    return has_full_access(user) or (_active(user) and _roles(user).exists())


def role_for(user: Any, wall: Wall) -> str | None:
    """``user``'s role on ``wall`` (the highest of their own and their groups'), or ``None``."""
    if has_full_access(user):
        return Role.ORGANISER
    if not _active(user):
        return None
    held = set(_roles(user).filter(wall=wall).values_list("role", flat=True))
    return max(held, key=lambda role: _RANK[role]) if held else None  # type: ignore[index]


def may(user: Any, wall: Wall | None, action: str) -> bool:
    """Whether ``user`` may ``action`` ("view", "moderate", "organise") on ``wall`` (None: site-wide)."""
    if action not in ACTIONS:
        raise ValueError(f"Unknown action {action!r}; one of {', '.join(ACTIONS)}.")
    if wall is None:
        return has_full_access(user)
    role = role_for(user, wall)
    return role is not None and _RANK[role] >= _RANK[ACTIONS[action]]  # type: ignore[index]


def visible_walls(user: Any) -> QuerySet[Wall]:
    """The walls ``user`` may view, active or not (every wall with full access)."""
    if has_full_access(user):
        return Wall.objects.all()
    if not _active(user):
        return Wall.objects.none()
    return Wall.objects.filter(pk__in=_roles(user).values("wall"))


def wants_json(request: HttpRequest) -> bool:
    """Whether the caller is a script (fetch with ``Accept: application/json``, or XHR)."""
    return (
        "application/json" in request.headers.get("Accept", "")
        or request.headers.get("X-Requested-With") == "XMLHttpRequest"
    )


def login_url() -> str:
    """Where anonymous moderators log in: ``crowdwall.moderation.login`` (the admin's look, open
    to non-staff role holders) when the admin is installed, else ``settings.LOGIN_URL``."""
    try:
        reverse("admin:login")
    except NoReverseMatch:
        return str(settings.LOGIN_URL)
    try:
        return reverse("crowdwall:moderate_login")
    except NoReverseMatch:  # crowdwall.urls mounted without its namespace
        return reverse("admin:login")


def forbidden(request: HttpRequest, message: str = "Moderators only.") -> HttpResponse:
    """403, as JSON for scripts and as plain text otherwise."""
    if wants_json(request):
        return JsonResponse({"ok": False, "error": message}, status=403)
    return HttpResponseForbidden(message, content_type="text/plain; charset=utf-8")


def refuse(request: HttpRequest, message: str = "Moderators only.") -> HttpResponse:
    """Turn a caller away: an anonymous page view (GET/HEAD, not a script) goes to the login
    and comes back after it; everything else gets ``forbidden``."""
    anonymous = not getattr(getattr(request, "user", None), "is_authenticated", False)
    if anonymous and request.method in ("GET", "HEAD") and not wants_json(request):
        return redirect_to_login(request.get_full_path(), login_url())
    return forbidden(request, message)


def staff_required(view: View) -> View:
    """Let moderators through; redirect anonymous page views to the login, refuse the rest."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if is_moderator(getattr(request, "user", None)):
            return view(request, *args, **kwargs)
        return refuse(request)

    return never_cache(wrapper)


def wall_required(action: str) -> Callable[[View], View]:
    """Let through those who may ``action`` on the wall named by the ``slug`` argument.

    Anonymous page views go to the login, as with ``staff_required``; a user with no access
    at all, or whose role on this wall is too low, gets 403. An unknown wall is left to the
    view (its 404)."""
    if action not in ACTIONS:
        raise ValueError(f"Unknown action {action!r}; one of {', '.join(ACTIONS)}.")

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, slug: str, *args: Any, **kwargs: Any) -> HttpResponse:
            user = getattr(request, "user", None)
            if not may_enter(user):
                return refuse(request)
            wall = Wall.objects.filter(slug=slug).first()
            if wall is not None and not may(user, wall, action):
                return forbidden(request, REFUSED)
            return view(request, slug, *args, **kwargs)

        return never_cache(wrapper)

    return decorate
