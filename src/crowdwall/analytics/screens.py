"""How many big screens of a wall are showing it now, for the analytics page.

Read from screen presence (``crowdwall.remote.presence``: reports kept in the cache); a cache
outage makes it unknown (None, shown as "unknown"), never an error on the page.
"""

from __future__ import annotations

import logging

from crowdwall.models import Wall
from crowdwall.remote import presence

__all__ = ["screens_online"]

logger = logging.getLogger("crowdwall.analytics")


def screens_online(wall: Wall) -> int | None:
    """The number of screens of ``wall`` reporting presence now; None: not known."""
    try:
        return presence.screens_online(wall)
    except Exception:
        logger.warning("Screens online of wall %s unknown (presence unreadable)", wall.pk)
        return None
