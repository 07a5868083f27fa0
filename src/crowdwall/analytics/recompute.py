"""Recompute minutes of a wall's rollups from ``PostWall``, and move hours and totals with them.

``rebuild_minutes`` replaces the minute rows of the given minutes with rows counted afresh from
the wall's entries, and moves the hour rows (and the authors' day rows) and the wall-wide
totals by the difference between the old and the new minute rows. Recomputing (rather than incrementing) makes it exact and
idempotent; moving the coarser levels by differences keeps a refresh that touches one minute
from rewriting an hour's thousands of rows. ``resum`` recomputes the coarser levels from the
minute rows outright (the rebuild job's last step).

Callers hold the wall's rollup lock (``crowdwall.analytics.rollup.lock``) in a transaction.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from typing import Any

from django.db import connection
from django.db.models import Max

from crowdwall.analytics.grains import (
    AUTHORS,
    DAY,
    HOUR,
    SHAPES,
    SOURCES,
    TAGS,
    WAITS,
    Shape,
    day_of,
    hour_of,
    minute_of,
    minute_start,
)
from crowdwall.models import ModerationState, PostWall
from crowdwall.models.analytics import Rollup

__all__ = ["SPAN", "rebuild_minutes", "resum", "wait_bucket"]

SPAN = 60  # minutes recomputed per query (a run of dirty minutes this long or shorter)
STATES = tuple(ModerationState.values)
TAG_LENGTH = 100  # TagCounts.tag
BATCH = 500  # keys per IN (...) list: well under SQLite's bound on query parameters

Counts = dict[Shape, dict[tuple[Any, ...], list[int]]]


def wait_bucket(seconds: float) -> int:
    """The histogram bucket of a wait: ``floor(2 * log2(1 + seconds))`` (``WaitCounts``)."""
    return int(2 * math.log2(1 + max(0.0, seconds)))


def _runs(minutes: Iterable[int]) -> list[list[int]]:
    # Sorted minutes cut into runs spanning at most SPAN minutes: one range query each.
    runs: list[list[int]] = []
    for minute in sorted(set(minutes)):
        if runs and minute - runs[-1][0] < SPAN:
            runs[-1].append(minute)
        else:
            runs.append([minute])
    return runs


def _entries(wall_id: int, run: list[int]) -> list[tuple[Any, ...]]:
    # The wall's entries of these minutes, in every state: the archive index's range.
    wanted = set(run)
    rows = PostWall.objects.filter(
        wall_id=wall_id,
        state__in=STATES,
        created_at__gte=minute_start(run[0]),
        created_at__lt=minute_start(run[-1] + 1),
    ).values_list(
        "created_at",
        "author_id",
        "state",
        "moderated_at",
        "post__source_id",
        "post__hashtags",
        "post__ingested_at",
    )
    return [row for row in rows if minute_of(row[0]) in wanted]


def _bump(counts: dict[tuple[Any, ...], list[int]], key: tuple[Any, ...], size: int) -> list[int]:
    found = counts.get(key)
    if found is None:
        found = counts[key] = [0] * size
    return found


def _count(entries: list[tuple[Any, ...]]) -> Counts:
    # Minute rows as {shape: {(minute, key): counts in shape.counts order}}.
    found: Counts = {shape: {} for shape in SHAPES}
    position = {state: 1 + SOURCES.counts[1:].index(state) for state in STATES}
    for created_at, author_id, state, moderated_at, source_id, hashtags, ingested_at in entries:
        minute = minute_of(created_at)
        source = _bump(found[SOURCES], (minute, source_id), len(SOURCES.counts))
        source[0] += 1
        source[position[state]] += 1
        author = _bump(found[AUTHORS], (minute, author_id), 2)
        author[0] += 1
        if state != ModerationState.APPROVED:
            continue
        author[1] += 1
        for tag in {str(tag).casefold()[:TAG_LENGTH] for tag in hashtags or ()}:
            _bump(found[TAGS], (minute, tag), 1)[0] += 1
        if moderated_at is not None and ingested_at is not None:
            # A moderator's approval: how long the post waited since it arrived.
            bucket = wait_bucket((moderated_at - ingested_at).total_seconds())
            _bump(found[WAITS], (minute, bucket), 1)[0] += 1
    return found


def _add(into: dict[tuple[Any, ...], list[int]], key: tuple[Any, ...], counts: Any, sign: int):
    moved = _bump(into, key, len(counts))
    for i, value in enumerate(counts):
        moved[i] += sign * value


def _batches(items: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(items), BATCH):
        yield items[start : start + BATCH]


def _move(
    model: type[Rollup],
    wall_id: int,
    deltas: dict[tuple[Any, ...], list[int]],
    *,
    newest: dict[tuple[Any, ...], int] | None = None,
    exact: dict[tuple[Any, ...], int] | None = None,
) -> None:
    """Add ``deltas`` ({key: counts}) to the wall's rows of ``model``: rows are replaced (one
    DELETE and one INSERT, cheaper than per-row UPDATEs), a row whose first count drops to 0
    goes. Author totals also keep ``last_minute``: the newer of the stored one and ``newest``
    (the run's minutes with an entry), or ``exact`` for authors who lost a minute's row."""
    exact = exact or {}
    deltas = {key: delta for key, delta in deltas.items() if any(delta)}
    for key in exact:
        deltas.setdefault(key, [0] * len(model.COUNTS))
    if not deltas:
        return
    key_names, count_names = model.KEY, model.COUNTS
    current: dict[tuple[Any, ...], Any] = {}
    for batch in _batches(list(deltas)):
        # Each key field's values in the batch: a superset of the rows wanted, matched below.
        where = {f"{name}__in": {key[i] for key in batch} for i, name in enumerate(key_names)}
        for row in model.objects.filter(wall_id=wall_id, **where):
            current[tuple(getattr(row, name) for name in key_names)] = row
    gone, rows = [], []
    for key, delta in deltas.items():
        row = current.get(key)
        old = [getattr(row, name) for name in count_names] if row else [0] * len(count_names)
        new = [a + b for a, b in zip(old, delta, strict=True)]
        if row is not None:
            gone.append(row.pk)
        if new[0] <= 0:
            continue
        fields = dict(zip((*key_names, *count_names), (*key, *new), strict=True))
        if newest is not None:
            known = [row.last_minute] if row is not None else []
            known += [newest[key]] if key in newest else []
            fields["last_minute"] = exact[key] if key in exact else max(known)
        rows.append(model(wall_id=wall_id, **fields))
    for batch in _batches(gone):
        model.objects.filter(pk__in=batch).delete()
    model.objects.bulk_create(rows, batch_size=1000)


def _last_minutes(wall_id: int, authors: set[Any]) -> dict[tuple[Any, ...], int]:
    # The newest minute with an entry of each author, from the rows as they are now: the
    # newest hour over the (wall, author, minute) index, then the newest minute in it. Only
    # for authors who lost a minute's row (entries deleted, then a rebuild): rare.
    found: dict[tuple[Any, ...], int] = {}
    for batch in _batches(sorted(authors)):
        hours = (
            AUTHORS.hour.objects.filter(wall_id=wall_id, author_id__in=batch)
            .values("author_id")
            .annotate(hour=Max("minute"))
            .order_by()
        )
        for row in hours:
            newest = AUTHORS.minute.objects.filter(
                wall_id=wall_id,
                author_id=row["author_id"],
                minute__gte=row["hour"],
                minute__lt=row["hour"] + HOUR,
            ).aggregate(newest=Max("minute"))["newest"]
            if newest is not None:
                found[(row["author_id"],)] = newest
    return found


def rebuild_minutes(wall_id: int, minutes: Iterable[int]) -> int:
    """Recompute these minutes of the wall from ``PostWall`` (and move its hour rows and
    totals by the difference); returns the entries read. Call it inside a transaction
    holding the wall's rollup lock."""
    read = 0
    for run in _runs(minutes):
        entries = _entries(wall_id, run)
        read += len(entries)
        fresh = _count(entries)
        scope = {"wall_id": wall_id, "minute__in": run}
        for shape in SHAPES:
            model = shape.minute
            old = list(
                model.objects.filter(**scope).values_list("minute", shape.key, *shape.counts)
            )
            hours: dict[tuple[Any, ...], list[int]] = {}
            days: dict[tuple[Any, ...], list[int]] = {}
            totals: dict[tuple[Any, ...], list[int]] = {}
            for sign, rows in ((-1, ((r[:2], r[2:]) for r in old)), (1, fresh[shape].items())):
                for (minute, key), counts in rows:
                    _add(hours, (hour_of(minute), key), counts, sign)
                    if shape.day is not None:
                        _add(days, (day_of(minute), key), counts, sign)
                    if shape.total is not None:
                        _add(totals, (key,), counts, sign)
            model.objects.filter(**scope).delete()
            model.objects.bulk_create(
                (
                    model(
                        wall_id=wall_id,
                        minute=minute,
                        **{shape.key: key},
                        **dict(zip(shape.counts, counts, strict=True)),
                    )
                    for (minute, key), counts in fresh[shape].items()
                ),
                batch_size=1000,
            )
            _move(shape.hour, wall_id, hours)
            if shape.day is not None:
                _move(shape.day, wall_id, days)
            if shape is AUTHORS:
                newest: dict[tuple[Any, ...], int] = {}
                for minute, author in fresh[shape]:
                    newest[(author,)] = max(minute, newest.get((author,), minute))
                lost = {row[:2] for row in old} - set(fresh[shape])
                exact = _last_minutes(wall_id, {author for _, author in lost})
                _move(shape.total, wall_id, totals, newest=newest, exact=exact)  # type: ignore[arg-type]
            elif shape.total is not None:
                _move(shape.total, wall_id, totals)
    return read


def _table(model: type[Rollup]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def resum(wall_id: int) -> None:
    """Recompute the wall's hour (and day) rows and totals from its minute rows, in the
    database (any drift is gone): the rebuild job's last step."""
    # The hour of a minute: the minute less its non-negative remainder (SQL's % keeps signs;
    # doubled, as a query with parameters needs); the day likewise.
    hour = f"(minute - ((minute %% {HOUR}) + {HOUR}) %% {HOUR})"
    day = f"(minute - ((minute %% {DAY}) + {DAY}) %% {DAY})"
    with connection.cursor() as cursor:
        for shape in SHAPES:
            counts = ", ".join(shape.counts)
            sums = ", ".join(f"SUM({name})" for name in shape.counts)
            levels = [(shape.hour, f"{hour}, {shape.key}", f"minute, {shape.key}", "")]
            if shape.day is not None:
                levels.append((shape.day, f"{day}, {shape.key}", f"minute, {shape.key}", ""))
            if shape is AUTHORS:  # and each author's newest minute
                levels.append((shape.total, shape.key, shape.key, ", MAX(minute)"))
            elif shape.total is not None:
                levels.append((shape.total, shape.key, shape.key, ""))
            for model, grouped, columns, extra in levels:
                assert model is not None
                into = f"{columns}, {counts}" + (", last_minute" if extra else "")
                cursor.execute(f"DELETE FROM {_table(model)} WHERE wall_id = %s", [wall_id])
                cursor.execute(
                    f"INSERT INTO {_table(model)} (wall_id, {into}) "
                    f"SELECT wall_id, {grouped}, {sums}{extra} FROM {_table(shape.minute)} "
                    f"WHERE wall_id = %s GROUP BY wall_id, {grouped}",
                    [wall_id],
                )
