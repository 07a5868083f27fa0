"""What a post carries besides its text and media: a link card, a poll, a quoted post.

Sources build these as plain JSON-ready dicts (they are stored as they are, in ``Post.extras``,
and travel in events and the API unchanged), through the constructors here:

- ``card``: a link preview — ``{"url", "title", "description", "image", "image_alt", "site",
  "blurhash"}`` (a Mastodon preview card, a Bluesky ``app.bsky.embed.external``);
- ``poll``: ``{"options": [{"title", "votes"}], "votes", "voters", "multiple", "expires_at",
  "closed"}`` (vote counts may be null: some servers hide them until the poll ends);
- ``quote``: the post this one quotes — ``{"url", "id", "handle", "name", "profile_url",
  "text"}``; ``text`` when the network sent the quoted post along (Mastodon does, Bluesky's
  firehose does not) or we have it (``crowdwall.ingest.quotes``).

``clean_extras`` bounds and checks whatever a source (or our JSON format) handed over: unknown
keys dropped, strings made storable and cut to size, URLs that are not absolute http(s)
dropped, an item without the one field it needs (a card's URL, a poll's options, a quote's URL)
dropped whole. It runs in ``normalize.clean_post``, where every post of every source passes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from crowdwall.ingest.storable import storable

__all__ = ["EXTRA_KINDS", "card", "clean_extras", "extras_json", "poll", "quote", "safe_url"]

EXTRA_KINDS = ("card", "poll", "quote")
URL_LENGTH = 1000
TITLE_LENGTH = 300
TEXT_LENGTH = 1500
MAX_OPTIONS = 20
_URL_JUNK = re.compile(r"[\s\x00-\x1f\x7f<>\"'\ud800-\udfff]")


def safe_url(value: str) -> str:
    """An absolute http(s) URL, or "" (javascript:, data:, relative and overlong URLs dropped)."""
    if not value:
        return ""
    value = value.strip()
    lowered = value[:8].lower()
    if len(value) > URL_LENGTH or not (
        lowered.startswith("https://") or lowered.startswith("http://")
    ):
        return ""
    return "" if _URL_JUNK.search(value) else value


def _str(value: Any, size: int, *, multiline: bool = False) -> str:
    if not isinstance(value, str):
        return ""
    return storable(value, multiline=multiline).strip()[:size]


def _url(value: Any) -> str:
    return safe_url(value) if isinstance(value, str) else ""


def _count(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return min(value, 2**31 - 1)


def _compact(data: dict[str, Any]) -> dict[str, Any]:
    """Without empty strings, nulls and false flags: most cards have no blurhash, no alt."""
    return {k: v for k, v in data.items() if v not in ("", None, False)}


def card(
    url: str,
    *,
    title: str = "",
    description: str = "",
    image: str = "",
    image_alt: str = "",
    site: str = "",
    blurhash: str = "",
) -> dict[str, Any]:
    """A link card (checked again by ``clean_extras``)."""
    fields = locals()
    return _compact(fields)


def poll(
    options: list[tuple[str, int | None]],
    *,
    votes: int | None = None,
    voters: int | None = None,
    multiple: bool = False,
    expires_at: str = "",
    closed: bool = False,
) -> dict[str, Any]:
    """A poll: its options as ``(title, votes)`` (checked again by ``clean_extras``)."""
    data = _compact(
        {"votes": votes, "voters": voters, "multiple": multiple, "expires_at": expires_at}
    )
    data["closed"] = closed
    return {"options": [{"title": t, "votes": n} for t, n in options], **data}


def quote(
    url: str,
    *,
    id: str = "",  # the quoted post's id at its source, as the JSON names it
    handle: str = "",
    name: str = "",
    profile_url: str = "",
    text: str = "",
) -> dict[str, Any]:
    """The post a post quotes (checked again by ``clean_extras``)."""
    fields = locals()
    return _compact(fields)


def _clean_card(data: Mapping[str, Any]) -> dict[str, Any] | None:
    url = _url(data.get("url"))
    if not url:
        return None
    return _compact(
        {
            "url": url,
            "title": _str(data.get("title"), TITLE_LENGTH),
            "description": _str(data.get("description"), TEXT_LENGTH, multiline=True),
            "image": _url(data.get("image")),
            "image_alt": _str(data.get("image_alt"), TEXT_LENGTH, multiline=True),
            "site": _str(data.get("site"), TITLE_LENGTH),
            "blurhash": _str(data.get("blurhash"), 100),
        }
    )


def _clean_poll(data: Mapping[str, Any]) -> dict[str, Any] | None:
    raw = data.get("options")
    options = [
        {"title": title, "votes": _count(option.get("votes"))}
        for option in (raw if isinstance(raw, list) else [])[:MAX_OPTIONS]
        if isinstance(option, Mapping) and (title := _str(option.get("title"), TITLE_LENGTH))
    ]
    if not options:
        return None
    extra = _compact(
        {
            "votes": _count(data.get("votes")),
            "voters": _count(data.get("voters")),
            "multiple": data.get("multiple") is True,
            "expires_at": _str(data.get("expires_at"), 40),
        }
    )
    return {"options": options, **extra, "closed": data.get("closed") is True}


def _clean_quote(data: Mapping[str, Any]) -> dict[str, Any] | None:
    url = _url(data.get("url"))
    if not url:
        return None
    return _compact(
        {
            "url": url,
            "id": _str(data.get("id"), 255),
            "handle": _str(data.get("handle"), 255).lstrip("@"),
            "name": _str(data.get("name"), 255),
            "profile_url": _url(data.get("profile_url")),
            "text": _str(data.get("text"), TEXT_LENGTH, multiline=True),
        }
    )


_CLEANERS = {"card": _clean_card, "poll": _clean_poll, "quote": _clean_quote}


def clean_extras(value: Any) -> dict[str, Any]:
    """A checked, bounded copy of ``value`` (see the module docstring); ``{}`` when nothing
    usable is left. Never raises: a broken card costs the card, not the post."""
    if not value or not isinstance(value, Mapping):
        return {}
    out = {}
    for kind, clean in _CLEANERS.items():
        item = value.get(kind)
        if isinstance(item, Mapping) and (cleaned := clean(item)):
            out[kind] = cleaned
    return out


def extras_json(extras: Mapping[str, Any] | None) -> dict[str, Any]:
    """A post's card, poll and quote as events and the API carry them: each key always there
    (null when the post has none), so clients need not guess."""
    extras = extras or {}
    return {kind: extras.get(kind) for kind in EXTRA_KINDS}
