"""Quoted posts we already have: their text and author filled in when a new post quotes them.

Bluesky's firehose sends a quote as a bare reference (an at-uri), so a quote arrives without
the quoted post's words. When that post is stored already (same source: ids are only unique
per source), its text, handle and name fill the quote before the new post is stored, at the
cost of two selects for the chunks that hold such quotes and none for the others.
"""

from __future__ import annotations

from collections.abc import Iterable

from crowdwall.ingest.bulk import select_in
from crowdwall.ingest.extras import TEXT_LENGTH
from crowdwall.ingest.prepare import Prepared
from crowdwall.models import Author, Post


def fill_quotes(source_id: int, entries: Iterable[Prepared]) -> int:
    """Complete the quotes of ``entries`` that lack text from stored posts; how many it did."""
    waiting = {}
    for entry in entries:
        quote = (entry.post.extras or {}).get("quote")
        if quote and quote.get("id") and not quote.get("text"):
            waiting.setdefault(quote["id"], []).append(quote)
    if not waiting:
        return 0
    fields = ["external_id", "text", "author", "deleted_at"]
    found = select_in(Post, fields, "external_id", list(waiting), source=source_id)
    found = [row for row in found if row[3] is None and row[1]]  # deleted: erased, say nothing
    authors = {
        pk: (handle, name)
        for pk, handle, name in select_in(
            Author, ["id", "handle", "display_name"], "id", sorted({row[2] for row in found})
        )
    }
    for external_id, text, author_id, _ in found:
        handle, name = authors.get(author_id, ("", ""))
        for quote in waiting[external_id]:
            quote["text"] = text[:TEXT_LENGTH]
            if handle and not handle.startswith("did:"):
                quote["handle"] = handle
            if name:
                quote["name"] = name
    return len(found)
