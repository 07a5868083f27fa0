"""``manage.py herdcache <subcommand>``: inspect and purge herdcache from a shell.

    manage.py herdcache urls [--purge [--soft]] [pattern ...]   remembered URLs and their counters
    manage.py herdcache stats [--json] [--cache ALIAS]          global counters
    manage.py herdcache prune [--batch-size N] [--max-seconds S] delete remembered URLs whose
                                                                entries expired (cron-friendly)
    manage.py herdcache nginx [--listen ADDR] [--upstream ADDR] [--local-ttl N] ...
                                                                nginx config for edge serving
    manage.py herdcache varnish [--backend ADDR] [--listen ADDR] [--purge-allow IP ...]
                                                                VCL for Varnish purged by tag
    manage.py herdcache purge [--dry-run] [pattern ...] [--tag T] [--prefix P]
                                                                purge (logged), or list what would go
    manage.py herdcache rewarm [pattern ...] [--tag T] [--top N] re-render the hottest pages now

A subcommand is an entry in ``Command.subcommands`` (name -> handler method name), the handler
``handle_<name>(**options)`` and, when it takes options, ``add_<name>_arguments(parser)``. A new
one (e.g. ``nginx``) adds those three and nothing else.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from herdcache import lifecycle, purgelog
from herdcache.conf import conf
from herdcache.downstream.vcl import VclConfigError, render_vcl
from herdcache.edge.nginx import DEFAULT_PREFIX, NginxConfigError, render_config, settings_options
from herdcache.management.purge_commands import PurgeSubcommands
from herdcache.management.table import render_table
from herdcache.purging import find_urls
from herdcache.stats import EVENTS, URL_EVENTS, get_stats, hit_ratio


class Command(PurgeSubcommands, BaseCommand):
    help = (
        "Inspect and purge herdcache: remembered URLs (urls), global counters (stats), purges "
        "(purge, with --dry-run), re-warming (rewarm), an nginx config for serving cache hits "
        "straight from memcached (nginx) and a Varnish VCL (varnish)."
    )

    #: The extension point: subcommand name -> (handler method name, one-line help).
    subcommands: dict[str, tuple[str, str]] = {
        "urls": ("handle_urls", "List remembered URLs with their counters; --purge purges them."),
        "stats": ("handle_stats", "Show the global counters (hit, miss, stale, ...)."),
        "nginx": ("handle_nginx", "Print an nginx config serving cache hits from memcached."),
        "prune": ("handle_prune", "Delete remembered URLs whose cache entries have expired."),
        "varnish": ("handle_varnish", "Print a Varnish VCL that herdcache purges by tag (xkey)."),
        "purge": ("handle_purge", "Purge by URL pattern, --tag or --prefix; --dry-run lists."),
        "rewarm": ("handle_rewarm", "Re-render the most requested remembered URLs now."),
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
        with purgelog.purge_reason("command"):  # a --purge is logged as the command's
            rows = [
                [url, *(str(counters.get(event, 0)) for event in URL_EVENTS)]
                for url, _key, counters in find_urls(patterns, purge=purge, soft=soft)
            ]
        count = len(rows)
        if count:
            self._print(["url", *URL_EVENTS], rows, right=[False, *(True for _ in URL_EVENTS)])
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
        rows = [[event, str(counters.get(event, 0))] for event in EVENTS]
        self._print(["event", "count"], rows, right=[False, True])
        ratio = hit_ratio(counters)
        self.stdout.write(f"hit ratio: {'n/a' if ratio is None else f'{ratio:.1%}'}")

    # prune --------------------------------------------------------------------------------

    def add_prune_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size",
            type=_positive(int),
            default=1000,
            metavar="N",
            help="rows deleted per transaction (default: %(default)s)",
        )
        parser.add_argument(
            "--max-seconds",
            type=_positive(float),
            metavar="S",
            help="stop after about S seconds; the next run carries on (default: until done)",
        )

    def handle_prune(self, *, batch_size: int, max_seconds: float | None, **options: Any) -> None:
        """Delete dead rows in committed batches; rows from before expiries were kept are first
        given their entry's expiry from the cache, or deleted when the entry is gone."""
        deadline = None if max_seconds is None else time.monotonic() + max_seconds
        settled = pruned = 0
        unsettled: lifecycle.CacheUnavailable | None = None
        try:
            before = lifecycle.table_size()
            try:
                while not _past(deadline):
                    done, gone = lifecycle.settle_unknown(batch_size)
                    settled, pruned = settled + done, pruned + gone
                    if done + gone < batch_size:
                        break
            except lifecycle.CacheUnavailable as exc:  # expired rows can still go
                unsettled = exc
            while not _past(deadline):
                deleted = lifecycle.prune_expired(batch_size)
                pruned += deleted
                if deleted < batch_size:
                    break
            stopped = _past(deadline)
            after, dead = lifecycle.table_size(), lifecycle.dead_rows()
        except DatabaseError as exc:
            raise CommandError(
                f"Remembered URLs unavailable ({exc}); has `manage.py migrate` run?"
            ) from exc
        lifecycle.capacity.reset()  # this process's count is stale now
        try:
            log_pruned = purgelog.prune()
        except DatabaseError as exc:
            raise CommandError(
                f"Purge log unavailable ({exc}); has `manage.py migrate` run?"
            ) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Pruned {pruned} expired URL{'' if pruned == 1 else 's'}: "
                f"{before} remembered before, {after} now."
            )
        )
        if settled:
            self.stdout.write(f"{settled} older rows got their expiry from the cache.")
        if log_pruned:
            self.stdout.write(f"{log_pruned} old purge log rows deleted.")
        if stopped and dead:
            self.stdout.write(f"Stopped at --max-seconds with {dead} expired rows left: run again.")
        if unsettled is not None:
            raise CommandError(
                f"Rows remembered before expiries were kept are left as they were: {unsettled}."
            )

    # nginx --------------------------------------------------------------------------------

    def add_nginx_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--listen", default="127.0.0.1:8080", help="where nginx listens (default: %(default)s)"
        )
        parser.add_argument(
            "--upstream", default="127.0.0.1:8000", help="Django's address (default: %(default)s)"
        )
        parser.add_argument(
            "--memcached",
            nargs="+",
            action="extend",
            metavar="HOST:PORT",
            help="memcached servers (default: HERDCACHE['EDGE_SERVERS'] or the cache's LOCATION)",
        )
        parser.add_argument(
            "--server-block",
            action="store_true",
            help="only upstreams, maps and servers, to include inside an existing http {}",
        )
        parser.add_argument(
            "--prefix",
            default=DEFAULT_PREFIX,
            help="folder for pid, logs, temp files, local cache and socket; created with mode "
            "755 (default: %(default)s)",
        )
        parser.add_argument(
            "--local-ttl",
            type=int,
            metavar="N",
            help="local proxy_cache tier for N seconds, 0 for none "
            "(default: HERDCACHE['EDGE_LOCAL_TTL'])",
        )
        parser.add_argument(
            "--purge-allow",
            nargs="+",
            action="extend",
            metavar="IP",
            help="addresses (or CIDRs) that may PURGE the local tier (default: 127.0.0.1)",
        )
        parser.add_argument(
            "--server-name", nargs="+", action="extend", metavar="NAME", dest="server_names"
        )
        parser.add_argument("--user", help="user for the workers when nginx starts as root")
        parser.add_argument("--modules-dir", help="dynamic modules folder (default: detected)")
        parser.add_argument("--workers", default="auto", help="worker_processes (default: auto)")

    def handle_nginx(
        self,
        *,
        listen: str,
        upstream: str,
        memcached: list[str] | None,
        server_block: bool,
        prefix: str,
        local_ttl: int | None,
        purge_allow: list[str] | None,
        server_names: list[str] | None,
        user: str | None,
        modules_dir: str | None,
        workers: str,
        **options: Any,
    ) -> None:
        """The config on stdout; the prefix folder created when nginx will write there."""
        arguments = settings_options(
            servers=memcached,
            local_ttl=local_ttl,
            purge_allow=purge_allow,
            server_names=server_names,
            user=user,
            modules_dir=modules_dir,
        )
        if not arguments["servers"]:
            raise CommandError(
                "No memcached servers: set HERDCACHE['EDGE_SERVERS'] (or use a memcached cache "
                "backend) or pass --memcached HOST:PORT."
            )
        try:
            config = render_config(
                listen=listen,
                upstream=upstream,
                prefix=prefix,
                worker_processes=workers,
                server_block_only=server_block,
                **arguments,
            )
        except NginxConfigError as exc:
            raise CommandError(str(exc)) from exc
        if not server_block or arguments["local_ttl"] > 0:
            self._prepare_prefix(prefix)
        self.stdout.write(config, ending="")
        if not conf.EDGE_TRUSTED_PROXIES:
            self.stderr.write(
                "Note: HERDCACHE['EDGE_TRUSTED_PROXIES'] is empty, so Django ignores the key "
                "nginx sends and computes it itself; add this nginx's address to use it."
            )

    def _prepare_prefix(self, prefix: str) -> None:
        """Create ``prefix`` (mode 755: root's workers run as another user and must enter it)."""
        try:
            os.makedirs(prefix, exist_ok=True)
            if os.stat(prefix).st_uid != os.geteuid():  # e.g. planted in /tmp by another user
                raise CommandError(f"{prefix} belongs to another user: choose another --prefix.")
            os.chmod(prefix, 0o755)
        except OSError as exc:
            raise CommandError(f"Cannot prepare {prefix}: {exc}") from exc

    # varnish ------------------------------------------------------------------------------

    def add_varnish_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--backend", default="127.0.0.1:8000", help="Django's address (default: %(default)s)"
        )
        parser.add_argument(
            "--listen",
            default="127.0.0.1:6081",
            help="where varnishd listens, for the command line in the header comment "
            "(default: %(default)s)",
        )
        parser.add_argument(
            "--purge-allow",
            nargs="+",
            action="extend",
            metavar="IP",
            help="addresses (or CIDRs) that may PURGE, i.e. the Django servers "
            "(default: 127.0.0.1 ::1)",
        )
        parser.add_argument(
            "--grace",
            type=int,
            default=10,
            metavar="N",
            help="seconds a soft-purged page may be served stale (default: %(default)s)",
        )

    def handle_varnish(
        self,
        *,
        backend: str,
        listen: str,
        purge_allow: list[str] | None,
        grace: int,
        **options: Any,
    ) -> None:
        """The VCL on stdout, headed by the varnishd command line that runs it."""
        header = conf.SURROGATE_HEADER or "xkey"
        try:
            vcl = render_vcl(
                backend=backend,
                purge_allow=purge_allow or ("127.0.0.1", "::1"),
                bypass_cookies=conf.EDGE_BYPASS_COOKIES,
                surrogate_header=header,
                grace=grace,
            )
        except VclConfigError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"# Run: varnishd -a {listen} -f /path/to/this.vcl -s malloc,256m\n")
        self.stdout.write(vcl, ending="")
        if conf.SURROGATE_HEADER is None:
            self.stderr.write(
                "Note: HERDCACHE['SURROGATE_HEADER'] is None, so pages carry no keys and only "
                'URL purges reach Varnish; set it to "xkey".'
            )

    # output ---------------------------------------------------------------------------------

    def _print(self, headers: list[str], rows: list[list[str]], *, right: list[bool]) -> None:
        """Write an aligned table through ``self.stdout`` (so ``call_command`` captures it)."""
        # Django's style is plain unless stdout is a terminal (or --force-color).
        table = render_table(headers, rows, right=right, bold=self.style.MIGRATE_HEADING)
        self.stdout.write(table, ending="")


def _positive(kind: Callable[[str], Any]) -> Callable[[str], Any]:
    """An argparse type: ``kind`` (int or float) above zero, or a usage error naming the value."""

    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or not value > 0 or value == float("inf"):
            raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
        return value

    return parse


def _past(deadline: float | None) -> bool:
    return deadline is not None and time.monotonic() >= deadline
