"""System checks for the API settings (ids ``crowdwall.E040``–``E043``, ``crowdwall.W040``).

Registered by ``crowdwall.checks`` (imported there). Token values never appear in a message:
a check's output lands in logs and CI transcripts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.db import DatabaseError

from crowdwall.conf import DEFAULTS

MIN_TOKEN_LENGTH = 16  # shorter tokens can be guessed


def _merged() -> dict[str, Any]:
    user = getattr(settings, "CROWDWALL", {})
    return {**DEFAULTS, **(user if isinstance(user, dict) else {})}


@register()
def check_api_settings(
    app_configs: Sequence[Any] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """API_TOKENS is {token: username} with long tokens; the rate and sizes are well formed."""
    from crowdwall.api.pagination import MAX_LIMIT
    from crowdwall.api.throttling import parse_rate

    merged = _merged()
    errors: list[CheckMessage] = []
    tokens = merged["API_TOKENS"]
    if not isinstance(tokens, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v for k, v in tokens.items()
    ):
        errors.append(
            Error(
                "CROWDWALL['API_TOKENS'] must map token strings to usernames.",
                id="crowdwall.E040",
            )
        )
    elif any(len(token) < MIN_TOKEN_LENGTH for token in tokens):
        short = sorted(name for token, name in tokens.items() if len(token) < MIN_TOKEN_LENGTH)
        errors.append(
            Error(
                f"CROWDWALL['API_TOKENS'] has tokens shorter than {MIN_TOKEN_LENGTH} characters "
                f"(for {', '.join(short)}).",
                hint="Generate them with: python -c 'import secrets; print(secrets.token_urlsafe(32))'",
                id="crowdwall.E041",
            )
        )
    rate = merged["API_ANON_RATE"]
    if rate:
        try:
            parse_rate(rate if isinstance(rate, str) else repr(rate))
        except ValueError as exc:
            errors.append(Error(f"CROWDWALL['API_ANON_RATE']: {exc}", id="crowdwall.E042"))
    size, seconds = merged["API_PAGE_SIZE"], merged["API_CACHE_SECONDS"]
    if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= MAX_LIMIT:
        errors.append(
            Error(
                f"CROWDWALL['API_PAGE_SIZE'] must be an integer from 1 to {MAX_LIMIT}, not {size!r}.",
                id="crowdwall.E043",
            )
        )
    if not isinstance(seconds, int) or isinstance(seconds, bool) or seconds < 0:
        errors.append(
            Error(
                f"CROWDWALL['API_CACHE_SECONDS'] must be an integer >= 0, not {seconds!r}.",
                id="crowdwall.E043",
            )
        )
    return errors


@register(Tags.database)
def check_api_token_users(
    app_configs: Sequence[Any] | None = None, databases: Sequence[str] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Each API token names a user with access (``manage.py check --database default``)."""
    tokens = _merged()["API_TOKENS"]
    if not databases or not isinstance(tokens, dict):
        return []
    from django.contrib.auth import get_user_model

    from crowdwall.moderation.access import may_enter

    manager = get_user_model()._default_manager
    names = sorted({name for name in tokens.values() if isinstance(name, str)})
    try:
        users = {user.get_username(): user for user in manager.filter(username__in=names)}
    except DatabaseError:  # ``migrate`` runs database checks before the tables exist
        return []
    unusable = [name for name in names if not may_enter(users.get(name))]
    if not unusable:
        return []
    return [
        Warning(
            f"CROWDWALL['API_TOKENS'] names users that are missing, inactive, or neither staff nor holding a role: "
            f"{', '.join(unusable)}; their tokens are refused (401).",
            id="crowdwall.W040",
        )
    ]
