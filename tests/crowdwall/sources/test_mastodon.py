"""The Mastodon source against a fake Mastodon server speaking the real wire protocol: paging,
resuming, streaming with catch-up across disconnects, rate limits, retries, malformed data.

The fake's ids start at 95, so every scenario crosses from two-digit to three-digit ids, where
comparing ids as plain strings would go wrong ("99" > "100")."""

from __future__ import annotations

import asyncio
import itertools
import json
import random
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from crowdwall.exceptions import InvalidPost, SourceError
from crowdwall.ingest.normalize import DELETE, IncomingPost
from crowdwall.ingest.write import ingest
from crowdwall.models import Post, Wall
from crowdwall.sources import adapter_for
from crowdwall.sources.base import Backoff, Batch, Cursor
from crowdwall.sources.kinds import KINDS
from crowdwall.sources.mastodon import MastodonSource
from crowdwall.sources.mastodon.feeds import Feed, Positions
from crowdwall.sources.mastodon.statuses import id_key, is_newer, newest, to_post
from tests.crowdwall.fakes.asgi_server import AsgiServer
from tests.crowdwall.fakes.mastodon import FakeMastodon

TAG = "djangocon"
TOKEN = "good-token"


@pytest.fixture
def fake() -> Iterator[FakeMastodon]:
    app = FakeMastodon(token=TOKEN)
    with AsgiServer(app) as server:
        app.url, app.streaming_url = server.url, server.ws_url
        yield app


@pytest.fixture
def statuses() -> FakeMastodon:
    """The fake unserved: a factory of statuses in Mastodon's format."""
    return FakeMastodon()


def mastodon(
    fake: FakeMastodon, *, token: str = "", limit: int | None = None, **config
) -> MastodonSource:
    """An adapter with test timing: fast polls, short timeouts, tiny backoffs."""
    options = {
        "timeout": config.pop("timeout", 1.0),
        "retry_backoff": config.pop("retry_backoff", Backoff(0.01, 0.05)),
        "backoff": config.pop("backoff", Backoff(0.01, 0.05)),
    }
    config = {"instance": fake.url, "hashtags": [TAG], "poll_interval": 0.02, **config}
    return MastodonSource(name="m", config=config, secret=token, limit=limit, **options)


class Collector:
    """Runs an adapter's batches in a task; tests await conditions on what it yielded."""

    def __init__(self, batches: AsyncIterator[Batch]) -> None:
        self.batches: list[Batch] = []
        self.error: BaseException | None = None
        self._changed = asyncio.Condition()
        self._task = asyncio.create_task(self._run(batches))

    async def _run(self, batches: AsyncIterator[Batch]) -> None:
        try:
            async for batch in batches:
                self.batches.append(batch)
                async with self._changed:
                    self._changed.notify_all()
        except Exception as exc:
            self.error = exc
            async with self._changed:
                self._changed.notify_all()

    @property
    def posts(self) -> list[IncomingPost]:
        return [p for b in self.batches for p in b.posts]

    def ids(self, action: str = "upsert") -> list[str]:
        return [p.external_id for p in self.posts if p.action == action]

    async def wait_for(self, condition: Callable[[Collector], bool], timeout: float = 3.0) -> None:
        def done() -> bool:
            if self.error is not None:
                raise self.error
            return condition(self)

        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(done)

    async def count(self, n: int) -> None:
        await self.wait_for(lambda c: len(c.ids()) >= n)

    async def stop(self) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


def ids(statuses: list[dict]) -> list[str]:
    return [s["id"] for s in statuses]


def no_overlap(fake: FakeMastodon) -> bool:
    """REST requests were strictly one after another (as the server saw them)."""
    rest = sorted(fake.rest_requests("/api/"), key=lambda r: r.start)
    return fake.max_in_flight == 1 and all(
        a.end is not None and a.end <= b.start for a, b in itertools.pairwise(rest)
    )


