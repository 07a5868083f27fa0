"""Lock the rows a chunk's inserts refer to, in place of foreign-key constraints.

A chunk inserts posts that refer to their source and wall entries that refer to walls, and
those keys have no database constraint (``crowdwall.models.locking`` says why and how deletions
take part). So inside the chunk's transaction, before anything is written, we lock them as a
constraint check would (``FOR KEY SHARE``), once per chunk instead of once per row: walls
first, then the source, the order deletions lock them in.
"""

from __future__ import annotations

from collections.abc import Sequence

from crowdwall.exceptions import SourceError
from crowdwall.ingest.bulk import select_in
from crowdwall.models import Source, Wall


class WallsChanged(Exception):
    """A wall the chunk was matched against is gone: match it again with the walls as they are."""

    def __str__(self) -> str:
        return "a wall was deleted while the chunk was being matched"


def lock_walls(wall_ids: Sequence[int]) -> bool:
    """Keep the walls ``wall_ids`` from being deleted until the transaction ends; False if one
    of them is gone already."""
    keys = list(set(wall_ids))
    if not keys:
        return True
    return len(select_in(Wall, ["id"], "id", keys, for_key_share=True)) == len(keys)


def lock_referenced(source_id: int, wall_ids: Sequence[int]) -> None:
    """Keep ``source_id`` and ``wall_ids`` from being deleted until the transaction ends.

    Raises ``WallsChanged`` if a wall is gone, ``SourceError`` if the source is (a deleted
    source's stream has nothing left to store into)."""
    if not lock_walls(wall_ids):
        raise WallsChanged()
    if not select_in(Source, ["id"], "id", [source_id], for_key_share=True):
        raise SourceError(f"Source {source_id} was deleted; its posts are not stored.")
