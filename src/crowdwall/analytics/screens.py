"""How many big screens of a wall are showing it now, for the analytics page.

A stand-in until screen presence lands (issue 19 §2): the remote-control work exposes
``screens_online(wall)``; this one answers None, shown as "unknown", and is wired to it at
merge.
"""

from __future__ import annotations

from crowdwall.models import Wall

__all__ = ["screens_online"]


def screens_online(wall: Wall) -> int | None:
    """The number of screens of ``wall`` reporting presence now; None: not known."""
    return None
