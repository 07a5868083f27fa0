"""Values a client sends in a URL (post ids, times), parsed one way for every page and the API.

Each parser accepts exactly what the database can compare against and raises ``BadParameter``
(a ``ValueError``) for anything else, so a caller answers 4xx and nothing reaches a query that
would fail there: an id past 64 bits overflows the database integer, a digit that is not ASCII
(``"²".isdigit()`` is true) is no number to ``int()``, and a time at the edge of the calendar
(``0001-01-01T00:00:00+14:00``) cannot be converted to UTC, which every database adapter does.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

# Database ids are signed 64-bit: a bigger number is no id (and would overflow the query).
MAX_ID = 2**63 - 1
# Longest time text worth parsing (``2025-05-14T09:00:00.123456+05:30`` is 32 characters).
MAX_TIME_LENGTH = 64
_OFFSET_SPACE = re.compile(r" (\d\d:?\d\d)$")


class BadParameter(ValueError):
    """A client-sent value that is not what the parameter takes (the message, lower-case, says why)."""


def parse_id(value: str) -> int:
    """``value`` as a database id (ASCII digits, 0 to 2^63-1); raises ``BadParameter``."""
    value = value.strip()
    # Length first: int() of a huge digit string is slow, and past 19 digits it overflows anyway.
    if not (value.isascii() and value.isdigit() and len(value) <= 19) or int(value) > MAX_ID:
        raise BadParameter("not a post id (a whole number below 2^63)")
    return int(value)


def parse_moment(value: str) -> datetime:
    """``value`` as an aware UTC datetime (ISO 8601; no offset means UTC); raises ``BadParameter``.

    A ``+`` in a query string arrives as a space (form encoding), so a space before a final
    ``hh:mm`` offset is read as ``+``.
    """
    text = value.strip()
    if len(text) > MAX_TIME_LENGTH:
        raise BadParameter("not an ISO 8601 time")
    moment = _iso(text) or _iso(_OFFSET_SPACE.sub(r"+\1", text))
    if moment is None:
        raise BadParameter("not an ISO 8601 time")
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        # Databases store UTC: convert here, where an overflow is the client's mistake.
        return moment.astimezone(UTC)
    except OverflowError:
        raise BadParameter("not a time between the years 1 and 9999 in UTC") from None


def _iso(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None
