"""Removing for good the posts a source deleted again: the rows its deletions left erased.

A deletion at the source keeps the post's row, erased (``crowdwall.models.posts``), so that a
late re-delivery of the original is recognised. A source that deletes its *own* posts again on
purpose — the demo's looping replay with ``keep``, whose every lap has new ids and whose cursor
never goes back — needs no such memory, and its erased rows would grow by ~500 an hour.
"""

from __future__ import annotations

from typing import Any

from crowdwall.models import Post


def prune_deleted(source: Any) -> int:
    """Delete the erased posts of ``source`` (a ``Source`` or its id), with their wall entries
    (``crowdwall.models.locking``); the number of posts removed. Other sources' posts, and this
    source's live ones, are never touched."""
    source_id = int(getattr(source, "pk", source))
    gone = Post.objects.filter(source_id=source_id).exclude(deleted_at=None)
    _, per_model = gone.delete()
    return per_model.get(Post._meta.label, 0)
