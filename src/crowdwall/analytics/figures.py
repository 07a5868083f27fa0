"""A wall's analytics over a range, read from its rollups (never from ``PostWall``).

Every figure family is one indexed read (``crowdwall.analytics.reads``): the range's full
hours from the hour tables and its edge minutes from the minute tables
(``crowdwall.models.analytics``); a range that covers the wall's whole history (the "event")
takes top authors, top hashtags and distinct posters from the wall-wide totals instead, so its
cost does not grow with the number of posts. Definitions (docs/analytics.md):

- *posts*: wall entries in any state whose post was written in the range; *approved*,
  *pending*, *rejected* (a moderator, a ban or a withdrawal took it off), *deleted* (at the
  source) split them; *removals* are the rejected ones;
- *approval rate*: approved / (approved + rejected), None before any decision;
- *median time to approve*: over approvals made by a moderator (automatic approvals are not
  waits), from the post's arrival to the decision, read from a histogram (±20 %);
- *top authors* and *top hashtags* count approved posts (what the wall shows); *unique posters*
  counts every author with an entry, in any state.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from crowdwall.analytics.authors import top_authors, unique_posters
from crowdwall.analytics.grains import SOURCES, TAGS, WAITS, minute_start
from crowdwall.analytics.ranges import Range
from crowdwall.analytics.reads import fetch, rows, table
from crowdwall.analytics.screens import screens_online
from crowdwall.models import Author, Source, Wall, WallAuthorTotal, WallTagTotal

__all__ = ["COUNTS", "TOP", "Analytics", "analytics", "chart_step", "median_wait"]

TOP = 10  # rows in each top list
POINTS = 240  # at most this many chart points: a range's minutes are binned to fit
STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080)
COUNTS = ("posts", "approved", "pending", "rejected", "deleted")


@dataclass
class Analytics:
    """Everything the analytics page, its CSV and the API show for one wall and range."""

    range: Range
    step: int  # minutes per chart point
    series: list[dict[str, Any]]  # {"at", "posts", "approved"}, one per step, gaps filled
    totals: dict[str, int]
    sources: list[dict[str, Any]]  # {"source_id", "name", "network", **COUNTS}
    networks: list[dict[str, Any]]  # {"network", "posts", "approved"}
    top_hashtags: list[dict[str, Any]]  # {"tag", "posts"}
    top_authors: list[dict[str, Any]]  # {"handle", "display_name", "approved", "posts"}
    unique_posters: int
    approval_rate: float | None
    median_wait_seconds: float | None
    screens_online: int | None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def removals(self) -> int:
        return self.totals["rejected"]


def chart_step(minutes: int) -> int:
    """Minutes per chart point for a range this long: the smallest step giving ≤ POINTS."""
    for step in STEPS:
        if minutes / step <= POINTS:
            return step
    return STEPS[-1]


def median_wait(histogram: dict[int, int]) -> float | None:
    """The median of a wait histogram (bucket → approvals), as its bucket's geometric middle."""
    total = sum(histogram.values())
    if not total:
        return None
    seen = 0
    for bucket in sorted(histogram):
        seen += histogram[bucket]
        if seen * 2 >= total:
            low, high = 2 ** (bucket / 2), 2 ** ((bucket + 1) / 2)
            return round(math.sqrt(low * high) - 1, 1)
    return None  # unreachable: the loop reaches the total


