"""Lean SQL for the ingest hot path: multi-row inserts, an upsert, and selects by a list of keys.

The ORM's bulk methods build a model instance per row and resolve every value of an ``__in``
list through the expression machinery (measured: more time than the database spends on the
rows at 500-post batches). Here rows are plain tuples, each column's adapter is chosen once per
call, and the statements are the ones each database is fastest with:

- **inserts**: ``COPY ... FROM STDIN`` on PostgreSQL (one stream instead of a statement per
  row), the driver's ``executemany`` elsewhere (SQLite's is a prepared statement in C);
- **selects by keys**: ``= ANY(%s)`` with one array on PostgreSQL, ``IN (%s, ...)`` lists within
  the backend's parameter limit elsewhere; values come back through the same converters the
  ORM applies (SQLite's datetime strings become aware datetimes);
- **rows referenced by what we insert**, locked against deletion until commit (``FOR KEY
  SHARE`` on PostgreSQL: what a foreign-key check takes, once per chunk instead of once per
  row; see ``crowdwall.models.locking``);
- **upsert**: ``INSERT ... ON CONFLICT (key) DO UPDATE ... RETURNING`` where the backend
  supports it (PostgreSQL, SQLite), ``bulk_create(update_conflicts=True)`` and a select
  otherwise.

Values are adapted exactly as the ORM would for the column types we use: ``JSONField`` through
``connection.ops.adapt_json_value`` (as JSON text for ``COPY``), ``DateTimeField`` as the
backend stores it (UTC, naive text on SQLite); other values (text, integers, booleans,
foreign-key ids) are passed as they are.
Database errors come out as Django's (``IntegrityError`` on a duplicate), as from the ORM.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any

from django.conf import settings
from django.db import connections, models, router

Adapter = Callable[[Any], Any]
_STR_ONLY = frozenset({str})  # issuperset(map(type, items)): every item exactly a str


def _bind_sqlite_plainly() -> None:
    """Let Python's ``sqlite3`` bind ``None`` and booleans without its adaptation protocol.

    It looks up an adapter for every parameter that is not exactly an int, float or str: none is
    registered for ``None`` or ``bool``, so each one raised and cleared an ``AttributeError``
    (``PrepareProtocol.__adapt__``), ~600 instructions a value and ~30 values a post (NULL
    columns, flags). Registered here, the lookup succeeds: ``bool`` -> ``int`` (what it is bound
    as anyway: 0 or 1) and ``None`` -> ``None`` (NULL) through a C callable (``{}.get``), so
    what is stored does not change. An adapter the project registered itself is kept."""
    for kind, adapter in ((bool, int), (type(None), {}.get)):
        if (kind, sqlite3.PrepareProtocol) not in sqlite3.adapters:
            sqlite3.register_adapter(kind, adapter)


_bind_sqlite_plainly()


def _connection(model: type[models.Model]) -> Any:
    return connections[router.db_for_write(model)]


_TWO_DIGITS = tuple(f"{n:02d}" for n in range(100))


def utc_text(value: datetime, sep: str = " ") -> str:
    """An aware UTC datetime as ``value.isoformat(sep)`` writes it, without the "+00:00".

    A third of the instructions of ``isoformat``/``str``, which format every field through
    ``sprintf`` (~13,000 instructions a call, three calls a stored post: its row, its wall
    entries' and its event's ``created_at``)."""
    year, two = value.year, _TWO_DIGITS
    text = (
        f"{year if year >= 1000 else f'{year:04d}'}-{two[value.month]}-{two[value.day]}"
        f"{sep}{two[value.hour]}:{two[value.minute]}:{two[value.second]}"
    )
    micro = value.microsecond
    return f"{text}.{micro:06d}" if micro else text


def _sqlite_datetime(connection: Any) -> Adapter:
    """SQLite's ``adapt_datetimefield_value`` for ``USE_TZ = True``, minus its generic checks."""
    zone = connection.timezone

    last: list[Any] = [None, None]  # a column often repeats one value (the ingest time)

    def adapt(value: Any) -> Any:
        if value is None:
            return None
        if value is last[0]:
            return last[1]
        if value.tzinfo is zone is UTC:
            adapted = utc_text(value)  # "2025-05-14 10:00:00", as str(value)[:-6]
        elif value.utcoffset() is not None:
            adapted = str(value.astimezone(zone).replace(tzinfo=None))
        else:
            adapted = str(value)
        last[:] = value, adapted
        return adapted

    return adapt


