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


# The post fields issue 16 added: extras (card, poll, quote), date_estimated, JSON Feed items.

# URLs a link in a card or quote must never carry onto a page (and some good ones).
KNOWN_URLS = [
    "javascript:alert(1)",
    "JavaScript:alert(document.cookie)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "javascript://example.com/%0Aalert(1)",
    "vbscript:msgbox(1)",
    "data:text/html,<script>alert(1)</script>",
    "//evil.example/x",
    "/relative/path",
    'https://ok.example/"onmouseover="alert(1)',
    "https://ok.example/<script>",
    "https://ok.example/\x00",
    "https://ok.example/\ud800",
    "https://" + "a" * 5_000 + ".example/",
    "https://ok.example/card",
    "http://ok.example/quote",
]


def hostile_url() -> st.SearchStrategy[Any]:
    """A value for a URL field: a known bad (or good) URL, hostile text, or any JSON value."""
    return st.one_of(st.sampled_from(KNOWN_URLS), hostile_text(), hostile_json())


def hostile_count() -> st.SearchStrategy[Any]:
    """A poll count: negative, huge, fractional, a string, a bool, null."""
    return st.one_of(
        st.sampled_from([-1, -(2**63), 2**31, 2**63, 10**30, 0.5, "12", True, None]),
        hostile_number(),
    )


def hostile_value() -> st.SearchStrategy[Any]:
    """Any value for a text field of an extra: hostile text, huge text, deep or odd JSON."""
    return st.one_of(
        hostile_text(),
        st.just("x" * 100_000),
        st.just(json.loads(deep_json(20, kind="object"))),  # the webhook refuses > 32
        st.just(json.loads(deep_json(200, kind="object"))),
        hostile_json(),
    )


def hostile_card() -> st.SearchStrategy[Any]:
    """A ``card`` extra with hostile fields (or not an object at all)."""
    text = {k: hostile_value() for k in ("title", "description", "image_alt", "site", "blurhash")}
    return st.one_of(
        st.fixed_dictionaries({"url": hostile_url()}, optional={"image": hostile_url(), **text}),
        hostile_json(),
    )


def hostile_poll() -> st.SearchStrategy[Any]:
    """A ``poll`` extra: odd options and counts."""
    option = st.one_of(
        st.fixed_dictionaries({"title": hostile_value(), "votes": hostile_count()}),
        hostile_json(),
    )
    options = st.one_of(st.lists(option, max_size=5), st.just([{"title": "x", "votes": 1}] * 500))
    return st.one_of(
        st.fixed_dictionaries(
            {"options": options},
            optional={
                "votes": hostile_count(),
                "voters": hostile_count(),
                "multiple": hostile_json(),
                "closed": hostile_json(),
                "expires_at": hostile_value(),
            },
        ),
        hostile_json(),
    )


def hostile_quote() -> st.SearchStrategy[Any]:
    """A ``quote`` extra: javascript: links, hostile handles and text."""
    text = {k: hostile_value() for k in ("id", "handle", "name", "text")}
    return st.one_of(
        st.fixed_dictionaries(
            {"url": hostile_url()}, optional={"profile_url": hostile_url(), **text}
        ),
        hostile_json(),
    )


def hostile_post_fields() -> st.SearchStrategy[dict[str, Any]]:
    """Some of the issue-16 fields of a post in crowdwall's JSON format, hostile."""
    return st.fixed_dictionaries(
        {},
        optional={
            "card": hostile_card(),
            "poll": hostile_poll(),
            "quote": hostile_quote(),
            "date_estimated": st.one_of(st.booleans(), hostile_json()),
        },
    )


def hostile_feed_item() -> st.SearchStrategy[Any]:
    """A JSON Feed item: its known fields hostile (or not an object at all)."""
    fields = {
        "id": hostile_json(),
        "url": hostile_url(),
        "external_url": hostile_url(),
        "title": hostile_value(),
        "content_html": st.one_of(st.sampled_from(KNOWN_TEXT), hostile_value()),
        "content_text": hostile_value(),
        "summary": hostile_value(),
        "image": hostile_url(),
        "banner_image": hostile_url(),
        "date_published": st.one_of(st.sampled_from(KNOWN_TEXT), hostile_json()),
        "date_modified": hostile_json(),
        "authors": hostile_json(),
        "tags": st.one_of(st.lists(hostile_text(), max_size=4), hostile_json()),
        "language": hostile_value(),
        "attachments": st.one_of(
            st.lists(
                st.fixed_dictionaries(
                    {"url": hostile_url()},
                    optional={"mime_type": hostile_value(), "title": hostile_value()},
                ),
                max_size=3,
            ),
            hostile_json(),
        ),
    }
    return st.one_of(st.fixed_dictionaries({}, optional=fields), hostile_json())
