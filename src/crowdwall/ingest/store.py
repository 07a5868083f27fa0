"""The database half of the pipeline: one chunk, one transaction, a fixed number of statements.

Per chunk, whatever its size: walls, sources and their lists (3 small queries, before the
transaction), a lock on the walls and the source the chunk's rows refer to (2: they have no
foreign-key constraints, ``crowdwall.models.locking``), the chunk's existing posts (1: dedupe is
one select by external id, locking what it finds), the author upsert (1), one multi-row post insert (``COPY`` on PostgreSQL) and one query for the new ids, one multi-row
insert of wall entries, the wall entries of changed posts (1, only if any), and one bulk update
per kind of change. The hot statements are raw SQL (``crowdwall.ingest.bulk``): the ORM's bulk
methods cost more than the database's own work at this size. Events and cache purges run in
``transaction.on_commit``: a rolled-back chunk announces nothing, a committed one announces each
post once.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from functools import partial
from typing import Any

from django.db import IntegrityError, transaction

from crowdwall.ingest.announce import announce
from crowdwall.ingest.bulk import allocate_ids, insert_rows, select_in
from crowdwall.ingest.events import payload
from crowdwall.ingest.match import Matcher, WallRules
from crowdwall.ingest.normalize import IncomingPost
from crowdwall.ingest.prepare import BatchResult, Entry, Prepared
from crowdwall.ingest.publisher import Event, EventKind
from crowdwall.ingest.quotes import fill_quotes
from crowdwall.ingest.references import WallsChanged, lock_referenced
from crowdwall.ingest.rows import (
    CONTENT_FIELDS,
    COUNT_FIELDS,
    ENTRY_FIELDS,
    EXISTING_FIELDS,
    POST_FIELDS,
    content,
    content_values,
    upsert_authors,
)
from crowdwall.ingest.verdicts import ban_reason, decide, decide_walls
from crowdwall.ingest.walls import load_wall_rules
from crowdwall.ingest.withdraw import withdraw_opted_out
from crowdwall.models import ModerationState, Post, PostWall, Source

logger = logging.getLogger("crowdwall.ingest")

Decided = list[tuple[WallRules, str, str]]  # the walls of a new post, with state and reason
_OPEN = (ModerationState.PENDING, ModerationState.APPROVED)
# Read once (an enum class's __getattr__ makes each ``Class.MEMBER`` slow in Python 3.11).
_APPROVED, _NEW = ModerationState.APPROVED, EventKind.NEW
STORE_ATTEMPTS = 3  # a chunk raced by another writer, or by a wall's deletion, is stored again


def save_cursor(source_id: int, cursor: str, now: datetime) -> None:
    """The source's resume position; a stored batch also clears the last error (it recovered)."""
    Source.objects.filter(pk=source_id).update(cursor=cursor, last_ingest_at=now, last_error="")


def store_chunk(
    source_id: int,
    chunk: list[Entry],
    *,
    cursor: str | None,
    now: datetime,
    matched_with: Sequence[WallRules] | None = None,
) -> BatchResult:
    """Store one chunk in one transaction; stored again (up to twice) if a concurrent writer
    raced us or a wall was deleted meanwhile.

    New posts are matched here, unless a prepare worker matched them already with
    ``matched_with`` and the walls have not changed since (then its verdicts are used)."""
    attempt = 1
    while True:
        walls = load_wall_rules(now=now)
        verdicts = matched_with is not None and list(matched_with) == walls
        try:
            return _store(source_id, chunk, cursor, now, walls, verdicts)
        except (IntegrityError, WallsChanged) as exc:
            if attempt == STORE_ATTEMPTS:
                raise
            attempt += 1
            logger.warning("Source %s: %s; storing the chunk again", source_id, exc)


def _decided(entry: Prepared, matcher: Matcher, walls: dict[int, WallRules] | None) -> Decided:
    """The walls a new post goes to, each with its state and reason: the worker's verdicts
    when ``walls`` (the same rules it used) are given, else matched and decided here."""
    if walls is not None and entry.verdicts is not None:
        return [(walls[wall_id], state, reason) for wall_id, state, reason in entry.verdicts]
    return decide_walls(matcher, entry.matching())