def _per_source_and_step(wall_id: int, span: Range, step: int) -> tuple[list[Any], list[Any]]:
    # One read for the chart and the per-source table: counts grouped by (chart bin, source).
    # Hour rows serve when a chart point is whole hours; finer charts (ranges up to five
    # days) read minutes, a few thousand rows per source.
    counts = ", ".join(f"SUM({name}) AS {name}" for name in COUNTS)
    union, params = rows(
        SOURCES, wall_id, span.first, span.end, f"minute, source_id, {', '.join(COUNTS)}",
        hours=step % 60 == 0,
    )  # fmt: skip
    grouped = (
        f"SELECT minute / {int(step)} AS bin, source_id, {counts} FROM ({union}) AS u "
        f"GROUP BY minute / {int(step)}, source_id"
    )
    # The sources' names joined in: a deleted source's rows stay, nameless.
    found = fetch(
        f"SELECT r.*, s.name, s.kind FROM ({grouped}) AS r "
        f"LEFT JOIN {table(Source)} AS s ON s.id = r.source_id",
        params,
    )
    bins: dict[int, list[int]] = {}
    by_source: dict[int, dict[str, Any]] = {}
    for bin_, source_id, *values, name, kind in found:
        point = bins.setdefault(int(bin_), [0, 0])
        point[0] += int(values[0])
        point[1] += int(values[1])
        row = by_source.get(source_id)
        if row is None:
            row = by_source[source_id] = {
                "source_id": source_id,
                "name": name if name is not None else f"deleted source {source_id}",
                "network": kind if kind is not None else "unknown",
                **dict.fromkeys(COUNTS, 0),
            }
        for count, value in zip(COUNTS, values, strict=True):
            row[count] += int(value)
    series = [
        {
            "at": minute_start(b * step),
            "posts": bins.get(b, (0, 0))[0],
            "approved": bins.get(b, (0, 0))[1],
        }
        for b in range(span.first // step, (span.end - 1) // step + 1)
    ]
    return series, sorted(by_source.values(), key=lambda r: (-r["posts"], r["source_id"]))


def _networks(sources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    networks: dict[str, dict[str, Any]] = {}
    for row in sources:
        entry = networks.setdefault(row["network"], {"network": row["network"], "posts": 0})
        entry["posts"] += row["posts"]
        entry["approved"] = entry.get("approved", 0) + row["approved"]
    return sorted(networks.values(), key=lambda n: (-n["posts"], n["network"]))


def _range_tags(wall_id: int, span: Range) -> list[dict[str, Any]]:
    union, params = rows(TAGS, wall_id, span.first, span.end, "tag, posts")
    found = fetch(
        f"SELECT tag, SUM(posts) AS n FROM ({union}) AS r GROUP BY tag "
        f"ORDER BY n DESC, tag LIMIT {TOP}",
        params,
    )
    return [{"tag": tag, "posts": int(n)} for tag, n in found]


def _waits(wall_id: int, span: Range) -> dict[int, int]:
    union, params = rows(WAITS, wall_id, span.first, span.end, "bucket, approvals")
    found = fetch(f"SELECT bucket, SUM(approvals) FROM ({union}) AS r GROUP BY bucket", params)
    return {int(bucket): int(n) for bucket, n in found}


def _tops(wall_id: int, span: Range, entries: int) -> tuple[list[Any], list[Any], int]:
    if span.whole:  # wall-wide totals: a few thousand rows, whatever the number of posts
        tags = list(
            WallTagTotal.objects.filter(wall_id=wall_id)
            .order_by("-posts", "tag")
            .values("tag", "posts")[:TOP]
        )
        totals = WallAuthorTotal.objects.filter(wall_id=wall_id)
        authors = list(
            totals.filter(approved__gt=0)
            .order_by("-approved", "author_id")
            .values("author_id", "approved", "posts")[:TOP]
        )
        unique = totals.count()
    else:
        tags = _range_tags(wall_id, span)
        authors = top_authors(wall_id, span, TOP, entries)
        unique = unique_posters(wall_id, span)
    known = Author.objects.in_bulk([row["author_id"] for row in authors])
    named = [
        {
            "handle": known[row["author_id"]].handle,
            "display_name": known[row["author_id"]].display_name,
            "approved": row["approved"],
            "posts": row["posts"],
        }
        for row in authors
        if row["author_id"] in known  # deleted since: skipped, not an error
    ]
    return tags, named, unique


def analytics(wall: Wall, span: Range) -> Analytics:
    """The wall's figures over ``span`` (read from the rollups; refresh them first)."""
    step = chart_step(span.minutes)
    series, sources = _per_source_and_step(wall.pk, span, step)
    totals = {name: sum(row[name] for row in sources) for name in COUNTS}
    tags, authors, unique = _tops(wall.pk, span, totals["posts"])
    decided = totals["approved"] + totals["rejected"]
    return Analytics(
        range=span,
        step=step,
        series=series,
        totals=totals,
        sources=sources,
        networks=_networks(sources),
        top_hashtags=tags,
        top_authors=authors,
        unique_posters=unique,
        approval_rate=round(totals["approved"] / decided, 4) if decided else None,
        median_wait_seconds=median_wait(_waits(wall.pk, span)),
        screens_online=screens_online(wall),
    )
