"""A wall's event schedule: read it (public, cached), import it and edit a talk's rules (staff).

Importing takes the file's text (``content``) or an address to fetch (``url``): Pretalx's JSON
export or iCalendar, detected from the content. A file that cannot be read is a 422 whose
message says what is wrong and where; nothing changes then (``crowdwall.schedule.importer``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.decorators import decorate_view

from crowdwall.api.auth import STAFF
from crowdwall.api.caching import cache_wall_response
from crowdwall.api.errors import ApiError
from crowdwall.api.lookups import public_wall, wall_for
from crowdwall.api.schemas import Strict
from crowdwall.models import ModerationAction, Schedule, Talk
from crowdwall.moderation import service
from crowdwall.schedule.importer import (
    MAX_BYTES,
    import_schedule,
    read_location,
    schedule_changed,
)
from crowdwall.schedule.parse import ScheduleError, check_rules

router = Router(tags=["schedule"])


class TalkOut(Schema):
    uid: str
    title: str
    room: str
    speakers: list[str]
    start: datetime
    end: datetime
    url: str
    hashtags: list[str]
    keywords: list[str]
    filters: list[str]


class ScheduleOut(Schema):
    title: str
    time_zone: str
    talk_rules: bool
    imported_at: datetime
    talks: list[TalkOut]


class ScheduleIn(Strict):
    """The schedule's text, or the address to fetch it from (one of the two)."""

    content: str | None = Field(None, max_length=MAX_BYTES)
    url: str | None = Field(None, max_length=500, pattern=r"^https?://")
    talk_rules: bool | None = Field(None, description="Match running talks' rules (default on).")


class ImportOut(Schema):
    created: int
    updated: int
    removed: int
    unchanged: int


class TalkRulesIn(Strict):
    """A talk's own rules; a field left out stays as it is."""

    hashtags: list[str] | None = None
    keywords: list[str] | None = None
    filters: list[str] | None = None


def _schedule(wall_id: int) -> Schedule:
    schedule = Schedule.objects.filter(wall_id=wall_id).first()
    if schedule is None:
        raise ApiError(404, "This wall has no schedule (import one first).")
    return schedule


@router.get("/{slug}/schedule/", response=ScheduleOut, summary="A wall's schedule")
@decorate_view(cache_wall_response())
def get_schedule(request: HttpRequest, slug: str) -> Any:
    """The wall's schedule with every talk, in time order (404 when it has none)."""
    schedule = _schedule(public_wall(slug).pk)
    return {
        "title": schedule.title,
        "time_zone": schedule.time_zone,
        "talk_rules": schedule.talk_rules,
        "imported_at": schedule.imported_at,
        "talks": list(schedule.talks.all()),
    }


@router.put("/{slug}/schedule/", response=ImportOut, auth=STAFF, summary="Import a schedule")
def put_schedule(request: HttpRequest, slug: str, payload: ScheduleIn) -> Any:
    """Import (or re-import) the wall's schedule: talks are updated in place by id, talks the
    file no longer lists are removed (422 with the reason for a file that cannot be read)."""
    wall = wall_for(request, slug, "organise")
    if (payload.content is None) == (payload.url is None):
        raise ApiError(422, "Give the schedule's content or its url (one of the two).")
    try:
        if payload.content is not None:
            # surrogatepass: a lone surrogate becomes bytes that are not UTF-8, refused as such
            data, source = payload.content.encode("utf-8", "surrogatepass"), "API upload"
        else:
            data, source = read_location(payload.url or ""), payload.url or ""
        result = import_schedule(wall, data, source=source, talk_rules=payload.talk_rules)
    except ScheduleError as exc:
        field = "content" if payload.content is not None else "url"
        raise ApiError(422, f"Schedule not imported: {exc}", fields={field: [str(exc)]}) from exc
    service.record(
        request.auth,
        ModerationAction.CONFIGURE,
        wall=wall,
        detail={"schedule": source, "result": str(result)},
    )
    return result.__dict__


@router.patch(
    "/{slug}/schedule/talks/{uid}/", response=TalkOut, auth=STAFF, summary="A talk's rules"
)
def patch_talk(request: HttpRequest, slug: str, uid: str, payload: TalkRulesIn) -> Any:
    """Set the hashtags, keywords or filters a talk adds to its wall while it runs."""
    wall = wall_for(request, slug, "organise")
    talk = Talk.objects.filter(schedule=_schedule(wall.pk), uid=uid).first()
    if talk is None:
        raise ApiError(404, f"No talk {uid!r} in this wall's schedule.")
    try:
        rules = check_rules(payload.hashtags, payload.keywords, payload.filters, "talk")
    except ScheduleError as exc:
        raise ApiError(422, str(exc)) from exc
    changed = []
    for name, value in zip(("hashtags", "keywords", "filters"), rules, strict=True):
        if value is not None:
            setattr(talk, name, list(value))
            changed.append(name)
    if changed:
        talk.save(update_fields=changed)
        service.record(
            request.auth,
            ModerationAction.CONFIGURE,
            wall=wall,
            detail={"talk": uid, **{name: getattr(talk, name) for name in changed}},
        )
        schedule_changed(wall)
    return talk
