"""``manage.py crowdwall lister``: the Django side of ``crowdwall.sources.mastodon.lister``
(options, the wall and source from the database, the report)."""

from __future__ import annotations

import asyncio
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from crowdwall.exceptions import SourceError
from crowdwall.models import Source, Wall
from crowdwall.sources.mastodon.client import MastodonHTTPError
from crowdwall.sources.mastodon.lister import MAX_WAIT, ListSync, sync_list, tracked_accounts


def add_lister_arguments(parser: CommandParser) -> None:
    parser.add_argument("--wall", required=True, help="the wall's slug")
    parser.add_argument(
        "--source", required=True, help="the wall's Mastodon source (name or id): server, token"
    )
    parser.add_argument("--list", required=True, dest="title", help="the list's title")
    parser.add_argument("--dry-run", action="store_true", help="report, change nothing")
    parser.add_argument(
        "--no-follow",
        action="store_true",
        help="do not follow accounts first (Mastodon lists only hold followed accounts)",
    )
    parser.add_argument(
        "--max-wait",
        type=float,
        default=MAX_WAIT,
        help=f"longest rate-limit wait to sit out, in seconds (default {MAX_WAIT:.0f})",
    )


def _source(wall: Wall, name: str) -> Source:
    sources = Source.objects.filter(wall=wall, kind="mastodon")
    found = sources.filter(name=name).first()
    if found is None and name.isdigit():
        found = sources.filter(pk=int(name)).first()
    if found is None:
        names = ", ".join(sources.values_list("name", flat=True)) or "none"
        raise CommandError(
            f"Wall {wall.slug!r} has no Mastodon source {name!r} (its Mastodon sources: {names})."
        )
    return found


def report(result: ListSync) -> list[str]:
    """The run as lines of text, changes first."""
    would = "would be " if result.dry_run else ""
    lines = [
        f"List {result.title!r}: {would}created"
        if result.created
        else f"List {result.title!r} (id {result.list_id})"
    ]
    lines += [f"  followed {m.acct} ({m.id})" for m in result.followed]
    lines += [
        f"  + {m.acct} ({m.id}){' (would add)' if result.dry_run else ''}" for m in result.added
    ]
    lines += [f"  - {m.acct} ({m.id}){' (would remove)' if result.dry_run else ''}" for m in result.removed]  # fmt: skip
    lines += [f"  ! not added: {m.acct} ({m.id}): {why}" for m, why in result.failed]
    lines += [f"  ? unknown account {entry}: {why}" for entry, why in result.unknown]
    verb = "to add" if result.dry_run else "added"
    lines.append(
        f"{len(result.added)} {verb}, {len(result.removed)} "
        f"{'to remove' if result.dry_run else 'removed'}, {len(result.unchanged)} unchanged, "
        f"{len(result.unknown)} unknown, {len(result.failed)} failed."
    )
    return lines


def run_lister_command(command: BaseCommand, options: dict[str, Any]) -> None:
    """Sync the list; unknown accounts are reported (stderr), refusals end with CommandError."""
    wall = Wall.objects.filter(slug=options["wall"]).first()
    if wall is None:
        raise CommandError(f"No wall with slug {options['wall']!r}.")
    source = _source(wall, options["source"])
    accounts = tracked_accounts(wall.accounts, source.config.get("accounts") or [])
    if not accounts:
        raise CommandError(
            f"Wall {wall.slug!r} tracks no accounts (Wall.accounts, source accounts)."
        )
    if not source.secret:
        raise CommandError(
            f"Source {source.name!r} has no access token: set its secret to a user token with "
            "read:lists, write:lists, read:follows and write:follows."
        )
    if options["max_wait"] < 0:
        raise CommandError("--max-wait must be >= 0.")
    try:
        result = asyncio.run(
            sync_list(
                source.config["instance"],
                source.secret,
                options["title"],
                accounts,
                dry_run=options["dry_run"],
                follow=not options["no_follow"],
                max_wait=options["max_wait"],
            )
        )
    except MastodonHTTPError as exc:
        hint = " (is the token valid, with the list scopes?)" if exc.status in (401, 403) else ""
        raise CommandError(f"{exc}{hint}") from exc
    except SourceError as exc:
        raise CommandError(str(exc)) from exc
    for line in report(result):
        stream = command.stderr if line.lstrip().startswith(("?", "!")) else command.stdout
        stream.write(line)
