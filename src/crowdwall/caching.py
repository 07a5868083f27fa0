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
    tag: ingest purges pages on every batch, while figures refresh on their own period."""
    return f"wall:{slug}:aggregates"


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
