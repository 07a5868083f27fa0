"""``manage.py crowdwall never-show list|add|remove``: the shell side of the never-show list
(``crowdwall.moderation.never_show``)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, CommandParser
from django.db import transaction
from rich import box
from rich.table import Table

from crowdwall.models import NeverShow, Wall
from crowdwall.moderation import never_show

ACTIONS = ("list", "add", "remove")


def add_never_show_arguments(parser: CommandParser) -> None:
    parser.add_argument("action", choices=ACTIONS, help="list, add or remove accounts")
    parser.add_argument(
        "account", nargs="?", help="stable account id (actor URI, DID) or @handle (add, remove)"
    )
    parser.add_argument("--wall", help="this wall's list (slug); default: every wall's")
    parser.add_argument("--note", default="", help="add: who asked, and when")


def _wall(slug: str | None) -> Wall | None:
    if slug is None:
        return None
    try:
        return Wall.objects.get(slug=slug)
    except Wall.DoesNotExist:
        raise CommandError(f"No wall {slug!r}.") from None


def run_never_show_command(command: Any, options: dict[str, Any]) -> None:
    """Carry out ``options["action"]`` for ``command`` (the ``crowdwall`` command)."""
    action, account = options["action"], options.get("account")
    wall = _wall(options.get("wall"))
    if action == "list":
        rows = NeverShow.objects.select_related("wall").order_by("wall__slug", "account")
        if wall is not None:
            rows = rows.filter(wall=wall)
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, header_style="bold")
        for column in ("account", "wall", "since", "note"):
            table.add_column(column)
        for row in rows:
            wall_name = row.wall.slug if row.wall else "(every wall)"
            table.add_row(row.account, wall_name, f"{row.created_at:%Y-%m-%d}", row.note)
        command._print(table)
        return
    if not account:
        raise CommandError(f"Name the account to {action}.")
    where = f"wall {wall.slug!r}" if wall else "every wall"
    if action == "add":
        try:
            with transaction.atomic():
                entry, withdrawn = never_show.add(account, wall=wall, note=options["note"])
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        command.stdout.write(
            command.style.SUCCESS(
                f"{entry.account} is never shown on {where}; "
                f"{withdrawn} post(s) taken off the walls."
            )
        )
        return
    if not never_show.remove(account, wall=wall):
        raise CommandError(f"{account} is not on the never-show list of {where}.")
    command.stdout.write(command.style.SUCCESS(f"{account} may be shown on {where} again."))
