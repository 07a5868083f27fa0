"""Read an event schedule: Pretalx's JSON export (the frab-compatible ``schedule.json``) or an
iCalendar file. Framework-free: bytes in, ``ParsedSchedule`` (aware times) out, or a
``ScheduleError`` whose message says what is wrong and where.

Time zones: Pretalx names the event's zone (``conference.time_zone_name``) and gives each
talk's ``date`` with its offset; a time without an offset is read in the event's zone.
iCalendar times are UTC (``Z``), in a ``TZID`` zone, or floating (no zone): floating times are
read in the calendar's ``X-WR-TIMEZONE``, else in ``default_zone`` (the site's ``TIME_ZONE``).

Per-talk rules are optional extensions: ``hashtags``, ``keywords`` and ``filters`` lists on a
Pretalx talk, ``X-CROWDWALL-HASHTAGS`` / ``-KEYWORDS`` / ``-FILTERS`` (comma-separated) on an
iCalendar event. A file that has none leaves the talks' rules as they are (``None``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar

from crowdwall import jsonlimits
from crowdwall.ingest.match import normalize_hashtag, parse_keyword

MAX_TALKS = 5000  # a week-long congress has ~1,000
_DURATION = re.compile(r"^(?:(\d+):)?(\d{1,3}):(\d{2})$")  # [D:]HH:MM or H:MM:SS (see below)


# What a talk may hide on its wall while it runs (added to the wall's own filters).
TALK_FILTERS = ("replies", "boosts", "bots", "sensitive")


class ScheduleError(ValueError):
    """A file that is not a schedule we can read (the message says what is wrong, and where)."""


@dataclass(frozen=True)
class TalkData:
    """One talk as read from a file; rules are ``None`` when the file does not give them."""

    uid: str
    title: str
    room: str
    speakers: tuple[str, ...]
    start: datetime
    end: datetime
    url: str = ""
    hashtags: tuple[str, ...] | None = None
    keywords: tuple[str, ...] | None = None
    filters: tuple[str, ...] | None = None


@dataclass(frozen=True)
class ParsedSchedule:
    """A schedule read from a file: its title, the event's time zone name and its talks."""

    title: str
    time_zone: str
    talks: tuple[TalkData, ...]


def parse_schedule(data: bytes, *, default_zone: str = "UTC") -> ParsedSchedule:
    """Read ``data`` as Pretalx JSON or iCalendar (detected from the content, not a name)."""
    text = _text(data)
    if "\x00" in text:  # no schedule means it, and PostgreSQL cannot store it
        raise ScheduleError("The file contains NUL characters (\\u0000): not a text schedule.")
    stripped = text.lstrip()
    if stripped.startswith("{"):
        parsed = _pretalx(text)
    elif stripped[:15].upper().startswith("BEGIN:VCALENDAR"):
        parsed = _ical(text, default_zone)
    else:
        raise ScheduleError(
            "Not a schedule: expected Pretalx's JSON export (schedule → conference → days) "
            "or an iCalendar file (BEGIN:VCALENDAR)."
        )
    if not parsed.talks:
        raise ScheduleError("The schedule has no talks (nothing imported, nothing removed).")
    if len(parsed.talks) > MAX_TALKS:
        raise ScheduleError(f"Too many talks: {len(parsed.talks)} (at most {MAX_TALKS}).")
    seen: set[str] = set()
    for talk in parsed.talks:
        if talk.uid in seen:
            raise ScheduleError(f"Two talks have the same id {talk.uid!r}.")
        seen.add(talk.uid)
    return parsed


