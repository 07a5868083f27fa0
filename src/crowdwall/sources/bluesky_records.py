"""A Bluesky post record (``app.bsky.feed.post``, as Jetstream delivers it) as an ``IncomingPost``.

- ``external_id`` is the post's at-uri ``at://DID/app.bsky.feed.post/RKEY``; ``url`` its page on
  bsky.app (which accepts a DID where the handle would go).
- Text is plain; when the record has facets (rich-text spans addressed by UTF-8 *byte* offsets)
  we build HTML with a link for each ``#link``, ``#mention`` and ``#tag`` facet and everything
  else escaped. The pipeline sanitizes that HTML like any other.
- Commits carry no handle or display name, only the author's DID: the DID is the stable author id
  and, until an identity event tells us the handle, also the handle shown (placeholder).
- ``createdAt`` is chosen by the client, so it is parsed leniently; when it is missing, not a
  date or older than the pipeline accepts (before 2000), the time Jetstream saw the event
  stands in (and the post is flagged ``date_estimated``).
- The embed (images, gallery, video, link card, quoted post) is read by
  ``crowdwall.sources.bluesky_embeds``.
- A record self-labelled ``!no-unauthenticated`` (its author does not want it shown to
  logged-out viewers) is ``opted_out``: no wall shows it (``crowdwall.ingest.consent``). A post
  whose author's *profile* carries the label (``labelled``: the filter knows it) comes with the
  author's ``no_unauthenticated`` flag set, which opts the account out.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple
from urllib.parse import quote

from crowdwall.exceptions import InvalidPost
from crowdwall.ingest.consent import has_opt_out_label
from crowdwall.ingest.items import loads
from crowdwall.ingest.match import normalize_hashtag
from crowdwall.ingest.normalize import EARLIEST_POST, IncomingAuthor, IncomingPost, parse_date
from crowdwall.sources.bluesky_embeds import record_extras, record_media

POST_COLLECTION = "app.bsky.feed.post"
PROFILE_COLLECTION = "app.bsky.actor.profile"  # one record per account, rkey "self"
TAG_FEATURE = "app.bsky.richtext.facet#tag"
LINK_FEATURE = "app.bsky.richtext.facet#link"
MENTION_FEATURE = "app.bsky.richtext.facet#mention"
APP_URL = "https://bsky.app"
# Self-labels an author puts on their own post (com.atproto.label.defs#selfLabels).
SENSITIVE_LABELS = frozenset({"porn", "sexual", "nudity", "graphic-media", "gore"})

DID = re.compile(r"^did:[a-z]+:[A-Za-z0-9._:%-]{1,2000}$")
RKEY = re.compile(r"^[A-Za-z0-9._:~-]{1,512}$")
_BLANK_LINES = re.compile(r"\n[^\S\n]*\n\s*")


def at_uri(did: str, rkey: str) -> str:
    return f"at://{did}/{POST_COLLECTION}/{rkey}"


def time_from_us(time_us: int) -> datetime:
    return datetime.fromtimestamp(time_us / 1_000_000, tz=UTC)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _facets(record: Mapping[str, Any]) -> list[tuple[int, int, str]]:
    """(byteStart, byteEnd, link target) of every well-formed facet that links somewhere."""
    found = []
    for facet in _list(record.get("facets")):
        index = facet.get("index") if isinstance(facet, Mapping) else None
        if not isinstance(index, Mapping):
            continue
        start, end = index.get("byteStart"), index.get("byteEnd")
        hrefs = [_href(f) for f in _list(facet.get("features")) if isinstance(f, Mapping)]
        href = next((h for h in hrefs if h), "")
        if isinstance(start, int) and isinstance(end, int) and href:
            found.append((start, end, href))
    return found


def record_tags(record: Mapping[str, Any]) -> list[str]:
    """Normalised hashtags of the tag facets and of the record's ``tags`` field (not the text)."""
    raw = [
        feature.get("tag")
        for facet in _list(record.get("facets"))
        if isinstance(facet, Mapping)
        for feature in _list(facet.get("features"))
        if isinstance(feature, Mapping) and feature.get("$type") == TAG_FEATURE
    ]
    raw += _list(record.get("tags"))
    tags = {normalize_hashtag(tag): None for tag in raw if isinstance(tag, str)}
    tags.pop("", None)
    return list(tags)


def _href(feature: Mapping[str, Any]) -> str:
    kind = feature.get("$type")
    if kind == LINK_FEATURE:
        uri = feature.get("uri")
        ok = isinstance(uri, str) and uri[:8].lower().startswith(("https://", "http://"))
        return uri if ok else ""
    if kind == MENTION_FEATURE:
        did = feature.get("did")
        return f"{APP_URL}/profile/{did}" if isinstance(did, str) and DID.match(did) else ""
    if kind == TAG_FEATURE:
        tag = feature.get("tag")
        if isinstance(tag, str) and tag.strip("# "):
            return f"{APP_URL}/hashtag/{quote(tag.lstrip('#'), safe='')}"
    return ""


def _escape(text: str) -> str:
    escaped = html.escape(text, quote=True)
    return _BLANK_LINES.sub("</p><p>", escaped).replace("\n", "<br>")