# Ids, cursor and the status mapping --------------------------------------------------------------


def test_ids_compare_by_length_then_lexically():
    assert is_newer("100", "99") and not is_newer("99", "100") and is_newer("1", "")
    assert newest(["99", "100", "98", ""]) == "100"
    assert sorted(["100", "99", "1000", "101"], key=id_key) == ["99", "100", "101", "1000"]
    positions = Positions()
    feed = Feed("tags", TAG)
    assert positions.advance(feed, "99") and positions.advance(feed, "100")
    assert not positions.advance(feed, "99")
    assert positions.cursor() == Cursor('{"tags":{"djangocon":"100"}}')
    assert Positions.load(positions.cursor()).get(feed) == "100"


@pytest.mark.parametrize("cursor", ["not json", "[1]", '{"tags": {"x": 5}}'])
def test_a_broken_cursor_is_a_source_error(cursor):
    with pytest.raises(SourceError, match="Mastodon cursor"):
        Positions.load(Cursor(cursor))


def test_a_status_maps_to_an_incoming_post(statuses: FakeMastodon):
    fake = statuses
    bot = fake.add_account("newsbot", domain="bots.example", bot=True)
    status = fake.post(
        TAG,
        "Python",
        content="<p>Hello <script>x</script></p>",
        account=bot,
        spoiler_text="talk spoilers",
        sensitive=True,
        in_reply_to_id="96",
        language="de",
        reblogs_count=2,
        favourites_count=5,
        replies_count=1,
        edited_at="2025-05-14T11:30:00.000+02:00",
        media_attachments=[
            {"id": "1", "type": "image", "url": "https://x.example/a.png", "description": "A cat"},
            {"id": "2", "type": "gifv", "url": None, "remote_url": "https://x.example/b.mp4"},
            {
                "id": "3",
                "type": "hologram",
                "url": "https://x.example/c",
                "preview_url": "https://x.example/p",
            },
            {"id": "4", "type": "image", "url": None},
        ],
    )
    post = to_post(status, host="social.example")
    assert post.external_id == status["id"] and post.action == "upsert"
    assert post.html == "<p>Hello <script>x</script></p>"  # untrusted: sanitized downstream
    assert (post.spoiler_text, post.sensitive, post.is_reply, post.is_boost) == (
        "talk spoilers",
        True,
        True,
        False,
    )
    assert post.language == "de" and post.hashtags == ("djangocon", "python")
    assert [(m.type, m.url, m.alt) for m in post.media] == [
        ("image", "https://x.example/a.png", "A cat"),
        ("gifv", "https://x.example/b.mp4", ""),
        ("unknown", "https://x.example/c", ""),
    ]
    assert post.media[2].preview_url == "https://x.example/p"
    author = post.author
    assert author is not None
    assert author.id == "https://bots.example/users/newsbot"  # the actor URI: global
    assert author.handle == "newsbot@bots.example" and author.display_name == "Newsbot"
    assert author.is_bot and author.avatar_url.endswith("newsbot.png")
    assert author.profile_url == "https://bots.example/@newsbot"
    assert (post.boosts_count, post.favourites_count, post.replies_count) == (2, 5, 1)
    assert post.created_at is not None and post.created_at.tzinfo is not None
    assert post.created_at.utcoffset() == timedelta(0)
    assert post.edited_at == datetime(2025, 5, 14, 9, 30, tzinfo=UTC)
    assert post.url == status["url"]

    local = to_post(fake.post(TAG), host="social.example").author
    assert local is not None and local.handle == "ann@social.example"
    legacy = dict(status, account={"id": "7", "acct": "old", "username": "old"})
    assert to_post(legacy, host="social.example").author.id == "mastodon:social.example:7"  # type: ignore[union-attr]


