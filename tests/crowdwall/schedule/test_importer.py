"""Importing a schedule into a wall: from a file, an address (a real local HTTP server) or the
command; re-imports update talks in place by id and never duplicate; bad input changes nothing."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from crowdwall.models import Schedule, Talk, Wall
from crowdwall.schedule.importer import import_schedule
from crowdwall.schedule.parse import ScheduleError
from tests.crowdwall.schedule.conftest import DATA, pretalx, sample, talks_of
from tests.fixtures.servers import Server, run_server


@pytest.fixture(scope="module")
def file_server() -> Iterator[Server]:
    """A plain HTTP server (Python's) serving the sample files."""
    yield from run_server(
        "schedule-files",
        lambda port, workdir: [
            sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
            "--directory", str(DATA),
        ],
    )  # fmt: skip


def _command(*args: str) -> str:
    out = io.StringIO()
    call_command("crowdwall", "import-schedule", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_import_then_reimport_updates_in_place(wall: Wall) -> None:
    first = import_schedule(wall, sample("pretalx-schedule.json"))
    assert (first.created, first.updated, first.removed) == (6, 0, 0)
    ids = dict(Talk.objects.values_list("uid", "pk"))
    again = import_schedule(wall, sample("pretalx-schedule.json"))
    assert (again.created, again.updated, again.removed, again.unchanged) == (0, 0, 0, 6)

    def edit(document: dict[str, Any]) -> None:
        hall = talks_of(document, 0, "Main Hall")
        hall[1]["title"] = "Async views, in practice"  # renamed
        hall[1]["date"] = "2025-05-14T11:15:00+02:00"  # and moved
        del hall[2]  # cancelled
        room_b = talks_of(document, 1, "Room B")
        room_b.append({**hall[0], "guid": "new-talk", "room": "Room B", "title": "Sprints"})

    changed = import_schedule(wall, pretalx(edit))
    assert (changed.created, changed.updated, changed.removed) == (1, 1, 1)
    assert Talk.objects.count() == 6
    moved = Talk.objects.get(uid="0b1f7c34-3a8e-5b7e-8f52-000000000002")
    assert moved.pk == ids[moved.uid]  # the same row
    assert moved.title == "Async views, in practice"
    assert moved.start.isoformat() == "2025-05-14T09:15:00+00:00"
    assert not Talk.objects.filter(uid="0b1f7c34-3a8e-5b7e-8f52-000000000003").exists()
    assert Schedule.objects.count() == 1


def test_rules_set_by_hand_survive_a_reimport_without_them(wall: Wall) -> None:
    import_schedule(wall, sample("pretalx-schedule.json"))
    Talk.objects.filter(title="Opening").update(hashtags=["welcome"])
    import_schedule(wall, sample("pretalx-schedule.json"))
    assert Talk.objects.get(title="Opening").hashtags == ["welcome"]
    # ... and the file's own rules are written when it has them.
    assert Talk.objects.get(title="Async views in practice").hashtags == ["asyncdjango"]


def test_ical_and_json_are_told_apart_by_content(wall: Wall) -> None:
    import_schedule(wall, sample("schedule.ics"), source="event.json")  # the name is not read
    assert sorted(Talk.objects.values_list("room", flat=True)) == ["Foyer", "Main Hall", "Room B"]
    assert Schedule.objects.get(wall=wall).time_zone == "Europe/Berlin"


def test_a_bad_file_changes_nothing(wall: Wall) -> None:
    import_schedule(wall, sample("pretalx-schedule.json"))
    bad = pretalx(lambda d: talks_of(d, 0, "Room B")[0].update(duration="soon"))
    with pytest.raises(ScheduleError):
        import_schedule(wall, bad)
    assert Talk.objects.count() == 6


def test_command_imports_a_file_and_an_address(wall: Wall, file_server: Server) -> None:
    out = _command("djangocon", str(DATA / "pretalx-schedule.json"))
    assert "6 talk(s) added, 0 updated, 0 removed" in out
    url = f"http://{file_server.address}/schedule.ics"
    out = _command("djangocon", url)
    # Another file of the same event: its UIDs differ from the JSON's guids.
    assert "3 talk(s) added, 0 updated, 6 removed" in out
    assert Schedule.objects.get(wall=wall).source == url


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nowall", "x.json"], "No wall 'nowall'"),
        (["djangocon", "/nonexistent/schedule.json"], "Cannot read /nonexistent/schedule.json"),
        (["djangocon", str(Path(__file__))], "Not a schedule"),
        (["djangocon", "http://127.0.0.1:9/schedule.json"], "Cannot fetch"),
    ],
)
def test_command_errors(wall: Wall, args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        _command(*args)
    assert not Talk.objects.exists()


def test_command_reports_an_http_error(wall: Wall, file_server: Server) -> None:
    with pytest.raises(CommandError, match="answered HTTP 404"):
        _command("djangocon", f"http://{file_server.address}/missing.json")


@pytest.mark.parametrize(
    "url", ["https://{\U000ea788\x8dHñz/s.json", "http://exa mple.org/", "https://[::1/"]
)
def test_an_address_httpx_cannot_use_is_a_schedule_error(url: str) -> None:
    """Found by schemathesis: a host IDNA refuses raised httpx.InvalidURL (a 500 in the API)."""
    from crowdwall.schedule.importer import read_location

    with pytest.raises(ScheduleError, match="Cannot fetch"):
        read_location(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",  # a cloud's metadata service
        "http://10.1.2.3/schedule.json",
        "http://[::ffff:127.0.0.1]/schedule.json",
        "http://localhost/schedule.json",
    ],
)
def test_a_schedule_is_fetched_from_public_addresses_only(settings, url: str) -> None:
    """An organiser types the address: like "test this source", it must not reach into the
    server's own network (refused before connecting, redirects included)."""
    from crowdwall.schedule.importer import read_location

    settings.CROWDWALL = {**settings.CROWDWALL, "SOURCE_TEST_ALLOWED_NETWORKS": []}
    with pytest.raises(ScheduleError, match="not reachable from this server"):
        read_location(url)


def test_the_servers_own_loopback_is_refused(settings, file_server: Server) -> None:
    from crowdwall.schedule.importer import read_location

    settings.CROWDWALL = {**settings.CROWDWALL, "SOURCE_TEST_ALLOWED_NETWORKS": []}
    with pytest.raises(ScheduleError, match=r"127\.0\.0\.1 is a loopback address"):
        read_location(f"http://{file_server.address}/schedule.json")
