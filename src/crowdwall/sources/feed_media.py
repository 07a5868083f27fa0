"""Media in RSS and Atom entries: Media RSS (``media:content``, ``media:group``,
``media:description`` alt texts, ``media:thumbnail``) and enclosures, as ``IncomingMedia``.

feedparser drops a ``media:description`` on the floor or files it as the entry's summary, so
``media_alts`` reads the alt texts from the document itself, once per document.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit
from xml.etree import ElementTree

from crowdwall.ingest.normalize import IncomingMedia
from crowdwall.ingest.sanitize import html_to_text, sanitize_html

MRSS = "{http://search.yahoo.com/mrss/}"
_ENTRY_TAGS = {"item", "{http://purl.org/rss/1.0/}item", "{http://www.w3.org/2005/Atom}entry"}
_EXTENSIONS = {
    "image": (".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif", ".svg"),
    "video": (".mp4", ".webm", ".mov", ".m4v"),
    "audio": (".mp3", ".m4a", ".ogg", ".oga", ".opus", ".wav", ".flac"),
}


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def media_alts(body: bytes, base: str = "") -> list[dict[str, str]] | None:
    """Per entry in document order, ``{media URL: alt text}`` from ``media:description``
    (on the ``media:content`` or its ``media:group``), URLs resolved against ``base`` as
    feedparser resolves them; ``None`` if there is no Media RSS or the XML does not parse."""
    if MRSS[1:-1].encode() not in body:
        return None  # nothing to find: spare the second parse
    try:
        root = ElementTree.fromstring(body)
    except (ElementTree.ParseError, ValueError):
        return None
    found: list[dict[str, str]] = []
    for entry in root.iter():
        if entry.tag not in _ENTRY_TAGS:
            continue
        alts: dict[str, str] = {}
        holders = [entry, *entry.iter(f"{MRSS}group")]
        for holder in holders:
            shared = _text(holder.findtext(f"{MRSS}description")) if holder is not entry else ""
            for content in holder.findall(f"{MRSS}content"):
                url = _text(content.get("url"))
                alt = _text(content.findtext(f"{MRSS}description")) or shared
                if url:
                    alt = html_to_text(sanitize_html(alt)) if "<" in alt else alt
                    alts[urljoin(base, url) if base else url] = alt
        found.append(alts)
    return found


def media_type(medium: str, mime: str, url: str) -> str:
    """image, video or audio by the Media RSS medium, else the MIME type, else the extension."""
    if medium in ("image", "video", "audio"):
        return medium
    major = mime.split("/", 1)[0].lower()
    if major in ("image", "video", "audio"):
        return major
    path = urlsplit(url).path.lower()
    for kind, extensions in _EXTENSIONS.items():
        if path.endswith(extensions):
            return kind
    return "unknown"


def entry_media(
    entry: Mapping[str, Any], alts: Mapping[str, str], base: str
) -> tuple[IncomingMedia, ...]:
    """An entry's ``media:content`` and enclosures, deduplicated by URL, with their alt texts
    (``media_alts``); a thumbnail becomes the preview of a first medium that is no image."""
    media: dict[str, IncomingMedia] = {}
    for item in entry.get("media_content") or []:
        url = urljoin(base, _text(item.get("url")))  # feedparser leaves these relative
        if url and url not in media:
            kind = media_type(_text(item.get("medium")), _text(item.get("type")), url)
            media[url] = IncomingMedia(url=url, type=kind, alt=alts.get(url, ""))
    enclosures = [link for link in entry.get("links") or [] if link.get("rel") == "enclosure"]
    for item in enclosures:
        url = urljoin(base, _text(item.get("href")))
        if url and url not in media:
            kind = media_type("", _text(item.get("type")), url)
            media[url] = IncomingMedia(url=url, type=kind, alt=alts.get(url, ""))
    thumbnails = [urljoin(base, _text(t.get("url"))) for t in entry.get("media_thumbnail") or []]
    if media and thumbnails and thumbnails[0]:
        first = next(iter(media.values()))
        if first.type != "image":
            first.preview_url = thumbnails[0]
    return tuple(media.values())
