"""Cache tags of crowdwall's pages, and the one function that purges them."""

from __future__ import annotations

import logging
from collections.abc import Iterable

import herdcache

logger = logging.getLogger("crowdwall.caching")

WALL_LIST_TAG = "walls"


def wall_tag(slug: str) -> str:
    """The tag every cached page of one wall carries (archive pages, all query strings)."""
    return f"wall:{slug}"


def aggregates_tag(slug: str) -> str:
    """The tag of a wall's cached figures (``crowdwall.aggregates``). Deliberately not the page
    tag: pages are soft-purged (served stale while one request re-renders), figures hard-purged
    (``purge_figures``)."""
    return f"wall:{slug}:aggregates"


def purge_figures(slugs: Iterable[str]) -> None:
    """Hard-purge these walls' cached figures after a change that may move them: the next read
    recomputes them, nobody is served the old count. Call it before ``purge_walls`` (a page
    re-rendered in between would cache the old figures). A cache outage is logged, never
    raised (this runs after commit)."""
    tags = sorted({aggregates_tag(slug) for slug in slugs})
    if not tags:
        return
    try:
        herdcache.purge(tags=tags)
    except Exception:
        logger.exception("Purging cache tags %s failed", tags)


def purge_walls(slugs: Iterable[str], *, wall_list: bool = False) -> None:
    """Soft-purge the pages of these walls: the next request gets the stale copy while exactly
    one request re-renders. A cache outage is logged, never raised into the ingest path."""
    tags = sorted({wall_tag(slug) for slug in slugs})
    if wall_list:
        tags.append(WALL_LIST_TAG)
    if not tags:
        return
    try:
        herdcache.purge(tags=tags, soft=True)
    except Exception:
        logger.exception("Purging cache tags %s failed", tags)
