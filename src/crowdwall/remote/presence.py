"""Which big screens and overlays are open, as they report themselves: kept in the cache only.

Every open screen sends a presence report every ``SCREEN_HEARTBEAT_SECONDS`` (over its
WebSocket with Channels, as a small POST with nchan, whose sockets only go one way): a random
screen id, layout, viewport size, the last post id it received, its lag, how often it
reconnected. A report is one cache entry per screen (``crowdwall:screen:<wall>:<screen>``) that
expires after ``EXPIRE_BEATS`` heartbeats, plus a per-wall index of screen ids: a heartbeat is
two cache reads and one or two writes, never a database write. Bounded: at most
``SCREENS_PER_WALL`` ids per wall (a full index refuses new screens, ``TooManyScreens``), and a
screen reporting faster than every half heartbeat is ignored (``report`` returns False).

A screen is *stale* when it missed more than two reports (``STALE_BEATS``): still listed, with
a warning, until its entry expires. The index may lose an id when two new screens report at
the same instant (read-modify-write on the cache); the screen's next report adds it again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache

from crowdwall.conf import conf
from crowdwall.live.catchup import MAX_POST_ID, now_ms
from crowdwall.models import ScreenLayout, ScreenTheme

SCREEN_ID = re.compile(r"^[A-Za-z0-9_-]{8,40}$")
STALE_BEATS = 2.5  # more than two missed reports
EXPIRE_BEATS = 10  # a screen gone this long is forgotten
INDEX_SECONDS = 86_400  # the index outlives its entries; listing prunes it
_MAX_SIZE = 100_000  # pixels: an 8K wall is 7680 wide
_MAX_COUNT = 10**9


class BadReport(ValueError):
    """A presence report with a missing or out-of-range field (the message names it)."""


class TooManyScreens(Exception):
    """The wall has ``SCREENS_PER_WALL`` live screens already; this new one is not listed."""


@dataclass(frozen=True, slots=True)
class Report:
    """One screen's presence report, validated."""

    screen: str
    layout: str
    theme: str
    overlay: bool
    width: int
    height: int
    last_id: int
    lag_ms: int
    reconnects: int
    paused: bool
    offline_posts: int  # posts kept for an outage (IndexedDB)


def _int(data: dict[str, Any], key: str, maximum: int) -> int:
    value = data.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= maximum:
        raise BadReport(f"{key}: a whole number from 0 to {maximum}.")
    return value


def _choice(data: dict[str, Any], key: str, values: list[str]) -> str:
    value = data.get(key)
    if value not in values:
        raise BadReport(f"{key}: one of {', '.join(values)}.")
    return str(value)


def _lag(value: Any) -> int:
    # A screen whose clock runs behind the server's reports a negative lag: counted as 0.
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadReport("lag_ms: a whole number of milliseconds.")
    return max(0, min(value, _MAX_COUNT))


def parse_report(data: Any) -> Report:
    """A browser's report (a JSON object) as a ``Report``; ``BadReport`` for anything off."""
    if not isinstance(data, dict):
        raise BadReport("A JSON object.")
    screen = data.get("screen")
    if not isinstance(screen, str) or not SCREEN_ID.match(screen):
        raise BadReport("screen: 8 to 40 letters, digits, '-' or '_'.")
    return Report(
        screen=screen,
        layout=_choice(data, "layout", ScreenLayout.values),
        theme=_choice(data, "theme", ScreenTheme.values),
        overlay=data.get("overlay") is True,
        width=_int(data, "width", _MAX_SIZE),
        height=_int(data, "height", _MAX_SIZE),
        last_id=_int(data, "last_id", MAX_POST_ID),
        lag_ms=_lag(data.get("lag_ms", 0)),
        reconnects=_int(data, "reconnects", _MAX_COUNT),
        paused=data.get("paused") is True,
        offline_posts=_int(data, "offline_posts", _MAX_COUNT),
    )


def _entry_key(wall_id: int, screen: str) -> str:
    return f"crowdwall:screen:{wall_id}:{screen}"


def _index_key(wall_id: int) -> str:
    return f"crowdwall:screens:{wall_id}"


def _beat_ms() -> int:
    return int(conf.SCREEN_HEARTBEAT_SECONDS * 1000)


def report(wall_id: int, found: Report, *, transport: str) -> bool:
    """Store ``found`` as wall ``wall_id``'s screen; False when it came too soon after the last
    one (ignored), ``TooManyScreens`` when the wall's index is full."""
    now = now_ms()
    key = _entry_key(wall_id, found.screen)
    previous = cache.get(key)
    if previous is not None and now - previous["seen"] < _beat_ms() // 2:
        return False  # a chatty (or hostile) screen: one report per half heartbeat is enough
    ids: list[str] = cache.get(_index_key(wall_id)) or []
    if found.screen not in ids:
        if len(ids) >= conf.SCREENS_PER_WALL:
            alive = cache.get_many([_entry_key(wall_id, i) for i in ids])
            ids = [i for i in ids if _entry_key(wall_id, i) in alive]
            if len(ids) >= conf.SCREENS_PER_WALL:
                raise TooManyScreens(f"{len(ids)} screens report on this wall already.")
        ids.append(found.screen)
        cache.set(_index_key(wall_id), ids, INDEX_SECONDS)
    first = previous["first"] if previous is not None else now
    entry = {**_as_dict(found), "seen": now, "first": first, "transport": transport}
    cache.set(key, entry, conf.SCREEN_HEARTBEAT_SECONDS * EXPIRE_BEATS)
    return True


def _as_dict(found: Report) -> dict[str, Any]:
    return {name: getattr(found, name) for name in Report.__slots__}


def screens(wall_id: int) -> list[dict[str, Any]]:
    """The wall's screens that reported lately, longest-running first, each with ``age_ms``
    (since its last report) and ``stale`` (missed more than two reports)."""
    ids: list[str] = cache.get(_index_key(wall_id)) or []
    found = cache.get_many([_entry_key(wall_id, i) for i in ids])
    now, stale_ms = now_ms(), _beat_ms() * STALE_BEATS
    listed = []
    for screen in ids:
        entry = found.get(_entry_key(wall_id, screen))
        if entry is None:
            continue
        age = max(0, now - entry["seen"])
        listed.append(
            {**entry, "age_ms": age, "age_seconds": round(age / 1000), "stale": age > stale_ms}
        )
    if len(listed) < len(ids):  # forget the expired ones (a racing report re-adds itself)
        cache.set(_index_key(wall_id), [s["screen"] for s in listed], INDEX_SECONDS)
    listed.sort(key=lambda s: (s["first"], s["screen"]))
    return listed


def screens_online(wall: Any) -> int:
    """How many screens of ``wall`` (a ``Wall`` or its id) report now, stale ones not counted."""
    wall_id = wall if isinstance(wall, int) else wall.pk
    return sum(1 for s in screens(wall_id) if not s["stale"])
