"""RSS and Atom documents to ``IncomingPost``: the parsing half of the RSS source, no I/O.

``parse_feed(body, url=...)`` reads bytes already fetched (feedparser never touches the
network or the file system here: it gets a stream, because given bytes it first tries them as
a *file name*). Per entry:

- **id**: the entry's id/guid, else its link, else a hash of title and date; ids longer than
  a column are hashed.
- **content**: ``content`` else ``summary``, raw and untrusted (the pipeline sanitizes, with
  ``resolve_relative_uris`` so relative links and images survive it), with the title in front
  unless the body already starts with it (micro-blog feeds repeat the text as the title).
  feedparser files a ``media:description`` (Mastodon's alt text) as the entry's summary or
  content; a body equal to an alt text is therefore dropped, and the alt goes on its image.
- **dates**: the raw ``published``/``updated`` strings through ``parse_datetime_robust``;
  feedparser's own tuples are the fallback, not the first choice, because they silently read
  unknown zones ("CEST") as UTC and misread forms such as ``2023/06/05``, and never for a
  date ours rejected as impossible (they roll ``T25:14:55`` over into the next day). An entry
  without a readable date is flagged ``date_estimated`` and dated as the oldest readable
  entry of the same document (else the feed's own date, else the time it was read): part of
  the backlog, it must not come out on top of a screen as brand new (see ``RSSSource.poll``
  for entries that appear later).
- **author**: the entry's (else the feed's) author name; the id is the author's URL when the
  feed gives one, else the feed URL plus the name; the handle is the site's host name.
- **media**: ``media:content`` and enclosures, deduplicated by URL, with alt texts
  (``crowdwall.sources.feed_media``).
- **hashtags**: categories, their words joined ("Web Development" is #WebDevelopment,
  "News / Q. & A." #NewsQA); ``#words`` in the text are found by the pipeline.

JSON Feed documents are read by ``crowdwall.sources.jsonfeed`` (``parse_feed`` hands them on).
"""

from __future__ import annotations

import calendar
import hashlib
import html
import io
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import feedparser

from crowdwall.ingest.dates import impossible, parse_datetime_robust
from crowdwall.ingest.normalize import ID_LENGTH, IncomingAuthor, IncomingPost
from crowdwall.ingest.sanitize import html_to_text, sanitize_html
from crowdwall.sources.feed_media import entry_media, media_alts

logger = logging.getLogger("crowdwall.sources.rss")

__all__ = ["FeedEntry", "ParsedFeed", "media_alts", "parse_feed"]

_TAG_WORD = re.compile(r"\w+")
_TRAILING_ELLIPSIS = re.compile(r"(?:\.\.\.|…)$")
# A document that ends with its root element's end tag was not cut off in transit.
_COMPLETE = re.compile(rb"</(?:[\w-]+:)?(?:rss|feed|RDF)>\s*$")
_SOFT_ERRORS = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)


@dataclass(slots=True)
class FeedEntry:
    """One entry: its post, and a short hash of what a reader sees (changes mean an edit)."""

    post: IncomingPost
    version: str

    @property
    def key(self) -> str:
        return self.post.external_id


@dataclass(slots=True)
class ParsedFeed:
    """A parsed document: entries in document order, and ``problem`` if it is no usable feed."""

    entries: list[FeedEntry] = field(default_factory=list)
    problem: str = ""
    version: str = ""


def feed_hash(*parts: str, size: int = 16) -> str:
    # surrogatepass: a lone surrogate escape in a JSON Feed title must not cost the item.
    data = "\x1f".join(parts).encode("utf-8", "surrogatepass")
    return hashlib.blake2b(data, digest_size=size).hexdigest()


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _date(entry: dict[str, Any], name: str, now: datetime) -> datetime | None:
    # dict.get: feedparser's own get() answers "updated" with "published" (and warns).
    raw = dict.get(entry, name)
    parsed = parse_datetime_robust(raw, now=now)
    stamp_tuple = dict.get(entry, f"{name}_parsed")
    # feedparser's reading only for a format ours does not know (Korean, Greek ...): never for a
    # date we rejected as impossible, which it would roll over ("T25:14" as the next day).
    if parsed is None and stamp_tuple and not (isinstance(raw, str) and impossible(raw)):
        try:
            stamp = datetime.fromtimestamp(calendar.timegm(stamp_tuple), tz=UTC)
        except (TypeError, ValueError, OverflowError):
            return None
        parsed = parse_datetime_robust(stamp, now=now)  # the same sanity bounds
    return parsed


