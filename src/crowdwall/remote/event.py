"""Every screen of the event on one page: the console's Screens page, across walls.

- ``/walls/console/screens/``: every wall the user may see (``crowdwall.moderation.access.
  visible_walls``), each with its open screens as on the wall's own Screens page, grouped by
  wall, kept current by ``crowdwall/screens.js`` polling the data endpoint every heartbeat;
- ``/walls/console/screens/data/``: ``{"walls": [{"slug", "name", "commands", "screens",
  "state", "overrides"}, ...], "heartbeat_seconds": n}``.

Per-wall roles decide, wall by wall: a viewer sees the wall's screens, a moderator (and up) also
gets the command forms (``commands``). The forms post to the wall's own command endpoint
(``crowdwall.remote.views.command``, which checks ``may(user, wall, "moderate")`` again), so a
moderator of one wall can never command another wall's screens from here. Anyone without a
role anywhere is turned away as on the moderation screens (login page, or 403).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from crowdwall.conf import conf
from crowdwall.models import ScreenLayout, ScreenTheme, Wall
from crowdwall.moderation.access import (
    may,
    may_enter,
    refuse,
    visible_walls,
)
from crowdwall.remote import control, presence

View = Callable[..., HttpResponse]


def entry_required(view: View) -> View:
    """Let through anyone with a role on some wall (or full access); anonymous page views go
    to the login, everyone else gets 403; every answer is ``no-store``."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if may_enter(getattr(request, "user", None)):
            return view(request, *args, **kwargs)
        return refuse(request)

    return never_cache(wrapper)


def event_walls(user: Any) -> list[Wall]:
    """The walls whose screens ``user`` sees here: every visible wall that is active or still
    has a screen reporting (an inactive wall's screens may linger until they stop)."""
    walls = visible_walls(user).order_by("name", "pk")
    return [w for w in walls if w.is_active or presence.screens(w.pk)]


def wall_screens(user: Any, wall: Wall) -> dict[str, Any]:
    """One wall's part of the page: its screens, control state, overrides, and ``commands``
    (whether ``user`` may command them)."""
    return {
        "slug": wall.slug,
        "name": wall.name,
        "commands": may(user, wall, "moderate"),
        "screens": presence.screens(wall.pk),
        "state": control.state(wall.pk),
        "overrides": control.overrides(wall.pk),
    }


def event_screens(user: Any) -> dict[str, Any]:
    """The page's data: every wall of ``event_walls`` (``wall_screens``) and the heartbeat."""
    return {
        "walls": [wall_screens(user, wall) for wall in event_walls(user)],
        "heartbeat_seconds": conf.SCREEN_HEARTBEAT_SECONDS,
    }


@entry_required
@require_GET
def page(request: HttpRequest) -> HttpResponse:
    """The console's Screens page: every open screen of every wall the user may see."""
    walls = event_walls(request.user)
    sections = [{"wall": wall, **wall_screens(request.user, wall)} for wall in walls]
    context = {
        "sections": sections,
        "online": sum(1 for s in sections for screen in s["screens"] if not screen["stale"]),
        "stale": sum(1 for s in sections for screen in s["screens"] if screen["stale"]),
        "heartbeat_seconds": conf.SCREEN_HEARTBEAT_SECONDS,
        "layouts": ScreenLayout.choices,
        "themes": ScreenTheme.choices,
        "banner_max": control.MAX_BANNER,
    }
    return render(request, "crowdwall/console/screens.html", context)


@entry_required
@require_GET
def data(request: HttpRequest) -> HttpResponse:
    """The console's Screens page's data as JSON (polled by ``crowdwall/screens.js``)."""
    return JsonResponse(event_screens(request.user))