def _json_adapter(field: models.Field, connection: Any, *, copy: bool) -> Adapter:
    """A JSON column's adapter. Lists of strings (hashtags; ``[]`` for the many posts without
    media) repeat a lot: each distinct one is serialized once per call. ``COPY`` takes the
    text form, so there the JSON text is passed as it is (not the driver's ``Jsonb`` wrapper,
    which would serialize every row again)."""
    encoder = field.encoder  # type: ignore[attr-defined]
    if copy:
        dump: Adapter = partial(json.dumps, cls=encoder)
    else:
        dump = partial(connection.ops.adapt_json_value, encoder=encoder)
    seen: dict[tuple[str, ...], Any] = {}
    empty: list[Any] = []  # the dumped ``{}``

    def adapt(value: Any) -> Any:
        if value is None:
            return None
        if type(value) is dict and not value:  # most posts have no extras
            if not empty:
                empty.append(dump(value))
            return empty[0]
        # Only lists of str: as keys, ``[1]`` and ``[True]`` would be one tuple.
        if type(value) is list and _STR_ONLY.issuperset(map(type, value)):
            key = tuple(value)
            found = seen.get(key)
            if found is None:
                found = seen[key] = dump(value)
            return found
        return dump(value)

    return adapt


def _adapter(field: models.Field, connection: Any, *, copy: bool = False) -> Adapter | None:
    internal = field.get_internal_type()
    if internal == "JSONField":
        return _json_adapter(field, connection, copy=copy)
    if internal == "DateTimeField":
        if connection.vendor == "postgresql":
            return None  # the driver takes aware datetimes as they are
        if connection.vendor == "sqlite" and settings.USE_TZ:
            return _sqlite_datetime(connection)
        return connection.ops.adapt_datetimefield_value
    return None


def _adapted(
    fields: Sequence[models.Field],
    rows: list[Sequence[Any]],
    connection: Any,
    *,
    copy: bool = False,
) -> list[Sequence[Any]]:
    """``rows`` with each column's adapter applied: column by column (``map`` loops in C);
    ``copy``: for PostgreSQL's ``COPY`` rather than statement parameters."""
    adapters = [_adapter(field, connection, copy=copy) for field in fields]
    if not any(adapters):
        return rows
    columns = [
        list(map(adapter, column)) if adapter else column
        for adapter, column in zip(adapters, zip(*rows, strict=True), strict=True)
    ]
    return list(zip(*columns, strict=True))


def insert_rows(
    model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """INSERT ``rows`` (tuples in ``fields`` order) into ``model``'s table; returns the count."""
    rows = list(rows)
    if not rows:
        return 0
    connection = _connection(model)
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    names = ", ".join(quote(field.column) for field in columns)
    use_copy = connection.vendor == "postgresql"
    values = _adapted(columns, rows, connection, copy=use_copy)
    with connection.cursor() as cursor:
        if use_copy:
            with (
                connection.wrap_database_errors,
                cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
            ):
                for row in values:
                    copy.write_row(row)
        else:
            placeholders = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", values)
    return len(rows)


def allocate_ids(model: type[models.Model], count: int) -> list[int] | None:
    """``count`` fresh primary keys from ``model``'s sequence, in increasing order, for rows
    about to be inserted with their ids (PostgreSQL: one round trip, and no query afterwards
    to learn the ids of what was inserted); None elsewhere."""
    connection = _connection(model)
    if connection.vendor != "postgresql" or count < 1:
        return None
    meta = model._meta
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval((SELECT pg_get_serial_sequence(%s, %s))::regclass) "
            "FROM generate_series(1, %s) ORDER BY 1",
            [meta.db_table, meta.pk.column, count],
        )
        return [row[0] for row in cursor.fetchall()]


def _converters(
    model: type[models.Model], fields: Sequence[str], connection: Any
) -> list[tuple[int, Any, list[Callable[..., Any]]]]:
    """Per selected column, the ORM's converters from database values (none for most)."""
    out = []
    for index, name in enumerate(fields):
        column = model._meta.get_field(name).get_col(model._meta.db_table)  # type: ignore[union-attr]
        found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if found:
            out.append((index, column, found))
    return out


