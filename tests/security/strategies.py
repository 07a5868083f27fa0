"""Hypothesis strategies for what an attacker sends: strings, numbers, dates, JSON, query strings.

Each strategy mixes a fixed list of known troublemakers (the values an outside probe found to
break things, drawn often) with generated values around them, so a short run still tries every
known case and a longer one explores.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from hypothesis import strategies as st

# Text that broke, or could break, a layer between the socket and the database.
KNOWN_TEXT = [
    "",
    "\x00",
    "a\x00b",
    "\x00" * 64,
    "\x01\x02\x1b[31m\x7f",
    "\ud800",  # a lone UTF-16 surrogate (percent-encoded as CESU/WTF-8 on the wire)
    "x\udfffy",
    "\ufeff\u202e\u200b",  # BOM, right-to-left override, zero-width space
    "²",  # a digit to str.isdigit(), not to int()
    "٣",  # an Arabic-Indic digit: int() accepts it
    "9" * 30,
    "9" * 5_000,  # past Python's int <-> str conversion limit
    str(2**63),
    str(-(2**63) - 1),
    "1e309",
    "nan",
    "-inf",
    "0x10",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "2025-02-30T10:00:00Z",
    "2025-05-14T25:14:55Z",
    "../../../../etc/passwd",
    "..%2f..%2fetc%2fpasswd",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "%(x)s {0} {{x}}",
    "@",
    "#",
    "[" * 2_000,
    "é" * 10_000,
]

_any_char = st.characters(exclude_categories=())  # surrogates and controls included


def hostile_text(*, max_size: int = 60) -> st.SearchStrategy[str]:
    """A string an attacker might send in any text position."""
    return st.one_of(
        st.sampled_from(KNOWN_TEXT),
        st.text(_any_char, max_size=max_size),
        st.builds(lambda a, b: a + b, st.sampled_from(KNOWN_TEXT), st.text(_any_char, max_size=8)),
    )


def hostile_number() -> st.SearchStrategy[Any]:
    """A JSON number (or a number-shaped thing) out of every range a field expects."""
    return st.one_of(
        st.sampled_from([0, -1, 2**31, 2**63, 2**64, -(2**63) - 1, 10**30, 1e308, -0.0, 0.5]),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.booleans(),
    )


def deep_json(depth: int, *, kind: str = "array") -> str:
    """JSON text nested ``depth`` levels deep (arrays or objects) without recursion."""
    if kind == "array":
        return "[" * depth + "]" * depth
    return '{"a":' * depth + "1" + "}" * depth


def huge_int_json(digits: int = 5_000) -> str:
    """A JSON integer with ``digits`` digits (past Python's conversion limit at 4,300)."""
    return "9" * digits


def hostile_json() -> st.SearchStrategy[Any]:
    """Any JSON value of a shape nobody expected, shallow enough to build in Python."""
    scalars = st.one_of(st.none(), hostile_number(), hostile_text(max_size=20))
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(hostile_text(max_size=10), inner, max_size=4),
        ),
        max_leaves=12,
    )


def encode_component(value: str) -> str:
    """Percent-encode a query value as a client would, including lone surrogates (their
    WTF-8 bytes: what a raw HTTP client can put on the wire)."""
    raw = value.encode("utf-8", "surrogatepass")
    return quote(raw, safe="")


def query_string(names: list[str]) -> st.SearchStrategy[str]:
    """A raw query string over ``names`` (and a stranger), values hostile, names repeated."""
    pair = st.tuples(st.sampled_from([*names, "utm_source", "\x00"]), hostile_text())
    return st.lists(pair, min_size=1, max_size=4).map(
        lambda pairs: "&".join(f"{encode_component(k)}={encode_component(v)}" for k, v in pairs)
    )


def json_body(fields: dict[str, Any]) -> st.SearchStrategy[bytes]:
    """A JSON body: ``fields``'s keys with hostile values (some left out, one stranger)."""
    values = st.fixed_dictionaries(
        {},
        optional={name: st.one_of(hostile_json(), st.just(good)) for name, good in fields.items()},
    )
    return values.map(lambda body: json.dumps(body, ensure_ascii=True).encode())


# Bodies whose trouble lies in the bytes themselves, not in any one field.
RAW_BODIES = [
    b"",
    b"\x00",
    b"null",
    b"[]",
    b'"\\ud800"',
    b'{"name": "\\u0000"}',
    b"\xff\xfe{}",
    huge_int_json().encode(),
    deep_json(100_000).encode(),
    deep_json(40_000, kind="object").encode(),
]
