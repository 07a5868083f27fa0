"""The RSS source against a fake feed server on loopback: conditional GET, entries emitted once
across polls and restarts, malformed documents skipped, retries with backoff and Retry-After,
one request at a time, and the whole path through the runner into the database."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest

from crowdwall.exceptions import SourceError
from crowdwall.models import Post, Source, Wall
from crowdwall.sources import adapter_for
from crowdwall.sources.base import Batch, Cursor
from crowdwall.sources.rss import FeedCursor, RSSSource, retry_after
from crowdwall.sources.runner import StreamRunner
from crowdwall.sources.webhook import WebhookSource
from tests.crowdwall.fakes.feeds import FeedServer, atom_id


class Enough(Exception):
    """Raised by ``Sleeps`` to end a stream that would otherwise poll forever."""


class Sleeps:
    """The adapter's injected ``sleep``: records each delay and returns at once; after
    ``stop_after`` sleeps it ends the stream; ``on_sleep(n)`` runs before the n-th return."""

    def __init__(self, stop_after: int, on_sleep: Callable[[int], None] | None = None) -> None:
        self.delays: list[float] = []
        self.stop_after = stop_after
        self.on_sleep = on_sleep

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        if self.on_sleep is not None:
            self.on_sleep(len(self.delays))
        if len(self.delays) >= self.stop_after:
            raise Enough
        await asyncio.sleep(0)


@pytest.fixture(params=["rss", "atom", "json"])
def feed(request) -> Iterator[FeedServer]:
    with FeedServer(format=request.param) as server:
        yield server


def source(feed: FeedServer, sleep: Sleeps | None = None, **config) -> RSSSource:
    limit = config.pop("limit", None)
    config = {"url": feed.url, "poll_interval": 0.0, "timeout": 5.0, **config}
    return RSSSource(name="feed", config=config, sleep=sleep or Sleeps(1000), limit=limit)


def entry_id(feed: FeedServer, id: str) -> str:
    return atom_id(id) if feed.format == "atom" else id


def ids(feed: FeedServer, batches: list[Batch]) -> list[str]:
    prefix = entry_id(feed, "")
    return [p.external_id.removeprefix(prefix) for b in batches for p in b.posts]


def poll(adapter: RSSSource, cursor: Cursor | str = "", **kwargs) -> Batch | None:
    async def run() -> Batch | None:
        try:
            return await adapter.poll(Cursor(str(cursor)), **kwargs)
        finally:
            await adapter.aclose()

    return asyncio.run(run())


def collect(adapter: RSSSource, cursor: Cursor | str = "") -> list[Batch]:
    """Batches streamed until the adapter's ``Sleeps`` says enough (or the limit ends it)."""
    batches: list[Batch] = []

    async def run() -> None:
        try:
            async for batch in adapter.stream(Cursor(str(cursor))):
                batches.append(batch)
        except Enough:
            pass
        finally:
            await adapter.aclose()

    asyncio.run(run())
    return batches


def add_entries(feed: FeedServer, *numbers: int) -> None:
    for n in numbers:
        feed.add(
            f"e{n}",
            title=f"Title {n}",
            html=f"<p>Body of entry {n}</p>",
            published=f"2023-06-05T14:{n:02d}:00Z",
        )


# Polling ------------------------------------------------------------------------------------


def test_first_poll_emits_every_entry_oldest_first_with_a_cursor(feed):
    add_entries(feed, 1, 2, 3)
    batch = poll(source(feed))
    assert ids(feed, [batch]) == ["e1", "e2", "e3"]  # the feed lists them newest first
    assert batch.posts[0].html == "<p><strong>Title 1</strong></p><p>Body of entry 1</p>"
    cursor = json.loads(batch.cursor.value)
    assert cursor["etag"] == feed.etag and cursor["modified"] == feed.modified
    assert [key for key, _ in cursor["seen"]] == [entry_id(feed, f"e{n}") for n in (1, 2, 3)]


