"""Reading schedules: Pretalx JSON and iCalendar, time zones, optional rules, and every kind of
bad file refused with a message that says what is wrong."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from crowdwall.schedule.parse import ScheduleError, parse_schedule
from tests.crowdwall.schedule.conftest import pretalx, sample, talks_of


def test_pretalx_export_is_read_with_the_events_time_zone() -> None:
    parsed = parse_schedule(sample("pretalx-schedule.json"))
    assert (parsed.title, parsed.time_zone) == ("PonyCon 2025", "Europe/Berlin")
    assert len(parsed.talks) == 6
    talk = next(t for t in parsed.talks if t.title == "Async views in practice")
    assert talk.uid == "0b1f7c34-3a8e-5b7e-8f52-000000000002"
    assert talk.room == "Main Hall"
    assert talk.speakers == ("Bo Speaker", "Chidi Cospeaker")
    assert talk.start == datetime(2025, 5, 14, 9, 0, tzinfo=UTC)  # 11:00 in Berlin
    assert talk.end - talk.start == timedelta(minutes=45)
    assert talk.url == "https://pretalx.example/ponycon-2025/talk/ASYNC2/"
    # crowdwall's optional keys, normalised like a wall's; absent ones are None (keep).
    assert (talk.hashtags, talk.keywords, talk.filters) == (
        ("asyncdjango",),
        ('"event loop"',),
        ("replies",),
    )
    opening = next(t for t in parsed.talks if t.title == "Opening")
    assert (opening.hashtags, opening.keywords, opening.filters) == (None, None, None)


def test_pretalx_time_without_offset_is_in_the_events_zone() -> None:
    def edit(document: dict) -> None:
        talk = talks_of(document, 0, "Main Hall")[0]
        talk["date"] = "2025-05-14T10:30:00"
        del talks_of(document, 0, "Main Hall")[1]["date"]  # old frab: the day and "start"

    talks = parse_schedule(pretalx(edit)).talks
    assert talks[0].start == datetime(2025, 5, 14, 8, 30, tzinfo=UTC)
    assert talks[1].start == datetime(2025, 5, 14, 9, 0, tzinfo=UTC)


def test_ical_tzid_utc_and_floating_times() -> None:
    parsed = parse_schedule(sample("schedule.ics"))
    assert (parsed.title, parsed.time_zone) == ("PonyCon 2025", "Europe/Berlin")
    by_room = {t.room: t for t in parsed.talks}
    assert by_room["Main Hall"].start == datetime(2025, 5, 14, 9, 0, tzinfo=UTC)  # TZID
    assert by_room["Main Hall"].speakers == ("Bo Speaker", "Chidi Cospeaker")
    assert by_room["Main Hall"].hashtags == ("asyncdjango", "asgi")
    assert by_room["Main Hall"].keywords is None
    assert by_room["Room B"].start == datetime(2025, 5, 14, 9, 0, tzinfo=UTC)  # Z
    assert by_room["Room B"].end - by_room["Room B"].start == timedelta(minutes=30)  # DURATION
    # Floating 13:00, read in X-WR-TIMEZONE (Berlin, UTC+2 in May).
    assert by_room["Foyer"].start == datetime(2025, 5, 14, 11, 0, tzinfo=UTC)


def test_floating_ical_times_without_a_calendar_zone_use_the_default() -> None:
    text = sample("schedule.ics").decode().replace("X-WR-TIMEZONE:Europe/Berlin\r\n", "")
    parsed = parse_schedule(text.encode(), default_zone="America/New_York")
    lunch = next(t for t in parsed.talks if t.title == "Lunch")
    assert lunch.start == datetime(2025, 5, 14, 17, 0, tzinfo=UTC)  # 13:00 EDT


def _pretalx_talk(**change: object) -> bytes:
    def edit(document: dict) -> None:
        talk = talks_of(document, 0, "Main Hall")[0]
        for key, value in change.items():
            if value is None:
                talk.pop(key, None)
            else:
                talk[key] = value

    return pretalx(edit)


def _ics(old: str, new: str) -> bytes:
    text = sample("schedule.ics").decode()
    assert old in text
    return text.replace(old, new).encode()


def _duplicate_uid(document: dict) -> None:
    talks_of(document, 0, "Room B")[0]["guid"] = talks_of(document, 0, "Main Hall")[0]["guid"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<html>not a schedule</html>", "Not a schedule"),
        (b"\xff\xfe{", "Not UTF-8"),
        (b'{"schedule": ', "Not valid JSON"),
        (b'{"schedule": {"conference": {}}}', "Not a Pretalx schedule"),
        (b'{"schedule": []}', "Not a Pretalx schedule"),
        (json.dumps({"schedule": {"conference": {"days": []}}}).encode(), "has no talks"),
        (_pretalx_talk(duration="half an hour"), "duration 'half an hour' is not HH:MM"),
        (_pretalx_talk(date="yesterday"), "date 'yesterday' is not an ISO time"),
        (_pretalx_talk(guid=None, code=None, id=None), "no guid, code or id"),
        (_pretalx_talk(title=""), "title: missing"),
        (_pretalx_talk(hashtags=["two words"]), "a hashtag cannot contain spaces"),
        (_pretalx_talk(keywords=['"unclosed']), "keyword"),
        (_pretalx_talk(filters=["everything"]), "unknown filters everything"),
        (_pretalx_talk(hashtags="django"), "hashtags must be a list of strings"),
        (pretalx(_duplicate_uid), "Two talks have the same id"),
        (
            pretalx(lambda d: d["schedule"]["conference"].update(time_zone_name="Mars/Olympus")),
            "unknown time zone 'Mars/Olympus'",
        ),
        (b"BEGIN:VCALENDAR\r\nthis is not ical\r\n", "Not a valid iCalendar file"),
        (_ics("UID:pretalx-ponycon-2025-LUNCH@pretalx.example\r\n", ""), "UID missing"),
        (_ics("DTEND:20250514T140000", "DTEND:20250514T120000"), "ends before it starts"),
        (_ics("DURATION:PT30M\r\n", ""), "neither DTEND nor DURATION"),
        (_ics("X-CROWDWALL-FILTERS:replies", "X-CROWDWALL-FILTERS:spam"), "unknown filters"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_bad_files_are_refused_with_a_clear_message(data: bytes, message: str) -> None:
    with pytest.raises(ScheduleError, match=None) as info:
        parse_schedule(data)
    assert message in str(info.value)
