"""``manage.py fancy-urls [--purge] [url ...]``: django-fancy-cache's command on herdcache."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from herdcache.contrib.fancy.memory import find_urls


class Command(BaseCommand):
    help = (
        "List remembered URLs (all, or those matching the patterns; * is a wildcard) with their "
        "hits and misses; --purge purges them. `manage.py herdcache urls` is the full version."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("urls", nargs="*", metavar="url", help="path pattern, e.g. /p/*")
        parser.add_argument(
            "-p", "--purge", action="store_true", dest="purge", help="purge found URLs"
        )

    def handle(self, *args: Any, urls: list[str], purge: bool, **options: Any) -> None:
        count = 0
        for url, _key, stats in find_urls(urls, purge=purge):
            count += 1
            if stats:
                self.stdout.write(
                    f"{url[:70].ljust(65)} HITS {stats['hits']:<5} MISSES {stats['misses']:<5}"
                )
            else:
                self.stdout.write(url)
        if int(options["verbosity"]) > 1:
            self.stdout.write(f"-- {count} URLs cached --")
