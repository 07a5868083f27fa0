"""The Screens page and its endpoints, the screens' presence beacon and their service worker.

Per-wall roles (``crowdwall.moderation.access.wall_required``, as on the moderation screen:
viewers see the screens, moderators command them):

- ``/walls/<slug>/moderate/screens/``: the wall's open screens, kept current by
  ``crowdwall/screens.js`` polling ``screens/data/`` every heartbeat, and the command forms;
- ``/walls/<slug>/moderate/screens/data/``: ``{"screens": [...], "state": {...},
  "overrides": {screen id: [fields]}, "heartbeat_seconds": n}``
  (``crowdwall.remote.presence.screens``, ``control.state``, ``control.overrides``);
- ``/walls/<slug>/moderate/screens/command/`` (POST, CSRF-protected): one command
  (``crowdwall.remote.control``); JSON ``{"ok": true, "delivered": bool}`` for scripts, a
  redirect back to the page for a plain form (``back=console``: to the console's page of every
  wall's screens, ``crowdwall.remote.event``); 400 ``{"ok": false, "errors": {field: [...]}}``.

For every screen, unauthenticated:

- ``/walls/<slug>/screen/presence/`` (POST, JSON): the presence beacon of screens whose live
  transport only goes one way (nchan). No cookies needed, so no CSRF token: a forged report can
  only add a screen to a list. Bounded instead: ``MAX_BODY`` bytes (413), ``BEACON_RATE``
  reports per client address per minute (429), ``SCREENS_PER_WALL`` screens (429); 204 when
  stored or ignored as too soon, 400 ``{"error": ...}`` for a bad report, 404 for no such wall.
- ``/walls/screen-sw.js``: the screens' service worker (``static/crowdwall/screen-sw.js``),
  served here so its scope can cover ``/walls/<slug>/screen/`` (a worker under ``/static/``
  could only control ``/static/``).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from crowdwall import jsonlimits
from crowdwall.api.throttling import client_address, over_limit
from crowdwall.conf import conf
from crowdwall.models import ScreenLayout, ScreenTheme, Wall
from crowdwall.moderation.access import may, wall_required, wants_json
from crowdwall.remote import control, presence

MAX_BODY = 2_048  # bytes: a report is about 250
BEACON_RATE = 60  # reports per client address per minute: a hall of screens behind one NAT


def _wall(slug: str) -> Wall:
    # Inactive walls too, as on the moderation screen.
    return get_object_or_404(Wall, slug=slug)


def _data(wall: Wall) -> dict[str, Any]:
    return {
        "screens": presence.screens(wall.pk),
        "state": control.state(wall.pk),
        "overrides": control.overrides(wall.pk),  # what screens were told on their own
        "heartbeat_seconds": conf.SCREEN_HEARTBEAT_SECONDS,
    }


@wall_required("view")
@require_GET
def screens(request: HttpRequest, slug: str) -> HttpResponse:
    """The Screens page: every open screen of the wall, live, and the commands."""
    wall = _wall(slug)
    context = {
        "wall": wall,
        **_data(wall),
        # A viewer sees the screens but no command forms (the command endpoint refuses them too).
        "commands": may(request.user, wall, "moderate"),
        "layouts": ScreenLayout.choices,
        "themes": ScreenTheme.choices,
        "banner_max": control.MAX_BANNER,
        "banner_seconds": control.BANNER_SECONDS,
        "spotlight_seconds": control.SPOTLIGHT_SECONDS,
    }
    return render(request, "crowdwall/moderate_screens.html", context)


@wall_required("view")
@require_GET
def screens_data(request: HttpRequest, slug: str) -> HttpResponse:
    """The Screens page's data as JSON (polled by ``crowdwall/screens.js``)."""
    return JsonResponse(_data(_wall(slug)))


@wall_required("moderate")
@require_POST
def command(request: HttpRequest, slug: str) -> HttpResponse:
    """Send one command to the wall's screens (or to ``screen``), audited."""
    wall = _wall(slug)
    try:
        found = control.parse_command(wall, request.POST)
    except control.BadCommand as exc:
        if wants_json(request):
            return JsonResponse({"ok": False, "errors": exc.errors}, status=400)
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    delivered = control.send(wall, found, actor=request.user)
    if wants_json(request):
        return JsonResponse({"ok": True, "delivered": delivered, "state": control.state(wall.pk)})
    target = "all screens" if found.screen is None else f"screen {found.screen}"
    messages.success(request, f"{found.command.capitalize()} on {wall.name}: sent to {target}.")
    # A fixed choice of two pages, never a URL from the form: no open redirect.
    if request.POST.get("back") == "console":
        return HttpResponseRedirect(reverse("crowdwall:console_screens"), status=303)
    return HttpResponseRedirect(reverse("crowdwall:moderate_screens", args=[slug]), status=303)


def _error(status: int, message: str, **headers: str) -> JsonResponse:
    response = JsonResponse({"error": message}, status=status)
    for name, value in headers.items():
        response[name] = value
    return response


@csrf_exempt
@never_cache
@require_POST
def beacon(request: HttpRequest, slug: str) -> HttpResponse:
    """Store one screen's presence report (the nchan transport's heartbeat)."""
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > MAX_BODY:
        return _error(413, f"A presence report is at most {MAX_BODY} bytes.")
    wait = over_limit("screens", client_address(request), BEACON_RATE, 60)
    if wait is not None:
        return _error(429, "Too many presence reports.", **{"Retry-After": str(wait)})
    if len(request.body) > MAX_BODY:  # sent without a length (chunked)
        return _error(413, f"A presence report is at most {MAX_BODY} bytes.")
    try:
        found = presence.parse_report(jsonlimits.loads(request.body))
    except (jsonlimits.BadJson, UnicodeDecodeError):
        return _error(400, "A presence report is a JSON object.")
    except presence.BadReport as exc:
        return _error(400, str(exc))
    wall_id = Wall.objects.filter(slug=slug, is_active=True).values_list("pk", flat=True).first()
    if wall_id is None:
        return _error(404, f"No active wall {slug!r}.")
    try:
        presence.report(wall_id, found, transport="nchan")
    except presence.TooManyScreens as exc:
        return _error(429, str(exc), **{"Retry-After": str(int(conf.SCREEN_HEARTBEAT_SECONDS))})
    return HttpResponse(status=204)


@lru_cache(maxsize=1)
def _worker_source() -> bytes:
    # From the package, not the static storage: it is never collected under a hashed name.
    return (Path(__file__).parent.parent / "static" / "crowdwall" / "screen-sw.js").read_bytes()


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The screens' service worker, allowed to control every page under ``/walls/``."""
    response = HttpResponse(_worker_source(), content_type="text/javascript; charset=utf-8")
    # Browsers check for a new worker on every navigation; no-cache keeps that check honest.
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = reverse("crowdwall:wall_list")
    return response
