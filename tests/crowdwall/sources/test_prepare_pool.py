"""Batches prepared in worker processes: same result as in process, and a dead worker costs only
speed."""

from __future__ import annotations

import asyncio
import logging
import os
import pickle
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from crowdwall.ingest.items import JSONText
from crowdwall.ingest.normalize import (
    IncomingAuthor,
    IncomingMedia,
    IncomingPost,
    Limits,
)
from crowdwall.ingest.prepare import Prepared, PreparedBatch, prepare_batch
from crowdwall.ingest.wire import positional_pickle
from crowdwall.models import Post, Source, Wall
from crowdwall.sources.bluesky_records import JetstreamPost
from crowdwall.sources.prepare_pool import PreparePool
from tests.crowdwall.sources.test_runner import add_source, external_ids, jsonl, run

NOW = datetime(2025, 5, 14, 12, 0, tzinfo=UTC)
LIMITS = Limits(max_post_bytes=100_000, max_text_length=5_000, max_media=8, future_tolerance=300)

ITEMS: list = [
    {
        "id": "1",
        "created_at": "2025-05-14T10:00:00Z",
        "author": {"id": "replay:ann", "handle": "ann", "display_name": "Ann Ünicode"},
        "html": '<p>Hello <a href="https://x.example/">#DjangoCon</a><script>alert(1)</script></p>',
        "tags": ["DjangoCon"],
        "media": [{"url": "https://m.example/1.jpg", "type": "image", "alt": "a cat"}],
        "spoiler_text": "cw",
        "language": "en",
        "card": {"url": "https://l.example/", "title": "A link", "image": "https://l.example/i"},
        "poll": {"options": [{"title": "yes", "votes": 2}, {"title": "no", "votes": 1}]},
        "quote": {"url": "https://q.example/@bo/1", "handle": "bo", "text": "quoted"},
    },
    {"id": "2", "created_at": "not a date", "author": {"id": "replay:bo", "handle": "bo"}},
    IncomingPost(
        external_id="3",
        author=IncomingAuthor(id="did:plc:abc", handle="cy.example", is_bot=True),
        text="plain #Straße text",
        created_at=datetime(2025, 5, 14, 9, 0, tzinfo=UTC),
        hashtags=("python",),
        media=(IncomingMedia(url="https://m.example/2.png", alt="chart"),),
        boosts_count=3,
        date_estimated=True,
    ),
    {"id": "9", "action": "delete"},
    IncomingPost.deletion("4"),
]
ITEMS.append(ITEMS[2])  # a repeat: counted as a duplicate
ITEMS.append(
    JSONText(
        '{"id": "5", "created_at": "2025-05-14T10:05:00Z", "text": "as text", '
        '"author": {"id": "replay:di", "handle": "di"}}',
        "f.jsonl line 1",
    )
)
ITEMS.append(JSONText("{not json", "f.jsonl line 2"))
ITEMS.append(  # a Jetstream post, converted in the worker
    JetstreamPost(
        "did:plc:ann2345ann2345ann2345an",
        "3kabc",
        {"text": "from #Bluesky", "createdAt": "2025-05-14T10:06:00Z", "langs": ["en"]},
        1_747_217_160_000_000,
        handle="ann.example",
    )
)


def shape(batch: PreparedBatch) -> list:
    """Everything ``store_batch`` reads from a prepared batch, as comparable values."""
    out: list = [batch.duplicates, [(r.external_id, r.reason, r.detail) for r in batch.rejected]]
    for entry in batch.entries:
        if isinstance(entry, Prepared):
            m = entry.matching()
            out.append(
                (
                    entry.post,
                    entry.html,
                    entry.text,
                    entry.hashtags,
                    entry.media,
                    entry.fingerprint,
                    (m.source_id, m.body.text, m.body.folded, m.hashtags, m.author_id),
                    (m.author_handle, m.name.text, m.language, m.is_reply, m.is_bot, m.sensitive),
                )
            )
        else:
            out.append(entry)
    return out


