"""Import a parsed schedule into a wall: talks updated in place by id, never duplicated.

The file is the truth: a talk it no longer lists is removed, and every field it gives is
written. Per-talk rules (hashtags, keywords, filters) are written only when the file gives
them, so rules set by hand (admin, API) survive a re-import of a plain Pretalx export. After
the commit, the wall's cached pages are purged (hard: a changed title or time must not be
served stale) and the process's talk-rule cache is dropped (``crowdwall.schedule.rules``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import httpx
from django.conf import settings
from django.db import transaction

from crowdwall.api.caching import purge_now
from crowdwall.caching import wall_tag
from crowdwall.models import Schedule, Talk, Wall
from crowdwall.schedule.parse import ScheduleError, TalkData, parse_schedule
from crowdwall.schedule.rules import forget_talk_rules
from crowdwall.sources.http import user_agent
from crowdwall.sources.outbound import GuardedSyncTransport

MAX_BYTES = 10 * 1024 * 1024  # Pretalx's export of a 1,000-talk congress is ~3 MB
FETCH_SECONDS = 30.0
_FIELDS = ("title", "room", "speakers", "start", "end", "url")
_RULES = ("hashtags", "keywords", "filters")


@dataclass(frozen=True)
class ImportResult:
    """What an import changed."""

    created: int
    updated: int
    removed: int
    unchanged: int

    def __str__(self) -> str:
        return (
            f"{self.created} talk(s) added, {self.updated} updated, {self.removed} removed, "
            f"{self.unchanged} unchanged"
        )


def read_location(location: str) -> bytes:
    """The bytes of a schedule file (a path) or a web address (http/https, followed redirects);
    ``ScheduleError`` when it cannot be read or is too large."""
    if location.startswith(("https://", "http://")):
        return _fetch(location)
    path = Path(location)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ScheduleError(f"{location}: larger than {MAX_BYTES // 2**20} MB.")
        return path.read_bytes()
    except OSError as exc:
        raise ScheduleError(f"Cannot read {location}: {exc.strerror or exc}.") from None


def _fetch(url: str) -> bytes:
    try:
        with (
            httpx.Client(
                timeout=FETCH_SECONDS,
                transport=GuardedSyncTransport(),  # public addresses only: see sources.outbound
                follow_redirects=True,
                headers={"User-Agent": user_agent()},  # who fetches, with a contact URL
            ) as client,
            client.stream("GET", url, headers={"Accept": "application/json, text/calendar"}) as r,
        ):
            if r.status_code != 200:
                raise ScheduleError(f"{url} answered HTTP {r.status_code}.")
            body = bytearray()
            for chunk in r.iter_bytes():
                body += chunk
                if len(body) > MAX_BYTES:
                    raise ScheduleError(f"{url}: larger than {MAX_BYTES // 2**20} MB.")
            return bytes(body)
    # InvalidURL: a host IDNA refuses; UnicodeError: one it refuses later, when connecting
    # (an empty label: "https://a..b/")
    except (httpx.HTTPError, httpx.InvalidURL, UnicodeError) as exc:
        raise ScheduleError(f"Cannot fetch {url}: {exc or type(exc).__name__}.") from None


def _apply(talk: Talk, data: TalkData) -> bool:
    """Copy ``data`` onto ``talk``; whether anything changed."""
    changed = False
    values: dict[str, object] = {
        "title": data.title,
        "room": data.room,
        "speakers": list(data.speakers),
        "start": data.start,
        "end": data.end,
        "url": data.url,
    }
    for name in _RULES:
        given = getattr(data, name)
        if given is not None:
            values[name] = list(given)
    for name, value in values.items():
        if getattr(talk, name) != value:
            setattr(talk, name, value)
            changed = True
    return changed


def import_schedule(
    wall: Wall, data: bytes, *, source: str = "", talk_rules: bool | None = None
) -> ImportResult:
    """Import ``data`` (Pretalx JSON or iCalendar) as ``wall``'s schedule (``talk_rules``: turn
    per-talk matching on or off; None keeps it); ``ScheduleError`` for a bad file (then nothing
    changes)."""
    parsed = parse_schedule(data, default_zone=settings.TIME_ZONE)
    with transaction.atomic():
        # The wall's row serialises two imports of the same wall (one schedule per wall).
        list(Wall.objects.select_for_update().filter(pk=wall.pk).values_list("pk", flat=True))
        schedule, _ = Schedule.objects.get_or_create(wall=wall)
        schedule.title = parsed.title or schedule.title
        schedule.time_zone = parsed.time_zone
        schedule.source = source[:500]
        if talk_rules is not None:
            schedule.talk_rules = talk_rules
        schedule.save()
        existing = {talk.uid: talk for talk in schedule.talks.all()}
        new, changed, unchanged = [], [], 0
        for item in parsed.talks:
            talk = existing.pop(item.uid, None)
            if talk is None:
                talk = Talk(schedule=schedule, uid=item.uid)
                _apply(talk, item)
                new.append(talk)
            elif _apply(talk, item):
                changed.append(talk)
            else:
                unchanged += 1
        Talk.objects.bulk_create(new, batch_size=500)
        Talk.objects.bulk_update(changed, [*_FIELDS, *_RULES], batch_size=500)
        Talk.objects.filter(pk__in=[talk.pk for talk in existing.values()]).delete()
        transaction.on_commit(lambda: schedule_changed(wall))
    return ImportResult(len(new), len(changed), len(existing), unchanged)


def schedule_changed(wall: Wall) -> None:
    """After a schedule or talk changed: purge the wall's pages and forget cached talk rules."""
    forget_talk_rules()
    purge_now([wall_tag(wall.slug)])
