"""A wall's live figures: its post count, top authors and top posts, without a cron job.

One definition, used by the pages, the API (``count``, the list's ``total_count``, the top
lists) and the live ``wall.figures`` frames: a wall's *posts* are its ``PostWall`` entries in
the ``approved`` state (a post deleted at the source moves to ``deleted``, so it is never
counted).

Each figure is memoized with ``herdcache.cached``, keyed by wall id (and the list length) and
tagged ``wall:<slug>:aggregates``. The figures are exact: every change that can move them
(ingest storing, editing or deleting an approved post; every moderation decision; a re-index)
*hard*-purges that tag after commit and before the pages and the live frames are told
(``crowdwall.caching.purge_figures``), and the live publisher then recomputes them once for
every open page (``crowdwall.live.figures``), which refills the cache for everyone else — at
most once per ``LIVE_FIGURES_INTERVAL`` per wall (``crowdwall.ingest.announce``: changes within
the interval are refreshed together at its end). So the cache only smooths load: a busy wall is
queried about once a second, whatever its traffic and ingest rate. For ``AGGREGATES_CACHE_SECONDS`` (60) a value is fresh; after that it is still served,
for up to ``AGGREGATES_STALE_SECONDS``, while one background refresh recomputes it (that only
matters for rows changed behind crowdwall's back, in the admin or the database shell).

Queries, all restricted to one wall's approved entries:

- ``post_count``: ``COUNT(*)`` over the ``(wall, state, ...)`` indexes, no table rows read;
- ``top_authors``: ``GROUP BY author`` over the ``(wall, state, author)`` index, then one
  lookup of the authors by primary key;
- ``top_posts``: a join to ``Post`` ordered by boosts + favourites. No index can serve that
  order (the counts change at the source), so it reads the wall's approved entries once per
  change: exactly what the cache is for.

Top lists are computed (and cached) at least ``LIVE_FIGURES_TOP`` long and cut to the ``n``
asked for, so a page's "top 5", the live frame and the API's default share one query.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.db.models import Count, F, IntegerField, Value
from django.db.models.functions import Coalesce

import herdcache
from crowdwall.caching import aggregates_tag
from crowdwall.conf import conf
from crowdwall.models import Author, ModerationState, Post, PostWall, Wall

__all__ = [
    "AuthorCount",
    "Figures",
    "WallRef",
    "figures",
    "post_count",
    "purge_aggregates",
    "resolve_wall",
    "top_authors",
    "top_posts",
]


@dataclass(frozen=True)
class WallRef:
    """What the cache needs of a wall: its id (the key) and slug (the tag)."""

    id: int
    slug: str


@dataclass(frozen=True)
class AuthorCount:
    """An author and their number of approved posts on a wall."""

    author: Author
    posts: int


@dataclass(frozen=True)
class Figures:
    """Everything a wall page shows about a wall as a whole, read together."""

    count: int
    top_authors: list[AuthorCount]
    top_posts: list[Post]


def resolve_wall(wall: Wall | WallRef | str) -> WallRef:
    """A ``WallRef`` for a wall instance (no query) or a slug (one lookup of the unique slug).

    Raises ``Wall.DoesNotExist`` for an unknown slug.
    """
    if isinstance(wall, WallRef):
        return wall
    if isinstance(wall, Wall):
        return WallRef(wall.pk, wall.slug)
    if isinstance(wall, str):
        return WallRef(Wall.objects.values_list("pk", flat=True).get(slug=wall), wall)
    raise TypeError(f"Expected a Wall or a wall slug, not {type(wall).__name__}.")


def _approved(wall_id: int) -> Any:
    # The one definition of "a wall's posts" (see the module docstring).
    return PostWall.objects.filter(wall_id=wall_id, state=ModerationState.APPROVED)


def _count(wall_id: int, slug: str) -> int:
    return int(_approved(wall_id).count())


def _top_authors(wall_id: int, slug: str, n: int) -> list[AuthorCount]:
    rows = list(
        _approved(wall_id)
        .values("author_id")
        .annotate(posts=Count("*"))
        .order_by("-posts", "author_id")[:n]
    )
    authors = Author.objects.in_bulk([row["author_id"] for row in rows])
    return [
        AuthorCount(authors[row["author_id"]], row["posts"])
        for row in rows
        if row["author_id"] in authors  # an author deleted since the GROUP BY: skip, not fail
    ]


def _top_posts(wall_id: int, slug: str, n: int) -> list[Post]:
    score = Coalesce(F("post__boosts_count"), Value(0), output_field=IntegerField()) + Coalesce(
        F("post__favourites_count"), Value(0), output_field=IntegerField()
    )
    entries = (
        _approved(wall_id)
        .annotate(score=score)
        .filter(score__gt=0)  # nothing boosted or favourited yet: no "top" post to show
        .select_related("post__author")
        .order_by("-score", "-created_at", "-post_id")[:n]
    )
    return [entry.post for entry in entries]


def _tags(wall_id: int, slug: str, *args: Any) -> list[str]:
    return [aggregates_tag(slug)]


@lru_cache(maxsize=8)
def _memoized(timeout: int, stale: int) -> tuple[Any, Any, Any]:
    # Settings are read per call; one set of decorated functions per (timeout, stale) value.
    # Keys name the wall by id (slugs can be renamed); the tag names it by slug for purges.
    def memo(func: Any, key: str) -> Any:
        return herdcache.cached(timeout, stale=stale, tags=_tags, key=key)(func)

    return (
        memo(_count, "wall:{0}"),
        memo(_top_authors, "wall:{0}:n:{2}"),
        memo(_top_posts, "wall:{0}:n:{2}"),
    )


def _functions() -> tuple[Any, Any, Any]:
    return _memoized(conf.AGGREGATES_CACHE_SECONDS, conf.AGGREGATES_STALE_SECONDS)


def _check_n(n: int) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive integer, not {n!r}.")
    return n


def _length(n: int) -> int:
    # Shorter lists are cut from the live frame's (one cached query for all of them).
    return max(_check_n(n), conf.LIVE_FIGURES_TOP)


def post_count(wall: Wall | WallRef | str) -> int:
    """The number of approved posts on ``wall`` (cached; see the module docstring)."""
    ref = resolve_wall(wall)
    return int(_functions()[0](ref.id, ref.slug))


def top_authors(wall: Wall | WallRef | str, n: int) -> list[AuthorCount]:
    """The ``n`` authors with the most approved posts on ``wall``, most first (ties: oldest
    author first). Cached; see the module docstring."""
    ref = resolve_wall(wall)
    return list(_functions()[1](ref.id, ref.slug, _length(n)))[:n]


def top_posts(wall: Wall | WallRef | str, n: int) -> list[Post]:
    """The ``n`` approved posts of ``wall`` with the most boosts + favourites (at least one),
    with their authors loaded; ties: newest first. Cached; see the module docstring."""
    ref = resolve_wall(wall)
    return list(_functions()[2](ref.id, ref.slug, _length(n)))[:n]


def figures(wall: Wall | WallRef | str) -> Figures:
    """``wall``'s count and top lists (``LIVE_FIGURES_TOP`` long), as the live frame sends them."""
    ref = resolve_wall(wall)
    n = conf.LIVE_FIGURES_TOP
    return Figures(post_count(ref), top_authors(ref, n), top_posts(ref, n))


def purge_aggregates(wall: Wall | WallRef | str) -> None:
    """Soft-purge ``wall``'s figures: served stale once more while one refresh recomputes them
    (for changes made behind crowdwall's back; its own changes hard-purge them)."""
    herdcache.purge(tags=[aggregates_tag(resolve_wall(wall).slug)], soft=True)