def _plain(value: str) -> str:
    return " ".join(html_to_text(sanitize_html(value)).split())


def _body(entry: Mapping[str, Any], alts: Mapping[str, str]) -> tuple[str, bool]:
    """The entry's body and whether it is HTML (``content`` first, then ``summary``)."""
    alt_texts = {a for a in alts.values() if a}
    candidates = [(_text(c.get("value")), _text(c.get("type"))) for c in entry.get("content") or []]
    summary = _text(entry.get("summary"))
    detail = entry.get("summary_detail") or {}
    # The detail's type describes the summary only if the value is the summary's (see above).
    summary_type = _text(detail.get("type")) if detail.get("value") == summary else "text/html"
    candidates.append((summary, summary_type))
    for value, kind in candidates:
        if value and value not in alt_texts:
            return value, kind != "text/plain"
    return "", True


def with_title(entry: Mapping[str, Any], body: str, is_html: bool) -> tuple[str, bool]:
    title = _text(entry.get("title"))
    if not title:
        return body, is_html
    title_is_html = (entry.get("title_detail") or {}).get("type") in (
        "text/html",
        "application/xhtml+xml",
    )
    plain_title = _plain(title) if title_is_html else " ".join(title.split())
    plain_body = _plain(body) if is_html else " ".join(body.split())
    stem = _TRAILING_ELLIPSIS.sub("", plain_title).strip()
    if stem and plain_body.startswith(stem):
        return body, is_html  # the title is the start of the text: say it once
    if not body:
        return (title, True) if title_is_html else (title, False)
    if is_html:
        heading = title if title_is_html else html.escape(title)
        return f"<p><strong>{heading}</strong></p>{body}", True
    return f"{plain_title}\n\n{body}", False


def tags_of(terms: list[str]) -> tuple[str, ...]:
    """Hashtags of feed categories: the words of each, joined ("Web Development" is
    #WebDevelopment, "News / Q. & A." #NewsQA); a category without a letter is skipped."""
    tags: dict[str, None] = {}
    for term in terms:
        tag = "".join(_TAG_WORD.findall(term))
        if tag and len(tag) <= 100 and not tag.replace("_", "").isdigit():
            tags[tag] = None
    return tuple(tags)


def _tags(entry: Mapping[str, Any]) -> tuple[str, ...]:
    return tags_of([_text(t.get("term") or t.get("label")) for t in entry.get("tags") or []])


@dataclass(slots=True)
class _Feed:
    """What entries inherit from their feed."""

    url: str
    title: str
    site: str
    image: str
    author: str
    language: str

    @classmethod
    def of(cls, parsed: Any, url: str) -> _Feed:
        feed = parsed.get("feed") or {}
        image = feed.get("image") or {}
        author = feed.get("author_detail") or {}
        return cls(
            url=url,
            title=_text(feed.get("title")),
            site=_text(feed.get("link")) or url,
            image=_text(image.get("href")) or _text(feed.get("icon")) or _text(feed.get("logo")),
            author=_text(author.get("name")) or _text(feed.get("author")),
            language=_text(feed.get("language")),
        )


def _author(entry: Mapping[str, Any], feed: _Feed) -> IncomingAuthor:
    detail = entry.get("author_detail") or {}
    name = _text(detail.get("name")) or _text(entry.get("author")) or feed.author or feed.title
    href = _text(detail.get("href"))
    host = urlsplit(feed.site).hostname or urlsplit(feed.url).hostname or "feed"
    if href.startswith(("https://", "http://")):
        key = href
    else:
        key = f"{feed.url}#{name}" if name else feed.url
    if len(key) > ID_LENGTH:
        key = "feed:" + feed_hash(key, size=32)
    return IncomingAuthor(
        id=key,
        handle=host,
        display_name=name or host,
        avatar_url=feed.image,
        profile_url=href or feed.site,
    )


def _external_id(entry: dict[str, Any]) -> str:
    key = _text(entry.get("id")) or _text(entry.get("link"))
    if not key:
        stamp = dict.get(entry, "published") or dict.get(entry, "updated")
        key = "hash:" + feed_hash(_text(entry.get("title")), _text(stamp))
    return key if len(key) <= ID_LENGTH else "hash:" + feed_hash(key)


