"""Mastodon's wire format: status ids (strings) and statuses mapped to ``IncomingPost``.

Ids are strings on the wire and stay strings here: Mastodon's are decimal snowflakes that
outgrow 53-bit floats in JavaScript clients, and servers speaking the same API (Pleroma,
Akkoma) use base62 flake ids. Newer means longer, then lexically greater ("99" < "100").

A boost (``reblog``) keeps *its own* id as ``external_id`` — that is the id the timeline pages
by and the id a later ``delete`` event (an un-boost) names — while content, author, media, tags
and counts come from the boosted status, with ``is_boost=True``. ``created_at`` is the boost's
(when it reached the timeline); ``edited_at`` and ``url`` are the original's. Who boosted it
(``booster_id``/``booster_handle``) is kept for matching alone: a wall's trusted account that
boosts a post lets it skip the queue (``crowdwall.ingest.verdicts``).

Authors are keyed by their ActivityPub actor URI (``account.uri``, the same on every server),
falling back to the profile URL and then to ``mastodon:<host>:<account id>``: a bare account id
is only unique on one server, and ``Author.key`` is global. Local handles get ``@host`` added.

Custom emoji, polls, preview cards and quotes: ``crowdwall.sources.mastodon.shapes``.
Each status carries its account's ``noindex``, ``discoverable`` and ``indexable`` flags, so an
account's consent is re-read with every post (``crowdwall.ingest.consent``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from crowdwall.exceptions import InvalidPost
from crowdwall.ingest.normalize import (
    ID_LENGTH,
    MEDIA_TYPES,
    IncomingAuthor,
    IncomingMedia,
    IncomingPost,
    parse_date,
)
from crowdwall.sources.mastodon.shapes import status_extras, with_emoji


def id_key(status_id: str) -> tuple[int, str]:
    """Sort key for Mastodon ids: by length, then lexically — never ``int()``."""
    return (len(status_id), status_id)


def is_newer(candidate: str, than: str) -> bool:
    """Whether id ``candidate`` is newer than ``than`` (an empty ``than`` is older than all)."""
    return bool(candidate) and id_key(candidate) > id_key(than)


def newest(ids: Iterable[str]) -> str:
    """The newest of ``ids`` ("" when there are none)."""
    return max((i for i in ids if i), key=id_key, default="")


def check_id(value: Any, field: str = "id") -> str:
    """``value`` if it is a usable status/account id; ``InvalidPost`` otherwise."""
    if not isinstance(value, str):
        raise InvalidPost("missing field" if value is None else "wrong type", repr(field))
    if not value or len(value) > ID_LENGTH or not value.isprintable() or " " in value:
        raise InvalidPost("bad id", f"{field}={value[:40]!r}")
    return value


def _get(data: Mapping[str, Any], key: str, kind: type | tuple[type, ...], default: Any) -> Any:
    """``data[key]`` if it has type ``kind``; ``default`` when missing or null."""
    value = data.get(key)
    if value is None:
        return default
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise InvalidPost("wrong type", repr(key))
    return value


def _required(data: Mapping[str, Any], key: str, kind: type) -> Any:
    if data.get(key) is None:
        raise InvalidPost("missing field", repr(key))
    return _get(data, key, kind, None)


def _count(data: Mapping[str, Any], key: str) -> int | None:
    value = data.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _flag(data: Mapping[str, Any], key: str) -> bool | None:
    """A consent flag; anything but true or false is "not reported" (it costs no post)."""
    value = data.get(key)
    return value if isinstance(value, bool) else None


def to_author(account: Any, host: str) -> IncomingAuthor:
    if not isinstance(account, Mapping):
        raise InvalidPost("missing field" if account is None else "wrong type", "'account'")
    account_id = check_id(account.get("id"), "account.id")
    acct = (_get(account, "acct", str, "") or _get(account, "username", str, "")).lstrip("@")
    if not acct:
        raise InvalidPost("missing field", "'account.acct'")
    uri = _get(account, "uri", str, "")
    profile = _get(account, "url", str, "")
    key = next(
        (u for u in (uri, profile) if u.startswith(("https://", "http://"))),
        f"mastodon:{host}:{account_id}",
    )
    return IncomingAuthor(
        id=key,
        handle=acct if "@" in acct else f"{acct}@{host}",
        display_name=_get(account, "display_name", str, ""),
        avatar_url=_get(account, "avatar", str, ""),
        profile_url=profile,
        is_bot=_get(account, "bot", bool, False),
        # Consent flags (crowdwall.ingest.consent); absent or null on servers that predate them.
        noindex=_flag(account, "noindex"),
        discoverable=_flag(account, "discoverable"),
        indexable=_flag(account, "indexable"),
    )


def _media(items: list[Any]) -> tuple[IncomingMedia, ...]:
    media = []
    for item in items:
        if not isinstance(item, Mapping):
            raise InvalidPost("wrong type", "'media_attachments' must hold objects")
        # Our server's copy first; the original on the author's server if it has none.
        url = _get(item, "url", str, "") or _get(item, "remote_url", str, "")
        if not url:
            continue  # remote media the server has not fetched: nothing to show
        kind = _get(item, "type", str, "unknown")
        media.append(
            IncomingMedia(
                url=url,
                type=kind if kind in MEDIA_TYPES else "unknown",
                alt=_get(item, "description", str, ""),
                preview_url=_preview(_get(item, "preview_url", str, "")),
                blurhash=_get(item, "blurhash", str, ""),
            )
        )
    return tuple(media)


_NOT_A_PICTURE = (".mp3", ".ogg", ".oga", ".m4a", ".wav", ".flac", ".opus", ".mp4", ".webm", ".mov")


def _preview(url: str) -> str:
    """A preview is a picture; servers without one for audio repeat the audio file itself (as
    Mastodon's own documentation shows), which an <img> or a poster cannot show."""
    return "" if url.lower().split("?", 1)[0].endswith(_NOT_A_PICTURE) else url


def _tags(items: list[Any]) -> tuple[str, ...]:
    names = []
    for item in items:
        name = item.get("name") if isinstance(item, Mapping) else None
        if not isinstance(name, str):
            raise InvalidPost("wrong type", "'tags' must hold objects with a name")
        names.append(name)
    return tuple(names)


def _booster(status: Mapping[str, Any], host: str) -> IncomingAuthor | None:
    """The account that boosted a status; None when unreadable (the boosted post is still fine)."""
    try:
        return to_author(status.get("account"), host)
    except InvalidPost:
        return None


def to_post(status: Any, *, host: str) -> IncomingPost:
    """The ``IncomingPost`` for one status (REST entity or streaming payload).

    ``InvalidPost`` when the status is unusable: not an object, no id, no account, no
    ``created_at``, no ``content``, or a field of the wrong type.
    """
    if not isinstance(status, Mapping):
        raise InvalidPost("not an object", type(status).__name__)
    external_id = check_id(status.get("id"))
    try:
        reblog = status.get("reblog")
        if reblog is not None and not isinstance(reblog, Mapping):
            raise InvalidPost("wrong type", "'reblog'")
        original: Mapping[str, Any] = reblog if reblog is not None else status
        if reblog is not None:
            check_id(reblog.get("id"), "reblog.id")
        edited = _get(original, "edited_at", str, "")
        booster = _booster(status, host) if reblog is not None else None
        return IncomingPost(
            external_id=external_id,
            author=to_author(original.get("account"), host),
            html=with_emoji(_required(original, "content", str), original.get("emojis")),
            created_at=parse_date(_required(status, "created_at", str)),
            edited_at=parse_date(edited) if edited else None,
            url=_get(original, "url", str, "") or _get(original, "uri", str, ""),
            spoiler_text=_get(original, "spoiler_text", str, ""),
            sensitive=_get(original, "sensitive", bool, False),
            is_reply=_get(original, "in_reply_to_id", str, "") != "",
            is_boost=reblog is not None,
            language=_get(original, "language", str, ""),
            hashtags=_tags(_get(original, "tags", list, [])),
            media=_media(_get(original, "media_attachments", list, [])),
            boosts_count=_count(original, "reblogs_count"),
            favourites_count=_count(original, "favourites_count"),
            replies_count=_count(original, "replies_count"),
            extras=status_extras(original, host),
            booster_id=booster.id if booster else "",
            booster_handle=booster.handle if booster else "",
        )
    except InvalidPost as exc:
        exc.external_id = external_id
        raise


def to_deletion(payload: Any) -> IncomingPost:
    """The deletion a ``delete`` event announces (its payload is the bare status id)."""
    return IncomingPost.deletion(check_id(payload.strip() if isinstance(payload, str) else payload))
