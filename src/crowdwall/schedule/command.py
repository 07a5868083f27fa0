"""``manage.py crowdwall import-schedule WALL FILE|URL``: import or update a wall's schedule."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from crowdwall.models import Wall
from crowdwall.schedule.importer import import_schedule, read_location
from crowdwall.schedule.parse import ScheduleError


def add_import_schedule_arguments(parser: CommandParser) -> None:
    """The subcommand's arguments: the wall's slug and where the schedule is."""
    parser.add_argument("wall", help="the wall's slug")
    parser.add_argument(
        "location",
        metavar="FILE|URL",
        help="Pretalx JSON (…/schedule/export/schedule.json) or iCalendar (.ics), "
        "a file or an http(s) address",
    )


def run_import_schedule_command(command: BaseCommand, options: dict[str, Any]) -> None:
    """Import the schedule; a bad wall, file or address is a ``CommandError`` that says why."""
    slug, location = options["wall"], options["location"]
    wall = Wall.objects.filter(slug=slug).first()
    if wall is None:
        raise CommandError(f"No wall {slug!r} (see `manage.py crowdwall walls`).")
    try:
        result = import_schedule(wall, read_location(location), source=location)
    except ScheduleError as exc:
        raise CommandError(f"Schedule not imported: {exc}") from exc
    command.stdout.write(command.style.SUCCESS(f"Schedule of {wall.slug!r}: {result}."))
