"""The archive by talk: ``/walls/<slug>/archive/talks/`` lists one day's talks (title, room,
time range) with their first posts and a link to all of them, ``/walls/<slug>/archive/?talk=<id>``
(``crowdwall.views``) pages through one talk's posts.

A talk's posts are the wall's approved posts written while it ran (``start <= created_at <
end``): one range scan of the archive index per talk, nothing stored per post, so a re-import
that moves a talk regroups its posts at once. Days are the event's (its time zone). Cached with
herdcache under the wall's tag like every page of the wall; ingest and moderation purge it, and
so does a schedule import (``crowdwall.schedule.importer``).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

import herdcache
from crowdwall.caching import wall_tag
from crowdwall.conf import conf
from crowdwall.models import ModerationState, PostWall, Schedule, Talk, Wall
from crowdwall.params import BadParameter, parse_id

PREVIEW_POSTS = 3  # per talk on the "by talk" page; the talk's own page has them all


class BadTalk(ValueError):
    """A ``?talk=`` value that is not a talk of this wall's schedule."""


def archive_talk(wall: Wall, value: str) -> Talk:
    """The talk of ``wall``'s schedule with id ``value``; ``BadTalk`` otherwise."""
    try:
        talk_id = parse_id(value.strip())
    except BadParameter:
        raise BadTalk("talk: no such talk on this wall.") from None
    talk = Talk.objects.filter(pk=talk_id, schedule__wall=wall).first()
    if talk is None:
        raise BadTalk("talk: no such talk on this wall.")
    return talk


def during(entries: QuerySet[PostWall], talk: Talk) -> QuerySet[PostWall]:
    """The entries of ``entries`` written while ``talk`` ran."""
    return entries.filter(created_at__gte=talk.start, created_at__lt=talk.end)


def event_zone(schedule: Schedule) -> ZoneInfo:
    """The event's time zone (the site's when the schedule names none or an unknown one)."""
    try:
        return ZoneInfo(schedule.time_zone or timezone.get_current_timezone_name())
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(), tzinfo=zone)
    return start, datetime.combine(day + timedelta(days=1), time(), tzinfo=zone)


def _by_talk(request: HttpRequest, slug: str) -> HttpResponse:
    wall = get_object_or_404(Wall, slug=slug, is_active=True)
    schedule = Schedule.objects.filter(wall=wall).first()
    if schedule is None:
        raise Http404("This wall has no schedule.")
    zone = event_zone(schedule)
    started = schedule.talks.filter(start__lte=timezone.now())
    days = sorted(
        {moment.astimezone(zone).date() for moment in started.values_list("start", flat=True)}
    )
    value = request.GET.get("day", "")
    if value:
        try:
            day = date.fromisoformat(value)
        except ValueError:
            # Not cached (status 400), so nobody can fill the cache with junk days.
            return HttpResponseBadRequest("day: a date, YYYY-MM-DD.", content_type="text/plain")
    else:
        day = days[-1] if days else timezone.now().astimezone(zone).date()
    first, last = _day_bounds(day, zone)
    approved = PostWall.objects.filter(wall=wall, state=ModerationState.APPROVED)
    groups = []
    for talk in started.filter(start__gte=first, start__lt=last).order_by("-start", "room"):
        posts = during(approved, talk)
        preview = list(
            posts.select_related("post", "author").order_by("-created_at", "-post_id")[
                :PREVIEW_POSTS
            ]
        )
        count = len(preview) if len(preview) < PREVIEW_POSTS else posts.count()
        groups.append({"talk": talk, "posts": preview, "count": count})
    context: dict[str, Any] = {
        "wall": wall,
        "schedule": schedule,
        "zone": zone.key,
        "day": day,
        "days": days,
        "groups": groups,
    }
    return render(request, "crowdwall/archive_talks.html", context)


def _tags(request: HttpRequest, slug: str) -> list[str]:
    return [wall_tag(slug)]


@lru_cache(maxsize=8)
def _cached(timeout: int) -> Any:
    return herdcache.cache_page(timeout, tags=_tags, only_get_keys=["day"])(_by_talk)


def by_talk(request: HttpRequest, slug: str) -> HttpResponse:
    """One day of a wall's talks with their posts (``?day=YYYY-MM-DD``; default: the latest)."""
    return _cached(conf.ARCHIVE_CACHE_SECONDS)(request, slug)