def entry_post(
    entry: dict[str, Any], feed: _Feed, alts: Mapping[str, str], now: datetime
) -> IncomingPost:
    """One feedparser entry as an ``IncomingPost`` (see the module docstring)."""
    body, is_html = with_title(entry, *_body(entry, alts))
    published = _date(entry, "published", now) or _date(entry, "created", now)
    updated = _date(entry, "updated", now)
    created = published or updated  # None: dated by parse_feed, from the rest of the document
    edited = updated if published and updated and updated > published else None
    content = entry.get("content") or [{}]
    language = _text(content[0].get("language")) or feed.language
    rating = entry.get("media_rating") or {}
    return IncomingPost(
        external_id=_external_id(entry),
        author=_author(entry, feed),
        html=body if is_html else "",
        text="" if is_html else body,
        created_at=created or now,
        edited_at=edited,
        url=_text(entry.get("link")),
        sensitive=_text(rating.get("content")).lower() == "adult",
        language=language,
        hashtags=_tags(entry),
        media=entry_media(entry, alts, feed.url),
        date_estimated=created is None,
    )


def entry_version(post: IncomingPost) -> str:
    media = [f"{m.url} {m.alt}" for m in post.media]
    stamp = post.edited_at.isoformat() if post.edited_at else ""
    extras = json.dumps(post.extras, sort_keys=True) if post.extras else ""
    return feed_hash(post.html, post.text, post.url, stamp, *media, extras, size=8)


def is_json_feed(body: bytes, content_type: str = "") -> bool:
    """Whether ``body`` is for ``crowdwall.sources.jsonfeed`` (a JSON Content-Type, or ``{``)."""
    kind = content_type.split(";", 1)[0].strip().lower()
    return kind in ("application/feed+json", "application/json") or body.lstrip()[:1] == b"{"


def parse_feed(
    body: bytes,
    *,
    url: str,
    headers: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> ParsedFeed:
    """Parse a fetched RSS/Atom (or JSON Feed) document; ``headers`` (the response's) help find its
    encoding and base URL. Malformed documents give ``problem``; a bad entry is skipped."""
    now = now or datetime.now(UTC)
    response_headers = {k.lower(): v for k, v in (headers or {}).items()}
    if is_json_feed(body, response_headers.get("content-type", "")):
        from crowdwall.sources.jsonfeed import parse_json_feed  # it builds on this module

        return parse_json_feed(body, url=url, now=now)
    response_headers.setdefault("content-location", url)
    parsed = feedparser.parse(
        io.BytesIO(body),
        response_headers=response_headers,
        resolve_relative_uris=True,
        sanitize_html=False,  # crowdwall.ingest.sanitize is the one place that decides
    )
    version = _text(parsed.get("version"))
    entries = parsed.get("entries") or []
    error = parsed.get("bozo_exception") if parsed.get("bozo") else None
    if isinstance(error, _SOFT_ERRORS):
        error = None  # a wrong or missing Content-Type, not a broken document
    if not version and not entries:
        return ParsedFeed(problem=f"not an RSS or Atom feed ({error or 'no feed element'})")
    if error is not None:
        if not entries or not _COMPLETE.search(body[-256:]):
            # Entries recovered from a cut-off document would be stored cut off: wait for
            # the whole document rather than keep half an entry.
            return ParsedFeed(problem=f"malformed XML ({error})", version=version)
        logger.warning(
            "Feed %s has XML errors (%s); %d entries read anyway", url, error, len(entries)
        )
    alts = media_alts(body, response_headers["content-location"])
    if alts is not None and len(alts) != len(entries):
        alts = None  # cannot pair them up safely
    feed = _Feed.of(parsed, url)
    result = ParsedFeed(version=version)
    feed_date = _date(parsed.get("feed") or {}, "updated", now) or _date(
        parsed.get("feed") or {}, "published", now
    )
    modified = parse_datetime_robust(response_headers.get("last-modified"), now=now)
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        try:
            post = entry_post(entry, feed, alts[index] if alts else {}, now)
        except Exception:  # one odd entry costs that entry, not the feed
            logger.exception("Feed %s: entry %d skipped", url, index)
            continue
        if post.external_id in seen:
            continue  # the same entry twice in one document: the first (newest) wins
        seen.add(post.external_id)
        result.entries.append(FeedEntry(post, entry_version(post)))
    date_undated(result.entries, feed_date or modified)
    return result


def date_undated(entries: list[FeedEntry], fallback: datetime | None) -> None:
    """Date the entries without a readable date as the oldest entry that has one (else as
    ``fallback``, the feed's own date): they are part of what the document holds, not news."""
    dated = [e.post.created_at for e in entries if e.post.created_at and not e.post.date_estimated]
    oldest = min(dated, default=None) or fallback
    if oldest is None:
        return  # nothing better than the time the feed was read
    for entry in entries:
        if entry.post.date_estimated:
            entry.post.created_at = min(oldest, entry.post.created_at or oldest)
