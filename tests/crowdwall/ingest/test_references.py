"""Posts and wall entries refer to sources, authors, posts and walls without foreign-key
constraints (``crowdwall.models.locking``): ingest and deletions lock instead, and no row is
ever left pointing at nothing — deleted before a chunk, after it, or while it is being stored."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection, connections, transaction

from crowdwall.exceptions import SourceError
from crowdwall.ingest import store as store_module
from crowdwall.ingest.write import ingest
from crowdwall.models import Author, Post, PostWall, Source, Wall
from crowdwall.models.locking import lock_for_delete
from tests.crowdwall.conftest import make_post, orphans


@pytest.fixture
def second_wall(db) -> Wall:
    return Wall.objects.create(name="PyCon", slug="pycon", hashtags=["djangocon", "pycon"])


# Deleting through the ORM cascades as before ------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("victim", ["wall", "source", "author", "post"])
def test_orm_deletions_cascade_and_leave_no_orphans(store, wall, second_wall, source, victim):
    store(*(make_post() for _ in range(3)))
    assert PostWall.objects.count() == 6
    if victim == "wall":
        Wall.objects.filter(pk=second_wall.pk).delete()  # the queryset path
        assert PostWall.objects.count() == 3
    elif victim == "source":
        Source.objects.get(pk=source.pk).delete()  # the instance path
        assert not Post.objects.exists()
    elif victim == "author":
        Author.objects.get().delete()
        assert not Post.objects.exists()
    else:
        Post.objects.order_by("pk").first().delete()
        assert Post.objects.count() == 2 and PostWall.objects.count() == 4
    assert orphans() == {}


def test_deleting_a_wall_deletes_its_sources_and_their_posts(store, wall, second_wall, source):
    store(make_post())
    wall.delete()
    assert not Source.objects.exists() and not Post.objects.exists()
    assert orphans() == {}


# A chunk whose source or wall is gone ------------------------------------------------------


@pytest.mark.django_db
def test_posts_of_a_deleted_source_are_refused_and_nothing_is_stored(source):
    source_id = source.pk
    Source.objects.filter(pk=source_id).delete()
    with pytest.raises(SourceError, match="was deleted"):
        ingest(source_id, [make_post()])
    assert not Post.objects.exists() and not Author.objects.exists()
    assert orphans() == {}


@pytest.mark.django_db
def test_a_wall_deleted_after_matching_is_left_out_and_the_chunk_stored(
    store, wall, second_wall, monkeypatch, caplog
):
    """The walls are loaded before the chunk's transaction: one deleted in between is noticed
    under the lock, and the chunk is matched again with the walls that are left."""
    real = store_module.load_wall_rules
    calls = []

    def load_then_lose_a_wall(*args: Any, **kwargs: Any) -> Any:
        rules = real(*args, **kwargs)
        if not calls:
            Wall.objects.filter(pk=second_wall.pk).delete()
        calls.append(len(rules))
        return rules

    monkeypatch.setattr(store_module, "load_wall_rules", load_then_lose_a_wall)
    with caplog.at_level(logging.WARNING, "crowdwall.ingest"):
        result = store(make_post())
    assert calls == [2, 1]
    assert result.created == 1
    assert list(PostWall.objects.values_list("wall__slug", flat=True)) == ["djangocon"]
    assert "a wall was deleted" in caplog.text
    assert orphans() == {}


# Concurrent deletions (PostgreSQL: row locks; SQLite has one writer at a time) ------------


@pytest.fixture
def server_database(transactional_db: None) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks between concurrent transactions")


def _in_thread(work: Callable[[], Any]) -> tuple[threading.Thread, dict[str, Any]]:
    """Run ``work`` in a thread with its own database connection; its result or error lands
    in the returned dict."""
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            out["result"] = work()
        except BaseException as exc:  # handed to the test's thread
            out["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, out


def _wait_for_a_lock_wait(timeout: float = 20.0) -> None:
    """Until another backend waits for a row lock (PostgreSQL reports it): the deletion or
    the chunk we started is blocked where we expect it."""
    deadline = threading.Event()
    timer = threading.Timer(timeout, deadline.set)
    timer.start()
    try:
        while not deadline.is_set():
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND datname = current_database()"
                )
                if cursor.fetchone()[0]:
                    return
            deadline.wait(0.02)
        raise AssertionError("nothing waited for a lock")
    finally:
        timer.cancel()


@pytest.fixture
def paused_chunk(monkeypatch) -> Iterator[dict[str, threading.Event]]:
    """Ingest stops inside its transaction right after inserting the wall entries (its rows
    are written, not committed) until ``release`` is set."""
    events = {"inside": threading.Event(), "release": threading.Event()}
    real = store_module.insert_rows

    def insert_then_wait(model: Any, *args: Any, **kwargs: Any) -> int:
        count = real(model, *args, **kwargs)
        if model is PostWall:
            events["inside"].set()
            assert events["release"].wait(30)
        return count

    monkeypatch.setattr(store_module, "insert_rows", insert_then_wait)
    yield events
    events["release"].set()


@pytest.mark.usefixtures("server_database")
@pytest.mark.parametrize("victim", ["source", "wall"])
def test_a_deletion_during_a_chunk_waits_for_it_and_takes_its_rows_too(
    wall, second_wall, source, paused_chunk, victim
):
    chunk, stored = _in_thread(lambda: ingest(source.pk, [make_post(), make_post()]))
    assert paused_chunk["inside"].wait(20)
    if victim == "source":
        deletion, deleted = _in_thread(lambda: Source.objects.get(pk=source.pk).delete())
    else:
        deletion, deleted = _in_thread(lambda: Wall.objects.filter(pk=second_wall.pk).delete())
    _wait_for_a_lock_wait()  # the deletion waits for the chunk's commit
    paused_chunk["release"].set()
    chunk.join(20)
    deletion.join(20)
    assert "error" not in stored and "error" not in deleted
    assert stored["result"].created == 2
    if victim == "source":
        assert not Post.objects.exists()
    else:
        assert set(PostWall.objects.values_list("wall_id", flat=True)) == {wall.pk}
    assert orphans() == {}


@pytest.mark.usefixtures("server_database")
def test_a_chunk_after_a_deletion_began_waits_then_stores_nothing(wall, source):
    locked, go = threading.Event(), threading.Event()

    def delete_slowly() -> None:
        with transaction.atomic():
            lock_for_delete(Source.objects.filter(pk=source.pk))
            locked.set()
            assert go.wait(30)
            Source.objects.filter(pk=source.pk).delete()

    deletion, deleted = _in_thread(delete_slowly)
    assert locked.wait(20)
    chunk, stored = _in_thread(lambda: ingest(source.pk, [make_post()]))
    _wait_for_a_lock_wait()  # the chunk waits for the deletion
    go.set()
    deletion.join(20)
    chunk.join(20)
    assert "error" not in deleted
    assert isinstance(stored.get("error"), SourceError)
    assert not Post.objects.exists()
    assert orphans() == {}
