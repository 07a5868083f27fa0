"""The ``wall.figures`` frame: a wall's post count and top lists, pushed to its live pages.

Frame: ``{"type": "wall.figures", "count": N, "top_authors": [{"author": {...}, "posts": n}],
"top_posts": [post, ...], "at": T}`` (authors and posts in the shapes post frames carry; each
list ``LIVE_FIGURES_TOP`` long at most). A page applies the one with the newest ``at``.

It goes out

- from the live publisher, after the batches of events that change what a wall shows
  (``ChannelsPublisher.messages``, which the nchan transport reuses): computed once per wall
  and ``LIVE_FIGURES_INTERVAL`` at most (``crowdwall.ingest.announce``), never per page, after ingest and moderation have hard-purged the cached figures
  (``crowdwall.caching.purge_figures``), so it is exact and refills the cache for every reader;
- with every catch-up (``crowdwall.live.catchup.missed``): a page served from the cache, or
  back from a disconnection, corrects the figures its HTML was rendered with at once.

Figures are a courtesy next to the posts: a failure to compute them is logged, and the posts
go out without them.
"""

from __future__ import annotations

import logging
from typing import Any

from crowdwall import aggregates
from crowdwall.aggregates import WallRef
from crowdwall.live.frames import FIGURES, author_payload, dumps, post_payload
from crowdwall.models import Wall

logger = logging.getLogger("crowdwall.live")


def figures_payload(wall: Wall | WallRef | str) -> dict[str, Any]:
    """``wall``'s figures as the frame carries them (without ``type`` and ``at``)."""
    found = aggregates.figures(wall)
    return {
        "count": found.count,
        "top_authors": [
            {"author": author_payload(row.author), "posts": row.posts} for row in found.top_authors
        ],
        "top_posts": [post_payload(post) for post in found.top_posts],
    }


def figures_frame(wall: Wall | WallRef | str, *, at: int) -> str | None:
    """The encoded ``wall.figures`` frame of ``wall`` as of ``at`` (epoch ms, taken before the
    read), or None when it cannot be computed (an unknown wall, a database or cache failure:
    logged)."""
    try:
        payload = figures_payload(wall)
    except Wall.DoesNotExist:
        return None
    except Exception:
        logger.exception("Computing the live figures of wall %r failed", wall)
        return None
    return dumps({"type": FIGURES, **payload, "at": at})
