"""Reviewed expectations for corpus items: what one item must become, and the check.

Each case names one item (a file, ``file:line`` for Jetstream frames and text files,
``file#entry`` for feeds) and what a reader of the wall must get from it: text, date, author,
media, hashtags — or the reason it is refused. Expectations are written by hand from the
source file, never copied from the parser's output.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC
from functools import cache
from typing import Any

from crowdwall.ingest.normalize import IncomingPost
from tests.crowdwall.corpus import reading
from tests.crowdwall.corpus.reading import CORPUS, Outcome


@dataclass
class Expected:
    """What one corpus item must give (fields left as ``None`` are not checked)."""

    origin: str
    text: str | None = None  # exact
    text_starts: str | None = None
    created_at: str | None = None  # ISO 8601, UTC
    edited_at: str | None = None
    handle: str | None = None
    name: str | None = None
    author_id: str | None = None
    media: list[dict[str, str]] | None = None  # exact, in order
    hashtags: list[str] | None = None
    language: str | None = None
    url: str | None = None
    reply: bool | None = None
    html_has: list[str] = field(default_factory=list)
    quote_url: str | None = None  # the quoted post's link (stored with the post's extras)
    rejected: str | None = None
    deleted: str | None = None  # the external id of a deletion


@cache
def _outcomes(path: str) -> dict[str, Outcome]:
    return {o.origin: o for o in reading.read(CORPUS / path)}


def outcome(origin: str) -> Outcome:
    """The item ``origin`` names: a file, ``file:line`` or ``file#entry``."""
    outcomes = _outcomes(re.split("[:#]", origin)[0])
    assert origin in outcomes, f"no item {origin}; the file gave {sorted(outcomes)}"
    return outcomes[origin]


def check(expected: Expected) -> None:
    got = outcome(expected.origin)
    if expected.rejected is not None:
        assert (got.rejected, got.entry) == (expected.rejected, None), got.detail
        return
    assert not got.rejected, f"refused: {got.rejected} ({got.detail})"
    if expected.deleted is not None:
        assert isinstance(got.entry, IncomingPost)
        assert got.entry.external_id == expected.deleted
        return
    entry = got.post
    post, author = entry.post, entry.post.author
    assert author is not None and post.created_at is not None
    actual: dict[str, Any] = {
        "text": entry.text,
        "created_at": post.created_at.astimezone(UTC).isoformat(),
        "edited_at": post.edited_at.astimezone(UTC).isoformat() if post.edited_at else None,
        "handle": author.handle,
        "name": author.display_name,
        "author_id": author.id,
        "media": entry.media,
        "hashtags": entry.hashtags,
        "language": post.language,
        "url": post.url,
        "reply": post.is_reply,
        "quote_url": ((post.extras or {}).get("quote") or {}).get("url"),
    }
    wanted = {k: v for k, v in vars(expected).items() if k in actual and v is not None}
    got_fields = {k: actual[k] for k in wanted}
    assert got_fields == wanted, f"got {got_fields!r}"
    if expected.text_starts is not None:
        assert entry.text.startswith(expected.text_starts), entry.text
    for fragment in expected.html_has:
        assert fragment in entry.html, entry.html
