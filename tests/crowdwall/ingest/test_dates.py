"""Robust date parsing: the formats feeds and webhooks really send, read as aware UTC, and
anything else as ``None`` (never an exception)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crowdwall.ingest.dates import impossible, parse_datetime_robust, read_datetime

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


# Seen in real feeds (WordPress, Blogger and CMS installs in the site's language).
NOV = utc(2022, 11, 15, 23, 38, 15)  # 16 Nov 2022 00:38:15 +0100


@pytest.mark.parametrize(
    "value",
    [
        "mer, 16 nov 2022 00:38:15 +0100",  # fr
        "mercredi, 16 novembre 2022 00:38:15 +0100",
        "Mi, 16 Nov 2022 00:38:15 +0100",  # de
        "Mi., 16. Nov. 2022 00:38:15 +0100",
        "Mittwoch, 16. November 2022 00:38:15 +0100",
        "Mittwoch, 16. November 2022 um 00:38:15 Uhr +0100",
        "mer, 16 nov 2022 00:38:15 +0100",  # it
        "mercoledì, 16 novembre 2022 00:38:15 +0100",
        "mié, 16 nov 2022 00:38:15 +0100",  # es
        "miércoles, 16 de noviembre de 2022 00:38:15 +0100",
        "wo, 16 nov 2022 00:38:15 +0100",  # nl
        "woensdag 16 november 2022 00:38:15 +0100",
        "qua, 16 nov 2022 00:38:15 +0100",  # pt
        "quarta-feira, 16 de novembro de 2022 00:38:15 +0100",
        "śr, 16 lis 2022 00:38:15 +0100",  # pl
        "środa, 16 listopada 2022 00:38:15 +0100",
        "ŚR, 16 LIS 2022 00:38:15 +0100",  # any case
        "Wed, 16 Nov 2022 00:38:15 +0100",  # en
    ],
)
def test_localized_day_and_month_names(value):
    assert parse_datetime_robust(value, now=NOW) == NOV


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("mar, 15 mar 2022 10:00:00 +0100", utc(2022, 3, 15, 9)),  # Tuesday, March (fr)
        ("Mar 15 2022 10:00 GMT", utc(2022, 3, 15, 10)),  # March (en)
        ("jeu, 01 déc 2022 08:00:00 +0100", utc(2022, 12, 1, 7)),
        ("sáb, 05 ago 2023 12:00:00 -0300", utc(2023, 8, 5, 15)),
        ("Do., 16. März 2023 14:23 MEZ", utc(2023, 3, 16, 13, 23)),
        ("Sa, 17. Jun 2023 14:23 MESZ", utc(2023, 6, 17, 12, 23)),
        ("vr, 3 mrt 2023 09:00:00 +0100", utc(2023, 3, 3, 8)),
        ("sex, 05 out 2023 12:00:00 +0000", utc(2023, 10, 5, 12)),
        ("pt, 16 gru 2022 12:00:00 +0100", utc(2022, 12, 16, 11)),  # Polish Friday, not PT
        ("9 settembre 2023 12:00", utc(2023, 9, 9, 12)),
    ],
)
def test_localized_names_that_look_alike(value, expected):
    assert parse_datetime_robust(value, now=NOW) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # North-American generic zones: by the zone's rules on that date (DST or not)
        ("Mon, 05 Jun 2023 10:23:00 ET", AT),
        ("Tue, 05 Dec 2023 09:23:00 ET", utc(2023, 12, 5, 14, 23)),
        ("Mon, 05 Jun 2023 09:23:00 CT", AT),
        ("Mon, 05 Jun 2023 08:23:00 MT", AT),
        ("Mon, 05 Jun 2023 07:23:00 PT", AT),
        ("Tue, 05 Dec 2023 06:23:00 PT", utc(2023, 12, 5, 14, 23)),
        ("Mon, 05 Jun 2023 11:23:00 AT", AT),
        ("June 5, 2023 7:23 AM PT", AT),
        ("Mon, 05 Jun 2023 10:23:00 EDT", AT),
        ("Mon, 05 Jun 2023 11:23:00 ADT", AT),
        ("Mon, 05 Jun 2023 05:23:00 AKST", AT),
        ("Mon, 05 Jun 2023 04:23:00 HST", AT),
        # Written-out names
        ("Mon, 05 Jun 2023 07:23:00 Pacific Daylight Time", AT),
        ("Mon, 05 Jun 2023 10:23:00 (Eastern Daylight Time)", AT),
        ("Mon, 05 Jun 2023 16:23:00 Central European Summer Time", AT),
        # IANA names: by the zone's rules; an explicit offset wins
        ("2023-06-05 16:23:00 Europe/Berlin", AT),
        ("2023-12-05 15:23:00 Europe/Berlin", utc(2023, 12, 5, 14, 23)),
        ("2023-06-05 10:23 America/New_York", AT),
        ("Mon, 05 Jun 2023 14:23:00 +0000 Europe/Berlin", AT),
        # At sounds like a zone but is a word before the hour
        ("June 5, 2023 at 2:23 PM", AT),
    ],
)
def test_named_zones_map_to_their_offsets(value, expected):
    assert parse_datetime_robust(value, now=NOW) == expected


@pytest.mark.parametrize(
    "value",
    [
        "2023-06-05T25:14:55Z",
        "2023-06-05 25:14:55",
        "2023-06-05T14:60:00Z",
        "Mon, 05 Jun 2023 14:23:61 GMT",
        "Mon, 05 Jun 2023 24:30:00 GMT",
        "2023-02-30T10:00:00Z",
        "2023-13-01T10:00:00Z",
    ],
)
def test_impossible_dates_are_rejected_and_said_so(value):
    assert parse_datetime_robust(value, now=NOW) is None
    assert impossible(value)


@pytest.mark.parametrize(
    "value", ["2023-06-05T14:23:00Z", "Mon, 05 Jun 2023 23:59:60 GMT", "2024-02-29", "soon"]
)
def test_possible_dates_are_not_called_impossible(value):
    assert not impossible(value)


def test_read_datetime_has_no_plausibility_bounds():
    assert read_datetime("1900-01-01 12:00 PT") == utc(1900, 1, 1, 20)
    assert read_datetime("mer, 16 nov 2022 00:38:15 +0100") == NOV
    assert read_datetime("nonsense") is None


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