def record_html(text: str, record: Mapping[str, Any]) -> str:
    """HTML of the text with a link per link/mention/tag facet, or "" when there is none.

    Facets index UTF-8 bytes; overlapping, out-of-range or mid-character spans are skipped.
    """
    spans = sorted(_facets(record), key=lambda span: span[:2])
    if not spans:
        return ""
    data = text.encode()
    out, position = [], 0
    for start, end, href in spans:
        if start < position or end <= start or end > len(data):
            continue  # overlapping or outside the text
        try:
            before, label = data[position:start].decode(), data[start:end].decode()
        except UnicodeDecodeError:
            continue  # a span that cuts a character in half
        out += [_escape(before), f'<a href="{html.escape(href, quote=True)}">']
        out += [_escape(label), "</a>"]
        position = end
    out.append(_escape(data[position:].decode(errors="replace")))
    return f"<p>{''.join(out)}</p>"


def _sensitive(record: Mapping[str, Any]) -> bool:
    labels = record.get("labels")
    values = labels.get("values") if isinstance(labels, Mapping) else None
    return any(isinstance(v, Mapping) and v.get("val") in SENSITIVE_LABELS for v in _list(values))


def _opted_out(record: Mapping[str, Any]) -> bool:
    """Whether the record carries the ``!no-unauthenticated`` self-label."""
    labels = record.get("labels")
    return has_opt_out_label(labels.get("values") if isinstance(labels, Mapping) else None)


def _created_at(record: Mapping[str, Any], time_us: int) -> tuple[datetime, bool]:
    """The record's ``createdAt``, else the event's time, flagged as an estimate."""
    try:
        created = parse_date(record.get("createdAt"))
    except InvalidPost:
        return time_from_us(time_us), True
    # A client may claim any time (backdated imports, 1970 from a zeroed clock); the pipeline
    # refuses a post that old, and the time Jetstream saw it is known: that one stands in.
    return (created, False) if created >= EARLIEST_POST else (time_from_us(time_us), True)


class JetstreamPost(NamedTuple):
    """A created or edited post record the filter matched, converted by the pipeline
    (``crowdwall.ingest.items.Deferred``): rendering the HTML from the facets is half of a
    frame's cost, and this way it runs in a prepare worker for big batches, not in the stream
    process (its arguments are ``post_from_record``'s; the record's text is a string).

    ``frame``: the Jetstream frame's text the record was parsed from. When given, the post is
    pickled (to go to a worker) as that text and parsed again there: a parsed record costs
    ~5 us to pickle in the stream process and ~8 us to load, its text ~1 us and ~3 us."""

    did: str
    rkey: str
    record: dict[str, Any]
    time_us: int
    handle: str = ""
    update: bool = False
    tags: list[str] | None = None
    frame: str = ""
    labelled: bool = False  # the author's profile carries ``!no-unauthenticated``

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        if not self.frame:
            return JetstreamPost, tuple(self)
        return _from_frame, (
            self.did, self.rkey, self.frame, self.time_us, self.handle, self.update, self.tags,
            self.labelled,
        )  # fmt: skip

    def to_post(self) -> IncomingPost:
        return post_from_record(
            self.did,
            self.rkey,
            self.record,
            time_us=self.time_us,
            handle=self.handle,
            update=self.update,
            tags=self.tags,
            labelled=self.labelled,
        )


def _from_frame(
    did: str,
    rkey: str,
    frame: str,
    time_us: int,
    handle: str,
    update: bool,
    tags: list[str] | None,
    labelled: bool = False,
) -> JetstreamPost:
    """A ``JetstreamPost`` unpickled from its frame's text (see ``JetstreamPost.frame``)."""
    record = loads(frame)["commit"]["record"]  # the filter checked this shape
    return JetstreamPost(did, rkey, record, time_us, handle, update, tags, labelled=labelled)


def post_from_record(
    did: str,
    rkey: str,
    record: Mapping[str, Any],
    *,
    time_us: int,
    handle: str = "",
    update: bool = False,
    tags: list[str] | None = None,
    labelled: bool = False,
) -> IncomingPost:
    """The ``IncomingPost`` of a created (or, with ``update``, edited) post record.
    ``tags``: the record's tags when the caller already has them (``record_tags``);
    ``labelled``: the author's profile carries ``!no-unauthenticated``."""
    text = record.get("text")
    if not isinstance(text, str):
        raise InvalidPost("wrong type", "'text' must be a string", external_id=at_uri(did, rkey))
    langs = record.get("langs")
    language = langs[0] if isinstance(langs, list) and langs and isinstance(langs[0], str) else ""
    created_at, estimated = _created_at(record, time_us)
    return IncomingPost(
        external_id=at_uri(did, rkey),
        author=IncomingAuthor(
            id=did,
            handle=handle or did,
            profile_url=f"{APP_URL}/profile/{did}",
            # Unlabelled is "not reported", not consent: the profile may be unknown to us.
            no_unauthenticated=True if labelled else None,
        ),
        html=record_html(text, record),
        text=text,
        created_at=created_at,
        edited_at=time_from_us(time_us) if update else None,
        url=f"{APP_URL}/profile/{did}/post/{rkey}",
        sensitive=_sensitive(record),
        is_reply=isinstance(record.get("reply"), Mapping),
        language=language,
        hashtags=tuple(record_tags(record) if tags is None else tags),
        media=tuple(record_media(did, record.get("embed"))),
        date_estimated=estimated,
        extras=record_extras(did, record.get("embed")),
        opted_out=_opted_out(record),
    )
