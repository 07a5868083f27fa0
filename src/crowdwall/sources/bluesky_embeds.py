"""A Bluesky post record's ``embed``: its media, link card and quoted post.

Embeds are open unions told apart by ``$type`` (lexicons ``app.bsky.embed.*``):

- ``images`` (up to 4) and ``gallery`` (more, as ``items``): image blobs with alt texts;
- ``video``: one video blob with its alt text;
- ``external``: a link card (``uri``, ``title``, ``description``, a ``thumb`` blob). A GIF
  picked in Bluesky's composer is such a card pointing at ``media.tenor.com``, its alt text in
  the description after ``Alt: ``: that one becomes an image instead, so a GIF reply without
  text shows its GIF;
- ``record``: a quote — a strong reference (``uri``, ``cid``) to another record. Jetstream
  sends no more than that, so a quoted post is its link and its author's DID; a feed, list or
  starter pack becomes a card linking its page instead;
- ``recordWithMedia``: a quote plus ``media`` (images, gallery, video or external).

Blobs live in the author's repository, addressed by CID; we link them the way Bluesky's
AppView does in its views: images on ``cdn.bsky.app/img/<preset>/plain/<did>/<cid>@jpeg``
(``feed_fullsize`` and ``feed_thumbnail``), videos as an HLS playlist on
``video.bsky.app/watch/<did>/<cid>/playlist.m3u8`` with a poster on
``video.cdn.bsky.app/hls/<did>/<cid>/thumbnail.jpg``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from crowdwall.ingest.extras import card, quote
from crowdwall.ingest.normalize import IncomingMedia

__all__ = ["record_extras", "record_media"]

APP_URL = "https://bsky.app"
IMAGE_URL = "https://cdn.bsky.app/img/feed_fullsize/plain/{did}/{cid}@jpeg"
THUMB_URL = "https://cdn.bsky.app/img/feed_thumbnail/plain/{did}/{cid}@jpeg"
VIDEO_URL = "https://video.bsky.app/watch/{did}/{cid}/playlist.m3u8"
VIDEO_THUMB_URL = "https://video.cdn.bsky.app/hls/{did}/{cid}/thumbnail.jpg"
GIF_HOSTS = frozenset({"media.tenor.com"})
# Pages of the records a post can embed, by collection (bsky.app's routes).
RECORD_PAGES = {
    "app.bsky.feed.post": "post",
    "app.bsky.feed.generator": "feed",
    "app.bsky.graph.list": "lists",
    "app.bsky.graph.starterpack": "starter-pack",
}
_AT_URI = re.compile(r"^at://(did:[a-z]+:[A-Za-z0-9._:%-]{1,2000})/([a-zA-Z0-9.]+)/([A-Za-z0-9._:~-]{1,512})$")  # fmt: skip
_CID = re.compile(r"^[A-Za-z0-9]{8,128}$")


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _blob_cid(blob: Any) -> str:
    """The CID of a blob reference: ``{"ref": {"$link": CID}}`` or the legacy ``{"cid": CID}``."""
    if not isinstance(blob, Mapping):
        return ""
    ref = blob.get("ref")
    cid = ref.get("$link") if isinstance(ref, Mapping) else blob.get("cid")
    return cid if isinstance(cid, str) and _CID.match(cid) else ""


def _images(did: str, items: list[Any]) -> list[IncomingMedia]:
    media = []
    for image in items:
        cid = _blob_cid(image.get("image")) if isinstance(image, Mapping) else ""
        if cid:
            media.append(
                IncomingMedia(
                    url=IMAGE_URL.format(did=did, cid=cid),
                    type="image",
                    alt=_str(image.get("alt")),
                    preview_url=THUMB_URL.format(did=did, cid=cid),
                )
            )
    return media


def _gif(external: Mapping[str, Any]) -> IncomingMedia | None:
    """The GIF an external embed from the GIF picker shows, or None for other links."""
    uri = _str(external.get("uri"))
    parts = urlsplit(uri)
    if parts.scheme != "https" or parts.hostname not in GIF_HOSTS:
        return None
    if not parts.path.lower().endswith(".gif"):
        return None
    alt = _str(external.get("description")).removeprefix("Alt: ")
    return IncomingMedia(url=uri, type="image", alt=alt or _str(external.get("title")))


def record_media(did: str, embed: Any) -> list[IncomingMedia]:
    """Images (with alt text), GIFs and videos of an embed, the media of a quote post too."""
    if not isinstance(embed, Mapping):
        return []
    kind = embed.get("$type")
    if kind == "app.bsky.embed.recordWithMedia":
        return record_media(did, embed.get("media"))
    if kind == "app.bsky.embed.images":
        return _images(did, _list(embed.get("images")))
    if kind == "app.bsky.embed.gallery":
        return _images(did, _list(embed.get("items")))
    if kind == "app.bsky.embed.video" and (cid := _blob_cid(embed.get("video"))):
        return [
            IncomingMedia(
                url=VIDEO_URL.format(did=did, cid=cid),
                type="video",
                alt=_str(embed.get("alt")),
                preview_url=VIDEO_THUMB_URL.format(did=did, cid=cid),
            )
        ]
    if kind == "app.bsky.embed.external" and isinstance(embed.get("external"), Mapping):
        gif = _gif(embed["external"])
        return [gif] if gif else []
    return []


def _card(did: str, external: Any) -> dict[str, Any] | None:
    if not isinstance(external, Mapping) or _gif(external):
        return None
    uri = _str(external.get("uri"))
    if not uri:
        return None
    cid = _blob_cid(external.get("thumb"))
    return card(
        uri,
        title=_str(external.get("title")),
        description=_str(external.get("description")),
        image=THUMB_URL.format(did=did, cid=cid) if cid else "",
        site=urlsplit(uri).hostname or "",
    )


def _record(ref: Any) -> dict[str, dict[str, Any]]:
    """``{"quote": ...}`` for a quoted post, ``{"card": ...}`` for a feed, list or pack."""
    uri = _str(ref.get("uri")) if isinstance(ref, Mapping) else ""
    found = _AT_URI.match(uri)
    page = RECORD_PAGES.get(found.group(2)) if found else None
    if found is None or page is None:
        return {}
    did, rkey = found.group(1), found.group(3)
    url = f"{APP_URL}/profile/{did}/{page}/{rkey}"
    profile = f"{APP_URL}/profile/{did}"
    if page == "post":
        return {"quote": quote(url, id=uri, handle=did, profile_url=profile)}
    return {"card": card(url, title=f"Bluesky {page.replace('-', ' ')}", site="bsky.app")}


def record_extras(did: str, embed: Any) -> dict[str, Any] | None:
    """The link card and the quoted post of an embed (``crowdwall.ingest.extras``), or None."""
    if not isinstance(embed, Mapping):
        return None
    kind = embed.get("$type")
    extras: dict[str, Any] = {}
    if kind == "app.bsky.embed.recordWithMedia":
        record = embed.get("record")
        extras.update(_record(record.get("record") if isinstance(record, Mapping) else None))
        media = embed.get("media")
        is_link = isinstance(media, Mapping) and media.get("$type") == "app.bsky.embed.external"
        if is_link and (found := _card(did, media.get("external"))):
            extras["card"] = found
    elif kind == "app.bsky.embed.record":
        extras.update(_record(embed.get("record")))
    elif kind == "app.bsky.embed.external" and (found := _card(did, embed.get("external"))):
        extras["card"] = found
    return extras or None