def test_a_boost_keeps_its_own_id_and_shows_the_boosted_status(statuses: FakeMastodon):
    fake = statuses
    bob = fake.add_account("bob")
    original = fake.post(TAG, content="<p>the talk</p>", reblogs_count=3)
    boost = fake.boost(original, bob)
    post = to_post(boost, host="social.example")
    assert post.external_id == boost["id"] != original["id"]
    assert post.is_boost and post.html == "<p>the talk</p>" and post.hashtags == (TAG,)
    assert post.author is not None and post.author.handle == "ann@social.example"
    assert post.boosts_count == 3 and post.url == original["url"]
    # Who boosted it: matched against a wall's trusted accounts (crowdwall.ingest.verdicts).
    assert post.booster_handle == "bob@social.example" and post.booster_id
    assert not to_post(original, host="social.example").booster_handle


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda s: s.pop("id"), "missing field"),
        (lambda s: s.update(id=101), "wrong type"),
        (lambda s: s.pop("account"), "missing field"),
        (lambda s: s.update(account={"id": "1"}), "missing field"),
        (lambda s: s.pop("created_at"), "missing field"),
        (lambda s: s.update(created_at="yesterday-ish"), "bad date"),
        (lambda s: s.pop("content"), "missing field"),
        (lambda s: s.update(tags="python"), "wrong type"),
        (lambda s: s.update(tags=["python"]), "wrong type"),
        (lambda s: s.update(media_attachments=[1]), "wrong type"),
        (lambda s: s.update(sensitive="yes"), "wrong type"),
        (lambda s: s.update(reblog="yes"), "wrong type"),
    ],
)
def test_malformed_statuses_are_refused_with_a_reason(statuses: FakeMastodon, change, reason):
    status = json.loads(json.dumps(statuses.post(TAG)))
    change(status)
    with pytest.raises(InvalidPost) as caught:
        to_post(status, host="social.example")
    assert caught.value.reason == reason


# Polling ---------------------------------------------------------------------------------------


def test_polling_pages_forward_oldest_first_from_the_cursor(fake: FakeMastodon):
    first = fake.post(TAG)
    for _ in range(100):
        fake.post(TAG)
    fake.post("other")

    async def run() -> Collector:
        source = mastodon(fake)
        collector = Collector(source.stream(Cursor(json.dumps({"tags": {TAG: first["id"]}}))))
        await collector.count(100)
        for _ in range(3):  # more statuses while polling
            fake.post(TAG)
        await collector.count(103)
        await collector.stop()
        await source.aclose()
        return collector

    collector = asyncio.run(run())
    assert collector.ids() == ids(fake.statuses(TAG))[1:]  # everything after the cursor, in order
    pages = fake.rest_requests("/api/v1/timelines/tag/")
    assert pages[0].query == {"limit": ["40"], "min_id": [first["id"]]}
    # Three pages of 40/40/20, each following rel="prev" from the last: min_id always moves up.
    assert [len(b.posts) for b in collector.batches[:3]] == [40, 40, 20]
    min_ids = [r.param("min_id") for r in pages]
    assert min_ids[:3] == [first["id"], collector.ids()[39], collector.ids()[79]]
    assert all(id_key(a) <= id_key(b) for a, b in itertools.pairwise(min_ids))
    assert json.loads(collector.batches[-1].cursor.value) == {"tags": {TAG: collector.ids()[-1]}}
    assert no_overlap(fake)
    assert not [r for r in fake.requests if r.kind != "rest" or "instance" in r.path]  # no token


def test_without_a_cursor_polling_starts_with_the_newest_page(fake: FakeMastodon):
    for _ in range(45):
        fake.post(TAG)

    async def run() -> list[str]:
        source = mastodon(fake)
        collector = Collector(source.stream(Cursor()))
        await collector.count(40)
        fake.post(TAG)
        await collector.count(41)
        await collector.stop()
        await source.aclose()
        return collector.ids()

    assert asyncio.run(run()) == ids(fake.statuses(TAG))[-41:]