def _holds_non_text(value: Any) -> bool:
    """Whether a parsed JSON document holds NUL or a lone surrogate in any string (keys too),
    which JSON escapes can carry and neither UTF-8 nor PostgreSQL can. A loop, not recursion."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item or any("\ud800" <= char <= "\udfff" for char in item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScheduleError(f"Not UTF-8 text (byte {exc.start}).") from None


def _zone(name: str, where: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a path
        raise ScheduleError(f"{where}: unknown time zone {name[:100]!r}.") from None


def _string(value: Any, where: str, *, limit: int, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ScheduleError(f"{where}: expected text, got {type(value).__name__}.")
    value = value.strip()
    if required and not value:
        raise ScheduleError(f"{where}: missing.")
    if len(value) > limit:
        raise ScheduleError(f"{where}: longer than {limit} characters.")
    return value


def check_rules(
    hashtags: Any, keywords: Any, filters: Any, where: str
) -> tuple[tuple[str, ...] | None, ...]:
    """The optional per-talk rules (each a list, or ``None``: not given), normalised and checked
    like a wall's; ``ScheduleError`` names the first problem."""
    out: list[tuple[str, ...] | None] = []
    for name, value in (("hashtags", hashtags), ("keywords", keywords), ("filters", filters)):
        if value is None:
            out.append(None)
            continue
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ScheduleError(f"{where}: {name} must be a list of strings.")
        if len(value) > 50:
            raise ScheduleError(f"{where}: more than 50 {name}.")
        entries = [v.strip() for v in value if v.strip()]
        if name == "hashtags":
            entries = [normalize_hashtag(v) for v in entries]
            if any(" " in v or not v for v in entries):
                raise ScheduleError(f"{where}: a hashtag cannot contain spaces.")
        elif name == "keywords":
            for entry in entries:
                try:
                    parse_keyword(entry)
                except ValueError as exc:
                    raise ScheduleError(f"{where}: keyword {entry!r}: {exc}") from None
        else:
            unknown = [v for v in entries if v not in TALK_FILTERS]
            if unknown:
                raise ScheduleError(
                    f"{where}: unknown filters {', '.join(unknown)} "
                    f"(known: {', '.join(TALK_FILTERS)})."
                )
        out.append(tuple(dict.fromkeys(entries)))
    return tuple(out)


# Pretalx JSON --------------------------------------------------------------------------------


def _duration(value: Any, where: str) -> timedelta:
    """frab durations: "HH:MM" ("00:30", "1:30"), or "D:HH:MM" for a talk over a day."""
    match = _DURATION.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise ScheduleError(f"{where}: duration {value!r} is not HH:MM.")
    days, hours, minutes = match.groups()
    length = timedelta(days=int(days or 0), hours=int(hours), minutes=int(minutes))
    if not length:
        raise ScheduleError(f"{where}: duration is zero.")
    return length


def _pretalx_start(talk: dict[str, Any], day: date | None, zone: ZoneInfo, where: str) -> datetime:
    value = talk.get("date")
    if isinstance(value, str) and value.strip():
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ScheduleError(f"{where}: date {value!r} is not an ISO time.") from None
    else:
        # Older frab files: the day's date and a local "HH:MM" start.
        try:
            moment = datetime.combine(day, time.fromisoformat(talk.get("start", "")))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ScheduleError(f"{where}: no date, and start {talk.get('start')!r}.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def _pretalx(text: str) -> ParsedSchedule:
    try:  # bounded: a file nested thousands deep or with a 5,000-digit number is refused
        document = jsonlimits.loads(text)
    except jsonlimits.BadJson as exc:
        raise ScheduleError(f"Not valid JSON: {exc}") from None
    if _holds_non_text(document):
        raise ScheduleError(
            "The file escapes a NUL character (\\u0000) or a lone UTF-16 surrogate "
            "(\\ud800-\\udfff) in a string: not text a schedule can hold."
        )
    schedule = document.get("schedule") if isinstance(document, dict) else None
    conference = schedule.get("conference") if isinstance(schedule, dict) else None
    if not isinstance(conference, dict) or not isinstance(conference.get("days"), list):
        raise ScheduleError(
            'Not a Pretalx schedule: expected {"schedule": {"conference": {"days": [...]}}}'
            " (Pretalx: /<event>/schedule/export/schedule.json)."
        )
    zone_name = _string(conference.get("time_zone_name"), "time_zone_name", limit=64) or "UTC"
    zone = _zone(zone_name, "conference.time_zone_name")
    talks: list[TalkData] = []
    for d, day in enumerate(conference["days"], start=1):
        rooms = day.get("rooms") if isinstance(day, dict) else None
        if not isinstance(rooms, dict):
            raise ScheduleError(f'day {d}: expected "rooms": {{room name: [talks]}}.')
        try:
            day_date = date.fromisoformat(str(day.get("date", "")))
        except ValueError:
            day_date = None
        for room_name, slots in rooms.items():
            if not isinstance(slots, list):
                raise ScheduleError(f"day {d}, room {room_name!r}: expected a list of talks.")
            for n, talk in enumerate(slots, start=1):
                where = f"day {d}, room {room_name!r}, talk {n}"
                if not isinstance(talk, dict):
                    raise ScheduleError(f"{where}: expected an object.")
                talks.append(_pretalx_talk(talk, room_name, day_date, zone, where))
    title = _string(conference.get("title"), "conference.title", limit=300)
    return ParsedSchedule(title=title, time_zone=zone_name, talks=tuple(talks))


def _pretalx_talk(
    talk: dict[str, Any], room: str, day: date | None, zone: ZoneInfo, where: str
) -> TalkData:
    uid = talk.get("guid") or talk.get("code") or talk.get("id")
    if uid is None or isinstance(uid, bool) or not str(uid).strip():
        raise ScheduleError(f"{where}: no guid, code or id to recognise it by on re-import.")
    title = _string(talk.get("title"), f"{where}: title", limit=500, required=True)
    start = _pretalx_start(talk, day, zone, where)
    persons = talk.get("persons") or []
    if not isinstance(persons, list):
        raise ScheduleError(f"{where}: persons must be a list.")
    speakers = tuple(
        _string(p.get("public_name") or p.get("name"), f"{where}: person", limit=200)
        for p in persons
        if isinstance(p, dict)
    )
    hashtags, keywords, filters = check_rules(
        talk.get("hashtags"), talk.get("keywords"), talk.get("filters"), where
    )
    return TalkData(
        uid=_string(str(uid), f"{where}: guid", limit=255),
        title=title,
        room=_string(talk.get("room") or room, f"{where}: room", limit=200),
        speakers=tuple(s for s in speakers if s),
        start=start,
        end=start + _duration(talk.get("duration"), where),
        url=_url(talk.get("url")),
        hashtags=hashtags,
        keywords=keywords,
        filters=filters,
    )


def _url(value: Any) -> str:
    # A link is a nicety: one that is not a web address (or too long) is left out, not fatal.
    if isinstance(value, str) and value.startswith(("https://", "http://")) and len(value) <= 500:
        return value
    return ""


# iCalendar -----------------------------------------------------------------------------------


def _ical_moment(value: Any, floating: ZoneInfo, where: str) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=floating)
    if isinstance(value, date):  # an all-day event: from midnight, event time
        return datetime.combine(value, time(), tzinfo=floating)
    raise ScheduleError(f"{where}: not a date or time.")


