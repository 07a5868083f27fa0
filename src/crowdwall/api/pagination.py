"""Cursor pagination: the ``{"meta": {...}, "objects": [...]}`` envelope of every list.

Pages are cut by position (keyset), never by OFFSET: a cursor names the last (or first) row of
the page it came from by its sort key, and the next page is one index range scan from there,
however deep. New rows arriving at the top shift nothing, so walking ``next`` links visits every
row once, with no gaps and no duplicates, while the wall is live.

``meta``: ``limit`` (rows per page; ``?limit=``, capped), ``next``/``previous`` (full URLs, or
null at either end), ``total_count`` (rows in the filtered set, all pages together; the caller
may pass a cheaper or cached figure). The cursor is opaque: URL-safe base64 of
``{"d": "next"|"prev", "k": [sort key values]}``; a tampered one is a 400.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from ninja import Query

from crowdwall.api.errors import ApiError
from crowdwall.conf import conf
from crowdwall.params import MAX_ID, parse_moment


@dataclass(frozen=True)
class Cursor:
    """A position: ``direction`` ("next": rows after it, "prev": rows before it) and key."""

    direction: str
    key: tuple[Any, ...]


def encode_cursor(cursor: Cursor) -> str:
    """The opaque text of a cursor (datetimes travel as ISO strings)."""
    values = [v.isoformat() if isinstance(v, datetime) else v for v in cursor.key]
    raw = json.dumps({"d": cursor.direction, "k": values}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(text: str, types: Sequence[type]) -> Cursor:
    """Parse a cursor made by ``encode_cursor``; ``ApiError(400)`` for anything else."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        data = json.loads(raw)
        direction, values = data["d"], data["k"]
        if direction not in ("next", "prev") or len(values) != len(types):
            raise ValueError("wrong shape")
        key = tuple(_parse(value, kind) for value, kind in zip(values, types, strict=True))
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError, RecursionError):
        raise ApiError(
            400,
            "Not a cursor from this API.",
            code="bad_cursor",
            fields={"cursor": ["Invalid cursor."]},
        ) from None
    return Cursor(direction, key)


def _parse(value: Any, kind: type) -> Any:
    # A forged cursor holds anything: the same parsers as ``?before=`` keep it inside what the
    # database can compare (a time convertible to UTC, an id within 64 bits).
    if kind is datetime:
        if not isinstance(value, str):
            raise ValueError("not a time")
        return parse_moment(value)
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_ID:
            raise ValueError("not an id")
        return value
    raise TypeError(kind)


def _beyond(fields: Sequence[str], key: tuple[Any, ...], op: str) -> Q:
    """Rows strictly after ``key`` in the lexicographic order of ``fields`` (``op``: lt/gt)."""
    condition = Q()
    for index, field in enumerate(fields):
        step = Q(**{f"{field}__{op}": key[index]})
        for earlier in range(index):
            step &= Q(**{fields[earlier]: key[earlier]})
        condition |= step
    return condition


# ``?cursor=`` as the schema declares it: URL-safe base64 text, as ``encode_cursor`` makes it.
CURSOR = Query(None, max_length=500, pattern=r"^[A-Za-z0-9_-]+$")

MAX_LIMIT = 200  # the most rows a page may hold (``?limit=`` beyond it is a 422)


def page_limit(limit: int | None) -> int:
    """The page size: ``?limit=`` (validated by the schema) or ``API_PAGE_SIZE``, capped."""
    size = limit if limit is not None else conf.API_PAGE_SIZE
    return max(1, min(size, MAX_LIMIT))


def _url(request: HttpRequest, cursor: Cursor) -> str:
    query = request.GET.copy()
    query["cursor"] = encode_cursor(cursor)
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


def paginate(
    request: HttpRequest,
    queryset: QuerySet[Any],
    *,
    fields: Sequence[str],
    types: Sequence[type],
    key: Callable[[Any], tuple[Any, ...]],
    limit: int | None,
    cursor: str | None,
    total: int | Callable[[], int] | None = None,
) -> dict[str, Any]:
    """One page of ``queryset`` ordered by ``fields`` descending (newest first), as the envelope.

    ``key(row)`` gives a row's values of ``fields``; ``types`` their Python types (for cursors).
    ``total``: the count of the whole filtered set, or a function computing it (default: a
    ``COUNT`` of ``queryset``).
    """
    size = page_limit(limit)
    position = decode_cursor(cursor, types) if cursor else None
    descending = [f"-{f}" for f in fields]
    if position is None or position.direction == "next":
        qs = queryset
        if position is not None:
            qs = qs.filter(_beyond(fields, position.key, "lt"))
        rows = list(qs.order_by(*descending)[: size + 1])
        more = len(rows) > size
        rows = rows[:size]
        has_next, has_previous = more, position is not None
    else:
        ascending = list(fields)
        rows = list(
            queryset.filter(_beyond(fields, position.key, "gt")).order_by(*ascending)[: size + 1]
        )
        more = len(rows) > size
        rows = rows[:size][::-1]
        has_next, has_previous = True, more
    if callable(total):
        total = total()
    elif total is None:
        total = queryset.count()
    meta = {
        "limit": size,
        "next": _url(request, Cursor("next", key(rows[-1]))) if rows and has_next else None,
        "previous": _url(request, Cursor("prev", key(rows[0]))) if rows and has_previous else None,
        "total_count": int(total),
    }
    return {"meta": meta, "objects": rows}


def single_page(objects: list[Any], limit: int) -> dict[str, Any]:
    """The envelope around a short, complete list (top authors, top posts)."""
    return {
        "meta": {"limit": limit, "next": None, "previous": None, "total_count": len(objects)},
        "objects": objects,
    }