def test_conditional_get_sends_the_validators_and_a_304_yields_nothing(feed):
    add_entries(feed, 1)
    first = poll(source(feed))
    assert "if-none-match" not in feed.requests[0].headers
    assert poll(source(feed), first.cursor) is None
    assert feed.statuses() == [200, 304]
    assert feed.requests[1].headers["if-none-match"] == feed.etag
    assert feed.requests[1].headers["if-modified-since"] == feed.modified


def test_last_modified_alone_is_used_when_there_is_no_etag(feed):
    feed.etags = False
    add_entries(feed, 1)
    first = poll(source(feed))
    assert poll(source(feed), first.cursor) is None
    assert feed.statuses() == [200, 304]
    assert "if-none-match" not in feed.requests[1].headers


def test_without_validators_seen_ids_keep_old_entries_out(feed):
    feed.etags = feed.last_modified = False
    add_entries(feed, 1, 2)
    first = poll(source(feed))
    assert poll(source(feed), first.cursor) is None  # a full 200, nothing new
    add_entries(feed, 3)
    assert ids(feed, [poll(source(feed), first.cursor)]) == ["e3"]
    assert feed.statuses() == [200, 200, 200]


def test_only_new_entries_come_out_and_an_edited_one_comes_again(feed):
    add_entries(feed, 1, 2)
    first = poll(source(feed))
    add_entries(feed, 3)
    feed.edit("e1", html="<p>Body of entry 1, corrected</p>")
    second = poll(source(feed), first.cursor)
    assert ids(feed, [second]) == ["e1", "e3"]
    assert "corrected" in second.posts[0].html


def test_undated_entries_are_backlog_on_the_first_read_and_news_later(feed):
    add_entries(feed, 1, 2)
    feed.add("u1", title="Undated 1", html="<p>No date</p>")
    first = poll(source(feed))
    undated = {p.external_id: p for p in first.posts}[entry_id(feed, "u1")]
    assert undated.date_estimated
    assert undated.created_at == datetime(2023, 6, 5, 14, 1, tzinfo=UTC)  # the oldest entry
    assert undated.created_at == min(p.created_at for p in first.posts)  # not on top
    before = datetime.now(UTC)
    feed.add("u2", title="Undated 2", html="<p>No date either</p>")
    (news,) = poll(source(feed), first.cursor).posts
    assert news.external_id == entry_id(feed, "u2")
    assert news.date_estimated
    assert before <= news.created_at <= datetime.now(UTC)  # new since the last poll: news


def test_a_stream_restarted_from_its_cursor_neither_repeats_nor_misses(feed):
    add_entries(feed, 1, 2)
    first_run = collect(source(feed, Sleeps(stop_after=3)))  # 200, then two 304s
    assert ids(feed, first_run) == ["e1", "e2"]
    add_entries(feed, 3, 4)  # arrive while the source is down
    second_run = collect(source(feed, Sleeps(stop_after=2)), first_run[-1].cursor)
    assert ids(feed, second_run) == ["e3", "e4"]
    assert feed.statuses() == [200, 304, 304, 200, 304]
    assert feed.requests[3].headers["if-none-match"] == '"rev-2"'


def test_a_limit_cuts_the_read_short_and_the_next_poll_gets_the_rest(feed):
    add_entries(feed, 1, 2, 3, 4, 5)
    first = poll(source(feed), limit=2)
    assert ids(feed, [first]) == ["e1", "e2"]
    assert json.loads(first.cursor.value)["etag"] == ""  # not a complete read
    rest = poll(source(feed), first.cursor)
    assert ids(feed, [rest]) == ["e3", "e4", "e5"]
    assert feed.requests[1].headers.get("if-none-match") is None


def test_stream_stops_at_the_limit(feed):
    add_entries(feed, 1, 2, 3)
    batches = collect(source(feed, limit=2))
    assert ids(feed, batches) == ["e1", "e2"]
    assert len(feed.requests) == 1


