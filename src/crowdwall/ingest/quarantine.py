"""One bad post never stops a wall: a chunk that fails to store is stored without the item
that fails, and that item is quarantined (``crowdwall.models.QuarantinedPost``).

Validation (``normalize.clean_post``, with ``storable`` text) keeps out what we know a database
refuses; this is for the rest, a failure nobody foresaw. ``store_isolating`` stores a chunk as
``store.store_chunk`` does, in one transaction (the fast path costs nothing more). Only if that
fails does it bisect: each half is stored on its own, a failing half is split again, and an
item that fails alone is quarantined with the reason (exception class and message) and its
payload. Then the cursor is saved with the quarantine rows, so the source moves on: an item
that fails every time never blocks the ones behind it (it used to be retried forever).

Failures that are not about the items are not isolated, they propagate as before (the runner
restarts the source with backoff and resumes at the stored cursor): the database unreachable
or in trouble (``OperationalError``, ``InterfaceError``: a lost connection, a deadlock, a
locked SQLite file), the source deleted (``SourceError``), walls deleted again and again
(``WallsChanged``). Quarantined items are listed in the admin and on the moderation screen and
go back through the pipeline with ``replay`` (the admin action, ``manage.py crowdwall
quarantine replay``) once the cause is fixed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone

from crowdwall.exceptions import SourceError
from crowdwall.ingest.events import author_json
from crowdwall.ingest.match import WallRules
from crowdwall.ingest.normalize import DELETE, IncomingPost, Limits
from crowdwall.ingest.prepare import BatchResult, Entry, Prepared, prepare_batch
from crowdwall.ingest.references import WallsChanged
from crowdwall.ingest.storable import storable
from crowdwall.ingest.store import save_cursor, store_chunk
from crowdwall.models import QuarantinedPost
from crowdwall.models.quarantine import REASON_LENGTH

logger = logging.getLogger("crowdwall.ingest")

# Failures of the database or of the source, not of an item: never isolated (see above).
NOT_THE_ITEMS: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    SourceError,
    WallsChanged,
)


def describe(exc: BaseException) -> str:
    """Why an item failed, for the quarantine: the exception's class and message, truncated
    (and ``storable``: a message may quote the very value that failed)."""
    return storable(f"{type(exc).__name__}: {exc}", multiline=True)[:REASON_LENGTH]


def payload(entry: Entry) -> str:
    """The item in crowdwall's JSON format (``post_json.from_dict`` reads it back), as ASCII
    JSON text: any character is stored as an escape, so any database keeps it as it is."""
    post = entry if isinstance(entry, IncomingPost) else entry.post
    if post.action == DELETE:
        return json.dumps({"id": post.external_id, "action": "delete"})
    author = post.author
    assert author is not None and post.created_at is not None  # clean_post guarantees it
    html, text = post.html, post.text
    if not html and not text and isinstance(entry, Prepared):
        html = entry.html  # a worker dropped the raw content (``_travel_light``): the safe one
    data: dict[str, Any] = {
        "id": post.external_id,
        "created_at": post.created_at.isoformat(),
        "edited_at": post.edited_at.isoformat() if post.edited_at else None,
        "url": post.url,
        "author": author_json(author),
        "html": html,
        "text": text,
        "spoiler_text": post.spoiler_text,
        "sensitive": post.sensitive,
        "reply": post.is_reply,
        "boost": post.is_boost,
        "language": post.language,
        "tags": list(post.hashtags),
        "media": [
            {
                "url": m.url,
                "type": m.type,
                "alt": m.alt,
                "preview_url": m.preview_url,
                "blurhash": m.blurhash,
            }
            for m in post.media
        ],
        **(post.extras or {}),
        **(
            {"boosted_by": {"id": post.booster_id, "handle": post.booster_handle}}
            if post.booster_id or post.booster_handle
            else {}
        ),
        "counts": {
            "boosts": post.boosts_count,
            "favourites": post.favourites_count,
            "replies": post.replies_count,
        },
    }
    if post.date_estimated:
        data["date_estimated"] = True
    return json.dumps(data, ensure_ascii=True)


def store_isolating(
    source_id: int,
    chunk: list[Entry],
    *,
    cursor: str | None,
    now: datetime,
    matched_with: Sequence[WallRules] | None = None,
) -> BatchResult:
    """``store_chunk``, except that an item failing to store is quarantined instead of failing
    the chunk; the cursor, if given, is saved even then (see the module docstring)."""
    try:
        return store_chunk(source_id, chunk, cursor=cursor, now=now, matched_with=matched_with)
    except NOT_THE_ITEMS:
        raise
    except Exception as exc:  # an item's fault, or one of several: find which
        logger.warning(
            "Source %s: a chunk of %d failed to store (%s); isolating the failing items",
            source_id,
            len(chunk),
            describe(exc),
        )
        result = BatchResult()
        failed: list[tuple[Entry, BaseException]] = []
        _bisect(source_id, chunk, exc, now, matched_with, result, failed)
    with transaction.atomic():
        QuarantinedPost.objects.bulk_create(
            QuarantinedPost(
                source_id=source_id,
                external_id=storable(entry.external_id)[:255],
                reason=describe(error),
                payload=payload(entry),
                created_at=now,
                tried_at=now,
            )
            for entry, error in failed
        )
        if cursor is not None:
            save_cursor(source_id, cursor, now)
    for entry, error in failed:
        logger.error(
            "Source %s: post %r quarantined: %s", source_id, entry.external_id, describe(error)
        )
    result.quarantined += len(failed)
    return result


def _bisect(
    source_id: int,
    chunk: list[Entry],
    error: BaseException,
    now: datetime,
    matched_with: Sequence[WallRules] | None,
    result: BatchResult,
    failed: list[tuple[Entry, BaseException]],
) -> None:
    """Store the halves of ``chunk`` (which failed with ``error``) one transaction each,
    splitting a failing half again: ~2 log2(n) transactions for one bad item among n."""
    if len(chunk) == 1:
        failed.append((chunk[0], error))
        return
    middle = len(chunk) // 2
    for half in (chunk[:middle], chunk[middle:]):
        try:
            stored = store_chunk(source_id, half, cursor=None, now=now, matched_with=matched_with)
        except NOT_THE_ITEMS:
            raise
        except Exception as exc:
            _bisect(source_id, half, exc, now, matched_with, result, failed)
        else:
            result.merge(stored)


def replay(rows: Iterable[QuarantinedPost], *, now: datetime | None = None) -> tuple[int, int]:
    """Push quarantined items back through the pipeline: one that stores leaves the quarantine,
    one that fails again stays with its new reason. Returns (stored, still failing)."""
    stored = failing = 0
    for row in rows:
        reason = replay_one(row, now=now)
        if reason is None:
            stored += 1
        else:
            failing += 1
    return stored, failing


def replay_one(row: QuarantinedPost, *, now: datetime | None = None) -> str | None:
    """Store one quarantined item again; None if it stored (its row is deleted), else why not
    (its row keeps the new reason)."""
    now = now or timezone.now()
    reason = _store_again(row, now)
    if reason is None:
        logger.info("Quarantined post %r of source %s stored", row.external_id, row.source_id)
        return None
    QuarantinedPost.objects.filter(pk=row.pk).update(
        reason=reason, attempts=row.attempts + 1, tried_at=now
    )
    logger.warning("Quarantined post %r still fails: %s", row.external_id, reason)
    return reason


def _store_again(row: QuarantinedPost, now: datetime) -> str | None:
    try:
        item = json.loads(row.payload)
    except ValueError as exc:  # edited by hand in the database, say
        return describe(exc)
    batch = prepare_batch(row.source_id, [item], now=now, limits=Limits.current())
    if batch.rejected:  # invalid now (a rule changed since)
        rejected = batch.rejected[0]
        detail = f" ({rejected.detail})" if rejected.detail else ""
        return storable(f"InvalidPost: {rejected.reason}{detail}")[:REASON_LENGTH]
    try:
        with transaction.atomic():
            store_chunk(row.source_id, batch.entries, cursor=None, now=now)
            QuarantinedPost.objects.filter(pk=row.pk).delete()
    except (OperationalError, InterfaceError):
        raise  # the database, not the item: nothing learnt about it
    except Exception as exc:
        return describe(exc)
    return None
