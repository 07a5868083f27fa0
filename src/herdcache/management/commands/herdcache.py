"""``manage.py herdcache <subcommand>``: inspect and purge herdcache from a shell.

    manage.py herdcache urls [--purge [--soft]] [pattern ...]   remembered URLs and their counters
    manage.py herdcache stats [--json] [--cache ALIAS]          global counters

A subcommand is an entry in ``Command.subcommands`` (name -> handler method name), the handler
``handle_<name>(**options)`` and, when it takes options, ``add_<name>_arguments(parser)``. A new
one (e.g. ``nginx``) adds those three and nothing else.
"""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich import box
from rich.console import Console, RenderableType
from rich.table import Table

from herdcache.purging import find_urls
from herdcache.stats import EVENTS, URL_EVENTS, get_stats, hit_ratio

_PIPE_WIDTH = 4096  # console width when not a terminal: long URLs stay on one line (grep, awk)


class Command(BaseCommand):
    help = "Inspect and purge herdcache: remembered URLs (urls) and global counters (stats)."

    #: The extension point: subcommand name -> (handler method name, one-line help).
    subcommands: dict[str, tuple[str, str]] = {
        "urls": ("handle_urls", "List remembered URLs with their counters; --purge purges them."),
        "stats": ("handle_stats", "Show the global counters (hit, miss, stale, ...)."),
    }

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(
            dest="subcommand", title="subcommands", metavar="{" + ",".join(self.subcommands) + "}"
        )
        for name, (_handler, help_text) in self.subcommands.items():
            subparser = sub.add_parser(name, help=help_text, description=help_text)
            add_arguments = getattr(self, f"add_{name}_arguments", None)
            if add_arguments is not None:
                add_arguments(subparser)

    def handle(self, *args: Any, subcommand: str | None = None, **options: Any) -> None:
        if subcommand is None:  # argparse subparsers are optional here: say what to do instead
            names = ", ".join(self.subcommands)
            raise CommandError(f"Name a subcommand: {names} (see `manage.py herdcache --help`).")
        self._color = bool(options.get("force_color")) or (
            self.stdout.isatty() and not options.get("no_color")
        )
        handler: Callable[..., None] = getattr(self, self.subcommands[subcommand][0])
        handler(**options)

    # urls ---------------------------------------------------------------------------------

    def add_urls_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "patterns",
            nargs="*",
            metavar="pattern",
            help="exact path (/p/77/: every query string), path?query, shell wildcard (/p/*) "
            "or absolute URL; none: every remembered URL",
        )
        parser.add_argument("--purge", action="store_true", help="purge the listed URLs")
        parser.add_argument(
            "--soft",
            action="store_true",
            help="with --purge: mark entries stale (one request refreshes) instead of deleting",
        )

    def handle_urls(self, *, patterns: list[str], purge: bool, soft: bool, **options: Any) -> None:
        """Table of remembered URLs with their counters; purged after listing with ``--purge``."""
        if soft and not purge:
            raise CommandError("--soft only applies together with --purge.")
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, header_style="bold")
        table.add_column("url", overflow="fold")
        for event in URL_EVENTS:
            table.add_column(event, justify="right")
        count = 0
        for url, _key, counters in find_urls(patterns, purge=purge, soft=soft):
            table.add_row(url, *(str(counters.get(event, 0)) for event in URL_EVENTS))
            count += 1
        if count:
            self._print(table)
        noun = "URL" if count == 1 else "URLs"
        if not purge:
            self.stdout.write(f"{count} remembered {noun}.")
        elif soft:
            self.stdout.write(self.style.SUCCESS(f"{count} {noun} purged (soft: marked stale)."))
        else:
            self.stdout.write(self.style.SUCCESS(f"{count} {noun} purged."))

    # stats --------------------------------------------------------------------------------

    def add_stats_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="print the counters as JSON"
        )
        parser.add_argument("--cache", help="cache alias (default: HERDCACHE['CACHE'])")

    def handle_stats(self, *, as_json: bool, cache: str | None, **options: Any) -> None:
        """Global counters as a table (with the hit ratio) or as a JSON object."""
        if cache is not None and cache not in settings.CACHES:
            raise CommandError(f"Unknown cache alias {cache!r}: not in settings.CACHES.")
        counters = get_stats(cache)
        if as_json:
            self.stdout.write(json.dumps(counters, indent=2))
            return
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, header_style="bold")
        table.add_column("event")
        table.add_column("count", justify="right")
        for event in EVENTS:
            table.add_row(event, str(counters.get(event, 0)))
        self._print(table)
        ratio = hit_ratio(counters)
        self.stdout.write(f"hit ratio: {'n/a' if ratio is None else f'{ratio:.1%}'}")

    # output -------------------------------------------------------------------------------

    def _print(self, renderable: RenderableType) -> None:
        """Render with rich, then write through ``self.stdout`` (so ``call_command`` captures it)."""
        buffer = io.StringIO()
        width = shutil.get_terminal_size().columns if self.stdout.isatty() else _PIPE_WIDTH
        console = Console(
            file=buffer,
            width=width,
            force_terminal=self._color,
            no_color=not self._color,
            highlight=False,
        )
        console.print(renderable)
        self.stdout.write(buffer.getvalue(), ending="")
