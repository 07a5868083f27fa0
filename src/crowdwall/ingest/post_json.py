"""crowdwall's own JSON format for posts (replay files and webhooks), read by ``from_dict``
(``crowdwall.ingest.items`` has the other shapes an adapter may hand over, such as the same
format as text)::

    {"id": "123", "action": "create",          # or "update" / "delete" (then only "id")
     "created_at": "2025-05-01T10:00:00Z", "edited_at": null, "url": "https://...",
     "author": {"id": "stable-id", "handle": "ann@example.social", "display_name": "Ann",
                "avatar_url": "https://...", "profile_url": "https://...", "bot": false,
                "noindex": null, "discoverable": null, "indexable": null,  # optional consent
                "no_unauthenticated": null},            # flags: crowdwall.ingest.consent
     "html": "<p>...</p>",                      # or "text": "plain text"
     "spoiler_text": "", "sensitive": false, "reply": false, "boost": false, "language": "en",
     "tags": ["djangocon"], "media": [{"url": "https://...", "type": "image", "alt": "...",
                                       "preview_url": "https://...", "blurhash": "..."}],
     "counts": {"boosts": 1, "favourites": 4, "replies": 0},
     "card": {...}, "poll": {...}, "quote": {...},  # optional: crowdwall.ingest.extras
     "boosted_by": {"id": "stable-id", "handle": "bob@example.social"},  # optional: a boost's booster
     "date_estimated": false}                   # optional: created_at is a guess
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crowdwall.exceptions import InvalidPost
from crowdwall.ingest.dates import parse_date
from crowdwall.ingest.extras import EXTRA_KINDS
from crowdwall.ingest.normalize import (
    DELETE,
    UPSERT,
    IncomingAuthor,
    IncomingMedia,
    IncomingPost,
)

_ACTIONS = {"create": UPSERT, "update": UPSERT, "upsert": UPSERT, "delete": DELETE}


def _str(data: Mapping[str, Any], key: str, default: str = "") -> str:
    value = data.get(key, default)
    if type(value) is str:  # the common case first: this runs a dozen times per post
        return value
    if value is None:
        return default
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise InvalidPost("wrong type", f"{key!r} must be a string")
    return str(value)


def _bool(data: Mapping[str, Any], key: str) -> bool:
    value = data.get(key, False)
    if value is False or value is True:
        return value
    if value is None:
        return False
    if not isinstance(value, bool):
        raise InvalidPost("wrong type", f"{key!r} must be true or false")
    return value


_FLAGS = ("noindex", "discoverable", "indexable", "no_unauthenticated")
_NOT_REPORTED = (None, None, None, None)


def _flags(data: Mapping[str, Any]) -> tuple[bool | None, ...]:
    """An author's optional true/false consent flags (``None`` when missing or null: not
    reported), in ``_FLAGS`` order (``IncomingAuthor``'s); read together, since every post
    carries an author."""
    get = data.get
    flags = (get("noindex"), get("discoverable"), get("indexable"), get("no_unauthenticated"))
    if flags == _NOT_REPORTED:  # most authors
        return flags
    for key, value in zip(_FLAGS, flags, strict=True):
        if not (value is None or value is True or value is False):
            raise InvalidPost("wrong type", f"{key!r} must be true, false or null")
    return flags


def _is_mapping(value: Any) -> bool:
    # ``dict`` first: what json.loads returns, checked without the ABC machinery.
    return type(value) is dict or isinstance(value, Mapping)


def _booster(data: Any) -> tuple[str, str]:
    """``booster_id``, ``booster_handle`` from an optional ``boosted_by`` object."""
    if data is None:
        return "", ""
    if not _is_mapping(data):
        raise InvalidPost("wrong type", "'boosted_by' must be an object")
    return _str(data, "id"), _str(data, "handle")


def from_dict(data: Any) -> IncomingPost:
    """Parse one post in crowdwall's JSON format (see the module docstring)."""
    if not _is_mapping(data):
        raise InvalidPost("not an object", type(data).__name__)
    external_id = _str(data, "id").strip()
    if not external_id:
        raise InvalidPost("missing field", "'id'")
    action = _ACTIONS.get(_str(data, "action", "create"))
    if action is None:
        raise InvalidPost("bad action", repr(data.get("action")), external_id=external_id)
    if action == DELETE:
        return IncomingPost.deletion(external_id)
    try:
        author_data = data.get("author")
        if not _is_mapping(author_data):
            raise InvalidPost("missing field", "'author'")
        media = data.get("media") or []
        tags = data.get("tags") or []
        counts = data.get("counts") or {}
        # Loops rather than all(<generator>): no generator to build, most lists are short.
        if not isinstance(media, list):
            raise InvalidPost("wrong type", "'media' must be a list of objects")
        for m in media:
            if not _is_mapping(m):
                raise InvalidPost("wrong type", "'media' must be a list of objects")
        if not isinstance(tags, list):
            raise InvalidPost("wrong type", "'tags' must be a list of strings")
        for t in tags:
            if not isinstance(t, str):
                raise InvalidPost("wrong type", "'tags' must be a list of strings")
        if not _is_mapping(counts):
            raise InvalidPost("wrong type", "'counts' must be an object")
        if data.get("created_at") in (None, ""):
            raise InvalidPost("missing field", "'created_at'")
        # Positional arguments, in the dataclasses' field order (commented): a class called
        # with keywords packs them into a dict and unpacks it again, a quarter of the cost of
        # reading a post. Evaluated in the same order as the fields, so the first problem
        # found is the same as field by field.
        author = IncomingAuthor(
            _str(author_data, "id"),  # id
            _str(author_data, "handle"),  # handle
            _str(author_data, "display_name"),  # display_name
            _str(author_data, "avatar_url"),  # avatar_url
            _str(author_data, "profile_url"),  # profile_url
            _bool(author_data, "bot"),  # is_bot
            *_flags(author_data),  # noindex, discoverable, indexable, no_unauthenticated
        )
        edited = data.get("edited_at")
        return IncomingPost(
            external_id,  # external_id
            UPSERT,  # action
            author,  # author
            _str(data, "html"),  # html
            _str(data, "text"),  # text
            parse_date(data.get("created_at")),  # created_at
            parse_date(edited) if edited else None,  # edited_at
            _str(data, "url"),  # url
            _str(data, "spoiler_text"),  # spoiler_text
            _bool(data, "sensitive"),  # sensitive
            _bool(data, "reply"),  # is_reply
            _bool(data, "boost"),  # is_boost
            _str(data, "language"),  # language
            tuple(tags),  # hashtags
            tuple(
                IncomingMedia(
                    _str(m, "url"),  # url
                    _str(m, "type", "image"),  # type
                    _str(m, "alt"),  # alt
                    _str(m, "preview_url"),  # preview_url
                    _str(m, "blurhash"),  # blurhash
                )
                for m in media
            )
            if media
            else (),  # media
            counts.get("boosts"),  # boosts_count
            counts.get("favourites"),  # favourites_count
            counts.get("replies"),  # replies_count
            _bool(data, "date_estimated"),  # date_estimated
            {k: data[k] for k in EXTRA_KINDS if data.get(k)} or None,  # extras
            False,  # opted_out
            *_booster(data.get("boosted_by")),  # booster_id, booster_handle
        )
    except InvalidPost as exc:
        exc.external_id = external_id
        raise


# Validation --------------------------------------------------------------------------------
