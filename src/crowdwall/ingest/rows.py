"""How prepared posts become table rows: the columns ingest writes, and their values."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from crowdwall.ingest.bulk import upsert_rows
from crowdwall.ingest.normalize import IncomingAuthor
from crowdwall.ingest.prepare import Prepared
from crowdwall.ingest.withdraw import CONSENT_FIELDS, consent_values
from crowdwall.models import Author

COUNT_FIELDS = ("boosts_count", "favourites_count", "replies_count")
AUTHOR_FIELDS = [
    "handle",
    "display_name",
    "avatar_url",
    "profile_url",
    "is_bot",
    *CONSENT_FIELDS,
    "opted_out",
    "updated_at",
]


def upsert_authors(entries: list[Prepared], now: datetime) -> dict[str, int]:
    """Insert or refresh the authors of ``entries`` (one statement); author key -> id."""
    authors: dict[str, IncomingAuthor] = {}
    for entry in entries:
        author = entry.post.author
        assert author is not None
        authors[author.id] = author  # the latest version of each author in the chunk
    return upsert_rows(
        Author,
        ["key", *AUTHOR_FIELDS],
        (
            (
                a.id,
                a.handle,
                a.display_name,
                a.avatar_url,
                a.profile_url,
                a.is_bot,
                *consent_values(a),
                now,
            )
            for a in authors.values()
        ),
        unique="key",
        update=AUTHOR_FIELDS,
    )


CONTENT_FIELDS = [
    "url",
    "content_html",
    "text",
    "spoiler_text",
    "sensitive",
    "is_reply",
    "is_boost",
    "language",
    "hashtags",
    "media",
    "extras",
    "fingerprint",
    "edited_at",
    *COUNT_FIELDS,
]
POST_FIELDS = [
    "source", "external_id", "author", *CONTENT_FIELDS, "created_at", "date_estimated", "ingested_at"
]  # fmt: skip
# What dedupe compares a stored post with (the first two are its id and external id).
EXISTING_FIELDS = ["id", "external_id", "fingerprint", "edited_at", "deleted_at", *COUNT_FIELDS]
ENTRY_FIELDS = ["wall", "post", "author", "created_at", "state", "reason", "pinned", "moderated_at"]


def content_values(entry: Prepared) -> tuple[Any, ...]:
    """The post's content columns, in ``CONTENT_FIELDS`` order."""
    post = entry.post
    return (
        post.url,
        entry.html,
        entry.text,
        post.spoiler_text,
        post.sensitive,
        post.is_reply,
        post.is_boost,
        post.language,
        entry.hashtags,
        entry.media,
        post.extras or {},
        entry.fingerprint,
        post.edited_at,
        post.boosts_count,
        post.favourites_count,
        post.replies_count,
    )


def content(entry: Prepared) -> dict[str, Any]:
    return dict(zip(CONTENT_FIELDS, content_values(entry), strict=True))