def _split(value: Any) -> list[str] | None:
    if value is None:
        return None
    return [part.strip() for part in str(value).split(",") if part.strip()]


def _ical(text: str, default_zone: str) -> ParsedSchedule:
    try:
        calendar = icalendar.Calendar.from_ical(text)
    except (ValueError, IndexError, KeyError, OSError) as exc:  # OSError: a TZID too long
        raise ScheduleError(f"Not a valid iCalendar file: {str(exc)[:200]}.") from None
    zone_name = str(calendar.get("X-WR-TIMEZONE") or "").strip() or default_zone
    floating = _zone(zone_name, "X-WR-TIMEZONE")
    talks = []
    for n, event in enumerate(calendar.walk("VEVENT"), start=1):
        where = f"event {n}"
        summary = _string(str(event.get("SUMMARY") or ""), f"{where}: SUMMARY", limit=500)
        where = f"event {n} ({summary!r})" if summary else where
        if not summary:
            raise ScheduleError(f"{where}: SUMMARY (the title) missing.")
        uid = str(event.get("UID") or "").strip()
        if not uid:
            raise ScheduleError(f"{where}: UID missing (needed to update it on re-import).")
        try:
            start_prop, end_prop = event.get("DTSTART"), event.get("DTEND")
            duration = event.get("DURATION")
            if start_prop is None:
                raise ScheduleError(f"{where}: DTSTART missing.")
            start = _ical_moment(start_prop.dt, floating, where)
            if end_prop is not None:
                end = _ical_moment(end_prop.dt, floating, where)
            elif duration is not None:
                end = start + duration.dt
            else:
                raise ScheduleError(f"{where}: neither DTEND nor DURATION.")
        except (ValueError, TypeError, AttributeError, OSError) as exc:
            raise ScheduleError(f"{where}: unreadable time ({str(exc)[:200]}).") from None
        if end <= start:
            raise ScheduleError(f"{where}: ends before it starts.")
        attendees = event.get("ATTENDEE") or []
        if not isinstance(attendees, list):
            attendees = [attendees]
        speakers = tuple(
            str(a.params.get("CN", "")).strip() for a in attendees if a.params.get("CN")
        )
        hashtags, keywords, filters = check_rules(
            _split(event.get("X-CROWDWALL-HASHTAGS")),
            _split(event.get("X-CROWDWALL-KEYWORDS")),
            _split(event.get("X-CROWDWALL-FILTERS")),
            where,
        )
        talks.append(
            TalkData(
                uid=_string(uid, f"{where}: UID", limit=255),
                title=summary,
                room=_string(str(event.get("LOCATION") or ""), f"{where}: LOCATION", limit=200),
                speakers=speakers,
                start=start,
                end=end,
                url=_url(str(event.get("URL") or "")),
                hashtags=hashtags,
                keywords=keywords,
                filters=filters,
            )
        )
    title = _string(str(calendar.get("X-WR-CALNAME") or ""), "X-WR-CALNAME", limit=300)
    return ParsedSchedule(title=title, time_zone=zone_name, talks=tuple(talks))