def _classify(
    chunk: list[Entry],
    existing: dict[str, dict[str, Any]],
    matcher: Matcher,
    walls: dict[int, WallRules] | None,
    result: BatchResult,
) -> tuple[
    list[tuple[Prepared, Decided]],
    list[tuple[int, Prepared, list[WallRules]]],
    list[tuple[int, Prepared]],
    list[int],
]:
    new, edits, recounts, deletions = [], [], [], []
    for entry in chunk:
        row = existing.get(entry.external_id)
        if isinstance(entry, IncomingPost):  # a deletion
            if row is None or row["deleted_at"] is not None:
                result.duplicates += 1  # never stored (matched no wall), or already gone
            else:
                deletions.append(row["id"])
        elif row is None:
            decided = _decided(entry, matcher, walls)
            if decided:
                new.append((entry, decided))
            else:
                result.unmatched += 1
        elif row["deleted_at"] is not None or _stale(row, entry.post):
            result.duplicates += 1  # deletions are final; older versions never overwrite newer
        elif row["fingerprint"] != entry.fingerprint:
            edits.append((row["id"], entry, matcher.match(entry.matching())))
        elif any(
            getattr(entry.post, f) is not None and getattr(entry.post, f) != row[f]
            for f in COUNT_FIELDS
        ):
            recounts.append((row["id"], entry))
        else:
            result.duplicates += 1
    return new, edits, recounts, deletions


def _stale(row: dict[str, Any], post: IncomingPost) -> bool:
    """Whether ``post`` is older than the stored version (as ``pipeline._newer`` decides within
    a batch): an edit older than the stored one, or the original (no edit time) once an edit
    is stored, as when a stream is replayed from an earlier cursor."""
    stored = row["edited_at"]
    return stored is not None and (post.edited_at is None or post.edited_at < stored)


