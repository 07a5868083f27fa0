"""Dependency tracking: record which tables and rows a page or ``cached()`` value read.

While a tracked computation runs, a ``Recorder`` is current (a context variable, so threads and
``sync_to_async`` calls started from it report to it too). herdcache's connection wrapper
(``herdcache.invalidation.observe``) hands it every SELECT *before* the query runs; the recorder
turns the statement into tags and reads their generations from the cache right then. Reading the
generation before the data is what makes tracking race-free: a write that commits after the
generation was read bumps it, so the entry being computed is already outdated when stored.

Tags (purged by ``herdcache.invalidation`` after commit):

* ``t:<app_label.Model>`` -- the page scanned the table (any query not bounded to primary keys);
  every write to the table purges it;
* ``r:<app_label.Model>:<pk>`` -- the page read that row by primary key; a write naming the row
  purges it;
* ``r:<app_label.Model>:*`` -- carried with row tags; a write that does not name its rows
  (``UPDATE ... WHERE name = ...``) purges it, and with it every page that read rows of the table.

Past ``TRACK_MAX_ROWS`` rows of one model, the table tag replaces its row tags.
"""

from __future__ import annotations

import contextvars
import functools
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.apps import apps
from django.core.cache import caches

from herdcache import sqlshape
from herdcache import tags as tagging
from herdcache.conf import conf

logger = logging.getLogger("herdcache")

_current: contextvars.ContextVar[Recorder | None] = contextvars.ContextVar(
    "herdcache_recorder", default=None
)
_RESPONSE_TAGS = "_herdcache_tags"
# Cache aliases tracked entries of this process live in: writes bump tags in each of them.
aliases: set[str] = set()
# A track=True decorator was defined in this process (TRACK_WRITES=None follows it).
declared = False


def table_tag(label: str) -> str:
    """Tag of pages that scanned the model's table."""
    return f"t:{label}"


def rows_tag(label: str) -> str:
    """Tag of pages that read some rows of the model by primary key."""
    return f"r:{label}:*"


def row_tag(label: str, pk: object) -> str:
    """Tag of pages that read the row ``pk`` of the model."""
    return f"r:{label}:{pk}"


def is_tracked_tag(tag: str) -> bool:
    """True for tags this module produces (as opposed to tags a site names by hand)."""
    return tag.startswith(("t:", "r:"))


@functools.cache
def models_by_table() -> dict[str, tuple[str, str]]:
    """``db_table`` (as written and lower-cased) -> (model label, primary key column).

    herdcache's own tables are left out: remembering a page must not purge pages.
    """
    found: dict[str, tuple[str, str]] = {}
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.app_label == "herdcache" or meta.proxy or meta.pk is None:
            continue
        entry = (meta.label, meta.pk.column)
        found.setdefault(meta.db_table, entry)
        found.setdefault(meta.db_table.lower(), entry)
    return found


def model_label(label: str) -> str:
    """The canonical ``app_label.Model`` of ``label``; ValueError when no such model exists."""
    try:
        return apps.get_model(label)._meta.label
    except (LookupError, ValueError) as exc:
        raise ValueError(f"{label!r} is not an installed model ('app_label.Model')") from exc


def tags_of_tables(labels: Iterable[str]) -> list[str]:
    """The tags a table-wide write to each model purges (``purge(tables=...)``)."""
    tags: list[str] = []
    for label in labels if not isinstance(labels, str) else [labels]:
        canonical = model_label(label)
        tags += [table_tag(canonical), rows_tag(canonical)]
    return tags


