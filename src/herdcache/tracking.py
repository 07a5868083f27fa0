"""Dependency tracking: record which tables and rows a page or ``cached()`` value read.

While a tracked computation runs, a ``Recorder`` is current (a context variable, so threads and
``sync_to_async`` calls started from it report to it too). herdcache's connection wrapper
(``herdcache.invalidation.observe``) hands it every SELECT; the recorder turns the statement into
tag names, with no cache round trip. The entry stores the names with the time the computation
started; a write's purge stamps each tag with the time it happened, so an entry whose tag was
stamped after its computation started is outdated (``herdcache.stamps``: the race-free rule,
the clock-skew margin and missing stamps).

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
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.core.cache import caches

from herdcache import sqlshape, stamps
from herdcache.conf import conf

if TYPE_CHECKING:
    from herdcache.stampede import Computed

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
    """What one tracked computation read: tag names only, and the time it started.

    Nothing is fetched while the computation runs (see ``herdcache.stamps``: the write stamps
    of its tags are compared with its start time when the entry is read).
    """

    def __init__(
        self,
        alias: str,
        parent: Recorder | None,
        max_rows: int,
        known: Mapping[str, stamps.Current] | None = None,
    ) -> None:
        self.alias = alias
        self.parent = parent
        self.max_rows = max_rows
        # Taken before any read: a write the computation does not see is stamped after it.
        self.since = time.time()
        # Stamps read before this computation started (with the entry it replaces): a tag whose
        # stamp is still one of these was not written since, whatever the clocks say.
        self.known: dict[str, stamps.Current] = dict(known or {})
        self.scanned: set[str] = set()
        self.rows: dict[str, set[str]] = {}
        self.adopted: dict[str, stamps.Seen] = {}
        # The cache failed while the tags' stamp keys were settled: what is computed must not
        # be stored (its dependencies are unknown), but the computation itself goes on.
        self.failed = False
        self.token: contextvars.Token[Recorder | None] | None = None  # begin()'s, for end()
        self.owner: object = None  # the request of a recorder the per-site middleware began

    def read(self, label: str, pks: Iterable[str] | None) -> None:
        """Note a read of ``label`` (whole table when ``pks`` is None)."""
        known = self.rows.setdefault(label, set())
        if pks is None:
            self.scanned.add(label)
        elif label not in self.scanned and len(known) <= self.max_rows:
            known.update(pks)  # past max_rows the table tag stands for them all
        if self.parent is not None:
            self.parent.read(label, pks)

    def adopt(self, tracked: Mapping[str, stamps.Seen]) -> None:
        """Take over the tracked tags of a nested cached() value served from the cache."""
        for tag, seen in tracked.items():
            before = self.adopted.get(tag)
            self.adopted[tag] = seen if before is None else stamps.merge(before, seen)
        if self.parent is not None:
            self.parent.adopt(tracked)

    def names(self) -> list[str]:
        """The tags of what was read (bounded, see module docstring)."""
        result: list[str] = []
        for label, pks in self.rows.items():
            if label in self.scanned or len(pks) > self.max_rows:
                result.append(table_tag(label))
            else:
                result += [rows_tag(label), *(row_tag(label, pk) for pk in sorted(pks))]
        return result

    def tags(self) -> dict[str, stamps.Seen]:
        """The tracked tags to store with the entry, with what was seen of their stamps."""
        result = dict(self.adopted)
        for tag in self.names():
            own = stamps.seen(self.since, self.known.get(tag))
            before = result.get(tag)
            result[tag] = own if before is None else stamps.merge(before, own)
        return result

    def settle(self) -> dict[str, stamps.Seen]:
        """``tags()``, after creating the stamp keys nobody wrote yet (one ``get_many``, none
        when every tag's stamps were read before: a refresh); sets ``failed`` when the cache
        cannot be reached."""
        tags = self.tags()
        # Keys found before the computation exist (or were evicted since: then the entry looks
        # purged when read, which is safe).
        unknown = [tag for tag, (_, soft, hard) in tags.items() if soft is None or hard is None]
        try:
            stamps.settle(caches[self.alias], unknown)
        except Exception as exc:
            logger.warning("herdcache: cache %r unavailable while tracking (%s)", self.alias, exc)
            self.failed = True
        return tags


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
def recording(alias: str, known: Mapping[str, stamps.Current] | None = None) -> Iterator[Recorder]:
    """Track the reads of the block (nested blocks report to the outer one as well);
    ``known``: write stamps read before the block, e.g. those of the entry being replaced."""
    recorder = begin(alias, known)
    try:
        yield recorder
    finally:
        end(recorder)


def begin(alias: str, known: Mapping[str, stamps.Current] | None = None) -> Recorder:
    """Start tracking reads in this context (``recording`` as two calls, for code that cannot
    hold a ``with`` block across the computation: the per-site middleware)."""
    aliases.add(alias)
    recorder = Recorder(alias, _current.get(), conf.TRACK_MAX_ROWS, known)
    recorder.token = _current.set(recorder)
    return recorder


def end(recorder: Recorder) -> None:
    """Stop tracking for ``recorder`` (started by ``begin``)."""
    try:
        _current.reset(recorder.token)
    except ValueError:  # ended in a copy of the context it began in (async middleware)
        _current.set(recorder.parent)


def attach(computed: Computed, recorder: Recorder) -> Computed:
    """Give a computation its tracked tags; never store it when their stamps could not be set
    up (the cache failed)."""
    computed.tracked = recorder.settle()
    if recorder.failed:
        computed.store, computed.event = False, "error"
    return computed


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


def entry_tags(entry: Any) -> list[str]:
    """Every tag of a stored entry: declared (generations) and tracked."""
    return [*entry.gens, *getattr(entry, "tracked", {})]


def response_tags(response: Any) -> list[str]:
    """The cache tags (manual and tracked) of a response herdcache handled; [] for others."""
    return list(getattr(response, _RESPONSE_TAGS, ()))