def test_prepared_batches_survive_pickling_field_for_field():
    batch = prepare_batch(7, ITEMS, now=NOW, limits=LIMITS)
    copy = pickle.loads(pickle.dumps(batch, protocol=pickle.HIGHEST_PROTOCOL))
    assert shape(copy) == shape(batch)
    assert batch.duplicates == 1 and [r.external_id for r in batch.rejected] == ["2", ""]
    assert batch.rejected[1].detail.startswith("f.jsonl line 2: ")
    assert [type(e) for e in copy.entries] == [
        Prepared,
        IncomingPost,
        IncomingPost,
        Prepared,
        Prepared,
        Prepared,
    ]
    assert "<script>" not in copy.entries[0].html
    assert copy.entries[3].post.date_estimated  # the flag crosses to and from workers
    haystack = copy.entries[3].matching().body
    assert haystack.words(False) == frozenset({"plain", "strasse", "text"})  # lazily, as before


def test_positional_pickle_refuses_classes_it_cannot_rebuild():
    with pytest.raises(TypeError, match="all set by __init__"):

        @positional_pickle
        @dataclass
        class Derived:
            a: int
            b: int = field(init=False, default=0)


def test_a_worker_prepares_exactly_what_the_process_would():
    async def in_worker() -> PreparedBatch:
        pool = PreparePool(1, min_batch=1)
        try:
            future = pool.submit(7, ITEMS, now=NOW, limits=LIMITS)
            assert future is not None
            result = await pool.result(future)
            assert result is not None
            return result
        finally:
            pool.close()

    assert shape(asyncio.run(in_worker())) == shape(prepare_batch(7, ITEMS, now=NOW, limits=LIMITS))


def test_small_batches_and_no_workers_stay_in_process():
    async def check() -> None:
        assert PreparePool(1, min_batch=10).submit(7, ITEMS, now=NOW, limits=LIMITS) is None
        assert PreparePool(0, min_batch=1).submit(7, ITEMS, now=NOW, limits=LIMITS) is None

    asyncio.run(check())


class _KillsTheWorker:
    """Unpickled in the worker, it ends that process at once (as a crash would)."""

    def __reduce__(self):
        return os._exit, (3,)


def test_a_dead_worker_means_in_process_preparation_for_a_while(caplog):
    async def check() -> None:
        pool = PreparePool(1, min_batch=1)
        try:
            future = pool.submit(7, [_KillsTheWorker()], now=NOW, limits=LIMITS)
            assert future is not None
            with caplog.at_level(logging.ERROR, logger="crowdwall.sources"):
                assert await pool.result(future) is None
            assert "prepared in process" in caplog.text
            # For a while, batches are not handed to workers at all.
            assert pool.submit(7, ITEMS, now=NOW, limits=LIMITS) is None
        finally:
            pool.close()

    asyncio.run(check())


def test_a_batch_cancelled_by_a_pool_shutdown_is_prepared_in_process_instead():
    """When one batch fails, the pool is shut down and cancels what waits behind it: those
    come back as "prepare in process" (None), not as a cancellation of the source's task."""

    async def check() -> None:
        pool = PreparePool(1, min_batch=1)
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        future.cancel()  # what ProcessPoolExecutor.shutdown(cancel_futures=True) does
        assert await pool.result(future) is None

    asyncio.run(check())


def test_cancelling_the_task_that_waits_for_a_batch_still_cancels_it():
    async def check() -> None:
        pool = PreparePool(1, min_batch=1)
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        waiting = asyncio.create_task(pool.result(future))
        await asyncio.sleep(0)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting

    asyncio.run(check())


# The runner with workers: big batches (here: every batch) prepared in a worker process while
# the previous one is stored.

pytestmark_db = pytest.mark.django_db(transaction=True)


