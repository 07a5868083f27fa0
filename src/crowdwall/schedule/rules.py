"""The rules of the talks running now, per wall, for ingest matching (``load_wall_rules``).

Ingest compiles the walls for every chunk, so this must cost next to nothing: the talks that
run during the next minute (those with rules, on schedules that use them) are loaded with one
query and kept in the process; each call then picks the ones running at ``now`` in memory. The
window is reloaded when ``now`` leaves it, and dropped at once when this process imports or
edits a schedule (``forget_talk_rules``); another process sees the change within a window
(``WINDOW``), as a talk starting inside a loaded window is already in it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

WINDOW = timedelta(seconds=60)


@dataclass(frozen=True)
class TalkRules:
    """What the talks running on one wall add to its matching."""

    hashtags: frozenset[str] = frozenset()
    keywords: tuple[str, ...] = ()
    filters: frozenset[str] = frozenset()


@dataclass(frozen=True)
class _Window:
    start: datetime
    until: datetime
    # (wall id, start, end, hashtags, keywords, filters) of every talk with rules in the window
    talks: tuple[tuple[int, datetime, datetime, list[str], list[str], list[str]], ...]


_window: _Window | None = None


def forget_talk_rules() -> None:
    """Drop the loaded window (after an import or an edit): the next call reloads it."""
    global _window
    _window = None


def _load(now: datetime) -> _Window:
    from crowdwall.models import Talk  # the models import ingest.match, which ingest imports

    rows = Talk.objects.filter(
        schedule__talk_rules=True, end__gt=now, start__lt=now + WINDOW
    ).values_list("schedule__wall_id", "start", "end", "hashtags", "keywords", "filters")
    talks = tuple(row for row in rows if row[3] or row[4] or row[5])
    return _Window(start=now, until=now + WINDOW, talks=talks)


def _merge(rows: Iterable[tuple[list[str], list[str], list[str]]]) -> TalkRules:
    hashtags: set[str] = set()
    keywords: dict[str, None] = {}
    filters: set[str] = set()
    for tags, words, hides in rows:
        hashtags.update(tags)
        keywords.update(dict.fromkeys(words))
        filters.update(hides)
    return TalkRules(frozenset(hashtags), tuple(keywords), frozenset(filters))


def active_talk_rules(now: datetime) -> dict[int, TalkRules]:
    """The rules each wall's running talks add at ``now`` (walls without any are left out)."""
    global _window
    window = _window
    if window is None or not window.start <= now < window.until:
        window = _window = _load(now)
    running: dict[int, list[tuple[list[str], list[str], list[str]]]] = {}
    for wall_id, start, end, tags, words, hides in window.talks:
        if start <= now < end:
            running.setdefault(wall_id, []).append((tags, words, hides))
    return {wall_id: _merge(rows) for wall_id, rows in running.items()}
