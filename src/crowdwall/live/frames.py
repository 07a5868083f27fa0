"""What travels to browsers: group names and the JSON text frames, built once per event.

Client frames (all JSON objects with a ``type``):

- ``{"type": "post.new", "id": N, "post": {...}}`` — a post to show (stored, or approved now);
- ``{"type": "post.update", "id": N, "post": {...}}`` — new content for a post already shown;
- ``{"type": "post.delete", "id": N}`` — remove it (deleted at the source, rejected, held);
- ``{"type": "mod.update", "id": N, "state": "...", "pinned": bool|null, "post": {...}|null}``
  — moderators' feed only (group ``moderate.<slug>``): every change, pending posts included;
- ``{"type": "wall.figures", "count": N, "top_authors": [...], "top_posts": [...]}`` — the
  wall's post count and top lists after a change, and with every catch-up
  (``crowdwall.live.figures``);
- ``{"type": "catchup.done", "count": n, "truncated": bool, "last_id": N, "at": T}`` — the
  database catch-up after ``since``/``changes`` is complete; ``truncated``: more were missed
  than are sent, reload.

Live frames carry ``"at"``: the server time (epoch ms) they were published, which the page
sends back as ``changes`` when it reconnects (``crowdwall.live.catchup``). ``post.new`` and
``post.update`` may carry ``"pinned"`` (this wall's pin). A browser applies both as "upsert by
id, placed by ``created_at``"; a message may also be a JSON array of frames (a coalesced burst).

``post`` has the shape of ``crowdwall.ingest.store.payload`` (id, html, text, author,
created_at, flags ...), whether it comes from an ingest event or from the database.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from crowdwall.ingest.extras import extras_json
from crowdwall.models import Author, Post

FIGURES = "wall.figures"  # the frame type of a wall's figures (crowdwall.live.figures)
GROUP_PREFIX = "wall."
MODERATION_PREFIX = "moderate."
_MAX_GROUP_NAME = 100  # Channels rejects longer group names


def _group(prefix: str, slug: str) -> str:
    name = prefix + slug
    if len(name) < _MAX_GROUP_NAME and name.isascii():
        return name
    return prefix + hashlib.sha1(slug.encode()).hexdigest()


def group_name(slug: str) -> str:
    """The channel-layer group of a wall (slugs are ASCII by default; long ones are hashed)."""
    return _group(GROUP_PREFIX, slug)


def moderation_group_name(slug: str) -> str:
    """The group of a wall's moderators' feed (``mod.update`` frames), named like ``group_name``."""
    return _group(MODERATION_PREFIX, slug)


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def post_frame(
    kind: str, post_id: int, post: Any, *, pinned: bool | None = None, at: int | None = None
) -> str:
    """A ``post.new``/``post.update`` frame; ``pinned`` when known, ``at`` for live events."""
    frame: dict[str, Any] = {"type": kind, "id": post_id, "post": post}
    if pinned is not None:
        frame["pinned"] = pinned
    if at is not None:
        frame["at"] = at
    return dumps(frame)


def delete_frame(post_id: int, *, at: int | None = None) -> str:
    frame: dict[str, Any] = {"type": "post.delete", "id": post_id}
    if at is not None:
        frame["at"] = at
    return dumps(frame)


def mod_frame(
    post_id: int, state: str, pinned: bool | None, post: Any, *, at: int | None = None
) -> str:
    """A moderators' ``mod.update`` frame: the post's state and pin on one wall after a change
    (``post`` is None when it could not be loaded)."""
    frame = {"type": "mod.update", "id": post_id, "state": state, "pinned": pinned, "post": post}
    return dumps({**frame, "at": at})


def join_frames(texts: list[str]) -> str:
    """One WebSocket message for encoded frames: the frame itself, or a JSON array of them (a
    coalesced burst), joined as text so nothing is encoded again."""
    return texts[0] if len(texts) == 1 else "[" + ",".join(texts) + "]"


def done_frame(count: int, truncated: bool, last_id: int | None, at: int | None = None) -> str:
    return dumps(
        {
            "type": "catchup.done",
            "count": count,
            "truncated": truncated,
            "last_id": last_id,
            "at": at,
        }
    )


def author_payload(author: Author) -> dict[str, Any]:
    """An author in the shape posts carry (``post_payload``'s ``author``)."""
    return {
        "id": author.key,
        "handle": author.handle,
        "display_name": author.display_name,
        "avatar_url": author.avatar_url,
        "profile_url": author.profile_url,
        "bot": author.is_bot,
    }


def post_payload(post: Post) -> dict[str, Any]:
    """A stored post (with ``author`` loaded) in the shape ingest events carry."""
    author = post.author
    return {
        "id": post.pk,
        "source_id": post.source_id,
        "external_id": post.external_id,
        "url": post.url,
        "author": {
            "id": author.key,
            "handle": author.handle,
            "display_name": author.display_name,
            "avatar_url": author.avatar_url,
            "profile_url": author.profile_url,
            "bot": author.is_bot,
        },
        "html": post.content_html,
        "text": post.text,
        "spoiler_text": post.spoiler_text,
        "sensitive": post.sensitive,
        "media": post.media,
        **extras_json(post.extras),
        "hashtags": post.hashtags,
        "language": post.language,
        "reply": post.is_reply,
        "boost": post.is_boost,
        "created_at": post.created_at.isoformat(),
        "edited_at": post.edited_at.isoformat() if post.edited_at else None,
        "date_estimated": post.date_estimated,
        "counts": {
            "boosts": post.boosts_count,
            "favourites": post.favourites_count,
            "replies": post.replies_count,
        },
    }
