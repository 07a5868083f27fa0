"""Dependency tracking and invalidation on commit (herdcache.tracking, herdcache.invalidation).

Real writes through the ORM and raw cursors on the test database (SQLite, or PostgreSQL with
``--db=postgres``); ``transaction=True`` so ``on_commit`` runs as in production. The random
sequences are in test_tracking_machine.py.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest
from django.core.cache import caches
from django.db import connection, connections, transaction
from django.test import RequestFactory

import herdcache
from herdcache import invalidation, sqlshape, tracking
from herdcache.checks import check_settings
from herdcache.drivers import refresher
from tests.herdcache.trackapp.models import Author, Item, Label

pytestmark = pytest.mark.django_db(transaction=True)
HERD = {"STATS_FLUSH_INTERVAL": 0, "XFETCH_BETA": 0, "TRACK_WRITES": True}


@pytest.fixture(autouse=True)
def _herd(settings, monkeypatch) -> Iterator[None]:
    settings.HERDCACHE = {**HERD, "TRACK_PURGE": "hard"}
    # The track=True decorators defined here must not turn purging on for later tests.
    monkeypatch.setattr(tracking, "declared", False)
    caches["default"].clear()
    yield
    refresher.wait()
    caches["default"].clear()


def writes_of(action: Callable[[], object]) -> set[str]:
    """The tags the writes ``action`` runs would purge (whatever the transaction does)."""
    found: set[str] = set()

    def spy(execute, sql, params, many, context):
        shape = sqlshape.analyse(sql)
        if shape.kind == sqlshape.WRITE:
            found.update(invalidation.write_tags(shape, params, many))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(spy):
        action()
    return found


def reads_of(action: Callable[[], object]) -> set[str]:
    """The tags a tracked computation running ``action`` is stored with."""
    with tracking.recording("default") as recorder:
        action()
    return set(recorder.tags())


def raw(sql: str, params: list | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.fixture
def rows() -> tuple[Author, Item, Item, Label]:
    author = Author.objects.create(name="ann")
    first = Item.objects.create(name="one", price=1, author=author)
    second = Item.objects.create(name="two", price=2)
    label = Label.objects.create(name="red")
    return author, first, second, label


def test_every_kind_of_write_names_the_rows_it_can_and_the_table_otherwise(rows) -> None:
    author, first, second, label = rows
    i1, i2, a = f"r:trackapp.Item:{first.pk}", f"r:trackapp.Item:{second.pk}", "t:trackapp.Item"

    def save() -> None:
        first.name = "uno"
        first.save()

    def bulk_update() -> None:
        first.price, second.price = 10, 20
        Item.objects.bulk_update([first, second], ["price"])

    cases: list[tuple[Callable[[], object], set[str]]] = [
        (save, {a, i1}),
        (lambda: Item.objects.filter(pk__in=[second.pk]).update(price=5), {a, i2}),
        (lambda: Item.objects.filter(name="two").update(price=6), {a, "r:trackapp.Item:*"}),
        (lambda: Item.objects.create(name="new"), {a}),  # a new key: no page read it
        (lambda: Item.objects.bulk_create([Item(name="x"), Item(name="y")]), {a}),
        (bulk_update, {a, i1, i2}),
        (lambda: Item(pk=9001, name="explicit").save(), {a, "r:trackapp.Item:9001"}),
        (lambda: raw("UPDATE trackapp_item SET price = 3 WHERE id = %s", [first.pk]), {a, i1}),
        (lambda: raw("UPDATE trackapp_item SET id = 9002 WHERE id = 9001"), {a, "r:trackapp.Item:*"}),
        (lambda: raw("DELETE FROM trackapp_item WHERE price > 100"), {a, "r:trackapp.Item:*"}),
        (lambda: raw(f"DELETE FROM trackapp_item WHERE id IN ({second.pk}) OR 1 = 0"), {a, "r:trackapp.Item:*"}),
        (lambda: raw("INSERT INTO trackapp_label (name) VALUES ('blue')"), {"t:trackapp.Label"}),
    ]  # fmt: skip
    for action, expected in cases:
        assert writes_of(action) == expected, action
    # Explicit keys in bulk: named in VALUES (SQLite), or in PostgreSQL's UNNEST arrays, unread.
    explicit = writes_of(lambda: Item.objects.bulk_create([Item(pk=9100, name="p"), Item(pk=9101, name="q")]))  # fmt: skip
    assert explicit in (
        {a, "r:trackapp.Item:9100", "r:trackapp.Item:9101"},
        {a, "r:trackapp.Item:*"},
    )
    every_column = writes_of(lambda: raw("INSERT INTO trackapp_label VALUES (%s, %s)", [50, "x"]))
    assert every_column == {"t:trackapp.Label", "r:trackapp.Label:*"}
    added = writes_of(lambda: first.labels.add(label))
    assert added == {"t:trackapp.Item_labels"}
    assert "t:trackapp.Item_labels" in writes_of(lambda: first.labels.remove(label))
    # Deleting an author: its row, and the items pointing at it (SET_NULL) by scan.
    gone = f"r:trackapp.Author:{author.pk}"
    assert writes_of(author.delete) >= {gone, "t:trackapp.Author", a}


def test_reads_by_key_are_row_tags_and_everything_else_table_tags(rows, settings) -> None:
    author, first, second, _ = rows
    by_key = reads_of(
        lambda: (Item.objects.get(pk=first.pk), list(Item.objects.filter(pk__in=[second.pk])))
    )
    assert by_key == {
        "r:trackapp.Item:*",
        f"r:trackapp.Item:{first.pk}",
        f"r:trackapp.Item:{second.pk}",
    }
    related = reads_of(lambda: Item.objects.get(pk=first.pk).author.name)
    assert f"r:trackapp.Author:{author.pk}" in related
    assert reads_of(lambda: Item.objects.filter(name="one").count()) == {"t:trackapp.Item"}
    joined = reads_of(lambda: list(Item.objects.filter(author__name="ann", pk=first.pk)))
    assert joined == {"t:trackapp.Item", "t:trackapp.Author"}
    either = reads_of(lambda: list(Item.objects.filter(pk=first.pk) | Item.objects.filter(price=2)))
    assert either == {"t:trackapp.Item"}
    settings.HERDCACHE = {**HERD, "TRACK_MAX_ROWS": 1}  # past the bound: the table tag
    assert reads_of(lambda: list(Item.objects.filter(pk__in=[first.pk, second.pk]))) == {"t:trackapp.Item"}  # fmt: skip


def item_page(counter: list[int], **options: object):
    """A tracked page showing one item (by key) and its author."""

    @herdcache.cache_page(300, track=True, **options)
    def view(request, pk):
        counter.append(pk)
        item = Item.objects.filter(pk=pk).first()
        author = item.author.name if item and item.author_id else "-"
        return herdcache_response(f"{item.name}:{item.price}:{author}" if item else "none")

    return lambda pk: view(RequestFactory().get(f"/item/{pk}/"), pk)


def herdcache_response(text: str):
    from django.http import HttpResponse

    return HttpResponse(text)


@pytest.mark.parametrize("purge", ["hard", "soft"])
def test_a_committed_write_purges_the_pages_that_read_it_and_no_other(
    rows, settings, purge
) -> None:
    settings.HERDCACHE = {**HERD, "TRACK_PURGE": purge}
    _, first, second, _ = rows
    renders: list[int] = []
    page = item_page(renders)
    assert page(first.pk).content == b"one:1:ann"
    assert page(second.pk).content == b"two:2:-"
    Item.objects.filter(pk=second.pk).update(price=22)  # another row
    Label.objects.create(name="green")  # another table
    assert page(first.pk).content == b"one:1:ann"
    assert renders == [first.pk, second.pk]
    with transaction.atomic():
        Item.objects.filter(pk=first.pk).update(price=11)
        assert page(first.pk).content == b"one:1:ann"  # not committed yet: nothing purged
    # cache_page refreshes in the request that finds the page stale: fresh at once, either mode.
    assert page(first.pk).content == b"one:11:ann"
    Author.objects.filter(name="ann").update(name="anna")  # no keys named: every author page
    assert page(first.pk).content == b"one:11:anna"
    assert page(second.pk).content == b"two:22:-"
    assert renders == [first.pk, second.pk, first.pk, first.pk, second.pk]


def test_rolled_back_writes_purge_nothing_and_savepoints_keep_the_rest(rows) -> None:
    _, first, second, _ = rows
    renders: list[int] = []
    page = item_page(renders)
    page(first.pk), page(second.pk)
    with pytest.raises(RuntimeError), transaction.atomic():
        Item.objects.filter(pk=first.pk).update(price=100)
        raise RuntimeError("rolled back")
    with transaction.atomic():
        try:
            with transaction.atomic():
                Item.objects.filter(pk=first.pk).update(price=101)
                raise RuntimeError("savepoint rolled back")
        except RuntimeError:
            pass
        Item.objects.filter(pk=second.pk).update(price=202)  # after the savepoint: purges
    assert page(first.pk).content == b"one:1:ann"
    assert page(second.pk).content == b"two:202:-"
    assert renders == [first.pk, second.pk, second.pk]


@pytest.mark.parametrize("refresh", [False, True], ids=["cold", "refresh"])
def test_a_write_committed_while_the_page_renders_outdates_what_it_stores(rows, refresh) -> None:
    _, first, _, _ = rows
    renders: list[int] = []
    race = [refresh]  # a refresh starts from the generations read with the stale entry

    @herdcache.cached(300, track=True, background=False)
    def price(pk):
        value = Item.objects.get(pk=pk).price
        if not race[0]:  # another connection commits after our read
            race[0] = True
            writer = threading.Thread(target=_in_own_connection, args=(first.pk, 7))
            writer.start()
            writer.join()
        renders.append(value)
        return value

    if refresh:
        assert price(first.pk) == 1
        price.purge(first.pk, soft=True)
        race[0] = False
    assert price(first.pk) == 1  # rendered from the data before the commit...
    assert price(first.pk) == 7  # ...so stored already outdated
    assert price(first.pk) == 7
    assert renders == [1, 1, 7] if refresh else [1, 7]


def _in_own_connection(pk: int, value: int) -> None:
    try:
        Item.objects.filter(pk=pk).update(price=value)
    finally:
        connections.close_all()


def test_nested_cached_values_pass_their_reads_to_the_page(rows) -> None:
    author, first, _, _ = rows

    @herdcache.cached(300)
    def author_name(pk):
        return Author.objects.get(pk=pk).name

    @herdcache.cached(300, track=True, background=False)
    def card(pk):
        return f"{Item.objects.get(pk=pk).name} by {author_name(author.pk)}"

    author_name(author.pk)  # untracked outside: its value is in the cache without tags
    author_name.purge(author.pk)
    assert card(first.pk) == "one by ann"  # computes author_name inside: tracked, passed on
    card.purge(first.pk)
    assert card(first.pk) == "one by ann"  # author_name now a hit: its tags are adopted
    Author.objects.filter(pk=author.pk).update(name="bob")
    assert card(first.pk) == "one by bob"


def test_response_tags_and_purge_by_table(rows, settings) -> None:
    author, first, _, _ = rows
    page = item_page([], tags=["items"])
    fresh, cached = page(first.pk), page(first.pk)
    expected = [
        "items",
        "r:trackapp.Author:*",  # item.author: a read by the author's key
        f"r:trackapp.Author:{author.pk}",
        "r:trackapp.Item:*",
        f"r:trackapp.Item:{first.pk}",
    ]
    assert herdcache.response_tags(fresh) == herdcache.response_tags(cached) == expected
    raw("UPDATE trackapp_item SET price = 5")  # raw SQL on Django's connection is seen too
    assert page(first.pk).content == b"one:5:ann"
    settings.HERDCACHE = {**HERD, "TRACK_WRITES": False, "TRACK_PURGE": "hard"}
    Item.objects.filter(pk=first.pk).update(price=6)
    assert page(first.pk).content == b"one:5:ann"  # a write not seen: stale until purged...
    herdcache.purge(tables=["trackapp.item"])
    assert page(first.pk).content == b"one:6:ann"  # ...by hand
    with pytest.raises(ValueError, match="not an installed model"):
        herdcache.purge(tables=["trackapp.Nope"])


class DownCache:
    """A cache whose server is gone."""

    def get_many(self, keys):
        raise ConnectionError("memcached is down")


def test_a_value_whose_reads_cannot_be_tracked_is_served_not_stored(rows, monkeypatch) -> None:
    _, first, _, _ = rows
    renders: list[int] = []

    @herdcache.cached(300, track=True, background=False)
    def price(pk):
        renders.append(pk)
        return Item.objects.get(pk=pk).price

    monkeypatch.setattr(tracking, "caches", {"default": DownCache()})
    assert price(first.pk) == price(first.pk) == 1  # no error for the visitor...
    assert renders == [first.pk, first.pk]  # ...and nothing stored without its dependencies


@pytest.mark.parametrize(
    ("setting", "value", "check_id"),
    [
        ("TRACK", "yes", "herdcache.E040"),
        ("TRACK_WRITES", "no", "herdcache.E040"),
        ("TRACK_MAX_ROWS", 0, "herdcache.E041"),
        ("TRACK_MAX_ROWS", 2.5, "herdcache.E041"),
        ("TRACK_PURGE", "later", "herdcache.E042"),
    ],
)
def test_bad_tracking_settings_are_reported(settings, setting, value, check_id) -> None:
    settings.HERDCACHE = {setting: value}
    assert [message.id for message in check_settings()] == [check_id]


def test_writes_purge_when_tracking_is_in_use_unless_told(settings) -> None:
    settings.HERDCACHE = {}
    assert not tracking.writes_purge()  # nothing tracked in this process: writes cost nothing
    herdcache.cached(60, track=True)(len)
    assert tracking.writes_purge()
    settings.HERDCACHE = {"TRACK_WRITES": False}
    assert not tracking.writes_purge()
    settings.HERDCACHE = {"TRACK": True, "TRACK_WRITES": None}
    tracking.declared = False
    assert tracking.writes_purge()


def test_good_tracking_settings_pass(settings) -> None:
    settings.HERDCACHE = {"TRACK": True, "TRACK_MAX_ROWS": 5, "TRACK_PURGE": "soft", "TRACK_WRITES": False}  # fmt: skip
    assert check_settings() == []


def test_surrogate_keys_carry_the_tracked_tags_on_misses_and_hits(rows, settings) -> None:
    """Varnish/CDNs purge a tracked page by the rows it read: its surrogate header names them,
    whether the page was rendered now or served from the cache."""
    _, first, _, _ = rows
    settings.HERDCACHE = {**HERD, "TRACK_PURGE": "hard", "SURROGATE_HEADER": "xkey"}
    page = item_page([], tags=["items"])
    fresh, cached = page(first.pk), page(first.pk)
    for response in (fresh, cached):
        keys = response["xkey"].split()
        assert keys[0] == "items"  # the view's own tag first: kept when the header overflows
        assert f"r:trackapp.Item:{first.pk}" in keys


def test_an_insert_returning_its_key_purges_once_its_statement_is_done(monkeypatch) -> None:
    """SQLite commits an autocommit INSERT ... RETURNING when its row is read: the purge (and
    the purge log's writes, a prune here) waits for the cursor to close, and loses no row."""
    from herdcache import purgelog

    monkeypatch.setattr(purgelog, "_PRUNE_EVERY", 1)  # every purge prunes the log

    @herdcache.cached(300, track=True, background=False)
    def authors() -> int:
        return Author.objects.count()

    assert authors() == 0
    author = Author.objects.create(name="ann")  # INSERT ... RETURNING where supported
    Item.objects.create(name="one", price=1, author=author)  # its author row is there
    assert authors() == 1  # and the insert purged the count