@pytest.mark.parametrize("stop_after", [1, 2, 3])
def test_resuming_from_the_cursor_has_no_gaps_and_no_repeats(fake: FakeMastodon, stop_after):
    start = fake.post(TAG)
    for _ in range(90):
        fake.post(TAG)

    async def first_run() -> list[Batch]:
        source = mastodon(fake)
        collector = Collector(source.stream(Cursor(json.dumps({"tags": {TAG: start["id"]}}))))
        await collector.wait_for(lambda c: len(c.batches) >= stop_after)
        await collector.stop()  # interrupted
        await source.aclose()
        return collector.batches[:stop_after]

    stored = asyncio.run(first_run())
    for _ in range(10):
        fake.post(TAG)

    async def second_run(cursor: Cursor, expected: int) -> list[str]:
        source = mastodon(fake)
        collector = Collector(source.stream(cursor))
        await collector.count(expected)
        await collector.stop()
        await source.aclose()
        return collector.ids()

    done = [p.external_id for b in stored for p in b.posts]
    expected = ids(fake.statuses(TAG))[1:]
    rest = asyncio.run(second_run(stored[-1].cursor, len(expected) - len(done)))
    assert done + rest == expected


def test_malformed_statuses_are_skipped_and_the_rest_of_the_page_used(fake: FakeMastodon, caplog):
    start = fake.post(TAG)
    good = [fake.post(TAG)]
    fake.add_raw(TAG, "just a string")
    fake.add_raw(TAG, {"id": "x1", "created_at": "2025-05-14T09:00:00Z", "content": "<p>?</p>"})
    broken = dict(fake.post(TAG), tags="djangocon")
    fake.delete(broken["id"])
    fake.add_raw(TAG, broken)
    good.append(fake.post(TAG))

    async def run() -> Collector:
        source = mastodon(fake)
        collector = Collector(source.stream(Cursor(json.dumps({"tags": {TAG: start["id"]}}))))
        await collector.count(2)
        await collector.stop()
        await source.aclose()
        return collector

    collector = asyncio.run(run())
    assert collector.ids() == ids(good)
    assert "skipped status ? of #djangocon (not an object: str)" in caplog.text
    assert "skipped status x1 of #djangocon (missing field: 'account')" in caplog.text
    assert f"skipped status {broken['id']} of #djangocon (wrong type: 'tags')" in caplog.text


def test_accounts_by_id_and_by_handle_boosts_included(fake: FakeMastodon):
    bob = fake.add_account("bob")
    carl = fake.add_account("carl", domain="elsewhere.example")
    talk = fake.post("python", content="<p>talk</p>")
    boost = fake.boost(talk, bob)
    by_carl = fake.post("random", account=carl)

    async def run() -> list[IncomingPost]:
        source = mastodon(fake, hashtags=[], accounts=["@bob", carl["id"]])
        collector = Collector(source.stream(Cursor()))
        await collector.count(2)
        later = fake.post("x", account=bob)
        await collector.wait_for(lambda c: later["id"] in c.ids())
        await collector.stop()
        await source.aclose()
        return collector.posts

    posts = asyncio.run(run())
    assert [p.external_id for p in posts] == [
        boost["id"],
        by_carl["id"],
        str(int(by_carl["id"]) + 1),
    ]
    assert posts[0].is_boost and posts[0].html == "<p>talk</p>"
    assert fake.rest_requests("/api/v1/accounts/lookup")[0].param("acct") == "bob"
    assert no_overlap(fake)


def test_an_unknown_account_is_a_source_error(fake: FakeMastodon):
    async def run() -> None:
        source = mastodon(fake, accounts=["nobody@nowhere.example"])
        try:
            async for _ in source.stream(Cursor()):
                pass
        finally:
            await source.aclose()

    with pytest.raises(SourceError, match="not found"):
        asyncio.run(run())


# Rate limits, failures, slowness ---------------------------------------------------------------


