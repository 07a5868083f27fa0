"""``manage.py herdcache purge`` and ``herdcache rewarm``: the subcommands around purging.

    manage.py herdcache purge [pattern ...] [--tag T] [--prefix P] [--soft] [--rewarm]
    manage.py herdcache purge --dry-run [pattern ...] [--tag T] [--prefix P] [--page N]
    manage.py herdcache rewarm [pattern ...] [--tag T] [--prefix P] [--top N] [--origin URL]

A mixin of ``herdcache.management.commands.herdcache.Command`` (which lists them in
``subcommands``), kept apart so each file stays readable.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import islice
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.db import DatabaseError

from herdcache import purgelog, registry
from herdcache import rewarm as rewarming
from herdcache.checks import is_origin
from herdcache.conf import conf
from herdcache.purging import _batches, purge


def _criteria_arguments(parser: CommandParser) -> None:
    parser.add_argument(
        "patterns",
        nargs="*",
        metavar="pattern",
        help="exact path (/p/77/: every query string), path?query, shell wildcard (/p/*) "
        "or absolute URL",
    )
    parser.add_argument(
        "--tag", action="append", default=[], dest="tags", metavar="T", help="repeatable"
    )
    parser.add_argument("--prefix", metavar="P", help="path prefix, e.g. /p/")


class PurgeSubcommands:
    """``purge`` and ``rewarm`` handlers; the host class provides ``stdout``, ``style``, ``_print``."""

    stdout: Any
    style: Any
    _print: Callable[..., None]

    # purge --------------------------------------------------------------------------------

    def add_purge_arguments(self, parser: CommandParser) -> None:
        from herdcache.management.commands.herdcache import _positive

        _criteria_arguments(parser)
        parser.add_argument(
            "--dry-run", action="store_true", help="list what would be purged, purge nothing"
        )
        parser.add_argument("--soft", action="store_true", help="mark stale instead of deleting")
        parser.add_argument(
            "--rewarm", action="store_true", help="re-render the most requested purged pages"
        )
        parser.add_argument(
            "--page", type=_positive(int), default=1, metavar="N", help="with --dry-run"
        )
        parser.add_argument(
            "--page-size",
            type=_positive(int),
            default=100,
            metavar="N",
            help="URLs per page with --dry-run (default: %(default)s)",
        )

    def handle_purge(
        self,
        *,
        patterns: list[str],
        tags: list[str],
        prefix: str | None,
        dry_run: bool,
        soft: bool,
        rewarm: bool,
        page: int,
        page_size: int,
        **options: Any,
    ) -> None:
        """Purge (logged with reason "command"), or with ``--dry-run`` list what would go."""
        if not (patterns or tags or prefix is not None):
            raise CommandError("Name what to purge: a URL pattern, --tag T or --prefix P.")
        if dry_run:
            self._dry_run(patterns, tags, prefix, page, page_size)
            return
        try:
            with purgelog.purge_reason("command"):
                purged = purge(patterns, tags=tags, prefix=prefix, soft=soft, rewarm=rewarm)
        except DatabaseError as exc:
            raise CommandError(f"Remembered URLs unavailable ({exc}); has migrate run?") from exc
        noun = "URL" if purged == 1 else "URLs"
        how = " (soft: marked stale)" if soft else ""
        self.stdout.write(self.style.SUCCESS(f"{purged} remembered {noun} purged{how}."))
        if tags:
            self.stdout.write(f"Tags {', '.join(tags)} purged: every entry carrying them.")
        if rewarm:
            rewarming.rewarmer.wait(timeout=max(60.0, conf.REWARM_TIMEOUT * 4))
            self.stdout.write("Re-warm finished: see the purge log on the stats page.")

    def _dry_run(
        self, patterns: list[str], tags: list[str], prefix: str | None, page: int, size: int
    ) -> None:
        start = (page - 1) * size
        try:
            rows = registry.find(patterns, prefix=prefix, tags=tags)
            shown = [row.url for row in islice(rows, start, start + size)]
            total = start + len(shown) + sum(1 for _ in rows)
        except DatabaseError as exc:
            raise CommandError(f"Remembered URLs unavailable ({exc}); has migrate run?") from exc
        pages = max(1, -(-total // size))
        if page > pages:
            raise CommandError(f"--page {page} is past the last page ({pages}) of {total} URLs.")
        for url in shown:
            self.stdout.write(url)
        noun = "URL" if total == 1 else "URLs"
        line = f"{total} remembered {noun} would be purged (dry run: nothing purged)"
        if pages > 1:
            line += f"; page {page} of {pages}, --page N for the others"
        self.stdout.write(line + ".")
        if tags:
            self.stdout.write("Tags also purge entries that are not remembered (not listed).")

    # rewarm -------------------------------------------------------------------------------

    def add_rewarm_arguments(self, parser: CommandParser) -> None:
        from herdcache.management.commands.herdcache import _positive

        _criteria_arguments(parser)
        parser.add_argument(
            "--top", type=_positive(int), metavar="N", help="default: HERDCACHE['REWARM_TOP']"
        )
        parser.add_argument(
            "--concurrency",
            type=_positive(int),
            metavar="N",
            help="GETs at a time (default: HERDCACHE['REWARM_CONCURRENCY'])",
        )
        parser.add_argument(
            "--origin",
            help="send the GETs here, e.g. http://127.0.0.1:8080 (default: REWARM_ORIGIN)",
        )

    def handle_rewarm(
        self,
        *,
        patterns: list[str],
        tags: list[str],
        prefix: str | None,
        top: int | None,
        concurrency: int | None,
        origin: str | None,
        **options: Any,
    ) -> None:
        """GET the most requested remembered URLs matching the criteria (all when none)."""
        if origin is not None and not is_origin(origin):
            raise CommandError(
                f"--origin must be scheme://host[:port], e.g. http://127.0.0.1:8080, not {origin!r}."
            )
        ranking = rewarming.Ranking(top or conf.REWARM_TOP)
        try:
            for batch in _batches(registry.find(patterns, prefix=prefix, tags=tags)):
                ranking.add(batch)
        except DatabaseError as exc:
            raise CommandError(f"Remembered URLs unavailable ({exc}); has migrate run?") from exc
        results = rewarming.rewarm_urls(ranking.best(), concurrency=concurrency, origin=origin)
        if results:
            rows = [[r.url, str(r.status or "-"), f"{r.seconds:.2f}", r.error] for r in results]
            self._print(["url", "status", "seconds", "error"], rows, right=[False, True, True])
        ok, detail = rewarming.summary(results)
        if not ok:
            raise CommandError(detail)
        self.stdout.write(self.style.SUCCESS(f"{detail}." if results else "Nothing to re-warm."))