def select_in(
    model: type[models.Model],
    fields: Sequence[str],
    key: str,
    values: Sequence[Any],
    *,
    for_key_share: bool = False,
    **equal: Any,
) -> list[tuple[Any, ...]]:
    """``fields`` of the rows whose ``key`` is one of ``values`` (and each ``equal`` column
    equals its value), as tuples; like ``filter(key__in=values, **equal).values_list(*fields)``.

    ``for_key_share``: the rows found cannot be deleted (nor their keys changed) until this
    transaction ends; a row being deleted meanwhile is waited for, then not returned.
    PostgreSQL only: SQLite has one writer at a time, and a transaction whose reads are stale
    cannot write at all, so what it read stays true until it commits.
    """
    if not values:
        return []
    connection = _connection(model)
    meta, quote = model._meta, connection.ops.quote_name
    selected = ", ".join(quote(meta.get_field(name).column) for name in fields)
    where = "".join(f" AND {quote(meta.get_field(name).column)} = %s" for name in equal)
    sql = f"SELECT {selected} FROM {quote(meta.db_table)} WHERE {quote(meta.get_field(key).column)}"
    fixed = list(equal.values())
    rows: list[Sequence[Any]] = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            lock = " FOR KEY SHARE" if for_key_share else ""
            cursor.execute(f"{sql} = ANY(%s){where}{lock}", [list(values), *fixed])
            rows = cursor.fetchall()
        else:
            size = (connection.features.max_query_params or 2000) - len(fixed)
            for start in range(0, len(values), size):
                part = values[start : start + size]
                cursor.execute(
                    f"{sql} IN ({', '.join(['%s'] * len(part))}){where}", [*part, *fixed]
                )
                rows += cursor.fetchall()
    converters = _converters(model, fields, connection)
    if not converters:
        return [tuple(row) for row in rows]
    out = []
    for row in rows:
        converted = list(row)
        for index, column, functions in converters:
            for convert in functions:
                converted[index] = convert(converted[index], column, connection)
        out.append(tuple(converted))
    return out


def upsert_rows(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    unique: str,
    update: Sequence[str],
) -> dict[Any, int]:
    """Insert ``rows`` or, where ``unique`` exists already, update its ``update`` columns;
    returns ``unique`` value -> primary key for every row (of rows with the same ``unique``
    value, the last one is written: one statement may not change a row twice)."""
    key_index = list(fields).index(unique)
    rows = list({row[key_index]: row for row in rows}.values())
    if not rows:
        return {}
    connection = _connection(model)
    meta, quote = model._meta, connection.ops.quote_name
    if connection.vendor not in ("postgresql", "sqlite"):  # no RETURNING from an upsert there
        model.objects.bulk_create(  # type: ignore[attr-defined]
            [model(**dict(zip(fields, row, strict=True))) for row in rows],
            update_conflicts=True,
            unique_fields=[unique],
            update_fields=list(update),
        )
        keys = [row[key_index] for row in rows]
        return dict(select_in(model, [unique, meta.pk.name], unique, keys))
    columns = [meta.get_field(name) for name in fields]
    names = ", ".join(quote(field.column) for field in columns)
    assignments = ", ".join(
        f"{quote(meta.get_field(name).column)} = excluded.{quote(meta.get_field(name).column)}"
        for name in update
    )
    unique_column = quote(meta.get_field(unique).column)
    values = _adapted(columns, rows, connection)
    size = max(1, (connection.features.max_query_params or 10_000) // len(columns))
    found: dict[Any, int] = {}
    with connection.cursor() as cursor:
        for start in range(0, len(values), size):
            part = values[start : start + size]
            row_sql = "(" + ", ".join(["%s"] * len(columns)) + ")"
            cursor.execute(
                f"INSERT INTO {quote(meta.db_table)} ({names}) VALUES "
                f"{', '.join([row_sql] * len(part))} ON CONFLICT ({unique_column}) "
                f"DO UPDATE SET {assignments} RETURNING {unique_column}, {quote(meta.pk.column)}",
                [value for row in part for value in row],
            )
            found.update(cursor.fetchall())
    return found
