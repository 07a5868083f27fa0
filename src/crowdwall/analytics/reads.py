"""The SQL that reads a range of a wall's rollups: full days from the day table (authors),
full hours from the hour table, the edge minutes from the minute table, as one ``UNION ALL``
that the figures group over.

Each branch is a range read of its table's unique ``(wall, minute, …)`` index, so a query
costs what its rows cost: at a million posts, a day's per-author read is ~23 hour rows per
author instead of one row per author and minute (docs/analytics.md, "Cost").
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import Model

from crowdwall.analytics.grains import Shape, cover, days_of

__all__ = ["fetch", "rows", "table"]


def table(model: type[Model]) -> str:
    """A model's table name, quoted for SQL."""
    return connection.ops.quote_name(model._meta.db_table)


def rows(
    shape: Shape,
    wall_id: int,
    first: int,
    end: int,
    columns: str,
    *,
    hours: bool = True,
    keys: list[Any] | None = None,
) -> tuple[str, list[Any]]:
    """SQL (and its parameters) selecting ``columns`` from every row of the shape that covers
    minutes ``[first, end)``: day rows for full UTC days (a shape with a day grain), hour rows
    for full hours (unless ``hours`` is false: a chart binned finer than an hour), minute rows
    for the rest; only rows whose key is one of ``keys`` when given."""
    parts: list[str] = []
    params: list[Any] = []
    where = "WHERE wall_id = %s AND minute >= %s AND minute < %s"
    if keys is not None:
        where += f" AND {shape.key} IN ({', '.join(['%s'] * len(keys)) or 'NULL'})"
    pieces: list[tuple[type[Model], tuple[int, int]]] = []
    edges: tuple[tuple[int, int], ...] = ((first, end),) if end > first else ()
    if shape.day is not None and hours:
        days, edges = days_of(first, end)
        if days[1] > days[0]:
            pieces.append((shape.day, days))
    for low, high in edges:
        span = cover(low, high, hours=hours)
        if span.hours[1] > span.hours[0]:
            pieces.append((shape.hour, span.hours))
        pieces += [(shape.minute, edge) for edge in span.minutes]
    for model, (low, high) in pieces:
        parts.append(f"SELECT {columns} FROM {table(model)} {where}")
        params += [wall_id, low, high, *(keys or ())]
    if not parts:  # an empty range: a query that finds nothing, in the same shape
        parts.append(f"SELECT {columns} FROM {table(shape.minute)} WHERE 1 = 0")
    return " UNION ALL ".join(parts), params


def fetch(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    """Run one read and return its rows."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())
