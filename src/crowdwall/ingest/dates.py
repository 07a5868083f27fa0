"""Dates as sources write them, read into aware UTC datetimes, or ``None`` — never an exception.

Feeds and webhooks send dates in every format people ever invented: RFC 822 with named zones
(``Mon, 05 Jun 2023 14:23:00 PDT``), two-digit years, ISO 8601 with or without ``T``, ``Z``,
fractions and colons in the offset, bare dates, English prose (``June 5, 2023 2:23 PM``) and
epoch numbers, day and month names in the feed's language (``mer, 16 nov 2022``).
``parse_datetime_robust`` tries, in order:

1. ``datetime`` objects (naive ones are UTC);
2. epoch numbers: ints and floats, and strings of 9-11 digits (seconds) or 12-14 digits
   (milliseconds; so are numbers too big to be seconds of a plausible date);
3. ``datetime.fromisoformat`` (exact and fast for the ISO forms most sources use);
4. python-dateutil's parser, without fuzzy matching (so prose is never mined for numbers),
   after day and month names in German, French, Italian, Spanish, Dutch, Portuguese and
   Polish are read (``crowdwall.ingest.date_names``), with a table of zone abbreviations
   (dateutil knows only UTC/GMT by itself, and would otherwise read "EST" as the *server's*
   zone when the names happen to match); the North-American generic zones (``ET``, ``PT``
   ...), written-out names (``Pacific Daylight Time``) and IANA names (``Europe/Berlin``)
   by the zone's rules on that date; and ``GMT+2`` / ``UTC-05:00`` read the way people mean
   them (dateutil follows POSIX, where the sign is inverted).

Rules: no timezone means UTC; an unknown zone name counts as none (a date a few hours off
beats a lost post); a string without a year (``June 5``, ``14:23``) is ambiguous and gives
``None``; a missing month or day is the first (``2023-06`` is June 1st); day and month
order is dateutil's (``05/06/2023`` is May 6th). A date with an impossible field (hour 25,
minute 60, February 30th) gives ``None``, and ``impossible()`` says so, so that no looser
fallback (feedparser's own reading, which rolls ``T25:14:55`` over into the next day) reads
it instead. Dates before ``not_before`` (1970) or more than ``max_future`` (a year) after now
are garbage, not dates, and give ``None``.
"""

from __future__ import annotations

import calendar
import logging
import math
import re
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from dateutil import parser as date_parser
from dateutil import tz

from crowdwall.exceptions import InvalidPost
from crowdwall.ingest.date_names import localize

__all__ = [
    "EARLIEST",
    "RULED_ZONES",
    "ZONES",
    "impossible",
    "parse_datetime_robust",
    "read_datetime",
]

logger = logging.getLogger("crowdwall.ingest")

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
MAX_FUTURE = timedelta(days=366)
_MAX_LENGTH = 100  # nothing longer is a date; dateutil's cost grows with the input

