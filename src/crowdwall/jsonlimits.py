"""JSON from clients, parsed within explicit limits: webhook bodies and WebSocket messages.

The standard library's ``json.loads`` fails two ways that are not ``JSONDecodeError`` on input a
client controls, and both used to become server errors:

- nesting recurses: about 1,000 levels of ``[`` or ``{"a":`` raise ``RecursionError`` (a
  100,000-deep array is 200 kB, well under the webhook's size limit);
- an integer of more than 4,300 digits raises a plain ``ValueError`` (Python's int-string
  conversion limit, ``sys.set_int_max_str_digits``).

It also accepts what is not JSON at all: ``NaN``, ``Infinity`` and numbers like ``1e999`` that
only a float's infinity can hold (a post id ``"nan"`` was stored that way).

``loads`` bounds the nesting *before* parsing (``MAX_DEPTH`` levels: posts need 5) with a scan
that never recurses, refuses non-finite numbers, and turns every parse failure into ``BadJson``. The standard library stays
the parser on purpose: orjson stops at 1,024 levels on its own, but reads integers past 64 bits
as floats (an id silently loses digits) and rejects lone surrogate escapes that the ingest
boundary repairs, so swapping parsers would change what a valid body means.
"""

from __future__ import annotations

import json
import math
import re
from itertools import accumulate
from typing import Any

from crowdwall.exceptions import CrowdwallError

__all__ = ["MAX_DEPTH", "BadJson", "depth", "loads"]

MAX_DEPTH = 32  # arrays/objects inside each other; a webhook batch of posts needs 5

# A JSON string, escapes included, or an unterminated one up to the end (so a match never fails
# and never backtracks): brackets inside strings are not nesting.
_STRING = re.compile(r'"(?:[^"\\]+|\\.)*"?', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


class BadJson(CrowdwallError, ValueError):
    """Text a client sent that is not JSON within our limits; ``code`` names the problem
    (``bad_json`` or ``too_deep``)."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


def depth(text: str) -> int:
    """The deepest nesting of arrays and objects in ``text``, found without recursing."""
    # Strings out, then only brackets; each step is C code (re, map, accumulate, max), so a
    # body of a few hundred kB is measured in milliseconds. On text that is not JSON the count
    # can be off only after the first error, where the parser stops anyway.
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not a JSON value")


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"the number {text[:20]} is too large for a float")
    return value


def loads(data: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """``data`` (UTF-8 bytes or text) parsed as JSON, or ``BadJson`` saying why not."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
    except UnicodeDecodeError as exc:
        raise BadJson("bad_json", f"The body is not UTF-8: {exc}") from None
    if depth(text) > max_depth:
        raise BadJson("too_deep", f"Arrays and objects are nested deeper than {max_depth} levels.")
    try:
        return json.loads(text, parse_constant=_not_json, parse_float=_finite)
    except json.JSONDecodeError as exc:
        raise BadJson("bad_json", f"Not JSON: {exc}") from None
    except ValueError as exc:  # NaN, infinity, or an integer past Python's digit limit
        raise BadJson("bad_json", f"Not JSON we accept: {exc}") from None
