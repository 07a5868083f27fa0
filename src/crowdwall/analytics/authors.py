"""Top authors and distinct posters of a range, without reading every author's rows.

A day at a million posts has ~230,000 (author, hour) rows: grouping them all costs hundreds of
milliseconds. Both figures stay exact with far less:

- *distinct posters* of a range that reaches the wall's newest minute (the last hour, the last
  day: nothing was written after its end) are the authors whose newest minute
  (``WallAuthorTotal.last_minute``) is in the range: one count over a ``(wall, last_minute)``
  index. Other ranges (custom ones in the past) count distinct authors over their rows:
  full UTC days from the day rows (~48,000 for a day at a million posts, where its hours
  are ~230,000: most authors post about once an hour), hours and minutes at the edges.
- *top authors*: nobody has more approved posts in a range than in the whole event, so
  candidates are read in order of their event-wide approved count, ``ROUND`` at a time, each
  round one read of their rows in the range over the ``(wall, author, minute)`` index; once the
  tenth best so far has more than the next candidate's event-wide count, no one else can get in.
  At a million skewed posts one round settles a day; after ``ROUNDS`` the range is grouped
  whole, and so is a range with few entries (``SMALL``: the last hour), where it is cheaper.
"""

from __future__ import annotations

from typing import Any

from crowdwall.analytics.grains import AUTHORS, SOURCES
from crowdwall.analytics.ranges import Range
from crowdwall.analytics.reads import fetch, rows, table
from crowdwall.models import WallAuthorTotal

__all__ = ["ROUND", "ROUNDS", "top_authors", "unique_posters"]

ROUND = 200  # candidates per read
ROUNDS = 5  # then the whole range is grouped instead (a range unlike the event's totals)
SMALL = 20_000  # entries: a range with at most this many is grouped whole (as many rows, fast)

Ranked = list[dict[str, Any]]  # {"author_id", "approved", "posts"}, best first


def unique_posters(wall_id: int, span: Range) -> int:
    """How many distinct authors have an entry (in any state) in the range."""
    # One round trip: -1 when something was written after the range (count its rows then).
    found = fetch(
        f"SELECT CASE WHEN EXISTS (SELECT 1 FROM {table(SOURCES.minute)} "
        f"WHERE wall_id = %s AND minute >= %s) THEN -1 ELSE (SELECT COUNT(*) FROM "
        f"{table(WallAuthorTotal)} WHERE wall_id = %s AND last_minute >= %s) END",
        [wall_id, span.end, wall_id, span.first],
    )
    if found[0][0] >= 0:
        return int(found[0][0])
    union, params = rows(AUTHORS, wall_id, span.first, span.end, "author_id")
    return int(fetch(f"SELECT COUNT(DISTINCT author_id) FROM ({union}) AS r", params)[0][0])


def _best(found: dict[int, tuple[int, int]], top: int) -> Ranked:
    # Most approved first, then the smaller author id (the order the page has always used).
    ranked = sorted((-approved, author, posts) for author, (approved, posts) in found.items())
    return [
        {"author_id": author, "approved": -minus, "posts": posts}
        for minus, author, posts in ranked[:top]
        if minus < 0
    ]


def _read(wall_id: int, span: Range, keys: list[int] | None) -> dict[int, tuple[int, int]]:
    union, params = rows(
        AUTHORS, wall_id, span.first, span.end, "author_id, posts, approved", keys=keys
    )
    found = fetch(
        f"SELECT author_id, SUM(approved), SUM(posts) FROM ({union}) AS r GROUP BY author_id",
        params,
    )
    return {author: (int(approved), int(posts)) for author, approved, posts in found}


def top_authors(wall_id: int, span: Range, top: int, entries: int) -> Ranked:
    """The ``top`` authors with the most approved entries in the range (ties: lower id);
    ``entries``: how many the range has (it bounds the rows a whole read groups)."""
    if entries <= SMALL:
        # A short range (the last hour): its few rows are cheaper to group than candidates,
        # whose bound is loose there (an hour's tenth best has a few dozen posts, thousands of
        # authors have more over the event).
        return _best(_read(wall_id, span, None), top)
    candidates = (
        WallAuthorTotal.objects.filter(wall_id=wall_id, approved__gt=0)
        .order_by("-approved", "author_id")
        .values_list("author_id", "approved")
    )
    found: dict[int, tuple[int, int]] = {}
    for start in range(0, ROUND * ROUNDS, ROUND):
        batch = list(candidates[start : start + ROUND])
        if batch:
            found.update(_read(wall_id, span, [author for author, _ in batch]))
        best = _best(found, top)
        if len(batch) < ROUND:
            return best  # every author with an approved entry has been read
        if len(best) == top and best[-1]["approved"] > batch[-1][1]:
            return best  # the rest have fewer approved posts in the whole event
    return _best(_read(wall_id, span, None), top)