# Zone abbreviations seen in feeds, as UTC offsets in hours. Abbreviations are ambiguous
# (IST is India, Ireland and Israel); each maps to its most common use on the web.
ZONES: dict[str, float] = {
    "UT": 0,
    "UTC": 0,
    "GMT": 0,
    "Z": 0,
    "WET": 0,
    "WEST": 1,
    "BST": 1,
    "CET": 1,
    "MET": 1,
    "CEST": 2,
    "MEST": 2,
    "EET": 2,
    "EEST": 3,
    "MSK": 3,
    "IST": 5.5,
    "SGT": 8,
    "HKT": 8,
    "AWST": 8,
    "JST": 9,
    "KST": 9,
    "ACST": 9.5,
    "AEST": 10,
    "AEDT": 11,
    "NZST": 12,
    "NZDT": 13,
    "HST": -10,
    "AKST": -9,
    "AKDT": -8,
    "PST": -8,
    "PDT": -7,
    "MST": -7,
    "MDT": -6,
    "CST": -6,
    "CDT": -5,
    "EST": -5,
    "EDT": -4,
    "AST": -4,
    "ADT": -3,
    "NST": -3.5,
    "NDT": -2.5,
    "MEZ": 1,  # German for CET/CEST
    "MESZ": 2,
    "WAT": 1,
    "CAT": 2,
    "SAST": 2,
    "EAT": 3,
    "PKT": 5,
    "ICT": 7,
    "WIB": 7,
    "ACDT": 10.5,
    "HDT": -9,
    "BRT": -3,
    "ART": -3,
}
# Names for a region whose offset changes in the year: read by its rules on that date. The
# North-American generic names ("3 pm ET") are how US and Canadian sites write times.
RULED_ZONES: dict[str, str] = {
    "ET": "America/New_York",
    "CT": "America/Chicago",
    "MT": "America/Denver",
    "PT": "America/Los_Angeles",
    "AT": "America/Halifax",
    "AKT": "America/Anchorage",
    "NT": "America/St_Johns",
}
# Written-out zone names (Windows, .NET and some CMSs) as the abbreviations above.
_LONG_ZONES = {
    "eastern standard time": "EST", "eastern daylight time": "EDT", "eastern time": "ET",
    "central standard time": "CST", "central daylight time": "CDT", "central time": "CT",
    "mountain standard time": "MST", "mountain daylight time": "MDT", "mountain time": "MT",
    "pacific standard time": "PST", "pacific daylight time": "PDT", "pacific time": "PT",
    "atlantic standard time": "AST", "atlantic daylight time": "ADT", "atlantic time": "AT",
    "alaska standard time": "AKST", "alaska daylight time": "AKDT",
    "hawaii standard time": "HST", "hawaii-aleutian standard time": "HST",
    "central european summer time": "CEST", "central european time": "CET",
    "central european standard time": "CET", "eastern european summer time": "EEST",
    "eastern european time": "EET", "western european summer time": "WEST",
    "western european time": "WET", "british summer time": "BST",
    "greenwich mean time": "GMT", "coordinated universal time": "UTC",
    "japan standard time": "JST", "india standard time": "IST",
    "australian eastern standard time": "AEST", "australian eastern daylight time": "AEDT",
}  # fmt: skip
_LONG_NAMES = "|".join(sorted(map(re.escape, _LONG_ZONES), key=len, reverse=True))
_LONG_ZONE = re.compile(rf"\(?\b({_LONG_NAMES})\b\)?", re.IGNORECASE)
_IANA_ZONE = re.compile(r"\b[A-Za-z]+(?:/[A-Za-z_+-]+){1,2}\b")
# Clock and ISO date fields, to tell an impossible date from an unknown format.
_CLOCK = re.compile(r"(?<![\d.:])(\d{1,2}):(\d{2})(?::(\d{2}))?(?![\d:])")
_ISO_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
# "GMT+2", "UTC-05:00", "UT+0530": an offset written after a UTC name, meant as people read it.
_NAMED_OFFSET = re.compile(r"\b(?:GMT|UTC|UT)\s*([+-])(\d{1,2})(?::?(\d{2}))?\b", re.IGNORECASE)
_LEAP_SECOND = re.compile(r"(\d:\d{2}):60(?!\d)")  # "23:59:60": datetime has no leap seconds
_EPOCH = re.compile(r"[+-]?\d{9,14}(?:\.\d+)?")
# Two defaults that differ in every date field: a field that comes out different between
# the two parses was missing from the string.
_DEFAULT_A = datetime(2000, 1, 1)
_DEFAULT_B = datetime(2001, 2, 2)


@lru_cache(maxsize=1)
def _iana_names() -> frozenset[str]:
    return frozenset(available_timezones())


def _zone(name: str | None, offset: int | None) -> tzinfo | None:
    """dateutil's ``tzinfos`` hook: our tables for names, the parsed offset otherwise."""
    if name and name.upper() in ZONES:
        return tz.tzoffset(name.upper(), int(ZONES[name.upper()] * 3600))
    if name and name.upper() in RULED_ZONES:
        return ZoneInfo(RULED_ZONES[name.upper()])
    if offset is not None:
        return tz.UTC if offset == 0 else tz.tzoffset(None, offset)
    return None  # an unknown name: treated as no zone (UTC)


def _from_epoch(value: float) -> datetime:
    if abs(value) >= 1e11:  # too big for seconds of a plausible date: milliseconds
        value /= 1000
    return datetime.fromtimestamp(value, tz=UTC)


def _with_offset(match: re.Match[str]) -> str:
    sign, hours, minutes = match.group(1), int(match.group(2)), match.group(3) or "00"
    return f"{sign}{hours:02d}{minutes}"


def impossible(value: str) -> bool:
    """Whether ``value`` names a clock time or an ISO date that does not exist (``25:14``,
    ``14:60``, ``2023-02-30``): such a string is a broken date, never to be read loosely."""
    for match in _CLOCK.finditer(value):
        hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
        if hour > 23 or minute > 59 or second > 60:
            return True
    for match in _ISO_DATE.finditer(value):
        year, month, day = int(match[1]), int(match[2]), int(match[3])
        if not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(max(year, 1), month)[1]:
            return True
    return False