def test_remaining_zero_means_no_request_before_the_reset(fake: FakeMastodon):
    fake.post(TAG)

    async def run() -> None:
        fake.limit_rate(3, 0.4)
        source = mastodon(fake)
        collector = Collector(source.stream(Cursor()))
        await fake.wait_for(lambda: len([r for r in fake.rest_requests() if r.end]) >= 5)
        await collector.stop()
        await source.aclose()

    asyncio.run(run())
    rest = fake.rest_requests()
    assert [r.status for r in rest[:5]] == [200] * 5  # never a 429
    assert [r.remaining for r in rest[:4]] == [2, 1, 0, 2]
    assert rest[3].wall >= rest[2].reset  # waited for the reset
    assert no_overlap(fake)


def test_429_waits_for_retry_after_or_the_reset(fake: FakeMastodon):
    fake.post(TAG)
    reset = datetime.now(UTC) + timedelta(seconds=0.3)
    fake.fail(429, x_ratelimit_remaining="0", x_ratelimit_reset=reset.isoformat())
    fake.fail(429, retry_after="0.2")

    async def run() -> list[str]:
        source = mastodon(fake)
        collector = Collector(source.stream(Cursor()))
        await collector.count(1)
        await collector.stop()
        await source.aclose()
        return collector.ids()

    assert len(asyncio.run(run())) == 1
    first, second, third = fake.rest_requests()[:3]
    assert (first.status, second.status, third.status) == (429, 429, 200)
    assert second.wall >= reset.timestamp()
    assert third.start - second.end >= 0.2


def test_server_errors_are_retried_with_exponential_backoff(fake: FakeMastodon):
    fake.post(TAG)
    fake.fail(503, times=3)
    slept: list[float] = []

    async def fake_sleep(delay: float) -> None:
        slept.append(delay)

    async def run() -> list[str]:
        backoff = Backoff(1, 60, rng=random.Random(3), sleep=fake_sleep)
        source = mastodon(fake, retry_backoff=backoff)
        collector = Collector(source.stream(Cursor()))
        await collector.count(1)
        await collector.stop()
        await source.aclose()
        return collector.ids()

    assert len(asyncio.run(run())) == 1
    assert [r.status for r in fake.rest_requests()[:4]] == [503, 503, 503, 200]
    assert len(slept) == 3
    for delay, ceiling in zip(slept, [1, 2, 4], strict=True):
        assert ceiling / 2 <= delay <= ceiling


def test_persistent_failure_reconnects_and_resumes(fake: FakeMastodon):
    start = fake.post(TAG)
    wanted = [fake.post(TAG) for _ in range(3)]
    fake.fail(500, times=4)  # more than the client's retries: the session restarts

    async def run() -> list[str]:
        source = mastodon(fake)
        source.client.retries = 2
        collector = Collector(source.stream(Cursor(json.dumps({"tags": {TAG: start["id"]}}))))
        await collector.count(3)
        await collector.stop()
        await source.aclose()
        return collector.ids()

    assert asyncio.run(run()) == ids(wanted)


def test_slow_responses_time_out_and_are_retried(fake: FakeMastodon):
    wanted = fake.post(TAG)
    fake.slow(2.0)

    async def run() -> list[str]:
        source = mastodon(fake, timeout=0.2)
        collector = Collector(source.stream(Cursor()))
        await collector.count(1)
        await collector.stop()
        await source.aclose()
        return collector.ids()

    assert asyncio.run(run()) == [wanted["id"]]
    slow, retry = fake.rest_requests()[:2]
    assert slow.status is None and slow.end is not None and slow.end - slow.start < 1.0  # hung up
    assert retry.status == 200 and retry.start >= slow.end
    assert no_overlap(fake)


def test_bodies_that_are_not_json_are_retried(fake: FakeMastodon):
    wanted = fake.post(TAG)
    fake.malformed(times=2)

    async def run() -> list[str]:
        source = mastodon(fake)
        collector = Collector(source.stream(Cursor()))
        await collector.count(1)
        await collector.stop()
        await source.aclose()
        return collector.ids()

    assert asyncio.run(run()) == [wanted["id"]]
    assert len(fake.rest_requests()) >= 3