@pytest.fixture
def wall() -> Wall:
    return Wall.objects.create(name="All", slug="all")


@pytest.fixture
def with_workers(settings):
    settings.CROWDWALL = {**settings.CROWDWALL, "PREPARE_MIN_BATCH": 1, "PREPARE_PROCESSES": 1}


@pytestmark_db
@pytest.mark.parametrize("workers", [1, 2])
def test_the_runner_stores_worker_prepared_batches_in_order_with_cursors(
    wall, tmp_path, settings, workers
):
    settings.CROWDWALL = {
        **settings.CROWDWALL,
        "PREPARE_MIN_BATCH": 1,
        "PREPARE_PROCESSES": workers,
    }
    a = add_source(wall, "a", jsonl(tmp_path / "a.jsonl", "a", 60))
    b = add_source(wall, "b", jsonl(tmp_path / "b.jsonl", "b", 25))
    runner = run([a, b])
    assert runner.pool.prepared > 0  # batches really went through a worker
    assert external_ids(a) == sorted(f"a{i}" for i in range(60))
    assert external_ids(b) == sorted(f"b{i}" for i in range(25))
    assert dict(Source.objects.values_list("name", "cursor")) == {"a": "60", "b": "25"}
    assert runner.stats[a.pk].created == 60 and runner.stats[a.pk].batches == 9
    texts = dict(Post.objects.filter(source=a).values_list("external_id", "text"))
    assert texts["a59"] == "post 59 from a"


@pytestmark_db
def test_worker_and_in_process_runs_store_the_same_rows(wall, tmp_path, settings):
    def stored(processes: int) -> list:
        Post.objects.all().delete()
        Source.objects.all().delete()
        source = add_source(wall, f"s{processes}", jsonl(tmp_path / "s.jsonl", "s", 40))
        settings.CROWDWALL = {
            **settings.CROWDWALL,
            "PREPARE_MIN_BATCH": 1,
            "PREPARE_PROCESSES": processes,
        }
        run([source])
        fields = ("external_id", "text", "content_html", "fingerprint", "hashtags", "created_at")
        return list(Post.objects.order_by("external_id").values_list(*fields))

    assert stored(1) == stored(0)


@pytestmark_db
def test_a_source_failure_comes_after_the_batches_read_before_it(
    wall, tmp_path, with_workers, settings, monkeypatch
):
    from crowdwall.sources.replay import ReplaySource

    settings.CROWDWALL = {
        **settings.CROWDWALL,
        "RESTART_BASE_DELAY": 0.01,
        "RESTART_MAX_DELAY": 0.02,
    }
    flaky = add_source(wall, "flaky", jsonl(tmp_path / "f.jsonl", "f", 40))
    real = ReplaySource.record
    crashed: list[int] = []

    def record(self, position, records, now):
        if position == 30 and not crashed:
            crashed.append(position)
            raise RuntimeError("adapter bug")
        return real(self, position, records, now)

    monkeypatch.setattr(ReplaySource, "record", record)
    runner = run([flaky])
    assert crashed == [30] and runner.stats[flaky.pk].failures == 1
    assert external_ids(flaky) == sorted(f"f{i}" for i in range(40))  # no gap, no repeat
    assert runner.stats[flaky.pk].created == 40


@pytest.mark.parametrize(("cores", "workers"), [(1, 0), (2, 1), (3, 2), (16, 2), (None, 0)])
def test_by_default_a_worker_per_core_beyond_the_first_two_at_most(
    settings, monkeypatch, cores, workers
):
    from crowdwall.conf import conf

    settings.CROWDWALL = {}
    monkeypatch.setattr(os, "cpu_count", lambda: cores)
    assert workers == conf.PREPARE_PROCESSES
    settings.CROWDWALL = {**settings.CROWDWALL, "PREPARE_PROCESSES": 3}
    assert conf.PREPARE_PROCESSES == 3
