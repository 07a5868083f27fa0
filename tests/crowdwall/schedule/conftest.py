"""Fixtures for schedule tests: the sample files, a wall with the sample schedule imported, and
a clean talk-rule cache around every test (its window lives in the process)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from crowdwall.models import Schedule, Wall
from crowdwall.schedule.importer import import_schedule
from crowdwall.schedule.rules import forget_talk_rules

DATA = Path(__file__).parent / "data"
# 11:00 in Berlin on the first day: "Async views in practice" (Main Hall) and "Accessible
# forms" (Room B) have just started.
ELEVEN = datetime(2025, 5, 14, 9, 0, tzinfo=UTC)


def sample(name: str) -> bytes:
    return (DATA / name).read_bytes()


def pretalx(edit: Any = None) -> bytes:
    """The Pretalx sample, optionally changed by ``edit(document)`` first."""
    document = json.loads(sample("pretalx-schedule.json"))
    if edit is not None:
        edit(document)
    return json.dumps(document).encode()


def talks_of(document: dict[str, Any], day: int, room: str) -> list[dict[str, Any]]:
    return document["schedule"]["conference"]["days"][day]["rooms"][room]


@pytest.fixture(autouse=True)
def fresh_talk_rules() -> Iterator[None]:
    forget_talk_rules()
    yield
    forget_talk_rules()


@pytest.fixture
def scheduled(wall: Wall, django_capture_on_commit_callbacks: Any) -> Schedule:
    """The ``wall`` fixture with the Pretalx sample imported (on-commit callbacks run)."""
    with django_capture_on_commit_callbacks(execute=True):
        import_schedule(wall, sample("pretalx-schedule.json"), source="pretalx-schedule.json")
    return Schedule.objects.get(wall=wall)


def live_schedule(now: datetime, zone: str = "Europe/Berlin") -> bytes:
    """A Pretalx schedule around ``now``: in "Main Hall" a talk that started 10 minutes ago and
    ends in 2, then one until 30 minutes from now; in "Room B" one starting in an hour."""

    def talk(uid: str, room: str, title: str, start: timedelta, minutes: int) -> dict[str, Any]:
        return {
            "guid": uid,
            "date": (now + start).isoformat(),
            "duration": f"{minutes // 60:02d}:{minutes % 60:02d}",
            "room": room,
            "title": title,
            "persons": [{"public_name": f"Speaker of {title}"}],
        }

    minute = timedelta(minutes=1)
    document = {
        "schedule": {
            "version": "live",
            "conference": {
                "title": "Live Con",
                "time_zone_name": zone,
                "days": [
                    {
                        "index": 1,
                        "date": now.date().isoformat(),
                        "rooms": {
                            "Main Hall": [
                                talk("now", "Main Hall", "Talk running now", -10 * minute, 12),
                                talk("next", "Main Hall", "The next talk", 2 * minute, 28),
                            ],
                            "Room B": [talk("later", "Room B", "Later in B", 60 * minute, 30)],
                        },
                    }
                ],
            },
        }
    }
    return json.dumps(document).encode()
