"""``IncomingPost``: the one shape every source adapter produces, and its validation.

Adapters translate their wire format (a Mastodon status, a Jetstream commit, a feed entry, our
JSON for replay and webhooks) into ``IncomingPost``; ``clean_post`` then checks and bounds it the
same way for every source, raising ``InvalidPost`` with a short reason for what cannot be stored.
``crowdwall.ingest.post_json.from_dict`` reads crowdwall's own JSON format.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from crowdwall.conf import conf
from crowdwall.exceptions import InvalidPost
from crowdwall.ingest.dates import parse_date  # re-exported: sources import it from here
from crowdwall.ingest.extras import clean_extras
from crowdwall.ingest.extras import safe_url as _url
from crowdwall.ingest.storable import storable_post
from crowdwall.ingest.wire import positional_pickle

UPSERT = "upsert"
DELETE = "delete"
MEDIA_TYPES = frozenset({"image", "video", "gifv", "audio", "unknown"})
# Field sizes (the model columns have the same limits).
ID_LENGTH = 255
NAME_LENGTH = 255
URL_LENGTH = 1000
SPOILER_LENGTH = 500
ALT_LENGTH = 1500
MAX_TAGS = 50
EARLIEST_POST = datetime(2000, 1, 1, tzinfo=UTC)  # an older created_at is refused as a bad date


@dataclass(frozen=True, slots=True)
class Limits:
    """The size limits of ``CROWDWALL`` settings, read once per batch rather than per post."""

    max_post_bytes: int
    max_text_length: int
    max_media: int
    future_tolerance: float

    @classmethod
    def current(cls) -> Limits:
        return cls(conf.MAX_POST_BYTES, conf.MAX_TEXT_LENGTH, conf.MAX_MEDIA, conf.FUTURE_TOLERANCE)


@positional_pickle
@dataclass(slots=True)
class IncomingAuthor:
    id: str  # stable, globally unique: a DID, an ActivityPub actor URI, "replay:ann", ...
    handle: str
    display_name: str = ""
    avatar_url: str = ""
    profile_url: str = ""
    is_bot: bool = False
    # Consent flags as the source reported them; None: not reported (crowdwall.ingest.consent).
    noindex: bool | None = None
    discoverable: bool | None = None
    indexable: bool | None = None
    no_unauthenticated: bool | None = None


@positional_pickle
@dataclass(slots=True)
class IncomingMedia:
    url: str
    type: str = "image"
    alt: str = ""
    preview_url: str = ""
    blurhash: str = ""  # a placeholder to paint while the image loads (Mastodon sends one)


@positional_pickle
@dataclass(slots=True)
class IncomingPost:
    """A post (or a deletion) as a source reported it, before sanitizing and matching."""

    external_id: str
    action: str = UPSERT
    author: IncomingAuthor | None = None
    html: str = ""  # raw, untrusted HTML
    text: str = ""  # plain text, for sources without HTML (used when ``html`` is empty)
    created_at: datetime | None = None
    edited_at: datetime | None = None
    url: str = ""
    spoiler_text: str = ""
    sensitive: bool = False
    is_reply: bool = False
    is_boost: bool = False
    language: str = ""
    hashtags: tuple[str, ...] = ()
    media: tuple[IncomingMedia, ...] = ()
    boosts_count: int | None = None
    favourites_count: int | None = None
    replies_count: int | None = None
    # The post's own date could not be read (or lay in the future): ``created_at`` is the
    # ingest time or the source's best guess, and pages must not present it as brand new.
    date_estimated: bool = False
    # A link card, a poll, a quoted post: JSON-ready dicts (``crowdwall.ingest.extras``).
    extras: dict[str, Any] | None = None
    # The author asked for this post alone not to be shown outside their network (Bluesky's
    # ``!no-unauthenticated`` self-label on the record; crowdwall.ingest.consent).
    opted_out: bool = False
    # Who boosted (reblogged, reposted) the post into the stream, when it came as a boost:
    # matched against the wall's trusted accounts (crowdwall.ingest.verdicts), never stored.
    booster_id: str = ""
    booster_handle: str = ""

    @classmethod
    def deletion(cls, external_id: str) -> IncomingPost:
        return cls(external_id=external_id, action=DELETE)


# Reading our JSON format -------------------------------------------------------------------


def _count(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return min(value, 2**31 - 1)


# Authors post again and again: their avatar and profile URLs are checked once while they do.
_author_url = lru_cache(maxsize=4096)(_url)


def clean_post(post: IncomingPost, *, now: datetime, limits: Limits | None = None) -> IncomingPost:
    """A validated, bounded copy of ``post``; ``InvalidPost`` if it cannot be stored at all.

    Rejected: no or overlong id, no author id/handle, no or unparseable or pre-2000 date, raw
    content bigger than ``MAX_POST_BYTES``. Cleaned: unsafe or overlong URLs dropped, strings
    cut to their column size, counts that are not non-negative integers forgotten, media beyond
    ``MAX_MEDIA`` dropped, dates in the future replaced by ``now`` (and flagged
    ``date_estimated``). Every string is made
    ``storable`` first: this is the one place every item of every source passes.
    """
    limits = limits or Limits.current()
    post = storable_post(post)
    external_id = str(post.external_id or "").strip()
    if not external_id:
        raise InvalidPost("missing field", "'id'")
    if len(external_id) > ID_LENGTH:
        raise InvalidPost("id too long", f"{len(external_id)} characters")
    if post.action == DELETE:
        return IncomingPost.deletion(external_id)
    if post.action != UPSERT:
        raise InvalidPost("bad action", repr(post.action), external_id=external_id)
    author = post.author
    author_id = str(author.id or "").strip() if author else ""
    handle = str(author.handle or "").strip().lstrip("@") if author else ""
    if author is None or not author_id or not handle:
        raise InvalidPost("missing field", "author id and handle", external_id=external_id)
    if len(author_id) > ID_LENGTH:
        raise InvalidPost("author id too long", external_id=external_id)
    raw_html, raw_text = str(post.html or ""), str(post.text or "")
    spoiler = str(post.spoiler_text or "")
    size = len(raw_html) + len(raw_text) + len(spoiler)
    limit = limits.max_post_bytes
    if size * 4 > limit:  # UTF-8 needs at most 4 bytes a character: encode only when close
        size = sum(len(s.encode()) for s in (raw_html, raw_text, spoiler))
        if size > limit:
            raise InvalidPost("too large", f"{size} bytes > {limit}", external_id=external_id)
    if post.created_at in (None, ""):
        raise InvalidPost("missing field", "'created_at'", external_id=external_id)
    try:
        created_at = parse_date(post.created_at)
        edited_at = parse_date(post.edited_at) if post.edited_at else None
    except InvalidPost as exc:
        exc.external_id = external_id
        raise
    if created_at < EARLIEST_POST:
        raise InvalidPost(
            "bad date", f"{created_at.isoformat()} is too old", external_id=external_id
        )
    horizon = now + timedelta(0, limits.future_tolerance)  # (days, seconds): no keyword dict
    estimated = bool(post.date_estimated)
    if created_at > horizon:
        created_at, estimated = now, True
    if edited_at is not None and (edited_at > horizon or edited_at < created_at):
        edited_at = now if edited_at > horizon else created_at
    media = (
        tuple(
            IncomingMedia(
                url,  # url
                m.type if m.type in MEDIA_TYPES else "unknown",  # type
                (m.alt or "")[:ALT_LENGTH],  # alt
                _url(m.preview_url),  # preview_url
                (m.blurhash or "")[:100],  # blurhash
            )
            for m in post.media[: limits.max_media]
            if (url := _url(m.url))
        )
        if post.media
        else ()
    )
    # Built field by field rather than with dataclasses.replace (a third of the cost), and with
    # positional arguments in field order (commented; see post_json.from_dict); a test checks that every
    # field of IncomingPost is carried over.
    return IncomingPost(
        external_id,  # external_id
        UPSERT,  # action
        IncomingAuthor(
            author_id,  # id
            handle[:NAME_LENGTH],  # handle
            str(author.display_name or "").strip()[:NAME_LENGTH],  # display_name
            _author_url(author.avatar_url or ""),  # avatar_url
            _author_url(author.profile_url or ""),  # profile_url
            bool(author.is_bot),  # is_bot
            # Inline, not a helper per flag: four calls per post for what is mostly None.
            None if (flag := author.noindex) is None else bool(flag),  # noindex
            None if (flag := author.discoverable) is None else bool(flag),  # discoverable
            None if (flag := author.indexable) is None else bool(flag),  # indexable
            None if (flag := author.no_unauthenticated) is None else bool(flag),  # no_unauth...
        ),
        raw_html,  # html
        raw_text,  # text
        created_at,  # created_at
        edited_at,  # edited_at
        _url(post.url),  # url
        spoiler.strip()[:SPOILER_LENGTH],  # spoiler_text
        post.sensitive,  # sensitive
        post.is_reply,  # is_reply
        post.is_boost,  # is_boost
        str(post.language or "")[:16],  # language
        tuple(map(str, post.hashtags[:MAX_TAGS])),  # hashtags
        media,  # media
        _count(post.boosts_count),  # boosts_count
        _count(post.favourites_count),  # favourites_count
        _count(post.replies_count),  # replies_count
        estimated,  # date_estimated
        (clean_extras(post.extras) or None) if post.extras else None,  # extras
        bool(post.opted_out),  # opted_out
        # Only matched against trusted accounts, never stored: bounded like an author's key.
        str(post.booster_id or "")[:ID_LENGTH],  # booster_id
        str(post.booster_handle or "")[:ID_LENGTH],  # booster_handle
    )