def test_the_seen_list_is_bounded_but_keeps_every_entry_still_in_the_feed(feed):
    feed.max_items = 4
    adapter = source(feed)
    adapter.max_seen = 6
    cursor = ""
    for n in range(1, 11):
        add_entries(feed, n)
        cursor = poll(adapter, cursor).cursor
    seen = [key for key, _ in json.loads(cursor.value)["seen"]]
    assert seen == [entry_id(feed, f"e{n}") for n in range(5, 11)]
    small = source(feed)
    small.max_seen = 2  # smaller than the feed: the feed's entries are all kept
    assert len(json.loads(poll(small).cursor.value)["seen"]) == 4


def test_an_unreadable_cursor_starts_over_with_a_warning(feed, caplog):
    add_entries(feed, 1)
    assert ids(feed, [poll(source(feed), "{not json")]) == ["e1"]
    assert "Unreadable RSS cursor" in caplog.text
    assert FeedCursor.load(Cursor("")) == FeedCursor()


# Bad documents and failures -----------------------------------------------------------------


@pytest.mark.parametrize("kind", ["truncated", "garbage"])
def test_a_malformed_document_is_skipped_with_its_reason_and_read_again_later(feed, kind, caplog):
    caplog.set_level(logging.WARNING, logger="crowdwall.sources.rss")
    add_entries(feed, 1)
    first = poll(source(feed))
    add_entries(feed, 2, 3)
    feed.malformed = kind
    assert poll(source(feed), first.cursor) is None  # the cursor does not move
    assert f"Feed {feed.url} skipped" in caplog.text
    feed.malformed = None
    assert ids(feed, [poll(source(feed), first.cursor)]) == ["e2", "e3"]


def test_429_waits_at_least_retry_after_then_recovers(feed):
    add_entries(feed, 1)
    feed.fail(429, retry_after="120")
    sleeps = Sleeps(stop_after=2)
    batches = collect(source(feed, sleeps))
    assert ids(feed, batches) == ["e1"]
    assert sleeps.delays[0] >= 120  # the server asked for two minutes
    assert sleeps.delays[1] == 0.0  # then the normal interval
    assert feed.statuses() == [429, 200]


def test_retry_after_as_an_http_date():
    from datetime import UTC, datetime

    now = datetime(2025, 5, 14, 9, 0, tzinfo=UTC)
    assert retry_after("Wed, 14 May 2025 09:01:30 GMT", now) == 90
    assert retry_after("Wed, 14 May 2025 08:00:00 GMT", now) == 0  # in the past: at once
    assert retry_after("86400000", now) == 3600  # capped at an hour
    assert retry_after("soon", now) is None
    assert retry_after(None) is None


def test_5xx_are_retried_with_growing_backoff_that_resets_after_a_success(feed, caplog):
    add_entries(feed, 1)
    feed.fail(500, times=2)
    feed.fail(503, times=1)
    sleeps = Sleeps(stop_after=5)
    adapter = source(feed, sleeps)
    batches = collect(adapter)
    assert ids(feed, batches) == ["e1"]
    assert feed.statuses()[:4] == [500, 500, 503, 200]
    retries = sleeps.delays[:3]
    assert retries[0] <= 5 < retries[2]  # 2.5-5 s, 5-10 s, 10-20 s: equal jitter
    assert sleeps.delays[3] == 0.0  # the interval after the success
    assert adapter.failures == 3
    assert "retrying in" in caplog.text


def test_a_dropped_connection_is_retried(feed):
    add_entries(feed, 1)
    feed.drop()
    batches = collect(source(feed, Sleeps(stop_after=2)))
    assert ids(feed, batches) == ["e1"]
    assert feed.statuses() == [None, 200]


def test_a_slow_feed_times_out_and_is_retried(feed):
    add_entries(feed, 1)
    gate = feed.hold()  # the first request hangs until the adapter has given up on it
    sleeps = Sleeps(stop_after=2, on_sleep=lambda n: gate.set())
    batches = collect(source(feed, sleeps, timeout=0.2))
    assert ids(feed, batches) == ["e1"]
    assert len(feed.requests) == 2 and feed.requests[1].status == 200


def test_a_feed_that_is_gone_stops_the_source(feed):
    feed.fail(410)
    with pytest.raises(SourceError, match="gone"):
        collect(source(feed))


