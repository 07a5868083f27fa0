"""What each rule of a wall will match, in words: the console's immediate feedback.

Read from the matcher's own parsers (``parse_keyword``, ``normalize_hashtag``...), so the
sentence shown is what ingest will do; the page shows it under each list, and ``console.js``
asks ``views.rules`` for it while the organiser types.
"""

from __future__ import annotations

from dataclasses import dataclass

from crowdwall.ingest.match import (
    normalize_account,
    normalize_hashtag,
    normalize_language,
    parse_keyword,
)

FIELDS = (
    "hashtags",
    "keywords",
    "accounts",
    "languages",
    "banned_words",
    "banned_authors",
    "trusted_accounts",
)
MAX_LINES = 200  # lines described per request: feedback, not a bulk service


@dataclass(frozen=True, slots=True)
class Meaning:
    """One line of a list setting: what it will match, or what is wrong with it."""

    rule: str
    means: str = ""
    error: str = ""


def _keyword(line: str) -> Meaning:
    try:
        rule = parse_keyword(line)
    except ValueError as exc:
        return Meaning(line, error=str(exc))
    case = " (case-sensitive)" if rule.case_sensitive else " (any case)"
    if rule.kind == "phrase":
        return Meaning(line, f"the exact phrase “{rule.terms[0]}”{case}")
    if rule.kind == "all":
        return Meaning(line, f"posts with all these words: {', '.join(rule.terms)}{case}")
    if rule.kind == "prefix":
        return Meaning(line, f"words starting with “{rule.terms[0]}”{case}")
    return Meaning(line, f"the word “{rule.terms[0]}”{case}")


def _hashtag(line: str) -> Meaning:
    tag = normalize_hashtag(line)
    if not tag:
        return Meaning(line, error="Empty hashtag.")
    if " " in tag:
        return Meaning(line, error="A hashtag cannot contain spaces.")
    return Meaning(line, f"posts tagged #{tag} (any case)")


def _account(line: str) -> Meaning:
    account = normalize_account(line)
    if account in ("", "@"):
        return Meaning(line, error="Name an account id or @handle.")
    if account.startswith("@"):
        return Meaning(line, f"the account {account} (by handle: a renamed account is missed)")
    return Meaning(line, f"the account with id {account}")


def _language(line: str) -> Meaning:
    code = normalize_language(line)
    if not code:
        return Meaning(line, error=f"Not a language code: {line}.")
    return Meaning(line, f"posts in language “{code}” (posts without a language pass too)")


_DESCRIBE = {
    "hashtags": _hashtag,
    "keywords": _keyword,
    "accounts": _account,
    "languages": _language,
    "banned_words": _keyword,
    "banned_authors": _account,
    "trusted_accounts": _account,
}


def describe(field: str, lines: list[str]) -> list[Meaning]:
    """What each of ``lines`` of the list setting ``field`` will match (``ValueError`` for an
    unknown field)."""
    if field not in _DESCRIBE:
        raise ValueError(f"Unknown field {field!r}; known: {', '.join(FIELDS)}.")
    explain = _DESCRIBE[field]
    return [explain(line.strip()) for line in lines[:MAX_LINES] if line.strip()]
