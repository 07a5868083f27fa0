"""Robust date parsing: the formats feeds and webhooks really send, read as aware UTC, and
anything else as ``None`` (never an exception)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crowdwall.ingest.dates import parse_datetime_robust

NOW = datetime(2025, 5, 14, 9, 0, tzinfo=UTC)
AT = datetime(2023, 6, 5, 14, 23, tzinfo=UTC)  # the moment most samples below name


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # RFC 822 / 2822 (RSS pubDate), numeric offsets and named zones
        ("Mon, 05 Jun 2023 14:23:00 +0000", AT),
        ("Mon, 05 Jun 2023 14:23:00 -0000", AT),
        ("Mon, 05 Jun 2023 16:23:00 +0200", AT),
        ("Mon, 5 Jun 2023 09:23:00 -0500", AT),
        ("Mon, 05 Jun 2023 14:23:00 GMT", AT),
        ("Mon, 05 Jun 2023 14:23:00 UT", AT),
        ("Mon, 05 Jun 2023 14:23:00 UTC", AT),
        ("Mon, 05 Jun 2023 14:23:00 Z", AT),
        ("Mon, 05 Jun 2023 09:23:00 EST", AT),
        ("Mon, 05 Jun 2023 10:23:00 EDT", AT),
        ("Mon, 05 Jun 2023 08:23:00 CST", AT),
        ("Mon, 05 Jun 2023 08:23:00 MDT", AT),
        ("Mon, 05 Jun 2023 06:23:00 PST", AT),
        ("Mon, 05 Jun 2023 07:23:00 PDT", AT),
        ("Mon, 05 Jun 2023 16:23:00 CEST", AT),
        ("Mon, 05 Jun 2023 15:23:00 BST", AT),
        ("Mon, 05 Jun 2023 23:23:00 JST", AT),
        ("Mon, 05 Jun 2023 19:53:00 IST", AT),
        ("mon, 05 jun 2023 07:23:00 pdt", AT),  # any case
        ("Mon, 05 Jun 2023 14:23 GMT", AT),  # no seconds
        ("Mon, 05 Jun 2023 07:23 PDT", AT),
        ("05 Jun 2023 14:23:00 +0000", AT),  # no weekday
        ("Tue, 05 Jun 2023 14:23:00 +0000", AT),  # wrong weekday: the date wins
        ("Mon, 05 Jun 23 14:23:00 GMT", AT),  # two-digit year
        ("Mon, 05 Jun 23 09:23 EST", AT),
        ("Sat, 05 Jun 99 14:23:00 GMT", utc(1999, 6, 5, 14, 23)),
        ("Mon, 05 Jun 2023 14:23:00 +0000 (UTC)", AT),  # a comment after the zone
        ("Mon, 05 Jun 2023 16:23:00 GMT+2", AT),  # as people mean it, not POSIX's inverse
        ("Mon, 05 Jun 2023 09:23:00 UTC-05:00", AT),
        ("Mon Jun  5 14:23:00 UTC 2023", AT),  # ctime / date(1)
        ("Sun, 31 Dec 2023 23:59:60 +0000", utc(2023, 12, 31, 23, 59, 59)),  # leap second
        # ISO 8601 / RFC 3339 (Atom, JSON)
        ("2023-06-05T14:23:00Z", AT),
        ("2023-06-05T14:23:00z", AT),
        ("2023-06-05T14:23:00+00:00", AT),
        ("2023-06-05T16:23:00+02:00", AT),
        ("2023-06-05T16:23:00+0200", AT),  # offset without a colon
        ("2023-06-05T16:23:00+02", AT),
        ("2023-06-05T07:23:00-07:00", AT),
        ("2023-06-05T14:23Z", AT),  # no seconds
        ("2023-06-05 14:23:00", AT),  # space instead of T, naive: UTC
        ("2023-06-05T14:23:00", AT),
        ("2023-06-05 14:23:00 +0000", AT),
        ("2023-06-05T14:23:00.5Z", AT + timedelta(milliseconds=500)),
        ("2023-06-05T14:23:00.123456Z", AT + timedelta(microseconds=123456)),
        ("2023-06-05T14:23:00.123456789Z", AT + timedelta(microseconds=123456)),  # nanoseconds
        ("20230605T142300Z", AT),  # basic format
        ("2023-06-05", utc(2023, 6, 5)),
        ("20230605", utc(2023, 6, 5)),
        ("2023-06", utc(2023, 6, 1)),  # W3C-DTF month precision
        ("2023", utc(2023, 1, 1)),
        ("2023/06/05 14:23:00", AT),
        # Prose
        ("June 5, 2023 2:23 PM", AT),
        ("June 5, 2023 2:23 pm", AT),
        ("5 June 2023", utc(2023, 6, 5)),
        ("Jun 5 2023 07:23:00 PDT", AT),
        ("Monday, June 5, 2023 - 14:23", AT),
        ("  Mon, 05 Jun 2023 14:23:00 GMT \n", AT),  # surrounding whitespace
        # Epoch numbers
        ("1685974980", AT),
        ("1685974980000", AT),  # milliseconds
        ("1685974980.25", AT + timedelta(milliseconds=250)),
        (1685974980, AT),
        (1685974980.0, AT),
        (1685974980000, AT),
        # Already a datetime
        (AT, AT),
        (datetime(2023, 6, 5, 14, 23), AT),  # naive: UTC
        (datetime(2023, 6, 5, 16, 23, tzinfo=timezone(timedelta(hours=2))), AT),
        (b"2023-06-05T14:23:00Z", AT),
    ],
)
def test_real_world_formats(value, expected):
    parsed = parse_datetime_robust(value, now=NOW)
    assert parsed == expected
    assert parsed.tzinfo is UTC  # always UTC, whatever the input's zone


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "   ",
        "garbage",
        "not a date at all",
        "Mon, 32 Jun 2023 14:23:00 GMT",  # no such day
        "2023-02-30",
        "2023-13-01",
        "25:61",
        "June 5",  # no year: ambiguous
        "14:23",
        "Monday",
        "yesterday",
        "0",
        "-1",
        "NaN",
        float("nan"),
        float("inf"),
        True,
        [],
        {},
        object(),
        "x" * 500,
        "2023-06-05T14:23:00Z" * 10,
        "99999999999999999999",
        "\x00\x01\x02",
        "Mon, 05 Jun 2023 14:23:00 +9999",
    ],
)
def test_garbage_is_none_never_an_exception(value):
    assert parse_datetime_robust(value, now=NOW) is None


@pytest.mark.parametrize(
    "value",
    [
        "9999-12-31T23:59:59Z",
        "2100-01-01",
        "2027-01-01T00:00:00Z",  # more than a year ahead of NOW
        "1900-01-01",
        "1969-12-31T23:59:59Z",
        "0001-01-01",
        -100,
        "-1685974980",
        10**18,
    ],
)
def test_implausible_dates_are_none(value):
    assert parse_datetime_robust(value, now=NOW) is None


def test_bounds_are_adjustable():
    assert parse_datetime_robust("1999-12-31", now=NOW, not_before=utc(2000, 1, 1)) is None
    assert parse_datetime_robust("2025-05-15", now=NOW, max_future=timedelta(0)) is None
    assert parse_datetime_robust("2025-05-15", now=NOW) == utc(2025, 5, 15)


def test_unknown_zone_names_count_as_utc():
    assert parse_datetime_robust("Mon, 05 Jun 2023 14:23:00 XYZ", now=NOW) == AT


@given(st.text(max_size=60))
def test_never_raises_on_any_text(value):
    parsed = parse_datetime_robust(value, now=NOW)
    assert parsed is None or parsed.tzinfo is UTC


@given(st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2026, 1, 1)))
def test_iso_round_trip(moment):
    aware = moment.replace(tzinfo=UTC)
    assert parse_datetime_robust(aware.isoformat(), now=NOW) == aware
