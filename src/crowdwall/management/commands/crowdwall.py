"""``manage.py crowdwall <subcommand>``: run sources and configure walls from a shell.

    manage.py crowdwall stream [--wall SLUG] [--rate N] [--limit N]   run sources until SIGTERM
    manage.py crowdwall backfill [--wall SLUG] [--limit N]            fetch history, then exit
    manage.py crowdwall walls                                         list walls and sources
    manage.py crowdwall add-wall SLUG --name NAME [--hashtag TAG ...] ...
    manage.py crowdwall add-source WALL KIND [--name N] [--url URL] [--secret S] ...
    manage.py crowdwall reindex [--wall SLUG] [--cluster k/N] [--processes P] [--chunk-size C]
    manage.py crowdwall rebuild-aggregates [--wall SLUG] [--cluster k/N] [--processes P]
    manage.py crowdwall lister --wall SLUG --source NAME --list TITLE [--dry-run]
    manage.py crowdwall quarantine list|replay|discard [IDS ...] [--wall SLUG] [--all]
    manage.py crowdwall never-show list|add|remove [ACCOUNT] [--wall SLUG] [--note NOTE]
    manage.py crowdwall import-schedule WALL FILE|URL                 Pretalx JSON or iCalendar

(The two maintenance jobs are clustered and resumable: see ``crowdwall.jobs``.)

A subcommand is an entry in ``Command.subcommands`` plus ``handle_<name>`` and, when it takes
options, ``add_<name>_arguments`` (the layout of ``manage.py herdcache``).
"""

from __future__ import annotations

import argparse
import io
import shutil
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from rich import box
from rich.console import Console, RenderableType
from rich.table import Table

from crowdwall.caching import purge_walls
from crowdwall.jobs.command import add_job_arguments, run_job_command
from crowdwall.models import ModerationMode, Wall
from crowdwall.sources.add_source_command import (
    add_add_source_arguments,
    bounded_number,
    rate_argument,
    run_add_source_command,
    validation_message,
)
from crowdwall.sources.runner import Mode
from crowdwall.sources.stream_command import run_sources, runnable_sources

_PIPE_WIDTH = 200


_speed = bounded_number(0.01, "a speed-up")


