"""HTTP side of the live transports: the database catch-up, and nchan's subscriber check.

- ``missed``: ``GET /walls/<slug>/live/missed/?since=N&changes=T`` → ``{"frames": [...],
  "done": {catchup.done}}``, the frames a page at (``since``, ``changes``) missed
  (``crowdwall.live.catchup``), the wall's ``wall.figures`` and ``screen.state`` last. With nchan, the page subscribes first, buffers what arrives,
  fetches this, applies it, then applies the buffer deduplicated by post id: so nothing falls
  between the catch-up and the live stream. ``since`` is required (the page's highest post id,
  0 for none); ``changes`` (epoch ms) is optional; a big screen adds ``screen`` (its id) to get
  the control state as it should be, its own overrides included (``crowdwall.remote.control``).
- ``authorize``: ``GET /walls/<slug>/live/authorize/`` → 200 for a session that may view the
  wall's moderation (``crowdwall.moderation.access``), 403 for anyone else (404 for a
  moderator asking about an unknown wall). nginx asks it
  (``nchan_authorize_request``, the browser's cookies forwarded) before letting a browser
  subscribe to the moderators' channel, whose frames include posts nobody approved yet.

Both are personal or moment-dependent: ``Cache-Control: no-store`` (``never_cache``), so no
shared cache (herdcache's edge included) ever keeps one.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from crowdwall.conf import conf
from crowdwall.live import catchup
from crowdwall.live.frames import done_frame
from crowdwall.models import Wall
from crowdwall.moderation.access import may, may_enter
from crowdwall.params import MAX_ID
from crowdwall.remote.control import state_frame
from crowdwall.remote.presence import SCREEN_ID


class BadParameter(ValueError):
    """A query parameter that is not a non-negative integer in range."""


def _integer(request: HttpRequest, name: str, *, maximum: int, required: bool) -> int | None:
    """Query parameter ``name`` as an integer in ``0..maximum`` (None when absent and optional).

    The same bounds as the WebSocket's resume (``catchup.parse_position``): a post id fits the
    database's 64-bit integer, a time in ms is before the year 10000."""
    value = request.GET.get(name)
    if value is None or (value == "" and not required):
        if required:
            raise BadParameter(f"'{name}' is required (a post id; 0 for none).")
        return None
    position = catchup.parse_position(value, maximum)
    if position is None:
        raise BadParameter(f"'{name}' must be a whole number from 0 to {maximum}.")
    return position


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


@never_cache
@require_GET
def missed(request: HttpRequest, slug: str) -> HttpResponse:
    """What a page at ``since``/``changes`` missed on wall ``slug``, as JSON frames."""
    try:
        since = _integer(request, "since", maximum=MAX_ID, required=True) or 0  # never None
        changes = _integer(request, "changes", maximum=catchup.MAX_AT_MS, required=False)
    except BadParameter as exc:
        return _error(400, str(exc))
    screen = request.GET.get("screen") or None
    if screen is not None and not SCREEN_ID.match(screen):
        return _error(400, "'screen' must be a screen id: 8 to 40 letters, digits, '-' or '_'.")
    wall_id = Wall.objects.filter(slug=slug, is_active=True).values_list("pk", flat=True).first()
    if wall_id is None:
        return _error(404, f"No active wall {slug!r}.")
    found = catchup.missed(wall_id, since, changes, conf.LIVE_CATCH_UP_LIMIT, slug=slug)
    done = done_frame(len(found.frames), found.truncated, found.last_id, found.at)
    # The frames are JSON text already (the same text the WebSocket sends): joined, not re-encoded.
    texts = [text for _kind, _id, text in found.frames]
    if found.figures is not None:
        texts.append(found.figures)
    texts.append(state_frame(wall_id, screen))  # the screen's paused/banner/layout state
    frames = ",".join(texts)
    body = f'{{"frames":[{frames}],"done":{done}}}'
    return HttpResponse(body, content_type="application/json")


@never_cache
@require_GET
def authorize(request: HttpRequest, slug: str) -> HttpResponse:
    """200 if this session may read wall ``slug``'s moderators' channel, 403 otherwise."""
    # The moderation screen's rule; no user (no auth middleware) is nobody's moderator.
    user = getattr(request, "user", None)
    if not may_enter(user):
        return _error(403, "Moderators only.")
    wall = Wall.objects.filter(slug=slug).first()
    if wall is None:
        return _error(404, f"No wall {slug!r}.")
    if not may(user, wall, "view"):  # a role on another wall is no role here
        return _error(403, "Moderators only.")
    return JsonResponse({"ok": True})
