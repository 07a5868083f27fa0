"""``manage.py crowdwall add-source``: a source for a wall from the command line."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from crowdwall.models import Source, Wall
from crowdwall.sources.kinds import KINDS, MAX_RATE
from crowdwall.states import SourceScope


def bounded_number(low: float, what: str) -> Callable[[str], float]:
    """An argparse type: a finite number from ``low`` to ``MAX_RATE`` (``what`` names it)."""

    def parse(value: str) -> float:
        try:
            number = float(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
        if not low <= number <= MAX_RATE:  # NaN fails this too
            raise argparse.ArgumentTypeError(f"must be from {low:g} to {MAX_RATE:g}, not {value!r}")
        return number

    parse.__doc__ = f"An argparse type: {what}, finite, from {low:g} to {MAX_RATE:g}."
    return parse


rate_argument = bounded_number(0, "posts per second")


def validation_message(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
    return " ".join(exc.messages)


def add_add_source_arguments(parser: CommandParser) -> None:
    """The options of ``add-source``."""
    parser.add_argument("wall", help="the wall's slug")
    parser.add_argument("kind", choices=list(KINDS))
    parser.add_argument("--name", help="unique per wall (default: the kind)")
    parser.add_argument("--url", help="instance (mastodon), endpoint (bluesky), feed (rss)")
    parser.add_argument("--secret", default="", help="webhook secret or API token")
    parser.add_argument(
        "--hashtag",
        action="append",
        dest="hashtags",
        metavar="TAG",
        help="mastodon: hashtags to follow (default: the wall's)",
    )
    parser.add_argument("--path", help="replay: JSONL file (default: the bundled demo data)")
    parser.add_argument("--rate", type=rate_argument, help="replay: posts per second")
    parser.add_argument("--loop", action="store_true", help="replay: start over at the end")
    parser.add_argument("--config", help="more config as a JSON object")
    parser.add_argument(
        "--include-all",
        action="store_true",
        help="every post of this source belongs to the wall",
    )
    parser.add_argument(
        "--scope",
        choices=list(SourceScope.values),
        help="own: its posts reach its wall only; any: every wall whose rules match "
        "(default per kind; webhooks: always own)",
    )
    parser.add_argument("--disabled", action="store_true")


def run_add_source_command(command: BaseCommand, options: dict[str, Any]) -> None:
    """Add a source to a wall from the command line; CommandError for anything invalid."""
    wall, kind = options["wall"], options["kind"]
    try:
        wall_obj = Wall.objects.get(slug=wall)
    except Wall.DoesNotExist:
        raise CommandError(f"No wall with slug {wall!r}.") from None
    config: dict[str, Any] = {}
    if options["config"]:
        try:
            config = json.loads(options["config"])
        except json.JSONDecodeError as exc:
            raise CommandError(f"--config is not JSON: {exc}") from exc
        if not isinstance(config, dict):
            raise CommandError("--config must be a JSON object.")
    spec = KINDS[kind]
    if options["url"]:
        if spec.url_key is None:
            raise CommandError(f"--url does not apply to {kind} sources.")
        config[spec.url_key] = options["url"]
    for key in ("path", "rate", "hashtags"):
        if options[key] is not None:
            config[key] = options[key]
    if options["loop"]:
        config["loop"] = True
    source = Source(
        wall=wall_obj,
        name=options["name"] or kind,
        kind=kind,
        config=config,
        secret=options["secret"],
        include_all=options["include_all"],
        scope=options["scope"] or "",
        enabled=not options["disabled"],
    )
    try:
        source.full_clean()
    except ValidationError as exc:
        raise CommandError(f"Invalid source: {validation_message(exc)}") from exc
    source.save()
    note = "" if spec.adapter else f" (note: {kind} sources cannot stream yet)"
    command.stdout.write(
        command.style.SUCCESS(f"Source {source.name!r} ({kind}) added to {wall_obj.slug!r}{note}.")
    )