class Command(BaseCommand):
    help = "Run crowdwall's sources (stream, backfill) and configure walls and sources."

    subcommands: dict[str, tuple[str, str]] = {
        "stream": ("handle_stream", "Run every enabled source of the wall(s) until SIGTERM."),
        "backfill": ("handle_backfill", "Fetch what the sources have from before, then exit."),
        "walls": ("handle_walls", "List walls with their sources."),
        "add-wall": ("handle_add_wall", "Create a wall."),
        "add-source": ("handle_add_source", "Add a source to a wall."),
        "demo": (
            "handle_demo",
            "Create the demo walls, their replay source and a staff login (idempotent).",
        ),
        "reindex": (
            "handle_reindex",
            "Re-sanitize and re-match stored posts after a rule change (clustered, resumable).",
        ),
        "rebuild-aggregates": (
            "handle_rebuild_aggregates",
            "Recompute per-wall and per-author counts (clustered, resumable).",
        ),
        "rebuild-analytics": (
            "handle_rebuild_analytics",
            "Recompute the analytics rollups per wall and minute (clustered, resumable).",
        ),
        "lister": ("handle_lister", "Keep a Mastodon list in sync with a wall's accounts."),
        "quarantine": (
            "handle_quarantine",
            "List, replay or discard posts that failed to store.",
        ),
        "never-show": (
            "handle_never_show",
            "List, add or remove accounts no wall (or one wall) may show.",
        ),
        "import-schedule": (
            "handle_import_schedule",
            "Import or update a wall's event schedule (Pretalx JSON or iCalendar).",
        ),
    }

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(
            dest="subcommand", title="subcommands", metavar="{" + ",".join(self.subcommands) + "}"
        )
        for name, (_handler, help_text) in self.subcommands.items():
            subparser = sub.add_parser(name, help=help_text, description=help_text)
            # Also accept -v after the subcommand (`crowdwall stream -v 2`); SUPPRESS keeps
            # the global value when it is not given here.
            subparser.add_argument(
                "-v", "--verbosity", type=int, choices=[0, 1, 2, 3], default=argparse.SUPPRESS
            )
            add = getattr(self, f"add_{name.replace('-', '_')}_arguments", None)
            if add is not None:
                add(subparser)

    def handle(self, *args: Any, subcommand: str | None = None, **options: Any) -> None:
        if subcommand is None:
            names = ", ".join(self.subcommands)
            raise CommandError(f"Name a subcommand: {names} (see `manage.py crowdwall --help`).")
        self._color = bool(options.get("force_color")) or (
            self.stdout.isatty() and not options.get("no_color")
        )
        handler: Callable[..., None] = getattr(self, self.subcommands[subcommand][0])
        handler(**options)

    def _print(self, renderable: RenderableType) -> None:
        buffer = io.StringIO()
        width = shutil.get_terminal_size().columns if self.stdout.isatty() else _PIPE_WIDTH
        Console(
            file=buffer,
            width=width,
            force_terminal=self._color,
            no_color=not self._color,
            highlight=False,
        ).print(renderable)
        self.stdout.write(buffer.getvalue(), ending="")

    def _say(self, message: str) -> None:
        """One line, flushed at once: stream's output is read live (logs, tests, supervisors)."""
        self.stdout.write(message)
        self.stdout.flush()

    # stream / backfill --------------------------------------------------------------------

    def add_stream_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--wall", help="only this wall's sources (slug); default: all walls")
        parser.add_argument(
            "--rate", type=rate_argument, help="replay sources: posts per second (0: max)"
        )
        parser.add_argument("--limit", type=int, help="stop each source after N posts")

    def add_backfill_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--wall", help="only this wall's sources (slug); default: all walls")
        parser.add_argument("--limit", type=int, help="at most N posts per source")

    def handle_stream(
        self, *, wall: str | None, rate: float | None, limit: int | None, **options: Any
    ) -> None:
        # --rate means a steady rate, also for a replay set to its recorded pace (the demo's).
        overrides = {} if rate is None else {"rate": rate, "pacing": "steady"}
        self._run("stream", wall, overrides, limit, options["verbosity"])

    def handle_backfill(self, *, wall: str | None, limit: int | None, **options: Any) -> None:
        self._run("backfill", wall, {}, limit, options["verbosity"])

    def _run(
        self,
        mode: Mode,
        wall: str | None,
        overrides: dict[str, Any],
        limit: int | None,
        verbosity: int,
    ) -> None:
        if limit is not None and limit < 1:
            raise CommandError("--limit must be >= 1.")
        table = run_sources(
            mode,
            runnable_sources(wall, warn=self.stderr.write),
            overrides=overrides,
            limit=limit,
            verbose=verbosity >= 2,
            say=self._say,
            warn=self._warn,
        )
        self._print(table)
        self._say("cursors saved.")

    def _warn(self, message: str) -> None:
        self.stderr.write(message)
        self.stderr.flush()

    # walls --------------------------------------------------------------------------------

    def handle_walls(self, **options: Any) -> None:
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, header_style="bold")
        for column in ("slug", "name", "active", "moderation", "hashtags", "sources"):
            table.add_column(column)
        walls = Wall.objects.prefetch_related("sources").order_by("slug")
        for wall in walls:
            sources = ", ".join(
                f"{s.name} ({s.kind}{'' if s.enabled else ', disabled'}) scope={s.scope}"
                for s in wall.sources.all()
            )
            table.add_row(
                wall.slug,
                wall.name,
                "yes" if wall.is_active else "no",
                wall.moderation,
                " ".join(f"#{t}" for t in wall.hashtags),
                sources or "-",
            )
        if walls:
            self._print(table)
        self.stdout.write(f"{len(walls)} wall(s).")

    # add-wall -----------------------------------------------------------------------------

    def add_add_wall_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--name", help="display name (default: the slug)")
        parser.add_argument(
            "--hashtag", action="append", default=[], dest="hashtags", metavar="TAG"
        )
        parser.add_argument("--keyword", action="append", default=[], dest="keywords", metavar="KW")
        parser.add_argument("--account", action="append", default=[], dest="accounts", metavar="ID")
        parser.add_argument(
            "--language", action="append", default=[], dest="languages", metavar="CODE"
        )
        parser.add_argument(
            "--moderation",
            default="open",
            choices=[m.value.replace("_", "-") for m in ModerationMode]
            + list(ModerationMode.values),
        )
        parser.add_argument("--no-default-blocklist", action="store_true")
        for flag in ("replies", "boosts", "bots", "sensitive"):
            parser.add_argument(f"--hide-{flag}", action="store_true")

    def handle_add_wall(self, *, slug: str, name: str | None, **options: Any) -> None:
        wall = Wall(
            slug=slug,
            name=name or slug,
            hashtags=options["hashtags"],
            keywords=options["keywords"],
            accounts=options["accounts"],
            languages=options["languages"],
            moderation=options["moderation"].replace("-", "_"),
            use_default_blocklist=not options["no_default_blocklist"],
            hide_replies=options["hide_replies"],
            hide_boosts=options["hide_boosts"],
            hide_bots=options["hide_bots"],
            hide_sensitive=options["hide_sensitive"],
        )
        try:
            wall.full_clean()
        except ValidationError as exc:
            raise CommandError(f"Invalid wall: {validation_message(exc)}") from exc
        wall.save()
        transaction.on_commit(lambda: purge_walls([], wall_list=True))
        self.stdout.write(self.style.SUCCESS(f"Wall {wall.slug!r} created."))

    # add-source ---------------------------------------------------------------------------

    def add_add_source_arguments(self, parser: CommandParser) -> None:
        add_add_source_arguments(parser)

    def handle_add_source(self, **options: Any) -> None:
        run_add_source_command(self, options)

    # demo ---------------------------------------------------------------------------------

    def add_demo_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--site-url",
            default="http://127.0.0.1:8000",
            help="where the demo is served (the replayed posts' avatars and photos load from it)",
        )
        parser.add_argument(
            "--speed",
            type=_speed,
            default=None,
            help="how much faster than recorded the sample day plays (default: 5)",
        )
        parser.add_argument(
            "--rate", type=rate_argument, help="a steady number of posts per second instead"
        )

    def handle_demo(
        self, *, site_url: str, speed: float | None, rate: float | None, **options: Any
    ) -> None:
        from crowdwall.demo import SPEED, ensure_demo

        if speed is not None and rate is not None:
            raise CommandError("Give --speed (the recorded pace) or --rate (steady), not both.")
        try:
            demo = ensure_demo(site_url=site_url, rate=rate, speed=speed or SPEED)
        except ValidationError as exc:
            raise CommandError(f"Invalid demo source: {validation_message(exc)}") from exc
        base = site_url.rstrip("/")
        state = "created" if demo.created else "already there"
        filled = f" ({demo.prefilled} posts to start with)" if demo.prefilled else ""
        self.stdout.write(self.style.SUCCESS(f"Demo walls {state}{filled}. Start here: {base}/"))
        for wall in demo.walls:
            self.stdout.write(f"  {wall.name} ({wall.get_moderation_display().split(':')[0]})")
            for label, path in (
                ("wall", ""),
                ("big screen", "screen/"),
                ("moderation", "moderate/"),
            ):
                self.stdout.write(f"    {label + ':':<12}{base}/walls/{wall.slug}/{path}")
        self.stdout.write(
            f"Staff login (moderation, admin): {demo.username} / {demo.password}"
            " (a new password each run)"
        )

    # reindex / rebuild-aggregates ---------------------------------------------------------

    def add_reindex_arguments(self, parser: CommandParser) -> None:
        add_job_arguments(parser)

    def handle_reindex(self, **options: Any) -> None:
        run_job_command(self, "reindex", options)

    def add_rebuild_aggregates_arguments(self, parser: CommandParser) -> None:
        add_job_arguments(parser)

    def handle_rebuild_aggregates(self, **options: Any) -> None:
        run_job_command(self, "rebuild-aggregates", options)

    def add_rebuild_analytics_arguments(self, parser: CommandParser) -> None:
        add_job_arguments(parser)

    def handle_rebuild_analytics(self, **options: Any) -> None:
        run_job_command(self, "rebuild-analytics", options)

    # lister ---------------------------------------------------------------------------------

    def add_lister_arguments(self, parser: CommandParser) -> None:
        from crowdwall.sources.mastodon.lister_command import add_lister_arguments

        add_lister_arguments(parser)

    def handle_lister(self, **options: Any) -> None:
        from crowdwall.sources.mastodon.lister_command import run_lister_command

        run_lister_command(self, options)

    # quarantine -----------------------------------------------------------------------------

    def add_quarantine_arguments(self, parser: CommandParser) -> None:
        from crowdwall.ingest.quarantine_command import add_quarantine_arguments

        add_quarantine_arguments(parser)

    def handle_quarantine(self, **options: Any) -> None:
        from crowdwall.ingest.quarantine_command import run_quarantine_command

        run_quarantine_command(self, options)

    # never-show -----------------------------------------------------------------------------

    def add_never_show_arguments(self, parser: CommandParser) -> None:
        from crowdwall.moderation.never_show_command import add_never_show_arguments

        add_never_show_arguments(parser)

    def handle_never_show(self, **options: Any) -> None:
        from crowdwall.moderation.never_show_command import run_never_show_command

        run_never_show_command(self, options)

    # import-schedule ------------------------------------------------------------------------

    def add_import_schedule_arguments(self, parser: CommandParser) -> None:
        from crowdwall.schedule.command import add_import_schedule_arguments

        add_import_schedule_arguments(parser)

    def handle_import_schedule(self, **options: Any) -> None:
        from crowdwall.schedule.command import run_import_schedule_command

        run_import_schedule_command(self, options)
