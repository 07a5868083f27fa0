"""The parts of a Mastodon status beyond text and media: custom emoji, polls, preview cards and
quoted posts (Mastodon's entities ``CustomEmoji``, ``Poll``, ``PreviewCard`` and ``Quote``).

- **Custom emoji**: ``:shortcode:`` in the content becomes ``<img class="emoji">`` with the
  shortcode as its alt text, for the emoji the status lists (``emojis``); only in text, never
  inside a tag. The sanitizer lets exactly this image through (``crowdwall.ingest.sanitize``).
- **Polls**: options with their vote counts (null while a server hides them), totals, expiry.
- **Cards**: the link preview the server fetched (title, description, image and its alt text,
  provider, blurhash).
- **Quotes** (Mastodon 4.4+): shown only when the quoted author accepted (``state``
  ``accepted``), with the quoted status's author and plain text. Akkoma and Pleroma put the
  quoted status itself in ``quote``; that is read too. A ``ShallowQuote`` (an id only) has
  nothing to show.

All of it is best effort: a malformed part is left out, and the status is kept.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

from crowdwall.ingest.extras import card, poll, quote, safe_url
from crowdwall.ingest.sanitize import html_to_text, sanitize_html

__all__ = ["status_extras", "with_emoji"]

_SHORTCODE = re.compile(r"^[A-Za-z0-9_]{1,100}$")
_TAGS = re.compile(r"(<[^>]*>)")
_CODE = re.compile(r":([A-Za-z0-9_]{1,100}):")
MAX_EMOJI = 100


def _str(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    return value if isinstance(value, str) else ""


def _int(data: Mapping[str, Any], key: str) -> int | None:
    value = data.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _emoji_images(emojis: Any) -> dict[str, str]:
    """shortcode -> the ``<img>`` that shows it, for the well-formed emoji of a status."""
    images = {}
    for emoji in (emojis if isinstance(emojis, list) else [])[:MAX_EMOJI]:
        if not isinstance(emoji, Mapping):
            continue
        code = _str(emoji, "shortcode")
        # The static image: an animated emoji on a big screen is a distraction.
        url = safe_url(_str(emoji, "static_url") or _str(emoji, "url"))
        if url and _SHORTCODE.match(code):
            src = html.escape(url, quote=True)
            images[code] = f'<img class="emoji" src="{src}" alt=":{code}:" title=":{code}:">'
    return images


def with_emoji(content: str, emojis: Any) -> str:
    """``content`` with each ``:shortcode:`` of its listed custom emoji as an image."""
    images = _emoji_images(emojis)
    if not images or ":" not in content:
        return content
    parts = _TAGS.split(content)
    for index in range(0, len(parts), 2):  # even parts are text, odd ones tags
        parts[index] = _CODE.sub(lambda m: images.get(m.group(1), m.group(0)), parts[index])
    return "".join(parts)


def _poll(data: Any) -> dict[str, Any] | None:
    if not isinstance(data, Mapping):
        return None
    options = [
        (_str(option, "title"), _int(option, "votes_count"))
        for option in data.get("options") or []
        if isinstance(option, Mapping)
    ]
    return poll(
        options,
        votes=_int(data, "votes_count"),
        voters=_int(data, "voters_count"),
        multiple=data.get("multiple") is True,
        expires_at=_str(data, "expires_at"),
        closed=data.get("expired") is True,
    )


def _card(data: Any) -> dict[str, Any] | None:
    if not isinstance(data, Mapping) or not _str(data, "url"):
        return None
    return card(
        _str(data, "url"),
        title=_str(data, "title"),
        description=_str(data, "description"),
        image=_str(data, "image"),
        image_alt=_str(data, "image_description"),
        site=_str(data, "provider_name"),
        blurhash=_str(data, "blurhash"),
    )


def _quoted_status(data: Any) -> Mapping[str, Any] | None:
    if not isinstance(data, Mapping):
        return None
    if "content" in data and "account" in data:  # Akkoma, Pleroma: the status itself
        return data
    status = data.get("quoted_status")
    if data.get("state") != "accepted" or not isinstance(status, Mapping):
        return None  # not (or no longer) allowed by its author, or an id only
    return status


def _quote(data: Any, host: str) -> dict[str, Any] | None:
    status = _quoted_status(data)
    if status is None:
        return None
    account = status.get("account")
    account = account if isinstance(account, Mapping) else {}
    acct = _str(account, "acct").lstrip("@")
    text = html_to_text(sanitize_html(_str(status, "content")))
    return quote(
        _str(status, "url") or _str(status, "uri"),
        id=_str(status, "uri"),
        handle=acct if "@" in acct or not acct else f"{acct}@{host}",
        name=_str(account, "display_name"),
        profile_url=_str(account, "url"),
        text=text,
    )


def status_extras(status: Mapping[str, Any], host: str) -> dict[str, Any] | None:
    """The poll, card and quote of a status (``crowdwall.ingest.extras``), or None."""
    extras = {
        "card": _card(status.get("card")),
        "poll": _poll(status.get("poll")),
        "quote": _quote(status.get("quote"), host),
    }
    return {kind: item for kind, item in extras.items() if item} or None