class Recorder:
    """What one tracked computation read, with each tag's generation as of before the read."""

    def __init__(
        self,
        alias: str,
        parent: Recorder | None,
        max_rows: int,
        known: tagging.Generations | None = None,
    ) -> None:
        self.alias = alias
        self.parent = parent
        self.max_rows = max_rows
        # Generations read before this computation started (those of the entry it replaces):
        # a re-render reading what the last one read needs no cache round trip per query.
        self.gens: tagging.Generations = dict(known or {})
        # Models the last render was tagged with by table: their row reads are not fetched
        # one by one, the table tag (its generation read before this render) covers them.
        self.as_table = {
            tag[2:]
            for tag in self.gens
            if tag.startswith("t:") and f"r:{tag[2:]}:*" not in self.gens
        }
        self.scanned: set[str] = set()
        self.rows: dict[str, set[str]] = {}
        self.adopted: tagging.Generations = {}
        # The cache failed while generations were read: what is computed must not be stored
        # (its dependencies are unknown), but the computation itself goes on.
        self.failed = False

    def read(self, label: str, pks: Iterable[str] | None) -> None:
        """Note a read of ``label`` (whole table when ``pks`` is None), before it runs."""
        wanted: list[str] = []
        if label not in self.rows:
            # The table tag's generation is taken at first touch even for row reads: if the
            # rows overflow TRACK_MAX_ROWS later, the table tag replaces them without a gap.
            self.rows[label] = set()
            wanted += [table_tag(label), rows_tag(label)]
        if pks is None or label in self.as_table:
            self.scanned.add(label)
        elif label not in self.scanned:
            known = self.rows[label]
            for pk in pks:
                if len(known) > self.max_rows:
                    break  # the table tag stands for them all
                if pk not in known:
                    known.add(pk)
                    wanted.append(row_tag(label, pk))
        self._fetch(wanted)
        if self.parent is not None:
            self.parent.read(label, pks)

    def adopt(self, gens: tagging.Generations) -> None:
        """Take over the tracked tags of a nested cached() value served from the cache."""
        for tag, gen in gens.items():
            if is_tracked_tag(tag) and tag not in self.gens:
                self.adopted.setdefault(tag, gen)
        if self.parent is not None:
            self.parent.adopt(gens)

    def tags(self) -> tagging.Generations:
        """The generations to store with the entry (bounded, see module docstring)."""
        result = dict(self.adopted)
        for label, pks in self.rows.items():
            if label in self.scanned or len(pks) > self.max_rows:
                names = [table_tag(label)]
            else:
                names = [rows_tag(label), *(row_tag(label, pk) for pk in pks)]
            result.update((name, self.gens[name]) for name in names if name in self.gens)
        return result

    def _fetch(self, wanted: list[str]) -> None:
        wanted = [tag for tag in wanted if tag not in self.gens]
        if not wanted or self.failed:
            return
        cache = caches[self.alias]
        try:
            found = cache.get_many(tagging.keys_for(wanted))
            self.gens.update(tagging.generations(cache, wanted, found))
        except Exception as exc:
            logger.warning("herdcache: cache %r unavailable while tracking (%s)", self.alias, exc)
            self.failed = True


def current() -> Recorder | None:
    """The recorder of the tracked computation running in this context, if any."""
    return _current.get()


def declare(track: bool | None) -> None:
    """Note a decorator's ``track=``: one ``track=True`` turns on purging for this process."""
    global declared
    declared = declared or bool(track)


def writes_purge() -> bool:
    """Whether this process purges tracked entries after the writes it commits."""
    setting = conf.TRACK_WRITES
    return setting if setting is not None else (declared or conf.TRACK)


def wanted(track: bool | None) -> bool:
    """Whether a computation with ``track=`` should be tracked (None: setting or outer tracking)."""
    if track is not None:
        return track
    return conf.TRACK or _current.get() is not None


@contextmanager
def recording(alias: str, known: tagging.Generations | None = None) -> Iterator[Recorder]:
    """Track the reads of the block (nested blocks report to the outer one as well);
    ``known``: generations read before the block, e.g. those of the entry being replaced."""
    aliases.add(alias)
    recorder = Recorder(alias, _current.get(), conf.TRACK_MAX_ROWS, known)
    token = _current.set(recorder)
    try:
        yield recorder
    finally:
        _current.reset(token)


def on_read(shape: sqlshape.Shape, params: Any, many: bool, recorder: Recorder) -> None:
    """Report a SELECT to ``recorder``: rows when bounded to one table's primary keys."""
    tables = models_by_table()
    read = {tables[name] for name in shape.names if name in tables}
    if not read:
        return
    if len(read) == 1 and shape.bounded and not many:
        (label, pk_column), table = next(iter(read)), None
        table = next(name for name in shape.names if tables.get(name) == (label, pk_column))
        pks = row_keys(shape.keys, table, pk_column, params)
        if pks is not None:
            recorder.read(label, pks)
            return
    for label, _ in read:
        recorder.read(label, None)


def row_keys(
    keys: Iterable[tuple[str | None, str, tuple[sqlshape.Value, ...]]],
    table: str,
    pk_column: str,
    params: Any,
) -> list[str] | None:
    """The primary keys a WHERE conjunction names for ``table``, or None if it names none."""
    for qualifier, column, values in keys:
        if column.lower() != pk_column.lower():
            continue
        if qualifier is not None and qualifier.lower() != table.lower():
            continue
        resolved = [sqlshape.resolve(value, params) for value in values]
        if all(pk is not None for pk in resolved):
            return resolved  # type: ignore[return-value]
    return None


def set_response_tags(response: Any, tags: Iterable[str]) -> None:
    """Attach the cache tags (manual and tracked) a response was stored or served with."""
    setattr(response, _RESPONSE_TAGS, sorted(set(tags)))


def response_tags(response: Any) -> list[str]:
    """The cache tags (manual and tracked) of a response herdcache handled; [] for others."""
    return list(getattr(response, _RESPONSE_TAGS, ()))
