"""``manage.py crowdwall quarantine list|replay|discard``: the shell side of
``crowdwall.ingest.quarantine`` (posts that failed to store, kept for a replay after a fix)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.db.models import QuerySet
from rich import box
from rich.table import Table

from crowdwall.ingest.quarantine import replay
from crowdwall.models import QuarantinedPost, Wall

ACTIONS = ("list", "replay", "discard")
REASON_WIDTH = 120  # characters of the reason shown in the list


def add_quarantine_arguments(parser: CommandParser) -> None:
    parser.add_argument("action", choices=ACTIONS, help="list, replay or discard quarantined posts")
    parser.add_argument("ids", nargs="*", type=int, help="quarantine ids (default: all shown)")
    parser.add_argument("--wall", help="only this wall's sources (slug)")
    parser.add_argument(
        "--all", action="store_true", help="discard: every quarantined post shown, not given ids"
    )


def _rows(wall: str | None, ids: list[int]) -> QuerySet[QuarantinedPost]:
    rows = QuarantinedPost.objects.select_related("source__wall").order_by("id")
    if wall is not None:
        if not Wall.objects.filter(slug=wall).exists():
            raise CommandError(f"No wall {wall!r}.")
        rows = rows.filter(source__wall__slug=wall)
    if ids:
        missing = sorted(set(ids) - set(rows.filter(pk__in=ids).values_list("pk", flat=True)))
        if missing:
            raise CommandError(f"Not in quarantine: {', '.join(map(str, missing))}.")
        rows = rows.filter(pk__in=ids)
    return rows


def run_quarantine_command(command: Any, options: dict[str, Any]) -> None:
    """Carry out ``options["action"]`` for ``command`` (the ``crowdwall`` command)."""
    action, ids = options["action"], options["ids"]
    rows = _rows(options.get("wall"), ids)
    if action == "list":
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, header_style="bold")
        for column in ("id", "wall", "source", "post", "tries", "since", "reason"):
            table.add_column(column)
        for row in rows:
            table.add_row(
                str(row.pk),
                row.source.wall.slug,
                row.source.name,
                row.external_id,
                str(row.attempts),
                f"{row.created_at:%Y-%m-%d %H:%M}",
                row.reason[:REASON_WIDTH],
            )
        command._print(table)
        return
    if action == "discard":
        if not ids and not options.get("all"):
            raise CommandError("Name the quarantine ids to discard, or pass --all.")
        count, _ = rows.delete()
        command.stdout.write(command.style.SUCCESS(f"{count} quarantined post(s) discarded."))
        return
    stored, failing = replay(list(rows))
    message = f"{stored} post(s) stored, {failing} still failing"
    if failing:  # a non-zero exit for scripts; the rows keep their new reasons
        raise CommandError(f"{message} (see `crowdwall quarantine list`).")
    command.stdout.write(command.style.SUCCESS(f"{message}."))
