"""The ingest pipeline: a batch of incoming posts in, stored posts and one event each out.

``ingest(source, items, cursor=...)`` is the only write path for posts:

1. **Prepare** each item on its own (outside any transaction; ``crowdwall.ingest.prepare``):
   parse our JSON if needed, validate and bound it (``normalize.clean_post``), sanitize its
   HTML, extract plain text and hashtags. A bad item is logged with its reason and dropped; the
   rest of the batch goes on.
2. **Dedupe within the batch** by external id: the last version wins (a create followed by an
   edit or a delete in the same batch is stored as its final state).
3. **Store** in chunks of ``CROWDWALL["BATCH_SIZE"]``, one transaction each
   (``crowdwall.ingest.store``): dedupe against the database, match against every active wall,
   apply bans, filters and moderation modes (``crowdwall.ingest.verdicts``), then bulk inserts
   and updates — a fixed number of queries per chunk, never one ``save()`` per post. The
   source's cursor is written in the same transaction as the last chunk, so a restart resumes
   exactly after what was stored. An item that fails to store anyway is quarantined and the
   rest of its chunk stored without it (``crowdwall.ingest.quarantine``): one bad post never
   stops a source.
4. **After commit**, publish one event per new or changed post and soft-purge the cached pages
   of the walls whose visible content changed.

The modules read top-down: this one calls ``quarantine``, which calls ``store``, which calls
``events`` and ``verdicts``; all of them read ``prepare``'s plain data (import-linter keeps it so).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.utils import timezone

from crowdwall.conf import conf
from crowdwall.ingest.items import Item
from crowdwall.ingest.match import WallRules
from crowdwall.ingest.normalize import Limits
from crowdwall.ingest.prepare import BatchResult, PreparedBatch, log_rejected, prepare_batch
from crowdwall.ingest.quarantine import store_isolating
from crowdwall.ingest.store import save_cursor


def store_batch(
    source_id: int,
    batch: PreparedBatch,
    *,
    cursor: str | None = None,
    now: datetime,
    matched_with: Sequence[WallRules] | None = None,
) -> BatchResult:
    """Store a prepared batch in chunks of ``CROWDWALL["BATCH_SIZE"]`` (one transaction each);
    ``cursor``, when given, is saved with the last chunk (or alone if nothing is left).
    ``matched_with``: the rules the batch's verdicts were decided with (``prepare_batch``).
    An item that fails to store is quarantined, not the chunk (``crowdwall.ingest.quarantine``)."""
    result = BatchResult(duplicates=batch.duplicates, rejected=list(batch.rejected))
    entries = batch.entries
    size = max(1, conf.BATCH_SIZE)
    chunks = [entries[i : i + size] for i in range(0, len(entries), size)]
    for index, chunk in enumerate(chunks):
        last = index == len(chunks) - 1
        result.merge(
            store_isolating(
                source_id,
                chunk,
                cursor=cursor if last else None,
                now=now,
                matched_with=matched_with,
            )
        )
    if not chunks and cursor is not None:
        save_cursor(source_id, cursor, now)
    return result


def ingest(
    source: Any,
    items: Iterable[Item],
    *,
    cursor: str | None = None,
    now: datetime | None = None,
) -> BatchResult:
    """Store a batch from one source (a ``Source`` or its id); see the module docstring.

    ``cursor``, when given, is saved on the source with the last chunk. Returns counts, the
    rejected items with their reasons, and the events published after commit.
    """
    source_id = int(getattr(source, "pk", source))
    now = now or timezone.now()
    batch = prepare_batch(source_id, items, now=now, limits=Limits.current())
    log_rejected(source_id, batch.rejected)
    return store_batch(source_id, batch, cursor=cursor, now=now)
