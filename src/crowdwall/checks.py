"""System checks for crowdwall's settings (``manage.py check``): ids ``crowdwall.E0xx``."""

from __future__ import annotations

import inspect
import ipaddress
import os
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from django.apps import apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register
from django.utils.module_loading import import_string

from crowdwall.api import checks as api_checks  # noqa: F401  (registers the API's checks)
from crowdwall.conf import DEFAULTS

_POSITIVE_INTS = (
    "BATCH_SIZE",
    "MAX_POST_BYTES",
    "MAX_TEXT_LENGTH",
    "ARCHIVE_PAGE_SIZE",
    "ARCHIVE_CACHE_SECONDS",
    "LIVE_CATCH_UP_LIMIT",
    "AGGREGATES_CACHE_SECONDS",
    "AGGREGATES_STALE_SECONDS",
    "LIVE_FIGURES_TOP",
    "WEBHOOK_MAX_BYTES",
    "WEBHOOK_TOLERANCE_SECONDS",
    "LIVE_SOCKET_BACKLOG",
    "PREPARE_MIN_BATCH",
    "SCREENS_PER_WALL",
)
MAX_REACTION_POSTS = 100  # pending posts asked about per wall and round, at most
MAX_REACTION_PAGES = 10  # pages of one favourites/boosts list per check, at most
MAX_FIGURES_TOP = 100  # entries per top list in a live frame at most
_NON_NEGATIVE = (
    "MAX_MEDIA",
    "FUTURE_TOLERANCE",
    "LIVE_COALESCE_MS",
    "LIVE_FIGURES_INTERVAL",
    "ROBOTS_CACHE_SECONDS",
)
_POSITIVE = (
    "RESTART_BASE_DELAY",
    "RESTART_MAX_DELAY",
    "LIVE_HEARTBEAT_SECONDS",
    "SCREEN_HEARTBEAT_SECONDS",
)


