"""Rollup minutes and hours, and the four shapes of rollup rows at each grain.

A minute is ``epoch seconds // 60``; an hour is named by its first minute (a multiple of 60),
which is what the hour tables store in their ``minute`` column. A range of minutes is *covered*
by its full hours (read from the hour tables) plus the minutes at its edges (read from the
minute tables): a day's range reads 23 or 24 hour rows per key instead of 1,440 minute rows.
Authors also have a day grain (a UTC day, named by its first minute, a multiple of 1,440): a
range reads its full days of author rows from it, and hours and minutes only at its edges.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from crowdwall.models import (
    WallAuthorTotal,
    WallDayAuthor,
    WallHour,
    WallHourAuthor,
    WallHourTag,
    WallHourWait,
    WallMinute,
    WallMinuteAuthor,
    WallMinuteTag,
    WallMinuteWait,
    WallTagTotal,
)
from crowdwall.models.analytics import Rollup

__all__ = [
    "AUTHORS",
    "DAY",
    "HOUR",
    "SHAPES",
    "SOURCES",
    "TAGS",
    "WAITS",
    "Cover",
    "Shape",
    "cover",
    "day_of",
    "days_of",
    "hour_of",
    "minute_of",
    "minute_start",
]

HOUR = 60  # minutes
DAY = 24 * HOUR


@dataclass(frozen=True)
class Shape:
    """One kind of rollup row at both grains, and its wall-wide total if it has one."""

    minute: type[Rollup]
    hour: type[Rollup]
    total: type[Rollup] | None = None
    day: type[Rollup] | None = None  # authors only: the grain where hours are still too many

    @property
    def key(self) -> str:
        """The field that tells rows of one minute apart (source, author, tag, bucket)."""
        return self.minute.KEY[1]

    @property
    def counts(self) -> tuple[str, ...]:
        """The counted fields, the first one > 0 in every stored row."""
        return self.minute.COUNTS


SOURCES = Shape(WallMinute, WallHour)
AUTHORS = Shape(WallMinuteAuthor, WallHourAuthor, WallAuthorTotal, WallDayAuthor)
TAGS = Shape(WallMinuteTag, WallHourTag, WallTagTotal)
WAITS = Shape(WallMinuteWait, WallHourWait)
SHAPES = (SOURCES, AUTHORS, TAGS, WAITS)


def minute_of(moment: datetime) -> int:
    """The rollup minute of a moment: whole minutes since the epoch."""
    return int(moment.timestamp()) // 60


def minute_start(minute: int) -> datetime:
    """The first instant of a rollup minute (UTC)."""
    return datetime.fromtimestamp(minute * 60, tz=UTC)


def hour_of(minute: int) -> int:
    """The hour a minute falls in, as the hour's first minute."""
    return minute - minute % HOUR


def day_of(minute: int) -> int:
    """The UTC day a minute falls in, as the day's first minute."""
    return minute - minute % DAY


def days_of(first: int, end: int) -> tuple[tuple[int, int], tuple[tuple[int, int], ...]]:
    """Minutes ``[first, end)`` as full UTC days ``[low, high)`` (empty when equal) and the
    minute ranges left before and after them (each then read as ``cover`` says)."""
    low, high = -(-first // DAY) * DAY, end // DAY * DAY
    if high <= low:
        return (low, low), ((first, end),) if end > first else ()
    return (low, high), tuple((a, b) for a, b in ((first, low), (high, end)) if b > a)


@dataclass(frozen=True)
class Cover:
    """Minutes ``[first, end)`` as full hours ``[hours[0], hours[1])`` (empty when equal) and
    the minute ranges left at the edges."""

    hours: tuple[int, int]
    minutes: tuple[tuple[int, int], ...]


def cover(first: int, end: int, *, hours: bool = True) -> Cover:
    """How to read minutes ``[first, end)``: full hours from the hour tables (unless ``hours``
    is false), the rest from the minute tables."""
    low, high = -(-first // HOUR) * HOUR, end // HOUR * HOUR
    if not hours or high <= low:
        return Cover((low, low), ((first, end),) if end > first else ())
    edges = tuple((a, b) for a, b in ((first, low), (high, end)) if b > a)
    return Cover((low, high), edges)