# Streaming -------------------------------------------------------------------------------------


def live(fake: FakeMastodon, **config) -> MastodonSource:
    # A long poll interval: only (re)connecting triggers a REST catch-up.
    return mastodon(fake, token=TOKEN, **{"poll_interval": 60, **config})


def test_streaming_after_cuts_yields_everything_exactly_once(fake: FakeMastodon):
    for _ in range(3):
        fake.post(TAG)

    async def run() -> Collector:
        source = live(fake)
        collector = Collector(source.stream(Cursor()))
        await collector.count(3)  # the catch-up after connecting
        for round_ in range(3):
            await fake.wait_for(lambda: fake.subscribed(TAG) == 1)
            fake.post(TAG)
            fake.post(TAG)
            await collector.count(5 + 5 * round_)  # live
            fake.streaming_down = True
            fake.cut_streams()  # abrupt, mid-stream
            await fake.wait_for(lambda: fake.subscribed(TAG) == 0)
            for _ in range(3):
                fake.post(TAG)  # nobody hears these live
            fake.streaming_down = False
            await collector.count(8 + 5 * round_)  # the catch-up after reconnecting
        await collector.stop()
        await source.aclose()
        return collector

    collector = asyncio.run(run())
    assert collector.ids() == ids(fake.statuses(TAG))  # all, in order, no duplicates
    catch_ups = fake.rest_requests("/api/v1/timelines/tag/")
    assert len(catch_ups) >= 4 and all(r.param("min_id") for r in catch_ups[1:])
    assert no_overlap(fake)


def test_edits_and_deletes_are_yielded(fake: FakeMastodon):
    async def run() -> list[IncomingPost]:
        source = live(fake)
        collector = Collector(source.stream(Cursor()))
        await fake.wait_for(lambda: fake.subscribed(TAG) == 1)
        status = fake.post(TAG, content="<p>typo</p>")
        await collector.count(1)
        fake.edit(status["id"], "<p>fixed</p>")
        await collector.count(2)
        fake.delete(status["id"])
        await collector.wait_for(lambda c: c.ids(DELETE) == [status["id"]])
        await collector.stop()
        await source.aclose()
        return collector.posts

    created, edited, deleted = asyncio.run(run())
    assert created.html == "<p>typo</p>" and created.edited_at is None
    assert edited.external_id == created.external_id
    assert edited.html == "<p>fixed</p>" and edited.edited_at is not None
    assert deleted.action == DELETE and deleted.external_id == created.external_id


def test_malformed_live_events_are_skipped(fake: FakeMastodon, caplog):
    async def run() -> list[str]:
        source = live(fake)
        collector = Collector(source.stream(Cursor()))
        await fake.wait_for(lambda: fake.subscribed(TAG) == 1)
        fake.send_event(TAG, "update", "{not json")
        fake.send_event(TAG, "update", json.dumps({"id": "5"}))
        fake.send_event(TAG, "delete", "")
        fake.send_event(TAG, "notification", "{}")
        good = fake.post(TAG)
        await collector.count(1)
        await collector.stop()
        await source.aclose()
        return [good["id"], *collector.ids()]

    good, *got = asyncio.run(run())
    assert got == [good]
    assert "update event is not JSON" in caplog.text
    assert "skipped update event 5 (missing field: 'account')" in caplog.text


def test_several_hashtags_share_one_websocket(fake: FakeMastodon):
    async def run() -> list[str]:
        source = live(fake, hashtags=["DjangoCon", "#python"])
        collector = Collector(source.stream(Cursor()))
        await fake.wait_for(lambda: fake.subscribed("python") == 1 and fake.subscribed(TAG) == 1)
        both = fake.post(TAG, "python")  # arrives on both streams: yielded once
        one = fake.post("python")
        await collector.count(2)
        await collector.stop()
        await source.aclose()
        return [both["id"], one["id"], *collector.ids()]

    both, one, *got = asyncio.run(run())
    assert got == [both, one]
    assert len([r for r in fake.requests if r.kind == "websocket"]) == 1