@register()
def check_settings(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[CheckMessage]:
    """Validate ``settings.CROWDWALL`` and that herdcache (which caches the pages) is installed."""
    errors: list[CheckMessage] = []
    if not apps.is_installed("herdcache"):
        errors.append(
            Error(
                "crowdwall needs 'herdcache' in INSTALLED_APPS (it caches the wall pages).",
                id="crowdwall.E006",
            )
        )
    user = getattr(settings, "CROWDWALL", {})
    if not isinstance(user, dict):
        return [*errors, Error("CROWDWALL must be a dict.", id="crowdwall.E001")]
    unknown = sorted(set(user) - set(DEFAULTS))
    if unknown:
        errors.append(
            Error(
                f"Unknown CROWDWALL setting(s): {', '.join(unknown)}.",
                hint=f"Known settings: {', '.join(sorted(DEFAULTS))}.",
                id="crowdwall.E002",
            )
        )
    merged = {**DEFAULTS, **user}
    errors += _check_publisher(merged["PUBLISHER"])
    errors += _check_numbers(merged)
    errors += _check_blocklist(merged["BLOCKLIST"])
    errors += _check_live_transport(merged)
    errors += _check_replay_dirs(merged["REPLAY_DIRS"])
    errors += _check_contact(merged["CONTACT_URL"], merged["USER_AGENT"])
    errors += _check_networks(merged["SOURCE_TEST_ALLOWED_NETWORKS"])
    errors += _check_reactions(merged)
    if not isinstance(merged["PER_WALL_ROLES"], bool):
        errors.append(
            Error(
                f"CROWDWALL['PER_WALL_ROLES'] must be True or False, "
                f"not {merged['PER_WALL_ROLES']!r}.",
                id="crowdwall.E190",
            )
        )
    if merged["WEBHOOK_ALLOW_BODY_ONLY_SIGNATURES"]:
        errors.append(
            Warning(
                "CROWDWALL['WEBHOOK_ALLOW_BODY_ONLY_SIGNATURES'] accepts webhook deliveries "
                "signed without a timestamp: a captured delivery can be replayed at any time.",
                hint="Have senders send X-Crowdwall-Timestamp and turn this off.",
                id="crowdwall.W010",
            )
        )
    return errors


def _check_contact(contact: Any, agent: Any) -> list[CheckMessage]:
    """CONTACT_URL: an http(s) or mailto URL (it goes into headers and pages); USER_AGENT: one
    line of printable ASCII, or None for the default."""
    errors: list[CheckMessage] = []
    scheme = urlsplit(contact).scheme if isinstance(contact, str) else ""
    if not isinstance(contact, str) or (
        contact and (scheme not in ("http", "https", "mailto") or not contact.isprintable())
    ):
        errors.append(
            Error(
                f"CROWDWALL['CONTACT_URL'] must be an https://, http:// or mailto: URL (or ''), "
                f"not {contact!r}.",
                id="crowdwall.E060",
            )
        )
    if agent is not None and not (
        isinstance(agent, str) and agent.strip() and agent.isascii() and agent.isprintable()
    ):
        errors.append(
            Error(
                f"CROWDWALL['USER_AGENT'] must be one line of printable ASCII, not {agent!r}.",
                hint="None sends crowdwall/<version> (+<CONTACT_URL>).",
                id="crowdwall.E061",
            )
        )
    return errors


def _check_networks(value: Any) -> list[CheckMessage]:
    """``SOURCE_TEST_ALLOWED_NETWORKS``: a list of CIDRs (or single addresses)."""
    problem = "must be a list of networks such as '10.0.0.0/8'"
    if isinstance(value, str) or not isinstance(value, list | tuple):
        return [Error(f"CROWDWALL['SOURCE_TEST_ALLOWED_NETWORKS'] {problem}.", id="crowdwall.E070")]
    errors: list[CheckMessage] = []
    for network in value:
        try:
            ipaddress.ip_network(str(network), strict=False)
        except ValueError:
            errors.append(
                Error(
                    f"CROWDWALL['SOURCE_TEST_ALLOWED_NETWORKS']: {network!r} is no network "
                    f"({problem}).",
                    id="crowdwall.E070",
                )
            )
    return errors


def _check_publisher(path: Any) -> list[CheckMessage]:
    from crowdwall.ingest.publisher import Publisher

    if not isinstance(path, str):
        return [Error("CROWDWALL['PUBLISHER'] must be a dotted path.", id="crowdwall.E003")]
    try:
        target = import_string(path)
    except ImportError as exc:
        return [
            Error(
                f"CROWDWALL['PUBLISHER'] = {path!r} cannot be imported: {exc}", id="crowdwall.E003"
            )
        ]
    ok = isinstance(target, Publisher) or (
        issubclass(target, Publisher) if inspect.isclass(target) else callable(target)
    )
    if not ok:
        return [
            Error(
                f"CROWDWALL['PUBLISHER'] = {path!r} is not a Publisher.",
                hint="Name a crowdwall.ingest.publisher.Publisher subclass, instance or factory.",
                id="crowdwall.E003",
            )
        ]
    return []


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_numbers(merged: dict[str, Any]) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    for name in _POSITIVE_INTS:
        value = merged[name]
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            errors.append(
                Error(
                    f"CROWDWALL['{name}'] must be a positive integer, not {value!r}.",
                    id="crowdwall.E004",
                )
            )
    top = merged["LIVE_FIGURES_TOP"]
    if isinstance(top, int) and top > MAX_FIGURES_TOP:
        errors.append(
            Error(
                f"CROWDWALL['LIVE_FIGURES_TOP'] must be at most {MAX_FIGURES_TOP}, not {top!r}.",
                hint="Every live page receives the lists after each change: keep them short.",
                id="crowdwall.E004",
            )
        )
    for name in _NON_NEGATIVE:
        if not _number(merged[name]) or merged[name] < 0:
            errors.append(
                Error(
                    f"CROWDWALL['{name}'] must be a number >= 0, not {merged[name]!r}.",
                    id="crowdwall.E004",
                )
            )
    for name in _POSITIVE:
        if not _number(merged[name]) or merged[name] <= 0:
            errors.append(
                Error(
                    f"CROWDWALL['{name}'] must be a number > 0, not {merged[name]!r}.",
                    id="crowdwall.E004",
                )
            )
    processes = merged["PREPARE_PROCESSES"]
    if processes is not None and (
        not isinstance(processes, int) or isinstance(processes, bool) or processes < 0
    ):
        errors.append(
            Error(
                f"CROWDWALL['PREPARE_PROCESSES'] must be None (automatic) or an integer >= 0, "
                f"not {processes!r}.",
                id="crowdwall.E004",
            )
        )
    base, cap = merged["RESTART_BASE_DELAY"], merged["RESTART_MAX_DELAY"]
    if _number(base) and _number(cap) and cap < base:
        errors.append(
            Error(
                "CROWDWALL['RESTART_MAX_DELAY'] must be >= RESTART_BASE_DELAY.", id="crowdwall.E007"
            )
        )
    return errors


def _check_blocklist(value: Any) -> list[CheckMessage]:
    from crowdwall.ingest.match import parse_keyword

    try:
        words = import_string(value) if isinstance(value, str) else value
        words = list(words)
    except (ImportError, TypeError) as exc:
        return [Error(f"CROWDWALL['BLOCKLIST'] cannot be loaded: {exc}", id="crowdwall.E005")]
    problems = []
    for word in words:
        if not isinstance(word, str):
            problems.append(repr(word))
            continue
        try:
            parse_keyword(word)
        except ValueError as exc:
            problems.append(f"{word!r} ({exc})")
    if problems:
        return [
            Error(
                f"CROWDWALL['BLOCKLIST'] has invalid entries: {', '.join(problems[:5])}.",
                hint="Entries use the keyword syntax of crowdwall.ingest.match.",
                id="crowdwall.E005",
            )
        ]
    return []


_TRANSPORTS = ("channels", "nchan")
_NCHAN_PUBLISHER = "crowdwall.live.nchan.NchanPublisher"


def _check_replay_dirs(value: Any) -> list[CheckMessage]:
    """REPLAY_DIRS: a list of absolute paths of existing directories."""
    if isinstance(value, str | os.PathLike) or not isinstance(value, list | tuple):
        return [
            Error(
                "CROWDWALL['REPLAY_DIRS'] must be a list of directories.",
                hint='For example ["/srv/crowdwall/replays"].',
                id="crowdwall.E050",
            )
        ]
    errors: list[CheckMessage] = []
    for folder in value:
        if not isinstance(folder, str | os.PathLike) or not os.path.isabs(folder):
            problem = "is not an absolute path"
        elif not os.path.isdir(folder):
            problem = "is not a directory"
        else:
            continue
        errors.append(
            Error(f"CROWDWALL['REPLAY_DIRS']: {folder!r} {problem}.", id="crowdwall.E050")
        )
    return errors


def _check_live_transport(merged: dict[str, Any]) -> list[CheckMessage]:
    """LIVE_TRANSPORT is known; nchan needs a publish URL and the nchan publisher."""
    transport = merged["LIVE_TRANSPORT"]
    if transport not in _TRANSPORTS:
        return [
            Error(
                f"CROWDWALL['LIVE_TRANSPORT'] must be one of {', '.join(_TRANSPORTS)}, "
                f"not {transport!r}.",
                id="crowdwall.E030",
            )
        ]
    if transport != "nchan":
        return []
    messages: list[CheckMessage] = []
    url = merged["NCHAN_PUBLISH_URL"]
    parts = urlsplit(url) if isinstance(url, str) else None
    if not parts or parts.scheme != "http" or not parts.hostname or not parts.path.endswith("/"):
        messages.append(
            Error(
                f"CROWDWALL['LIVE_TRANSPORT'] is 'nchan' but NCHAN_PUBLISH_URL is {url!r}.",
                hint="Set it to the generated config's publisher location, e.g. "
                "'http://127.0.0.1:8089/_nchan/pub/'.",
                id="crowdwall.E031",
            )
        )
    if merged["PUBLISHER"] != _NCHAN_PUBLISHER:
        messages.append(
            Warning(
                "CROWDWALL['LIVE_TRANSPORT'] is 'nchan' but PUBLISHER is "
                f"{merged['PUBLISHER']!r}: pages subscribed to nchan get no live posts.",
                hint=f"Set CROWDWALL['PUBLISHER'] = {_NCHAN_PUBLISHER!r}.",
                id="crowdwall.W030",
            )
        )
    return messages


def _check_reactions(merged: dict[str, Any]) -> list[CheckMessage]:
    """The trusted-reactions bounds (``crowdwall.moderation.reactions``): each one keeps the
    requests to other servers few, so none may be missing, negative or unbounded."""
    problems: list[tuple[str, str]] = []
    interval = merged["TRUSTED_REACTIONS_INTERVAL"]
    if not _number(interval) or interval < 0:
        problems.append(("TRUSTED_REACTIONS_INTERVAL", "a number >= 0 (0: off)"))
    for name in ("TRUSTED_REACTIONS_RECHECK_SECONDS", "TRUSTED_REACTIONS_MAX_AGE"):
        if not _number(merged[name]) or merged[name] <= 0:
            problems.append((name, "a number > 0"))
    for name, most in (
        ("TRUSTED_REACTIONS_POSTS", MAX_REACTION_POSTS),
        ("TRUSTED_REACTIONS_PAGES", MAX_REACTION_PAGES),
    ):
        value = merged[name]
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= most:
            problems.append((name, f"an integer from 1 to {most}"))
    return [
        Error(
            f"CROWDWALL['{name}'] must be {expected}, not {merged[name]!r}.",
            hint="Each round asks other servers about POSTS posts per wall, PAGES pages each.",
            id="crowdwall.E200",
        )
        for name, expected in problems
    ]
