"""A wall's analytics over a range, read from its rollups (never from ``PostWall``).

Every figure is a handful of indexed range reads of the per-minute tables
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

from django.db import connection
from django.db.models import F, Sum

from crowdwall.analytics.ranges import Range
from crowdwall.analytics.rollup import minute_start
from crowdwall.analytics.screens import screens_online
from crowdwall.models import (
    Author,
    Source,
    Wall,
    WallAuthorTotal,
    WallMinute,
    WallMinuteAuthor,
    WallMinuteTag,
    WallMinuteWait,
    WallTagTotal,
)

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


def _series(scope: dict[str, Any], span: Range, step: int) -> list[dict[str, Any]]:
    rows = (
        WallMinute.objects.filter(**scope)
        .annotate(bin=F("minute") / step)
        .values("bin")
        .annotate(posts=Sum("posts"), approved=Sum("approved"))
        .order_by("bin")
    )
    found = {row["bin"]: row for row in rows}
    return [
        {
            "at": minute_start(b * step),
            "posts": found.get(b, {}).get("posts") or 0,
            "approved": found.get(b, {}).get("approved") or 0,
        }
        for b in range(span.first // step, (span.end - 1) // step + 1)
    ]


def _sources(scope: dict[str, Any]) -> list[dict[str, Any]]:
    rows = list(
        WallMinute.objects.filter(**scope)
        .values("source_id")
        .annotate(**{name: Sum(name) for name in COUNTS})
        .order_by("-posts", "source_id")
    )
    known = {s.pk: s for s in Source.objects.filter(pk__in=[row["source_id"] for row in rows])}
    for row in rows:
        source = known.get(row["source_id"])
        row["name"] = source.name if source else f"deleted source {row['source_id']}"
        row["network"] = source.kind if source else "unknown"
    return rows


def _networks(sources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    networks: dict[str, dict[str, Any]] = {}
    for row in sources:
        entry = networks.setdefault(row["network"], {"network": row["network"], "posts": 0})
        entry["posts"] += row["posts"]
        entry["approved"] = entry.get("approved", 0) + row["approved"]
    return sorted(networks.values(), key=lambda n: (-n["posts"], n["network"]))


def _range_authors(scope: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
    # One scan of the range's (wall, minute, author) rows gives both the top authors and, as a
    # window count over the groups, how many distinct authors there are: the biggest read of
    # the page, so it is not done twice.
    table = WallMinuteAuthor._meta.db_table
    sql = (
        f"SELECT author_id, SUM(approved) AS a, SUM(posts) AS p, COUNT(*) OVER () AS n "
        f"FROM {table} WHERE wall_id = %s AND minute >= %s AND minute < %s "
        f"GROUP BY author_id ORDER BY a DESC, author_id LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [scope["wall_id"], scope["minute__gte"], scope["minute__lt"], TOP])
        rows = cursor.fetchall()
    unique = int(rows[0][3]) if rows else 0
    top = [{"author_id": a, "approved": int(ap), "posts": int(p)} for a, ap, p, _ in rows if ap]
    return top, unique


def _tops(wall_id: int, scope: dict[str, Any], whole: bool) -> tuple[list[Any], list[Any], int]:
    if whole:  # wall-wide totals: a few thousand rows, whatever the number of posts
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
        tags = list(
            WallMinuteTag.objects.filter(**scope)
            .values("tag")
            .annotate(total=Sum("posts"))
            .order_by("-total", "tag")[:TOP]
        )
        tags = [{"tag": row["tag"], "posts": row["total"]} for row in tags]
        authors, unique = _range_authors(scope)
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
    scope = {"wall_id": wall.pk, "minute__gte": span.first, "minute__lt": span.end}
    step = chart_step(span.minutes)
    sources = _sources(scope)
    totals = {name: sum(row[name] for row in sources) for name in COUNTS}
    tags, authors, unique = _tops(wall.pk, scope, span.whole)
    waits = dict(
        WallMinuteWait.objects.filter(**scope)
        .values("bucket")
        .annotate(n=Sum("approvals"))
        .values_list("bucket", "n")
    )
    decided = totals["approved"] + totals["rejected"]
    return Analytics(
        range=span,
        step=step,
        series=_series(scope, span, step),
        totals=totals,
        sources=sources,
        networks=_networks(sources),
        top_hashtags=tags,
        top_authors=authors,
        unique_posters=unique,
        approval_rate=round(totals["approved"] / decided, 4) if decided else None,
        median_wait_seconds=median_wait(waits),
        screens_online=screens_online(wall),
    )
