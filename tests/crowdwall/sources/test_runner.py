"""The stream runner: sources side by side, each batch stored with its cursor, failures isolated."""

from __future__ import annotations

import asyncio
import gc
import json
from pathlib import Path

import psycopg
import pytest
from asgiref.sync import sync_to_async
from django.db import connection
from django.db.backends.signals import connection_created

from crowdwall.demo import replay_config
from crowdwall.ingest.write import ingest
from crowdwall.models import Post, QuarantinedPost, Source, Wall
from crowdwall.sources import runner as runner_module
from crowdwall.sources.replay import DEFAULT_PATH, ReplaySource
from crowdwall.sources.runner import StreamRunner
from tests.crowdwall.conftest import POISON, make_post, orphans

pytestmark = pytest.mark.django_db(transaction=True)


def jsonl(path: Path, prefix: str, count: int) -> Path:
    lines = [
        json.dumps(
            {
                "id": f"{prefix}{i}",
                "created_at": f"2025-05-14T10:{i // 60:02d}:{i % 60:02d}Z",
                "author": {"id": f"replay:{prefix}", "handle": prefix},
                "text": f"post {i} from {prefix}",
            }
        )
        for i in range(count)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def wall() -> Wall:
    return Wall.objects.create(name="All", slug="all")


def add_source(wall: Wall, name: str, path: Path, **config) -> Source:
    return Source.objects.create(
        wall=wall,
        name=name,
        kind="replay",
        include_all=True,
        config={"path": str(path), "rate": 0, "retime": False, "batch_size": 7, **config},
    )


def run(sources: list[Source], **kwargs) -> StreamRunner:
    runner = StreamRunner(
        [Source.objects.select_related("wall").get(pk=s.pk) for s in sources], **kwargs
    )
    asyncio.run(runner.run())
    return runner


def external_ids(source: Source) -> list[str]:
    return sorted(Post.objects.filter(source=source).values_list("external_id", flat=True))


def test_sources_run_to_the_end_with_cursors_saved(wall, tmp_path):
    a = add_source(wall, "a", jsonl(tmp_path / "a.jsonl", "a", 30))
    b = add_source(wall, "b", jsonl(tmp_path / "b.jsonl", "b", 12))
    runner = run([a, b])
    assert len(external_ids(a)) == 30 and len(external_ids(b)) == 12
    assert dict(Source.objects.values_list("name", "cursor")) == {"a": "30", "b": "12"}
    assert runner.stats[a.pk].finished and runner.stats[a.pk].created == 30


def test_a_source_deleted_while_it_streams_stops_cleanly_and_the_others_go_on(
    wall, tmp_path, monkeypatch
):
    a = add_source(wall, "a", jsonl(tmp_path / "a.jsonl", "a", 30))
    b = add_source(wall, "b", jsonl(tmp_path / "b.jsonl", "b", 12))
    real, stored = runner_module._store_sync, []

    def delete_a_before_its_second_batch(source_id: int, *args):
        # In the storing thread, between two batches (SQLite's in-memory test database
        # cannot take a second writer at the same time).
        if source_id == a.pk:
            stored.append(source_id)
            if len(stored) == 2:
                Source.objects.filter(pk=a.pk).delete()  # as the admin's bulk action does
        return real(source_id, *args)

    monkeypatch.setattr(
        runner_module,
        "_store",
        sync_to_async(delete_a_before_its_second_batch, thread_sensitive=True),
    )
    runner = run([a, b])
    assert "was deleted" in runner.stats[a.pk].error
    assert not Post.objects.filter(source_id=a.pk).exists()
    assert len(external_ids(b)) == 12
    assert orphans() == {}


def test_limit_and_resume_continue_where_the_cursor_stopped(wall, tmp_path):
    a = add_source(wall, "a", jsonl(tmp_path / "a.jsonl", "a", 30))
    run([a], limit=10)
    assert Source.objects.get(pk=a.pk).cursor == "10"
    run([a], limit=15)
    assert Source.objects.get(pk=a.pk).cursor == "25"
    assert external_ids(a) == sorted(f"a{i}" for i in range(25))


def test_a_source_that_cannot_run_does_not_stop_the_others(wall, tmp_path):
    gone = add_source(wall, "gone", jsonl(tmp_path / "gone.jsonl", "g", 3))
    (tmp_path / "gone.jsonl").unlink()  # configured fine, missing at run time
    ok = add_source(wall, "ok", jsonl(tmp_path / "ok.jsonl", "o", 20))
    errors = []
    runner = run([gone, ok], on_error=lambda source, exc, delay: errors.append(source.name))
    assert len(external_ids(ok)) == 20
    assert errors == ["gone"]
    assert "bundled samples" in Source.objects.get(pk=gone.pk).last_error  # checked again
    assert not runner.stats[gone.pk].finished


def test_a_crashing_source_is_restarted_from_its_stored_cursor(
    wall, tmp_path, settings, monkeypatch
):
    settings.CROWDWALL = {
        **settings.CROWDWALL,
        "RESTART_BASE_DELAY": 0.01,
        "RESTART_MAX_DELAY": 0.02,
    }
    flaky = add_source(wall, "flaky", jsonl(tmp_path / "f.jsonl", "f", 20))
    steady = add_source(wall, "steady", jsonl(tmp_path / "s.jsonl", "s", 20))
    real = ReplaySource.record
    crashed = []

    def record(self, position, records, now):
        if self.name == "flaky" and position == 9 and not crashed:
            crashed.append(position)
            raise RuntimeError("adapter bug")
        return real(self, position, records, now)

    monkeypatch.setattr(ReplaySource, "record", record)
    runner = run([flaky, steady])
    assert crashed == [9]
    assert runner.stats[flaky.pk].failures == 1
    assert external_ids(flaky) == sorted(f"f{i}" for i in range(20))  # no gap, no repeat
    assert len(external_ids(steady)) == 20
    assert "adapter bug" in runner.stats[flaky.pk].error
    assert Source.objects.get(pk=flaky.pk).last_error == ""  # recovered: cleared by the next batch


@pytest.mark.parametrize("workers", [0, 1], ids=["in-process", "prepare-worker"])
def test_stop_event_ends_a_looping_stream_after_a_stored_batch(wall, tmp_path, settings, workers):
    # With a worker taking every batch, batches read ahead are in flight when the stop comes.
    settings.CROWDWALL = {
        **settings.CROWDWALL,
        "PREPARE_PROCESSES": workers,
        "PREPARE_MIN_BATCH": 1,
    }
    looping = add_source(wall, "loop", jsonl(tmp_path / "l.jsonl", "l", 5), loop=True, rate=500)
    runner = StreamRunner([Source.objects.select_related("wall").get(pk=looping.pk)])
    stop = asyncio.Event()
    runner.on_batch = lambda source, result, stats: stop.set() if stats.posts >= 40 else None

    asyncio.run(runner.run(stop))
    cursor = int(Source.objects.get(pk=looping.pk).cursor)
    assert cursor >= 40
    # Everything up to the cursor, nothing read ahead beyond it.
    assert Post.objects.filter(source=looping).count() == cursor


def test_backfill_mode_reads_to_the_end(wall, tmp_path):
    a = add_source(wall, "a", jsonl(tmp_path / "a.jsonl", "a", 18), rate=0.001)
    run([a], mode="backfill")
    assert Source.objects.get(pk=a.pk).cursor == "18"


def test_the_heap_is_frozen_once_before_the_first_batch(wall, tmp_path, monkeypatch):
    """What exists before streaming starts is moved out of the garbage collector's way (fewer
    objects scanned per collection while ingesting), once per process."""
    calls: list[str] = []
    monkeypatch.setattr(runner_module, "_frozen", False)
    monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
    source = add_source(wall, "a", jsonl(tmp_path / "a.jsonl", "a", 3))
    run([source], mode="backfill")
    run([source], mode="backfill")
    assert calls == ["freeze"]
    assert external_ids(source) == ["a0", "a1", "a2"]


def test_garbage_collection_pauses_while_a_batch_is_stored(wall, tmp_path, published):
    """Collections during a batch would only rescan its live objects; the collector is back on
    after every batch, and left off if it was off before."""
    seen: list[bool] = []
    published.subscribe(lambda event: seen.append(gc.isenabled()))  # runs inside the batch
    source = add_source(wall, "a", jsonl(tmp_path / "a.jsonl", "a", 10))  # two batches of 7
    run([source], mode="backfill")
    assert seen == [False] * 10
    assert gc.isenabled()
    gc.disable()
    try:
        Source.objects.filter(pk=source.pk).update(cursor="")
        Post.objects.all().delete()
        run([source], mode="backfill")
        assert not gc.isenabled()
    finally:
        gc.enable()
    assert seen == [False] * 20


def test_an_adapter_that_cancels_itself_is_restarted_not_left_waiting(
    wall, tmp_path, settings, monkeypatch
):
    settings.CROWDWALL = {
        **settings.CROWDWALL,
        "RESTART_BASE_DELAY": 0.01,
        "RESTART_MAX_DELAY": 0.02,
    }
    odd = add_source(wall, "odd", jsonl(tmp_path / "o.jsonl", "o", 20))
    real = ReplaySource.record
    cancelled: list[int] = []

    def record(self, position, records, now):
        if position == 9 and not cancelled:
            cancelled.append(position)
            raise asyncio.CancelledError  # e.g. a library's timeout leaking out
        return real(self, position, records, now)

    monkeypatch.setattr(ReplaySource, "record", record)
    runner = StreamRunner([Source.objects.select_related("wall").get(pk=odd.pk)])
    asyncio.run(asyncio.wait_for(runner.run(), 60))  # a source left waiting fails, not hangs
    assert cancelled == [9] and runner.stats[odd.pk].failures == 1
    assert external_ids(odd) == sorted(f"o{i}" for i in range(20))


@pytest.fixture
def connects():
    """The database connections opened while the test runs (thread, backend pid if any)."""
    opened: list[int | None] = []

    def note(sender, connection, **kwargs):
        info = getattr(connection.connection, "info", None)  # psycopg's; SQLite has none
        opened.append(getattr(info, "backend_pid", None))

    connection_created.connect(note)
    yield opened
    connection_created.disconnect(note)


@pytest.fixture
def server_database():
    if connection.vendor != "postgresql":  # SQLite's in-memory test database never closes
        pytest.skip("a database server's connections")


@pytest.mark.usefixtures("server_database")
def test_one_database_connection_serves_every_batch(wall, tmp_path, connects):
    """A stream is not a request: it keeps its connection from batch to batch (with Django's
    default CONN_MAX_AGE = 0 it used to reconnect for each one, ~8 ms of PostgreSQL's CPU)."""
    source = add_source(wall, "a", jsonl(tmp_path / "a.jsonl", "a", 30))  # five batches
    runner = run([source], mode="backfill")
    assert runner.stats[source.pk].batches == 5
    assert len(connects) == 1


@pytest.mark.usefixtures("server_database")
def test_a_positive_conn_max_age_still_recycles_the_connection(
    wall, tmp_path, connects, monkeypatch
):
    source = add_source(wall, "a", jsonl(tmp_path / "a.jsonl", "a", 14))  # two batches
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 1e-9)  # old at once
    run([source], mode="backfill")
    assert len(connects) == 3  # reading the cursor, then one for each batch
    assert external_ids(source) == sorted(f"a{i}" for i in range(14))


