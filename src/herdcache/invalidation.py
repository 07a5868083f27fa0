"""Invalidation on commit: every write a connection runs purges the tracked pages it affects.

herdcache puts one execute wrapper (``observe``) on every database connection as it opens
(``install``, from the app's ``ready``). It sees every statement: ORM saves and deletes,
``QuerySet.update()/delete()/bulk_create()/bulk_update()``, many-to-many changes and raw
``cursor.execute`` alike, so no signal is needed and none can be missed. For a write it works
out the tags to purge (``herdcache.tracking`` names them):

* a write naming its rows by primary key (``UPDATE/DELETE ... WHERE pk = %s`` / ``pk IN (...)``,
  ``INSERT`` with explicit keys) purges ``t:<model>`` and each ``r:<model>:<pk>``;
* an ``INSERT`` of new rows (keys chosen by the database) purges ``t:<model>``: no page can have
  read a row that did not exist, and keys are never reused;
* any other write (a WHERE on other columns, TRUNCATE, an UPDATE that changes keys) purges
  ``t:<model>`` and ``r:<model>:*``: every page that read the table, by scan or by row.

Purges run after the write is committed (``transaction.on_commit``): a rolled-back transaction or
savepoint purges nothing, and a page rendered meanwhile (from the old data, with the old
generations) is outdated by the purge. They go through the shared cache (tag generations), so a
write in any process purges for all. Writes through connections herdcache's wrapper is not on
(another program, ``psql``) are not seen: ``purge(tables=[...])`` is the escape hatch.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from django.core.signals import setting_changed
from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created

from herdcache import sqlshape, tracking
from herdcache.conf import conf

logger = logging.getLogger("herdcache")
_PENDING = "_herdcache_pending"
# First words of statements that never write: skip parsing them when nothing is being tracked.
_NEVER_WRITES = ("SELECT", "SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT", "PRAGMA", "SHOW")


def observe(
    execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]
) -> Any:
    """The execute wrapper: report reads to the current recorder, writes to ``on_commit``."""
    recorder = tracking.current()
    if recorder is None and (
        not tracking.writes_purge() or sql.lstrip()[:9].upper().startswith(_NEVER_WRITES)
    ):
        return execute(sql, params, many, context)
    try:
        shape = sqlshape.analyse(sql)
    except Exception:  # never break a query over its classification; counted in the log
        logger.exception("herdcache: could not classify %.200s", sql)
        return execute(sql, params, many, context)
    if shape.kind == sqlshape.READ and recorder is not None:
        tracking.on_read(shape, params, many, recorder)
    result = execute(sql, params, many, context)
    if shape.kind == sqlshape.WRITE and (recorder is None or tracking.writes_purge()):
        purged = write_tags(shape, params, many)
        if purged:
            schedule(context["connection"], purged, _open_cursor(sql, context))
    return result


def _open_cursor(sql: str, context: dict[str, Any]) -> Any:
    """The cursor of a write whose rows the caller has yet to fetch (``RETURNING``), else None.

    SQLite finishes such a statement, and in autocommit commits it, only when its rows are
    read or its cursor closed: purging before that would purge before the commit, and the purge
    log's writes on the same connection would run inside the unfinished statement (a failed
    prune there rolled the write itself back).
    """
    return context.get("cursor") if "RETURNING" in sql.upper() else None


def write_tags(shape: sqlshape.Shape, params: Any, many: bool) -> set[str]:
    """The tags a write statement purges (see module docstring)."""
    tables = tracking.models_by_table()
    result: set[str] = set()
    for target in shape.targets:
        found = tables.get(target) or tables.get(target.lower())
        if found is None:
            continue
        label, pk_column = found
        result.add(tracking.table_tag(label))
        pks = _written_rows(shape, target, pk_column, params, many)
        if pks is None:
            result.add(tracking.rows_tag(label))
        else:
            result.update(tracking.row_tag(label, pk) for pk in pks)
    return result


def _written_rows(
    shape: sqlshape.Shape, target: str, pk_column: str, params: Any, many: bool
) -> list[str] | None:
    """Keys of the rows a write touches; [] for new rows; None when they cannot be known."""
    param_sets = list(params) if many else [params]
    if len(param_sets) > conf.TRACK_MAX_ROWS:
        return None
    if shape.verb in ("INSERT", "REPLACE"):
        columns = [c.lower() for c in shape.insert_columns or ()]
        if not columns:
            return None  # INSERT INTO t VALUES (...): every column, the key too, unparsed
        if pk_column.lower() not in columns:
            # New rows: keys chosen by the database. REPLACE and INSERT ... ON CONFLICT may
            # overwrite a row, but then they name its key column.
            return []
        if shape.insert_rows is None:
            return None  # INSERT ... SELECT, UNNEST: keys not in the text
        at = columns.index(pk_column.lower())
        pks: list[str] = []
        for row in shape.insert_rows:
            if at >= len(row) or row[at] is None:
                return None
            for one in param_sets:
                pk = sqlshape.resolve(row[at], one)  # type: ignore[arg-type]
                if pk is None:
                    return None
                pks.append(pk)
        return pks
    if shape.verb not in ("UPDATE", "DELETE") or not shape.bounded:
        return None
    if pk_column.lower() in {c.lower() for c in shape.assigned}:
        return None  # an UPDATE that moves rows to other keys
    pks = []
    for one in param_sets:
        found = tracking.row_keys(shape.keys, target, pk_column, one)
        if found is None:
            return None
        pks.extend(found)
    return pks


def schedule(connection: BaseDatabaseWrapper, tags: set[str], cursor: Any = None) -> None:
    """Purge ``tags`` once the current transaction commits (in autocommit: at once, or when
    ``cursor``, a statement's whose rows are still to be read, is closed)."""
    if not connection.in_atomic_block:
        if cursor is None:
            purge_tags(tags)
        else:
            _after_close(cursor, tags)
        return
    # One callback per transaction (and savepoint level) collects every write's tags. Django
    # drops callbacks registered inside a savepoint that rolls back: a collector registered
    # there must not receive later writes, so it is reused only while it is still queued.
    pending: _Pending | None = getattr(connection, _PENDING, None)
    savepoints = tuple(connection.savepoint_ids)
    if (
        pending is None
        or pending.savepoints != savepoints
        or not any(item[1] is pending for item in connection.run_on_commit)
    ):
        pending = _Pending(savepoints)
        setattr(connection, _PENDING, pending)
        transaction.on_commit(pending, using=connection.alias)
    pending.tags |= tags


def _after_close(cursor: Any, tags: set[str]) -> None:
    """Purge ``tags`` when ``cursor`` (Django's cursor wrapper) is closed: the ORM closes it once
    it has read the rows (``with connection.cursor()``); a raw cursor left open purges nothing
    until it is closed."""
    pending: set[str] | None = getattr(cursor, _PENDING, None)
    if pending is None:
        pending = set()
        close = cursor.close

        def close_then_purge() -> None:
            try:
                close()
            finally:
                purged = set(pending)
                pending.clear()
                if purged:
                    purge_tags(purged)

        setattr(cursor, _PENDING, pending)
        cursor.close = close_then_purge
    pending |= tags


class _Pending:
    """The tags one transaction's writes purge, purged when Django runs it after commit."""

    def __init__(self, savepoints: tuple[str, ...]) -> None:
        self.savepoints = savepoints
        self.tags: set[str] = set()

    def __call__(self) -> None:
        purge_tags(self.tags)


def purge_tags(tags: Iterable[str]) -> None:
    """Purge tracked tags in every cache alias tracked entries live in; never raises."""
    from herdcache.purging import purge  # the models: not at import time

    tags = sorted(tags)
    soft = conf.TRACK_PURGE == "soft"
    for alias in sorted({conf.CACHE, *tracking.aliases}):
        try:
            purge(tags=tags, soft=soft, cache=alias, reason="tracked")
        except Exception:
            # The write is committed whatever happens here; a cache that is down has no entries
            # to purge, and the counters it lost make every entry look purged when it returns.
            logger.exception("herdcache: could not purge %d tracked tags in %r", len(tags), alias)


def install(connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """Put ``observe`` on ``connection`` (a ``connection_created`` receiver)."""
    # First in the list, not last: ``connection.execute_wrapper()`` blocks pop the last
    # wrapper on exit, and a connection opened inside such a block must not lose theirs.
    if observe not in connection.execute_wrappers:
        connection.execute_wrappers.insert(0, observe)


def _apps_changed(setting: str, **kwargs: Any) -> None:
    if setting == "INSTALLED_APPS":  # tests and benchmarks: the table -> model map is rebuilt
        tracking.models_by_table.cache_clear()


def install_everywhere() -> None:
    """Observe every connection opened from now on, and those of this thread already open."""
    from django.db import connections

    connection_created.connect(install, dispatch_uid="herdcache.invalidation")
    setting_changed.connect(_apps_changed, dispatch_uid="herdcache.invalidation")
    for connection in connections.all(initialized_only=True):
        install(connection)
