"""Surrogate keys: a page's tags in the response header a cache in front purges by.

Three headers, each with its vendor's rules (``VENDORS``):

- ``xkey`` (Varnish's xkey vmod): keys separated by spaces (or commas). No key limit of its own,
  but Varnish refuses a response header line over ``http_resp_hdr_len`` (8 KB by default).
- ``Surrogate-Key`` (Fastly): space-separated; a key over 1024 bytes, or anything past 16,384
  bytes of header, is ignored by Fastly together with every key after it.
- ``Cache-Tag`` (Cloudflare): comma-separated, whitespace removed, case-insensitive; the header
  may not exceed 16 KB.

A tag goes out as it is when it is visible ASCII without a comma and short enough; otherwise as
``hc:h:`` + a hash of it (the purge side hashes the same way). When the keys do not all fit, the
first ones are kept in order (a page's own tags come first, tracked tables and rows after) and
every key past the budget is replaced by its *bucket* key ``hc:b:NN`` (one of 256). A purge of a
key also purges its bucket (``purge_keys``), so a page whose key was dropped is still purged,
with at most 1/256 of the other overflowing pages. Keys starting with ``hc:`` are herdcache's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from herdcache import tracking

if TYPE_CHECKING:
    from django.http import HttpResponseBase

    from herdcache.pages import PagePlan


@dataclass(frozen=True)
class Vendor:
    """How one header spells its keys and how much of it the vendor reads."""

    separator: str
    max_key: int  # bytes per key
    max_header: int  # bytes of the whole value


VENDORS: dict[str, Vendor] = {
    "xkey": Vendor(" ", 1024, 8000),
    "Surrogate-Key": Vendor(" ", 1024, 16384),
    # Cloudflare says "16 KB": read as 16,000 bytes, which fits either meaning.
    "Cache-Tag": Vendor(",", 1024, 16000),
}
HASHED, BUCKET = "hc:h:", "hc:b:"
BUCKETS = 256


def vendor(header: str) -> Vendor:
    """The rules of ``header`` (one of ``VENDORS``, any case)."""
    for name, rules in VENDORS.items():
        if name.lower() == header.lower():
            return rules
    raise ValueError(f"unknown surrogate header {header!r}; known: {', '.join(VENDORS)}")


def encode(tag: str, rules: Vendor) -> str:
    """``tag`` as a key every vendor accepts: itself, or its hash when it has other characters."""
    # Visible ASCII without the comma (xkey's and Cache-Tag's separator: one spelling for all).
    visible = all(33 <= ord(c) <= 126 and c != "," for c in tag)
    if tag and visible and len(tag.encode()) <= rules.max_key:
        return tag
    return HASHED + hashlib.sha256(tag.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def bucket(key: str) -> str:
    """The bucket key standing for ``key`` on pages whose header had no room for it."""
    return f"{BUCKET}{hashlib.sha256(key.encode()).digest()[0] % BUCKETS:02x}"


def header_value(tags: Iterable[str], header: str) -> str:
    """The header value for ``tags``: encoded keys in order, overflow replaced by bucket keys."""
    rules = vendor(header)
    keys = list(dict.fromkeys(encode(tag, rules) for tag in tags))
    sep = len(rules.separator)
    total = sum(len(key) for key in keys) + sep * max(0, len(keys) - 1)
    if total <= rules.max_header:
        return rules.separator.join(keys)
    # Largest k such that keys[:k] plus the buckets of keys[k:] fit: walk k down from the end,
    # growing the bucket set of the dropped suffix (each bucket key is 7 bytes, 256 at most).
    prefix = [0]
    for key in keys:
        prefix.append(prefix[-1] + len(key) + sep)
    buckets: dict[str, None] = {}
    for k in range(len(keys), -1, -1):
        if k < len(keys):
            buckets[bucket(keys[k])] = None
        size = prefix[k] + sum(len(b) + sep for b in buckets) - sep
        if size <= rules.max_header:
            return rules.separator.join([*keys[:k], *sorted(buckets)])
    return rules.separator.join(sorted(buckets))  # unreachable: 256 buckets always fit


def purge_keys(tags: Iterable[str], header: str) -> list[str]:
    """Keys to purge for ``tags``: each tag's key and its bucket key (see the module docstring)."""
    rules = vendor(header)
    keys = [encode(tag, rules) for tag in tags]
    return list(dict.fromkeys([*keys, *(bucket(key) for key in keys)]))


def page_tags(plan: PagePlan, response: Any = None) -> list[str]:
    """The tags of the entry behind a page response (the one place downstream keys come from):
    the view's own first, then those tracked while it rendered (``herdcache.tracking``: on a
    hit they come with the stored entry), so the broader keys are the ones kept on overflow."""
    declared = list(plan.tags)
    seen = set(declared)
    tracked = [t for t in tracking.response_tags(response) if t not in seen] if response else []
    return declared + tracked


def label(response: HttpResponseBase, tags: Sequence[str], header: str | None) -> None:
    """Put ``tags`` in the surrogate ``header`` of ``response``, joining keys already there
    (an inner ``cache_page`` under the per-site middleware labels the response first)."""
    if not header or not tags:
        return
    try:
        rules = vendor(header)
    except ValueError:  # herdcache.E030 reports it; a page must not fail for it
        return
    existing = [
        key.strip() for key in response.get(header, "").split(rules.separator) if key.strip()
    ]
    # Existing keys are already encoded: encoding is idempotent for them (visible, short).
    response[header] = header_value([*existing, *tags], header)
