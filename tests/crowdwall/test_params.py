"""Client ids and times (crowdwall.params): any text is a value the database can take, or
``BadParameter``; never another exception."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crowdwall.params import MAX_ID, BadParameter, parse_id, parse_moment

ANY_TEXT = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF), max_size=80)
ISO_LIKE = st.builds(
    lambda d, sign, h, m: f"{d.isoformat()}{sign}{h:02d}:{m:02d}",
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)),
    st.sampled_from(["+", "-", " "]),
    st.integers(0, 23),
    st.integers(0, 59),
)


@given(st.one_of(ANY_TEXT, ISO_LIKE))
def test_any_text_is_a_utc_time_or_bad_parameter(text):
    try:
        moment = parse_moment(text)
    except BadParameter:
        return
    assert moment.utcoffset() is not None and moment.utcoffset().total_seconds() == 0


@given(st.one_of(ANY_TEXT, st.integers(-(10**30), 10**30).map(str)))
def test_any_text_is_an_id_in_range_or_bad_parameter(text):
    try:
        value = parse_id(text)
    except BadParameter:
        return
    assert 0 <= value <= MAX_ID


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-05-14T09:00:00Z", datetime(2025, 5, 14, 9, tzinfo=UTC)),
        ("2025-05-14T11:00:00+02:00", datetime(2025, 5, 14, 9, tzinfo=UTC)),
        ("2025-05-14T11:00:00 02:00", datetime(2025, 5, 14, 9, tzinfo=UTC)),  # "+" as a space
        ("2025-05-14 09:00", datetime(2025, 5, 14, 9, tzinfo=UTC)),  # naive: UTC
        ("0001-01-01T00:00:00+00:00", datetime(1, 1, 1, tzinfo=UTC)),
    ],
)
def test_times(text, expected):
    assert parse_moment(text) == expected


@pytest.mark.parametrize(
    "text", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "yesterday", "²", "1" * 65]
)
def test_bad_times(text):
    with pytest.raises(BadParameter):
        parse_moment(text)


@pytest.mark.parametrize("text", ["", "x", "-1", "1.0", "²", "١", "9" * 30, str(2**63), "1\x00"])
def test_bad_ids(text):
    with pytest.raises(BadParameter):
        parse_id(text)


def test_ids_up_to_64_bits():
    assert parse_id("0") == 0 and parse_id(str(MAX_ID)) == MAX_ID
