"""Cursors: opaque round trips, and tampering refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crowdwall.api.errors import ApiError
from crowdwall.api.pagination import Cursor, decode_cursor, encode_cursor

TYPES = [datetime, int]


def test_round_trip():
    cursor = Cursor("prev", (datetime(2025, 5, 14, 9, 0, 0, 123456, tzinfo=UTC), 42))
    text = encode_cursor(cursor)
    assert text.replace("-", "").replace("_", "").isalnum()  # URL-safe, no padding
    assert decode_cursor(text, TYPES) == cursor


@pytest.mark.parametrize(
    "text",
    [
        "",
        "!!",
        "bm9wZQ",
        encode_cursor(Cursor("sideways", (1, 2))),
        encode_cursor(Cursor("next", (1,))),
    ],
)
def test_tampered_cursors_are_refused(text):
    with pytest.raises(ApiError) as caught:
        decode_cursor(text, TYPES)
    assert caught.value.status_code == 400 and caught.value.code == "bad_cursor"


def test_wrong_types_are_refused():
    with pytest.raises(ApiError):
        decode_cursor(encode_cursor(Cursor("next", ("x", "y"))), TYPES)
    with pytest.raises(ApiError):
        decode_cursor(encode_cursor(Cursor("next", (True,))), [int])
