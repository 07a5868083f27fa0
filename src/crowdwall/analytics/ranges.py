"""The time ranges analytics are asked for: last hour, last day, the whole event, or custom.

Read from a query string (``range=hour|day|event|custom`` with ``start``/``end`` for custom),
the same for the page, the CSV export and the API; a bad value is a ``RangeError`` whose
message names the parameter, which each caller answers in its own shape (400 page, 422 JSON).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import Max, Min
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from crowdwall.analytics.grains import minute_of, minute_start
from crowdwall.models import WallMinute

__all__ = ["KINDS", "MAX_DAYS", "Range", "RangeError", "input_value", "parse_range"]

KINDS = ("hour", "day", "event", "custom")
MAX_DAYS = 366  # a custom range longer than this is a typo, not an event
YEARS = (1970, 2999)


class RangeError(ValueError):
    """A range parameter that cannot be read; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Range:
    """Minutes ``[first, end)`` of a wall's rollups, and how they were asked for."""

    kind: str
    first: int
    end: int
    whole: bool = False  # covers every minute the wall has: wall-wide totals answer it

    @property
    def start_at(self) -> datetime:
        return minute_start(self.first)

    @property
    def end_at(self) -> datetime:
        return minute_start(self.end)

    @property
    def minutes(self) -> int:
        return self.end - self.first


def _moment(field: str, value: str | None) -> datetime:
    text = (value or "").strip()
    if not text:
        raise RangeError(field, f"A custom range needs {field} (an ISO 8601 date or time).")
    try:
        moment = parse_datetime(text)
        if moment is None and (day := parse_date(text)) is not None:
            moment = datetime(day.year, day.month, day.day)
    except ValueError:
        moment = None
    if moment is None:
        raise RangeError(field, f"{field} is not an ISO 8601 date or time: {text[:40]!r}.")
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=UTC)
    if not YEARS[0] <= moment.year <= YEARS[1]:
        # Minutes are counted from 1970; past 2999 a minute's end can overflow datetime.
        raise RangeError(field, f"{field} must be between the years {YEARS[0]} and {YEARS[1]}.")
    return moment


def input_value(text: str | None) -> str:
    """A query's ``start``/``end`` as a ``datetime-local`` field shows it (UTC, to the minute);
    text that is not a date is given back as it is (the error message names it)."""
    try:
        moment = _moment("value", text)
    except RangeError:
        return text or ""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


def _span(wall_id: int) -> tuple[int, int] | None:
    found = WallMinute.objects.filter(wall_id=wall_id).aggregate(
        first=Min("minute"), last=Max("minute")
    )
    if found["first"] is None:
        return None
    return found["first"], found["last"] + 1


def parse_range(
    wall_id: int,
    kind: str | None,
    start: str | None = None,
    end: str | None = None,
    *,
    now: datetime | None = None,
) -> Range:
    """The range a query string asks for (default: the last hour); ``RangeError`` if bad."""
    kind = (kind or "hour").strip()
    if kind not in KINDS:
        raise RangeError("range", f"range must be one of {', '.join(KINDS)}, not {kind[:20]!r}.")
    current = minute_of(now or timezone.now()) + 1
    # The wall's first and last minute: needed for "event", and to answer a custom range
    # covering them from the totals; "hour" and "day" skip the query (one round trip less).
    span = _span(wall_id) if kind in ("event", "custom") else None
    if kind == "hour":
        first, last = current - 60, current
    elif kind == "day":
        first, last = current - 24 * 60, current
    elif kind == "event":
        first, last = span or (current - 60, current)
    else:
        since, until = _moment("start", start), _moment("end", end)
        if until <= since:
            raise RangeError("end", "end must be after start.")
        if until - since > timedelta(days=MAX_DAYS):
            raise RangeError("end", f"A custom range is at most {MAX_DAYS} days long.")
        first, last = minute_of(since), max(minute_of(until), minute_of(since) + 1)
    whole = span is not None and first <= span[0] and last >= span[1]
    return Range(kind, first, last, whole)
