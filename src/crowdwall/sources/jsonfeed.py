"""JSON Feed (1.0 and 1.1, https://jsonfeed.org/version/1.1) to ``IncomingPost``: the RSS
source's other document format (feedparser reads XML only).

A document is a JSON Feed when its ``version`` is a ``https://jsonfeed.org/version/`` URL;
``application/feed+json`` or ``application/json`` as its Content-Type, or a body that starts
with ``{``, sends it here (``feeds.is_json_feed``). Items map like RSS entries
(``crowdwall.sources.feeds``):

- **id**: ``id`` (numbers accepted, as some generators write them), else ``url``, else a hash;
- **content**: ``content_html``, else ``content_text``, else ``summary``; the ``title`` in
  front unless the body starts with it;
- **dates**: ``date_published``/``date_modified`` (RFC 3339) through ``parse_datetime_robust``;
- **author**: the item's ``authors`` (1.1) or ``author`` (1.0), else the feed's;
- **media**: ``attachments`` (by MIME type) and the item's ``image``;
- **card**: ``external_url``, the page a link-blog item is about;
- **hashtags**: ``tags``, as feed categories are read.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from crowdwall.ingest.dates import parse_datetime_robust
from crowdwall.ingest.extras import card
from crowdwall.ingest.normalize import ID_LENGTH, IncomingAuthor, IncomingMedia, IncomingPost
from crowdwall.sources.feed_media import media_type
from crowdwall.sources.feeds import (
    FeedEntry,
    ParsedFeed,
    date_undated,
    entry_version,
    feed_hash,
    tags_of,
    with_title,
)

logger = logging.getLogger("crowdwall.sources.rss")

__all__ = ["parse_json_feed"]

VERSION_PREFIX = "https://jsonfeed.org/version/"


def _str(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    return value.strip() if isinstance(value, str) else ""


def _authors(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    found = data.get("authors")
    if not isinstance(found, list):
        found = [data.get("author")]  # JSON Feed 1.0
    return [a for a in found if isinstance(a, Mapping) and (_str(a, "name") or _str(a, "url"))]


def _author(item: Mapping[str, Any], feed: Mapping[str, Any], url: str) -> IncomingAuthor:
    authors = _authors(item) or _authors(feed)
    first = authors[0] if authors else {}
    name = _str(first, "name") or _str(feed, "title")
    href = _str(first, "url")
    site = _str(feed, "home_page_url") or url
    fallback = f"{url}#{name}" if name else url
    key = href if href.startswith(("https://", "http://")) else fallback
    if len(key) > ID_LENGTH:
        key = "feed:" + feed_hash(key, size=32)
    host = urlsplit(site).hostname or urlsplit(url).hostname or "feed"
    return IncomingAuthor(
        id=key,
        handle=host,
        display_name=name or host,
        avatar_url=_str(first, "avatar") or _str(feed, "icon") or _str(feed, "favicon"),
        profile_url=href or site,
    )


def _media(item: Mapping[str, Any], base: str) -> tuple[IncomingMedia, ...]:
    media: dict[str, IncomingMedia] = {}
    attachments = item.get("attachments")
    for attachment in attachments if isinstance(attachments, list) else []:
        if not isinstance(attachment, Mapping):
            continue
        url = urljoin(base, _str(attachment, "url")) if _str(attachment, "url") else ""
        if url and url not in media:
            kind = media_type("", _str(attachment, "mime_type"), url)
            media[url] = IncomingMedia(url=url, type=kind, alt=_str(attachment, "title"))
    # urljoin of "" is the feed's own address: an item without an image has none.
    image = urljoin(base, _str(item, "image")) if _str(item, "image") else ""
    if image and image not in media:
        media[image] = IncomingMedia(url=image, type="image")
    return tuple(media.values())


def _external_id(item: Mapping[str, Any]) -> str:
    raw = item.get("id")
    key = str(raw).strip() if isinstance(raw, str | int) and not isinstance(raw, bool) else ""
    key = key or _str(item, "url")
    if not key:
        key = "hash:" + feed_hash(_str(item, "title"), _str(item, "date_published"))
    return key if len(key) <= ID_LENGTH else "hash:" + feed_hash(key)


def item_post(
    item: Mapping[str, Any], feed: Mapping[str, Any], url: str, now: datetime
) -> IncomingPost:
    """One JSON Feed item as an ``IncomingPost`` (see the module docstring)."""
    body, is_html = _str(item, "content_html"), True
    if not body:
        body, is_html = _str(item, "content_text") or _str(item, "summary"), False
    body, is_html = with_title({"title": _str(item, "title")}, body, is_html)
    published = parse_datetime_robust(item.get("date_published"), now=now)
    modified = parse_datetime_robust(item.get("date_modified"), now=now)
    created = published or modified  # None: dated from the rest of the document
    edited = modified if published and modified and modified > published else None
    external = _str(item, "external_url")
    tags = item.get("tags")
    return IncomingPost(
        external_id=_external_id(item),
        author=_author(item, feed, url),
        html=body if is_html else "",
        text="" if is_html else body,
        created_at=created or now,
        edited_at=edited,
        date_estimated=created is None,
        url=urljoin(url, _str(item, "url")) if _str(item, "url") else external,
        language=_str(item, "language") or _str(feed, "language"),
        hashtags=tags_of([t for t in tags if isinstance(t, str)] if isinstance(tags, list) else []),
        media=_media(item, url),
        extras={"card": card(external, title=_str(item, "title"))} if external else None,
    )


def parse_json_feed(body: bytes, *, url: str, now: datetime) -> ParsedFeed:
    """Parse a JSON Feed document; ``problem`` when it is not one. A bad item is skipped."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        return ParsedFeed(problem=f"malformed JSON ({exc})")
    version = data.get("version") if isinstance(data, dict) else None
    if not isinstance(version, str) or not version.startswith(VERSION_PREFIX):
        return ParsedFeed(problem="not a JSON Feed (no jsonfeed.org version)")
    items = data.get("items")
    if not isinstance(items, list):
        return ParsedFeed(problem="not a JSON Feed (no items list)")
    result = ParsedFeed(version="json" + version.removeprefix(VERSION_PREFIX).replace(".", ""))
    seen: set[str] = set()
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            continue
        try:
            post = item_post(item, data, url, now)
        except Exception:  # one odd item costs that item, not the feed
            logger.exception("Feed %s: item %d skipped", url, index)
            continue
        if post.external_id not in seen:
            seen.add(post.external_id)
            result.entries.append(FeedEntry(post, entry_version(post)))
    date_undated(result.entries, None)  # a JSON Feed has no date of its own
    return result
