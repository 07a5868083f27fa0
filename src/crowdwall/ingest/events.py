"""What an event carries of a post just stored: what a page needs to show it, JSON-ready.

Built from the prepared post (``crowdwall.ingest.prepare.Prepared``) and its new id, so
announcing a stored chunk reads nothing back from the database.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from crowdwall.ingest.bulk import utc_text
from crowdwall.ingest.extras import EXTRA_KINDS
from crowdwall.ingest.prepare import Prepared

_NONE: dict[str, Any] = {}
# payload() writes the extras' keys inline (as extras_json would): it must know every kind.
assert EXTRA_KINDS == ("card", "poll", "quote"), "crowdwall.ingest.events.payload: new kind"


def payload(post_id: int, entry: Prepared) -> dict[str, Any]:
    """A post as events carry it: what a page needs to show it, JSON-ready."""
    post, author = entry.post, entry.post.author
    assert author is not None and post.created_at is not None
    extras = post.extras or _NONE
    return {
        "id": post_id,
        "source_id": entry.source_id,
        "external_id": post.external_id,
        "url": post.url,
        "author": author_json(author),
        "html": entry.html,
        "text": entry.text,
        "spoiler_text": post.spoiler_text,
        "sensitive": post.sensitive,
        "media": entry.media,
        # extras_json(post.extras), inline: a call and a dict merged in less a post.
        "card": extras.get("card"),
        "poll": extras.get("poll"),
        "quote": extras.get("quote"),
        "hashtags": entry.hashtags,
        "language": post.language,
        "reply": post.is_reply,
        "boost": post.is_boost,
        "created_at": _isoformat(post.created_at),
        "edited_at": _isoformat(post.edited_at) if post.edited_at else None,
        "date_estimated": post.date_estimated,
        "counts": {
            "boosts": post.boosts_count,
            "favourites": post.favourites_count,
            "replies": post.replies_count,
        },
    }


def _isoformat(value: datetime) -> str:
    """``value.isoformat()``, for the UTC datetimes of ingest at a third of the cost."""
    return f"{utc_text(value, 'T')}+00:00" if value.tzinfo is UTC else value.isoformat()


def author_json(author: Any) -> dict[str, Any]:
    """An incoming author in crowdwall's JSON shape (events and quarantined payloads alike)."""
    return {
        "id": author.id,
        "handle": author.handle,
        "display_name": author.display_name,
        "avatar_url": author.avatar_url,
        "profile_url": author.profile_url,
        "bot": author.is_bot,
    }
