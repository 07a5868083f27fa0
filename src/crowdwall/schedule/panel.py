"""The big screen's "now / next" panel: which talks it embeds, its query options, and the small
JSON endpoint open screens refresh it from (``/walls/<slug>/schedule/now.json``).

The panel itself is drawn by ``crowdwall/schedule.js`` from that data, with the screen's clock:
it moves on when a talk starts or ends, without reloading the page. Query options: ``?schedule=``
(``1`` shows the panel, ``0`` hides it; default: shown on the big screen, hidden on the overlay)
and ``?room=`` (one room only: the overlay of that room's stream).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404
from django.utils import timezone

import herdcache
from crowdwall.caching import wall_tag
from crowdwall.conf import conf
from crowdwall.models import Schedule, Wall
from crowdwall.screen_options import ScreenOptionError

QUERY_KEYS = ("schedule", "room")  # added to the screen's cache key
AHEAD = timedelta(
    hours=24
)  # the talks a screen knows of: those ending after now, starting within this
MAX_TALKS = 300


def upcoming(schedule: Schedule, now: datetime) -> dict[str, Any]:
    """The panel's data: the event's time zone and the talks not yet over (JSON-ready)."""
    talks = schedule.talks.filter(end__gt=now, start__lt=now + AHEAD).order_by("start", "room")
    return {
        "time_zone": schedule.time_zone,
        "talks": [
            {
                "title": talk.title,
                "room": talk.room,
                "speakers": talk.speakers,
                "start": talk.start.isoformat(),
                "end": talk.end.isoformat(),
                "hashtags": talk.hashtags,
            }
            for talk in talks[:MAX_TALKS]
        ],
    }


def panel_context(wall: Wall, query: QueryDict, *, overlay: bool) -> dict[str, Any] | None:
    """What ``_schedule_panel.html`` needs, or None when the panel is off or there is no
    schedule; ``ScreenOptionError`` for a bad ``?schedule=`` or an unknown ``?room=``."""
    value = query.get("schedule", "")
    if value not in ("", "0", "1"):
        raise ScreenOptionError("schedule: 1 or 0.")
    room = query.get("room", "")
    if value == "0" or (value == "" and overlay):
        return None
    schedule = Schedule.objects.filter(wall=wall).first()
    if schedule is None:
        return None
    if room and not schedule.talks.filter(room=room).exists():
        raise ScreenOptionError(f"room: no room {room[:100]!r} in this wall's schedule.")
    return {"room": room, "data": upcoming(schedule, timezone.now())}


def _now_json(request: HttpRequest, slug: str) -> HttpResponse:
    wall = get_object_or_404(Wall, slug=slug, is_active=True)
    schedule = Schedule.objects.filter(wall=wall).first()
    if schedule is None:
        return JsonResponse({"time_zone": "", "talks": []})
    return JsonResponse(upcoming(schedule, timezone.now()))


def _tags(request: HttpRequest, slug: str) -> list[str]:
    return [wall_tag(slug)]


@lru_cache(maxsize=8)
def _cached(timeout: int) -> Any:
    # Cached and purged like the screen itself; a copy a minute old still lists what's on,
    # since the screen picks "now" and "next" with its own clock.
    return herdcache.cache_page(timeout, tags=_tags, only_get_keys=[])(_now_json)


def now_json(request: HttpRequest, slug: str) -> HttpResponse:
    """The talks of the next day for a wall's open screens (empty when it has no schedule)."""
    return _cached(conf.ARCHIVE_CACHE_SECONDS)(request, slug)