@pytest.mark.usefixtures("server_database")
def test_a_connection_dropped_between_batches_is_replaced_not_a_failed_batch(
    wall, tmp_path, connects
):
    """The database restarted, or a proxy closed the idle connection: the next batch notices
    before it starts and reconnects."""
    source = add_source(wall, "a", jsonl(tmp_path / "a.jsonl", "a", 21))  # three batches

    def drop(source: Source, result, stats) -> None:
        if stats.batches == 1:
            with psycopg.connect(**connection.get_connection_params()) as admin:
                gone = admin.execute(
                    "SELECT pg_terminate_backend(%s, 10000)", [connects[-1]]
                ).fetchone()
            assert gone == (True,)

    runner = run([source], mode="backfill", on_batch=drop)
    stats = runner.stats[source.pk]
    assert stats.failures == 0 and stats.error == ""
    assert len(connects) == 2 and connects[0] != connects[1]
    assert external_ids(source) == sorted(f"a{i}" for i in range(21))


@pytest.mark.usefixtures("poisoned")
def test_a_post_that_fails_to_store_is_quarantined_and_the_source_keeps_running(wall, tmp_path):
    """The issue's halted stream: the poisoned post's batch used to fail again and again."""
    path = jsonl(tmp_path / "a.jsonl", "a", 20)
    lines = path.read_text().splitlines()
    lines[9] = lines[9].replace('"a9"', f'"{POISON}9"')  # in the second batch of 7
    path.write_text("\n".join(lines) + "\n")
    a = add_source(wall, "a", path)
    errors = []
    runner = run([a], on_error=lambda source, exc, delay: errors.append(exc))
    assert errors == [] and runner.stats[a.pk].finished
    assert (runner.stats[a.pk].created, runner.stats[a.pk].quarantined) == (19, 1)
    assert external_ids(a) == sorted(f"a{i}" for i in range(20) if i != 9)
    assert list(QuarantinedPost.objects.values_list("source_id", "external_id")) == [
        (a.pk, f"{POISON}9")
    ]
    assert Source.objects.get(pk=a.pk).cursor == "20"