def _store(
    source_id: int,
    chunk: list[Entry],
    cursor: str | None,
    now: datetime,
    walls: list[WallRules],
    verdicts: bool,
) -> BatchResult:
    result = BatchResult(rules=walls)
    matcher = Matcher(walls)
    walls_by_id = {wall.id: wall for wall in walls}
    with transaction.atomic():
        lock_referenced(source_id, [wall.id for wall in walls])
        existing = {
            row[1]: dict(zip(EXISTING_FIELDS, row, strict=True))
            for row in select_in(
                Post,
                EXISTING_FIELDS,
                "external_id",
                [e.external_id for e in chunk],
                for_key_share=True,  # wall entries may be added to them
                source=source_id,
            )
        }
        new, edits, recounts, deletions = _classify(
            chunk, existing, matcher, walls_by_id if verdicts else None, result
        )
        # Before the authors' rows are refreshed: who has opted out since we last saw them.
        withdraw_opted_out(chunk, walls_by_id)
        author_ids = upsert_authors([e for e, _ in new] + [e for _, e, _ in edits], now)
        fill_quotes(source_id, (e for e, _ in new))  # a quoted post we have: its words
        entries: list[tuple[Any, ...]] = []  # new wall entries, in ENTRY_FIELDS order

        def add_entry(
            post_id: int,
            entry: Prepared,
            wall: WallRules,
            state: str,
            reason: str,
            states: dict[str, str],
        ) -> None:
            author_id = author_ids[entry.post.author.id]  # type: ignore[union-attr]
            entries.append(
                (wall.id, post_id, author_id, entry.post.created_at, state, reason, False, None)
            )
            states[wall.slug] = state
            if state == _APPROVED:
                result.purged_walls.add(wall.slug)

        # New posts: one multi-row insert with ids drawn from the sequence first (PostgreSQL),
        # or followed by one query for their ids (elsewhere); then their wall entries.
        keys = [e.external_id for e, _ in new]
        ids = allocate_ids(Post, len(new))
        rows = (
            (
                source_id,
                e.external_id,
                author_ids[e.post.author.id],  # type: ignore[union-attr]
                *content_values(e),
                e.post.created_at,
                e.post.date_estimated,
                now,
            )
            for e, _ in new
        )
        if ids is not None:
            insert_rows(
                Post, ["id", *POST_FIELDS], [(i, *r) for i, r in zip(ids, rows, strict=True)]
            )
            post_ids = dict(zip(keys, ids, strict=True))
        else:
            insert_rows(Post, POST_FIELDS, rows)
            post_ids = dict(
                select_in(Post, ["external_id", "id"], "external_id", keys, source=source_id)
            )
        for entry, decided in new:
            pid = post_ids[entry.external_id]
            states: dict[str, str] = {}
            for wall, state, reason in decided:
                add_entry(pid, entry, wall, state, reason, states)
            result.events.append(Event(_NEW, pid, states, payload(pid, entry)))
        result.created = len(new)

        # Everything that changes existing posts needs their current wall entries.
        changed_ids = [pid for pid, _, _ in edits] + [pid for pid, _ in recounts] + deletions
        current: dict[int, list[dict[str, Any]]] = defaultdict(list)
        if changed_ids:  # most chunks of a live stream only add posts: no query to build
            for row in PostWall.objects.filter(post_id__in=changed_ids).values(
                "id", "post_id", "wall_id", "wall__slug", "state", "pinned"
            ):
                current[row["post_id"]].append(row)

        # Edits: new content; walls it now matches are added; wall bans (and consent: a post
        # labelled since, a never-show entry) are checked again.
        Post.objects.bulk_update(
            [
                Post(pk=pid, **{**content(e), "edited_at": e.post.edited_at or now})
                for pid, e, _ in edits
            ],
            CONTENT_FIELDS,
        )
        rejected: list[PostWall] = []
        for pid, entry, matched in edits:
            states = {row["wall__slug"]: row["state"] for row in current[pid]}
            have = {row["wall_id"] for row in current[pid]}
            for wall in matched:
                if wall.id not in have:
                    add_entry(pid, entry, wall, *decide(wall, entry.matching()), states)
            for row in current[pid]:
                wall = walls_by_id.get(row["wall_id"])
                if row["state"] == ModerationState.APPROVED:
                    result.purged_walls.add(row["wall__slug"])
                if wall is None or row["state"] not in _OPEN:
                    continue
                reason = ban_reason(wall, entry.matching()) or wall.refusal(entry.matching())
                if reason:
                    rejected.append(
                        PostWall(
                            pk=row["id"],
                            state=ModerationState.REJECTED,
                            reason=reason,
                            changed_at=now,
                        )
                    )
                    states[row["wall__slug"]] = ModerationState.REJECTED
            result.events.append(Event(EventKind.UPDATE, pid, states, payload(pid, entry)))
        PostWall.objects.bulk_update(rejected, ["state", "reason", "changed_at"])
        if edits:  # reconnecting pages get the new content (crowdwall.live.catchup)
            PostWall.objects.filter(post_id__in=[pid for pid, _, _ in edits]).update(changed_at=now)
        result.updated = len(edits) + len(recounts)

        # Counts only (same content): update quietly in bulk, announce as an update.
        Post.objects.bulk_update(
            [Post(pk=pid, **{f: getattr(e.post, f) for f in COUNT_FIELDS}) for pid, e in recounts],
            list(COUNT_FIELDS),
        )
        for pid, entry in recounts:
            states = {row["wall__slug"]: row["state"] for row in current[pid]}
            result.purged_walls.update(
                row["wall__slug"]
                for row in current[pid]
                if row["state"] == ModerationState.APPROVED
            )
            result.events.append(Event(EventKind.UPDATE, pid, states, payload(pid, entry)))

        # Deletions at the source: content erased, every wall entry marked deleted.
        if deletions:
            Post.objects.filter(pk__in=deletions).update(
                deleted_at=now,
                content_html="",
                text="",
                spoiler_text="",
                media=[],
                hashtags=[],
                extras={},
            )
            PostWall.objects.filter(post_id__in=deletions).update(
                state=ModerationState.DELETED,
                reason="deleted at the source",
                pinned=False,
                changed_at=now,
            )
        for pid in deletions:
            rows = current[pid]
            result.purged_walls.update(
                r["wall__slug"] for r in rows if r["state"] == ModerationState.APPROVED
            )
            walls_gone = {r["wall__slug"]: str(ModerationState.DELETED) for r in rows}
            result.events.append(Event(EventKind.DELETE, pid, walls_gone))
        result.deleted = len(deletions)

        insert_rows(PostWall, ENTRY_FIELDS, entries)
        if cursor is not None:
            save_cursor(source_id, cursor, now)
        transaction.on_commit(partial(announce, list(result.events), set(result.purged_walls)))
    return result