def test_requests_never_overlap(feed):
    add_entries(feed, 1)
    adapter = source(feed)
    gate = feed.hold()

    async def run() -> list[Batch | None]:
        # Three callers at once; the first request is held by the server.
        tasks = [asyncio.create_task(adapter.poll(Cursor(""))) for _ in range(3)]
        await asyncio.to_thread(feed.wait_for_requests, 1)
        gate.set()
        try:
            return await asyncio.gather(*tasks)
        finally:
            await adapter.aclose()

    results = asyncio.run(run())
    assert all(r is not None for r in results)
    assert feed.max_in_flight == 1
    for before, after in zip(feed.requests, feed.requests[1:], strict=False):
        assert after.started >= before.finished


def test_stream_polls_one_request_after_another(feed):
    add_entries(feed, 1)
    collect(source(feed, Sleeps(stop_after=6)))
    assert len(feed.requests) == 6
    assert feed.max_in_flight == 1


# Registry, backfill and the runner ----------------------------------------------------------


@pytest.mark.django_db
def test_the_kinds_registry_builds_the_adapters(wall):
    rss = Source.objects.create(
        wall=wall, name="blog", kind="rss", config={"url": "https://b.example/f"}
    )
    adapter = adapter_for(rss)
    assert isinstance(adapter, RSSSource)
    assert (adapter.url, adapter.interval, adapter.timeout) == ("https://b.example/f", 300.0, 20.0)
    hook = Source.objects.create(wall=wall, name="hook", kind="webhook", secret="s")
    webhook = adapter_for(hook)
    assert isinstance(webhook, WebhookSource)

    async def drain() -> list[Batch]:
        return [b async for b in webhook.stream(Cursor(""))]

    assert asyncio.run(drain()) == []  # pushed, not pulled: nothing to stream


def test_backfill_reads_the_current_feed_without_moving_the_cursor(feed):
    add_entries(feed, 1, 2)
    adapter = source(feed)

    async def run() -> list[Batch]:
        try:
            return [b async for b in adapter.backfill(Cursor(""))]
        finally:
            await adapter.aclose()

    (batch,) = asyncio.run(run())
    assert ids(feed, [batch]) == ["e1", "e2"]
    assert batch.cursor is None


@pytest.mark.django_db(transaction=True)
def test_through_the_runner_posts_are_stored_once_across_restarts():
    wall = Wall.objects.create(name="Blog wall", slug="blog", hashtags=["djangocon"])
    with FeedServer(format="rss") as feed:
        feed.add(
            "hostile",
            title="Hi #DjangoCon",
            html='<p onclick="x()">Hi<script>alert(1)</script><a href="javascript:alert(2)">x</a></p>',
            published="Mon, 05 Jun 2023 06:59:00 PDT",
            categories=["Django Girls"],
        )
        add_entries(feed, 2, 3)
        blog = Source.objects.create(
            wall=wall, name="blog", kind="rss", include_all=True, config={"url": feed.url}
        )

        def run(limit: int) -> None:
            runner = StreamRunner(
                [Source.objects.select_related("wall").get(pk=blog.pk)], limit=limit
            )
            asyncio.run(runner.run())
            assert runner.stats[blog.pk].finished, runner.stats[blog.pk].error

        run(limit=3)
        add_entries(feed, 4, 5)
        run(limit=2)  # a restart: resumes from the stored cursor
        assert feed.requests[1].headers["if-none-match"] == '"rev-3"'

    stored = Post.objects.filter(source=blog).order_by("created_at")
    assert list(stored.values_list("external_id", flat=True)) == ["hostile", "e2", "e3", "e4", "e5"]
    hostile = stored[0]
    assert "<script" not in hostile.content_html and "onclick" not in hostile.content_html
    assert "javascript:" not in hostile.content_html
    assert hostile.created_at.isoformat() == "2023-06-05T13:59:00+00:00"
    assert set(hostile.hashtags) >= {"djangocon", "djangogirls"}
    cursor = json.loads(Source.objects.get(pk=blog.pk).cursor)
    assert len(cursor["seen"]) == 5