def test_a_looping_demo_replay_prunes_the_posts_it_deleted_as_it_goes(wall, monkeypatch):
    """Issue 17: the demo's replay deletes each post again ``keep`` lines later; the erased rows
    that leaves are removed while it runs (every ``batch_size`` deletions), so over three laps
    the database holds at most ``keep`` posts and one batch — and never loses another source's
    posts, erased or not."""
    real = Source.objects.create(wall=wall, name="real", kind="replay", include_all=True)
    ingest(real, [make_post(1), make_post(2)])
    ingest(real, [{"id": "2", "action": "delete"}])  # erased, kept: a real deletion's memory
    keep, batch_size = 40, 25
    config = {**replay_config(site_url="http://127.0.0.1:8001", rate=0), "keep": keep}
    demo = Source.objects.create(
        wall=wall, name="demo", kind="replay", include_all=True,
        config={**config, "batch_size": batch_size},
    )  # fmt: skip
    laps = 3 * len(DEFAULT_PATH.read_text(encoding="utf-8").splitlines())
    counts: list[int] = []

    def store_and_count(*args):
        result = runner_module._store_sync(*args)
        counts.append(Post.objects.filter(source=demo).count())
        return result

    monkeypatch.setattr(
        runner_module, "_store", sync_to_async(store_and_count, thread_sensitive=True)
    )
    run([demo], limit=laps, prepare_processes=0)
    assert Source.objects.get(pk=demo.pk).cursor == str(laps)  # three laps went through
    assert len(counts) >= laps // batch_size
    assert max(counts) <= keep + batch_size, counts
    assert Post.objects.filter(source=demo, deleted_at=None).count() <= keep
    assert sorted(Post.objects.filter(source=real).values_list("external_id", flat=True)) == [
        "1",
        "2",
    ]
    assert orphans() == {}