def _parse_text(value: str) -> datetime | None:
    text = value.strip()
    if not text or len(text) > _MAX_LENGTH:
        return None
    if _EPOCH.fullmatch(text):
        return _from_epoch(float(text))
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass  # not ISO 8601: the slower, looser parser below
    if impossible(text):
        return None
    ruled: tzinfo | None = None
    if "/" in text and (found := _IANA_ZONE.search(text)) and found[0] in _iana_names():
        ruled = ZoneInfo(found[0])
        text = text[: found.start()] + text[found.end() :]
    if "time" in text.lower():  # all the long names end so: most dates skip the expression
        text = _LONG_ZONE.sub(lambda m: " " + _LONG_ZONES[m[1].lower()], text)
    text = _LEAP_SECOND.sub(r"\1:59", _NAMED_OFFSET.sub(_with_offset, localize(text)))
    text = text.upper()  # dateutil only takes upper-case zone names ("pdt" would be garbage)
    first = date_parser.parse(text, default=_DEFAULT_A, tzinfos=_zone)
    second = date_parser.parse(text, default=_DEFAULT_B, tzinfos=_zone)
    if first.year != second.year:
        return None  # no year in the string: ambiguous
    if ruled is not None and first.tzinfo is None:
        first = first.replace(tzinfo=ruled)
    return first


def read_datetime(value: str) -> datetime | None:
    """``value`` read by the rules above as an aware UTC datetime, whatever year it names;
    ``None`` if it is no date. Never raises."""
    try:
        parsed = _parse_text(value)
        if parsed is None:
            return None
        if parsed.tzinfo is None or parsed.utcoffset() is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError, OSError, TypeError, ArithmeticError):
        return None
    except Exception:  # dateutil has raised odd things on odd input
        logger.debug("Unexpected error reading %r as a date", value, exc_info=True)
        return None


def parse_datetime_robust(
    value: Any,
    *,
    now: datetime | None = None,
    not_before: datetime = EARLIEST,
    max_future: timedelta = MAX_FUTURE,
) -> datetime | None:
    """``value`` (a string, an epoch number or a datetime) as an aware UTC datetime, or ``None``
    if it is no plausible date. Never raises (see the module docstring for the rules)."""
    try:
        if isinstance(value, datetime):
            parsed: datetime | None = value
        elif isinstance(value, int | float) and not isinstance(value, bool):
            parsed = _from_epoch(float(value)) if math.isfinite(value) else None
        elif isinstance(value, str | bytes):
            text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
            parsed = _parse_text(text)
        else:
            parsed = None
        if parsed is None:
            return None
        if parsed.tzinfo is None or parsed.utcoffset() is None:
            parsed = parsed.replace(tzinfo=UTC)
        parsed = parsed.astimezone(UTC)
    except (ValueError, OverflowError, OSError, TypeError, ArithmeticError):
        return None  # unparseable or out of datetime's range: not a date
    except Exception:  # dateutil has raised odd things on odd input; garbage must not crash a feed
        logger.debug("Unexpected error reading %r as a date", value, exc_info=True)
        return None
    now = now or datetime.now(UTC)
    if parsed < not_before or parsed > now + max_future:
        return None
    return parsed


def parse_date(value: Any) -> datetime:
    """A timezone-aware UTC datetime from an ISO string, a loose date string, or epoch seconds.

    Naive values are taken as UTC. Raises ``InvalidPost("bad date")`` for anything else.
    """
    if type(value) is str:  # fast path: ISO 8601 as most sources write it, already in UTC
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            pass  # padded, or not ISO: the general path below
        else:
            if parsed.tzinfo is UTC:
                return parsed
            value = parsed
    elif type(value) is datetime and value.tzinfo is UTC:
        return value
    try:
        if isinstance(value, datetime):
            parsed = value
        elif isinstance(value, int | float) and not isinstance(value, bool):
            if not math.isfinite(value):
                raise ValueError(value)
            parsed = datetime.fromtimestamp(value, tz=UTC)
        elif isinstance(value, str) and value.strip():
            try:
                parsed = datetime.fromisoformat(value.strip())
            except ValueError:
                # RFC 822 and friends, localized names and named zones (crowdwall.ingest.dates)
                found = read_datetime(value)
                if found is None:
                    raise
                parsed = found
        else:
            raise ValueError(value)
    except (ValueError, OverflowError, TypeError) as exc:
        raise InvalidPost("bad date", repr(value)[:80]) from exc
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError) as exc:
        raise InvalidPost("bad date", repr(value)[:80]) from exc
