"""System checks for the downstream settings (ids ``herdcache.E030``-``E032``, ``W030``-``W031``)."""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlsplit

from django.core.checks import CheckMessage, Error, Warning

from herdcache.downstream.tiers import KINDS, OPTIONAL, REQUIRED
from herdcache.surrogate import VENDORS

# The header each CDN reads its keys from (Varnish's VCL copies any of them into xkey).
_READS = {"fastly": "Surrogate-Key", "cloudflare": "Cache-Tag"}


def check_downstream(merged: dict[str, Any]) -> list[CheckMessage]:
    """Validate SURROGATE_HEADER, DOWNSTREAM and DOWNSTREAM_QUEUE_SIZE."""
    errors: list[CheckMessage] = []
    header = merged["SURROGATE_HEADER"]
    if header is not None and header not in VENDORS:
        errors.append(
            Error(
                f"HERDCACHE['SURROGATE_HEADER'] = {header!r} is not a known surrogate header.",
                hint=f"One of None, {', '.join(repr(name) for name in VENDORS)}.",
                id="herdcache.E030",
            )
        )
    size = merged["DOWNSTREAM_QUEUE_SIZE"]
    if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
        errors.append(
            Error(
                f"HERDCACHE['DOWNSTREAM_QUEUE_SIZE'] must be a positive integer, not {size!r}.",
                id="herdcache.E032",
            )
        )
    tiers = merged["DOWNSTREAM"]
    if not isinstance(tiers, list | tuple):
        return [*errors, _bad_tier(tiers, "DOWNSTREAM must be a list of dicts")]
    for tier in tiers:
        problem = _tier_problem(tier)
        if problem:
            errors.append(_bad_tier(tier, problem))
            continue
        reads = _READS.get(tier["kind"])
        if header is None:
            errors.append(
                Warning(
                    f"HERDCACHE['DOWNSTREAM'] has {tier['kind']!r} but SURROGATE_HEADER is None: "
                    "pages carry no keys there, so purges by tag never reach it.",
                    hint=f"Set HERDCACHE['SURROGATE_HEADER'] to {reads or 'xkey'!r}.",
                    id="herdcache.W030",
                )
            )
        elif reads is not None and header in VENDORS and header != reads:
            errors.append(
                Warning(
                    f"{tier['kind']} reads keys from {reads}, but SURROGATE_HEADER is {header!r}.",
                    hint=f"Set HERDCACHE['SURROGATE_HEADER'] to {reads!r}.",
                    id="herdcache.W031",
                )
            )
    return errors


def _tier_problem(tier: object) -> str | None:
    """What is wrong with one DOWNSTREAM entry, or None."""
    if not isinstance(tier, dict):
        return "each entry must be a dict"
    kind = tier.get("kind")
    if kind not in KINDS:
        return f"'kind' must be one of {', '.join(KINDS)}"
    missing = [name for name in REQUIRED[kind] if not tier.get(name)]
    if missing:
        return f"{kind} needs {', '.join(repr(name) for name in missing)}"
    unknown = sorted(set(tier) - {"kind", *REQUIRED[kind], *OPTIONAL})
    if unknown:
        return f"unknown keys {', '.join(map(repr, unknown))}"
    urls = tier.get("urls", [])
    urls = [urls] if isinstance(urls, str) else urls
    base = [tier["base_url"]] if tier.get("base_url") else []
    for url in [*urls, *base]:
        parts = urlsplit(url if "://" in str(url) else f"http://{url}")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return f"{url!r} is not an http(s) URL"
    for name in ("timeout", "backoff"):
        value = tier.get(name, 1)
        if not isinstance(value, int | float) or isinstance(value, bool) or not value > 0:
            return f"{name!r} must be a positive number of seconds"
        if not math.isfinite(value):
            return f"{name!r} must be finite"
    for name, least in (("retries", 0), ("batch", 1)):
        value = tier.get(name, least)
        if not isinstance(value, int) or isinstance(value, bool) or value < least:
            return f"{name!r} must be an integer >= {least}"
    return None


def _bad_tier(tier: object, problem: str) -> Error:
    return Error(
        f"HERDCACHE['DOWNSTREAM'] entry {tier!r} is unusable: {problem}.",
        hint="e.g. {'kind': 'varnish', 'urls': ['http://127.0.0.1:6081']}, "
        "{'kind': 'fastly', 'service': ID, 'token': TOKEN}, "
        "{'kind': 'cloudflare', 'zone': ID, 'token': TOKEN}.",
        id="herdcache.E031",
    )