def test_websocket_refused_falls_back_to_sse(fake: FakeMastodon):
    fake.refuse_websocket = True
    fake.post(TAG)

    async def run() -> tuple[list[str], Collector]:
        source = live(fake)
        collector = Collector(source.stream(Cursor()))
        await collector.count(1)
        await fake.wait_for(lambda: fake.subscribed(TAG) == 1)
        status = fake.post(TAG)
        await collector.count(2)
        fake.edit(status["id"], "<p>edited</p>")
        fake.delete(status["id"])
        await collector.wait_for(lambda c: len(c.posts) == 4)
        fake.cut_streams()  # SSE cut too: reconnect, catch up
        last = fake.post(TAG)
        await collector.count(4)
        await collector.stop()
        await source.aclose()
        return [status["id"], last["id"]], collector

    (status, last), collector = asyncio.run(run())
    kinds = [r.kind for r in fake.requests if r.kind != "rest"]
    assert kinds[0] == "websocket" and set(kinds[1:]) == {"sse"} and len(kinds) >= 3
    assert [p.action for p in collector.posts][:4] == ["upsert", "upsert", "upsert", "delete"]
    assert collector.ids()[1:] == [status, status, last]  # created, edited, then the next one


def test_streaming_uses_the_host_the_instance_names(fake: FakeMastodon):
    with AsgiServer(fake) as streaming:
        fake.streaming_port, fake.streaming_url = streaming.port, streaming.ws_url

        async def run() -> list[str]:
            source = live(fake)
            collector = Collector(source.stream(Cursor()))
            await fake.wait_for(lambda: fake.subscribed(TAG) == 1)
            status = fake.post(TAG)
            await collector.count(1)
            await collector.stop()
            await source.aclose()
            return [status["id"], *collector.ids()]

        expected, *got = asyncio.run(run())
    assert got == [expected]
    sockets = [r for r in fake.requests if r.kind == "websocket"]
    assert sockets[0].port == streaming.port and sockets[0].authorization == f"Bearer {TOKEN}"


def test_without_a_token_or_with_stream_off_it_only_polls(fake: FakeMastodon):
    async def run(source: MastodonSource) -> None:
        collector = Collector(source.stream(Cursor()))
        fake.post(TAG)
        await collector.count(1)
        await collector.stop()
        await source.aclose()

    asyncio.run(run(mastodon(fake)))
    asyncio.run(run(mastodon(fake, token=TOKEN, stream=False)))
    assert {r.kind for r in fake.requests} == {"rest"}
    assert not fake.rest_requests("/api/v2/instance")
    assert [r.authorization for r in fake.rest_requests()][-1] == f"Bearer {TOKEN}"


def test_an_app_token_streaming_refuses_means_polling_with_it(fake: FakeMastodon, caplog):
    fake.app_tokens.add("app-token")  # fine for REST, but streaming needs a user token
    fake.require_token = True  # timelines only with a token (Mastodon 4.5's timelines_access)

    async def run() -> list[str]:
        source = mastodon(fake, token="app-token")
        collector = Collector(source.stream(Cursor()))
        status = fake.post(TAG)
        await collector.count(1)
        later = fake.post(TAG)
        await collector.count(2)
        await collector.stop()
        await source.aclose()
        return [status["id"], later["id"], *collector.ids()]

    first, second, *got = asyncio.run(run())
    assert got == [first, second]
    assert [r.status for r in fake.requests if r.kind != "rest"] == [401, 401]  # WebSocket, SSE
    assert "polling instead" in caplog.text


