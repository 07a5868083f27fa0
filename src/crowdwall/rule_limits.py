"""How many and how long: the bounds of a wall's rules and bans, in one place.

Every entry point (the API, the admin, ``manage.py crowdwall add-wall``, the moderation screen)
validates through the models (``Wall.clean``, ``BannedAuthor.clean``, ``BannedWord.clean``),
which check these bounds; docs/security.md lists them. They keep one wall from making matching
slow for every post of every source (each keyword is tried on each post) and keep pages and API
answers a sane size. Framework-free.

==================  =========  ==================
rule                per wall   characters each
==================  =========  ==================
hashtags            100        100
keywords            100        200
accounts            1,000      255
languages           50         35
banned words        1,000      200
banned authors      10,000     255
==================  =========  ==================
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["LIMITS", "RuleLimit", "list_errors"]


@dataclass(frozen=True)
class RuleLimit:
    """At most ``count`` entries of at most ``length`` characters each."""

    noun: str  # plural, as in "At most 100 hashtags"
    count: int
    length: int


LIMITS: dict[str, RuleLimit] = {
    "hashtags": RuleLimit("hashtags", 100, 100),
    "keywords": RuleLimit("keywords", 100, 200),
    "accounts": RuleLimit("accounts", 1_000, 255),
    "languages": RuleLimit("languages", 50, 35),
    "banned_words": RuleLimit("banned words", 1_000, 200),
    "banned_authors": RuleLimit("banned authors", 10_000, 255),
}


def list_errors(field: str, values: Sequence[str]) -> list[str]:
    """What is wrong with ``values`` as the ``field`` list of a wall (empty: within bounds).

    Too long entries are named by their first characters only: an error must not echo a
    megabyte back."""
    limit = LIMITS[field]
    errors = []
    if len(values) > limit.count:
        errors.append(f"At most {limit.count:,} {limit.noun} ({len(values):,} given).")
    long = [value for value in values if len(value) > limit.length]
    if long:
        errors.append(
            f"{limit.noun.capitalize()} have at most {limit.length} characters: "
            f"{_excerpt(long[0])} has {len(long[0]):,}."
        )
    return errors


def _excerpt(value: str) -> str:
    return repr(value if len(value) <= 20 else value[:20] + "…")