def test_a_token_the_server_refuses_is_a_source_error(fake: FakeMastodon):
    async def run() -> None:
        source = mastodon(fake, token="stolen", poll_interval=60)
        try:
            async for _ in source.stream(Cursor()):
                pass
        finally:
            await source.aclose()

    with pytest.raises(SourceError, match="401"):
        asyncio.run(run())


def test_the_limit_stops_the_stream_and_a_cut_batch_keeps_no_cursor(fake: FakeMastodon):
    for _ in range(10):
        fake.post(TAG)

    async def run() -> list[Batch]:
        source = mastodon(fake, limit=4)
        try:
            return [batch async for batch in source.stream(Cursor())]
        finally:
            await source.aclose()

    batches = asyncio.run(run())
    assert [len(b.posts) for b in batches] == [4] and batches[0].cursor is None


# Backfill --------------------------------------------------------------------------------------


def test_backfill_walks_back_in_time_and_sets_where_the_stream_starts(fake: FakeMastodon):
    for _ in range(100):
        fake.post(TAG)

    async def run() -> list[Batch]:
        source = mastodon(fake)
        try:
            return [batch async for batch in source.backfill(Cursor(), limit=90)]
        finally:
            await source.aclose()

    batches = asyncio.run(run())
    got = [p.external_id for b in batches for p in b.posts]
    assert got == ids(fake.statuses(TAG))[::-1][:90]  # newest first
    assert json.loads(batches[0].cursor.value) == {"tags": {TAG: got[0]}}
    assert all(b.cursor is None for b in batches[1:])
    pages = fake.rest_requests("/api/v1/timelines/tag/")
    assert [r.param("max_id") for r in pages] == [None, got[39], got[79]]


# Configuration ---------------------------------------------------------------------------------


def test_config_validation_accepts_accounts_and_the_stream_switch():
    cleaned = KINDS["mastodon"].validate(
        {"instance": "https://x.example", "accounts": ["@ann", "109"], "stream": False}
    )
    assert cleaned["accounts"] == ["@ann", "109"] and cleaned["stream"] is False
    assert KINDS["mastodon"].adapter == "crowdwall.sources.mastodon.MastodonSource"
    with pytest.raises(ValueError, match="'accounts'"):
        KINDS["mastodon"].validate({"instance": "https://x.example", "accounts": "ann"})
    with pytest.raises(ValueError, match="'stream'"):
        KINDS["mastodon"].validate({"instance": "https://x.example", "stream": "yes"})


def test_a_source_that_follows_nothing_is_refused():
    with pytest.raises(SourceError, match="follows nothing"):
        MastodonSource(config={"instance": "https://x.example", "hashtags": []})
    source = MastodonSource(config={"instance": "https://x.example"}, wall_hashtags=["#PyCon"])
    assert source.tags == ["pycon"]


@pytest.mark.django_db
def test_polled_batches_go_through_the_pipeline(
    fake: FakeMastodon, django_capture_on_commit_callbacks
):
    wall = Wall.objects.create(name="DjangoCon", slug="djangocon", hashtags=[TAG])
    source_row = wall.sources.create(name="m", kind="mastodon", config={"instance": fake.url})
    bob = fake.add_account("bob", domain="elsewhere.example")
    statuses = [fake.post(TAG, content=f"<p>#{TAG} {n}</p>", account=bob) for n in range(5)]

    async def run() -> list[Batch]:
        source = adapter_for(source_row, limit=5)  # the registry builds it from the config
        try:
            return [batch async for batch in source.stream(Cursor())]
        finally:
            await source.aclose()

    for batch in asyncio.run(run()):
        with django_capture_on_commit_callbacks(execute=True):
            result = ingest(
                source_row, batch.posts, cursor=str(batch.cursor) if batch.cursor else None
            )
        assert result.rejected == []
    assert sorted(Post.objects.values_list("external_id", flat=True), key=id_key) == ids(statuses)
    source_row.refresh_from_db()
    assert json.loads(source_row.cursor) == {"tags": {TAG: statuses[-1]["id"]}}
