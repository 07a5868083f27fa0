"""The Bluesky source against a fake Jetstream on loopback: matching, deletions and edits,
resuming after abrupt disconnects with no gap and no duplicate, cursor progress while nothing
matches, malformed frames, ``wantedDids``, and a batch through the real pipeline.

Nothing here sleeps to synchronise: tests stop when the stream reaches a cursor or a count (an
overall timeout only guards against hangs); the fake signals connections with a condition.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from crowdwall.exceptions import SourceError
from crowdwall.ingest.items import to_incoming
from crowdwall.ingest.normalize import IncomingPost
from crowdwall.ingest.write import ingest
from crowdwall.models import Post, PostWall, Wall
from crowdwall.sources import adapter_for
from crowdwall.sources.base import Backoff, Batch, Cursor
from crowdwall.sources.bluesky import URL_DIDS, BlueskySource
from crowdwall.sources.kinds import KINDS
from tests.crowdwall.fakes.jetstream import (
    FakeJetstream,
    MemoryLabels,
    delete_event,
    identity_event,
    post_event,
    profile_event,
    tag_facet,
)

T0 = 1_747_213_200_000_000  # 2025-05-14 09:00 UTC, in microseconds
ANN = "did:plc:ann2345ann2345ann2345an"
BOB = "did:plc:bob2345bob2345bob2345bo"
EVE = "did:plc:eve2345eve2345eve2345ev"
OVERLAP_US = 5_000


def at(n: int) -> int:
    """The time of the n-th event: a millisecond apart."""
    return T0 + n * 1_000


def uri(did: str, rkey: str) -> str:
    return f"at://{did}/app.bsky.feed.post/{rkey}"


@pytest.fixture
def jetstream() -> Iterator[FakeJetstream]:
    with FakeJetstream() as fake:
        yield fake


async def _no_sleep(delay: float) -> None:
    return None


def bluesky(fake: FakeJetstream, **config: Any) -> BlueskySource:
    limit = config.pop("limit", None)
    tags = config.pop("wall_hashtags", ["djangocon"])
    defaults = {
        "endpoint": fake.url,
        "progress_interval": 0,
        "overlap": OVERLAP_US / 1e6,
        "profile_lookup": False,  # no AppView here (its own tests below)
    }
    return BlueskySource(
        name="bsky",
        config={**defaults, **config},
        wall_hashtags=tags,
        limit=limit,
        backoff=Backoff(sleep=_no_sleep),
        labels=MemoryLabels(),
    )


def collect(
    source: BlueskySource,
    cursor: str = "",
    *,
    until_us: int | None = None,
    until: Callable[[list[Batch]], bool] | None = None,
    timeout: float = 5.0,
) -> list[Batch]:
    """Stream until a batch's cursor reaches ``until_us`` or ``until(batches)`` holds."""

    async def run() -> list[Batch]:
        batches: list[Batch] = []
        stream = source.stream(Cursor(cursor))
        try:
            async with asyncio.timeout(timeout):
                async for batch in stream:
                    batches.append(batch)
                    if until is not None and until(batches):
                        break
                    if until_us is not None and int(str(batch.cursor)) >= until_us:
                        break
        finally:
            await stream.aclose()  # type: ignore[attr-defined]
        return batches

    return asyncio.run(run())


def out(batches: list[Batch]) -> list[tuple[str, str]]:
    return [(p.action, p.external_id) for p in posts(batches)]


def posts(batches: list[Batch]) -> list[IncomingPost]:
    """The batches' items as the pipeline reads them (posts come as ``JetstreamPost``)."""
    return [to_incoming(p) for b in batches for p in b.posts]


# Matching ---------------------------------------------------------------------------------------


def test_hashtags_match_via_facets_tags_and_text_in_any_case_and_width(jetstream):
    facet_text = "Talks are up! #DjangoCon"
    jetstream.append(
        post_event(ANN, "a1", facet_text, time_us=at(1), facets=[tag_facet(facet_text, "DjangoCon")]),
        post_event(ANN, "a2", "plain text tag #DJANGOCON in caps", time_us=at(2)),
        post_event(BOB, "a3", "fullwidth #ＤｊａｎｇｏＣｏｎ 🎉", time_us=at(3)),
        post_event(BOB, "a4", "only in the tags field", time_us=at(4), tags=["djangoCon"]),
        post_event(BOB, "n1", "#djangoconference is another tag", time_us=at(5)),
        post_event(EVE, "n2", "djangocon without a hash is no tag", time_us=at(6)),
        post_event(EVE, "n3", "日本語のポスト #イラスト", time_us=at(7)),
    )  # fmt: skip
    batches = collect(bluesky(jetstream), str(at(0)), until_us=at(7))
    assert out(batches) == [
        ("upsert", uri(ANN, "a1")),
        ("upsert", uri(ANN, "a2")),
        ("upsert", uri(BOB, "a3")),
        ("upsert", uri(BOB, "a4")),
    ]


def test_unicode_hashtags_and_keywords_fold_like_the_wall(jetstream):
    jetstream.append(
        post_event(ANN, "s1", "Spaziergang durch die #STRASSE", time_us=at(1)),
        post_event(ANN, "k1", "I love PYTHON!", time_us=at(2)),
        post_event(BOB, "k2", "Django   Girls\nworkshop today", time_us=at(3)),
        post_event(BOB, "k3", "Go is fun", time_us=at(4)),
        post_event(EVE, "n1", "pythonic code, go figure", time_us=at(5)),
    )
    source = bluesky(
        jetstream, wall_hashtags=["Straße"], keywords=["python", '"django girls"', "=Go"]
    )
    batches = collect(source, str(at(0)), until_us=at(5))
    assert out(batches) == [
        ("upsert", uri(ANN, "s1")),
        ("upsert", uri(ANN, "k1")),
        ("upsert", uri(BOB, "k2")),
        ("upsert", uri(BOB, "k3")),
    ]


def test_non_matching_posts_are_dropped_unparsed_and_the_cursor_still_moves(jetstream):
    jetstream.append(
        *[post_event(ANN, f"n{i}", f"nothing {i} here", time_us=at(i)) for i in range(40)]
    )
    source = bluesky(jetstream)
    batches = collect(source, str(at(0)), until_us=at(39))
    assert out(batches) == []
    assert all(not b.posts for b in batches)
    cursors = [int(str(b.cursor)) for b in batches]
    assert cursors == sorted(cursors) and cursors[-1] == at(39)
    assert source.filter.parsed == 0  # the prefilter dropped every one without json.loads
    assert source.filter.skipped == 40


# Deletions and edits -----------------------------------------------------------------------------


def test_deletes_and_updates_are_forwarded(jetstream):
    jetstream.append(
        post_event(ANN, "p1", "first #djangocon", time_us=at(1)),
        post_event(ANN, "p1", "first #djangocon (edited)", time_us=at(2), operation="update"),
        post_event(ANN, "p1", "tag removed in an edit", time_us=at(3), operation="update"),
        post_event(BOB, "x1", "never matched", time_us=at(4), operation="update"),
        delete_event(ANN, "p1", time_us=at(5)),
        delete_event(BOB, "x9", time_us=at(6)),  # a post we never delivered: forwarded anyway
    )
    batches = collect(bluesky(jetstream), str(at(0)), until_us=at(6))
    assert out(batches) == [
        ("upsert", uri(ANN, "p1")),
        ("upsert", uri(ANN, "p1")),
        ("upsert", uri(ANN, "p1")),  # was on the wall: the pipeline decides what the edit means
        ("delete", uri(ANN, "p1")),
        ("delete", uri(BOB, "x9")),
    ]
    edits = posts(batches)
    assert edits[0].edited_at is None and edits[1].edited_at is not None
    assert edits[1].text == "first #djangocon (edited)"


# Disconnects -------------------------------------------------------------------------------------


def _mixed_events(count: int) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """Matching posts, others, deletions; and what the wall should receive, in order."""
    events, expected = [], []
    for n in range(1, count + 1):
        if n % 10 == 0:
            events.append(delete_event(ANN, f"m{n - 8}", time_us=at(n)))
            expected.append(("delete", uri(ANN, f"m{n - 8}")))
        elif n % 2 == 0:
            events.append(post_event(ANN, f"m{n}", f"talk {n} #DjangoCon", time_us=at(n)))
            expected.append(("upsert", uri(ANN, f"m{n}")))
        else:
            events.append(post_event(BOB, f"o{n}", f"other {n}", time_us=at(n)))
    return events, expected


@pytest.mark.parametrize("mid_frame", [False, True], ids=["between-frames", "mid-frame"])
@pytest.mark.parametrize("cuts", [(7,), (3, 11, 12, 30)], ids=["one-cut", "four-cuts"])
def test_abrupt_disconnects_resume_with_overlap_without_gaps_or_duplicates(
    jetstream, cuts, mid_frame
):
    events, expected = _mixed_events(60)
    jetstream.append(*events)
    jetstream.cut_after(*cuts, mid_frame=mid_frame)
    source = bluesky(jetstream)
    batches = collect(source, str(at(0)), until_us=at(60))
    assert out(batches) == expected
    connections = jetstream.connections
    assert len(connections) == len(cuts) + 1
    assert [c.cut for c in connections] == [True] * len(cuts) + [False]
    assert connections[0].cursor == at(0) - OVERLAP_US
    for dropped, resumed in itertools.pairwise(connections):
        # Each reconnect resumes `overlap` before the last event that got through...
        assert resumed.cursor == dropped.sent[-1] - OVERLAP_US
    # ...so events were delivered twice by the server, and dropped by the adapter.
    assert source.filter.duplicates > 0
    cursors = [int(str(b.cursor)) for b in batches]
    assert cursors == sorted(cursors)  # replays never move the cursor back


def test_a_batch_cut_short_is_delivered_before_reconnecting(jetstream):
    events, expected = _mixed_events(20)
    jetstream.append(*events)
    jetstream.cut_after(9)
    # Nothing would flush on its own before the cut: big batches, no progress batches.
    source = bluesky(jetstream, batch_size=1000, batch_interval=60, progress_interval=60)
    batches = collect(source, str(at(0)), until=lambda b: len(b) == 1)
    assert out(batches) == expected[:4]  # m2, m4, m6, m8: the matches among the first 9 events
    assert int(str(batches[0].cursor)) == jetstream.connections[0].sent[-1] == at(9)


# Cursor progress and batching ---------------------------------------------------------------------


def test_progress_is_saved_when_the_stream_goes_quiet(jetstream):
    jetstream.append(*[post_event(BOB, f"o{i}", "nothing to see", time_us=at(i)) for i in range(5)])
    source = bluesky(jetstream, progress_interval=0.05)
    batches = collect(source, str(at(0)), until_us=at(4))
    # No event follows the last one: the timer alone sends the batch that saves the cursor.
    assert all(not b.posts for b in batches)
    assert str(batches[-1].cursor) == str(at(4))


def test_a_lone_post_is_delivered_after_batch_interval(jetstream):
    jetstream.append(post_event(ANN, "p1", "#DjangoCon keynote", time_us=at(1)))
    source = bluesky(jetstream, batch_size=100, batch_interval=0.02, progress_interval=60)
    batches = collect(source, str(at(0)), until=lambda b: bool(out(b)))
    assert out(batches) == [("upsert", uri(ANN, "p1"))]
    assert str(batches[-1].cursor) == str(at(1))


def test_a_slow_server_gets_its_posts_out_in_small_batches(jetstream):
    jetstream.delay = 0.005  # between frames; the batch interval is shorter
    jetstream.append(
        *[post_event(ANN, f"p{i}", f"#djangocon {i}", time_us=at(i)) for i in range(1, 7)]
    )
    source = bluesky(jetstream, batch_interval=0.001, progress_interval=60)
    batches = collect(source, str(at(0)), until=lambda b: len(out(b)) == 6)
    assert out(batches) == [("upsert", uri(ANN, f"p{i}")) for i in range(1, 7)]
    assert len(batches) > 1


def test_batches_are_capped_at_batch_size_and_limit_stops_exactly(jetstream):
    jetstream.append(
        *[post_event(ANN, f"p{i}", f"#djangocon {i}", time_us=at(i)) for i in range(1, 26)]
    )
    batches = collect(
        bluesky(jetstream, batch_size=10, limit=23, batch_interval=60, progress_interval=60),
        str(at(0)),
        timeout=5,
    )
    assert [len(b.posts) for b in batches] == [10, 10, 3]
    assert str(batches[-1].cursor) == str(at(23))


def test_live_tail_without_a_cursor_sends_none_and_gets_new_events(jetstream):
    jetstream.append(post_event(ANN, "old", "#djangocon from before", time_us=at(1)))
    source = bluesky(jetstream)

    async def run() -> list[Batch]:
        batches: list[Batch] = []

        async def consume() -> None:
            async for batch in source.stream(Cursor()):
                batches.append(batch)
                if out(batches):
                    return

        task = asyncio.create_task(consume())
        await jetstream.connected(1)
        await asyncio.to_thread(
            jetstream.append, post_event(ANN, "new", "#djangocon live", time_us=at(2))
        )
        await asyncio.wait_for(task, 5)
        return batches

    batches = asyncio.run(run())
    assert out(batches) == [("upsert", uri(ANN, "new"))]
    assert "cursor" not in jetstream.connections[0].params


# Malformed frames ----------------------------------------------------------------------------------


def test_malformed_frames_are_skipped_with_a_logged_reason(jetstream, caplog):
    jetstream.append(post_event(ANN, "ok0", "#djangocon before", time_us=at(1)))
    jetstream.append_raw(
        "{not json",
        b"\x00\x01binary",
        '{"did":"did:plc:x","kind":"commit","commit":{}}',
        '{"did":"not a did","time_us":1,"kind":"commit"}',
        '["an", "array"]',
    )
    # A broken create is only looked at if it might match (the rest are dropped unparsed).
    bad_text = post_event(BOB, "bad", "", time_us=at(2), tags=["djangocon"])
    bad_text["commit"]["record"]["text"] = 42
    no_record = post_event(BOB, "djangocon", "", time_us=at(3))
    del no_record["commit"]["record"]
    jetstream.append(bad_text, no_record)
    jetstream.append(post_event(ANN, "ok1", "#djangocon after", time_us=at(4)))
    source = bluesky(jetstream)
    with caplog.at_level(logging.WARNING, "crowdwall.sources.bluesky"):
        batches = collect(source, str(at(0)), until_us=at(4))
    assert out(batches) == [("upsert", uri(ANN, "ok0")), ("upsert", uri(ANN, "ok1"))]
    assert source.filter.malformed == {
        "not JSON": 1,
        "binary frame": 1,
        "missing field": 2,  # time_us, record
        "bad did": 1,
        "not an object": 1,
        "wrong type": 1,
    }
    for reason in ["not JSON", "binary frame", "missing field: 'time_us'", "bad did", "'text'"]:
        assert reason in caplog.text


# Accounts (wantedDids) -----------------------------------------------------------------------------


def test_accounts_are_sent_as_wanted_dids_and_all_their_posts_pass(jetstream):
    jetstream.append(
        post_event(ANN, "a1", "no tag at all", time_us=at(1)),
        post_event(EVE, "e1", "#djangocon but not followed", time_us=at(2)),
        post_event(BOB, "b1", "hello", time_us=at(3)),
    )
    source = bluesky(jetstream, accounts=[ANN, BOB])
    batches = collect(source, str(at(0)), until_us=at(3))
    assert out(batches) == [("upsert", uri(ANN, "a1")), ("upsert", uri(BOB, "b1"))]
    params = jetstream.connections[0].params
    assert params["wantedDids"] == [ANN, BOB]
    assert params["wantedCollections"] == ["app.bsky.feed.post", "app.bsky.actor.profile"]


def test_many_accounts_go_in_an_options_update_message(jetstream):
    accounts = [f"did:plc:{n:024d}" for n in range(URL_DIDS + 1)]
    jetstream.append(
        post_event(accounts[-1], "a1", "followed", time_us=at(1)),
        post_event(EVE, "e1", "not followed #djangocon", time_us=at(2)),
        post_event(accounts[0], "a2", "followed too", time_us=at(3)),
    )
    source = bluesky(jetstream, accounts=accounts)
    batches = collect(source, str(at(0)), until_us=at(3))
    assert out(batches) == [("upsert", uri(accounts[-1], "a1")), ("upsert", uri(accounts[0], "a2"))]
    connection = jetstream.connections[0]
    assert connection.params["requireHello"] == ["true"] and "wantedDids" not in connection.params
    assert connection.hello is not None and connection.hello["type"] == "options_update"
    assert connection.hello["payload"]["wantedDids"] == accounts


def test_identity_events_teach_handles(jetstream):
    jetstream.append(
        post_event(ANN, "p1", "#djangocon before", time_us=at(1)),
        identity_event(ANN, "ann.example.com", time_us=at(2)),
        post_event(ANN, "p2", "#djangocon after", time_us=at(3)),
    )
    batches = collect(bluesky(jetstream), str(at(0)), until_us=at(3))
    received = posts(batches)
    assert [p.author.handle for p in received if p.author] == [ANN, "ann.example.com"]
    assert all(p.author and p.author.id == ANN for p in received)


# Config and errors ----------------------------------------------------------------------------------


def test_config_defaults_and_cleaning():
    assert KINDS["bluesky"].validate({}) == {
        "endpoint": "wss://jetstream2.us-east.bsky.network/subscribe",
        "hashtags": [],
        "keywords": [],
        "accounts": [],
        "batch_size": 100,
        "batch_interval": 0.5,
        "progress_interval": 5.0,
        "overlap": 5.0,
        "profile_lookup": True,
        "profile_lookup_url": "https://public.api.bsky.app",
    }
    cleaned = KINDS["bluesky"].validate(
        {"hashtags": ["#DjangoCon"], "keywords": [" python "], "accounts": [ANN, ANN, BOB]}
    )
    assert cleaned["hashtags"] == ["DjangoCon"] and cleaned["keywords"] == ["python"]
    assert cleaned["accounts"] == [ANN, BOB]


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"keywords": "python"}, "'keywords'"),
        ({"keywords": ['"unbalanced']}, "Unbalanced quote"),
        ({"accounts": ["@ann.bsky.social"]}, "DIDs"),
        ({"accounts": [f"did:plc:{n:024d}" for n in range(10_001)]}, "10,000"),
        ({"overlap": -1}, "'overlap'"),
        ({"batch_size": 0}, "'batch_size'"),
        ({"wantedDids": [ANN]}, "Unknown config key"),
        ({"profile_lookup": "yes"}, "'profile_lookup'"),
        ({"profile_lookup_url": "javascript:alert(1)"}, "'profile_lookup_url'"),
    ],
)
def test_bad_configs_are_refused(config, message):
    with pytest.raises(ValueError, match=message):
        KINDS["bluesky"].validate(config)


def test_a_source_with_nothing_to_follow_or_a_bad_cursor_is_refused(jetstream):
    with pytest.raises(SourceError, match="no hashtags, keywords or accounts"):
        collect(bluesky(jetstream, wall_hashtags=[]))
    with pytest.raises(SourceError, match="microseconds"):
        collect(bluesky(jetstream), "yesterday")


def test_an_endpoint_that_refuses_the_subscription_is_an_error(jetstream):
    source = bluesky(jetstream, endpoint=jetstream.url.replace("/subscribe", "/nope"))
    with pytest.raises(SourceError, match="HTTP 404"):
        collect(source)


def test_connection_failures_are_retried_with_backoff():
    delays: list[float] = []

    async def sleep(delay: float) -> None:
        delays.append(delay)
        if len(delays) == 3:
            raise RuntimeError("enough")

    with FakeJetstream() as fake:
        url = fake.url
    source = BlueskySource(
        config={"endpoint": url, "profile_lookup": False},
        wall_hashtags=["x"],
        backoff=Backoff(sleep=sleep),
        labels=MemoryLabels(),
    )
    with pytest.raises(RuntimeError, match="enough"):
        collect(source)
    assert len(delays) == 3 and source.connections == 3  # nobody listens: refused each time


def test_profile_labels_are_applied_before_the_batch_and_mark_the_accounts_posts(jetstream):
    jetstream.append(
        post_event(ANN, "p1", "#djangocon before", time_us=at(1)),
        profile_event(ANN, labels=["!no-unauthenticated"], time_us=at(2)),
        post_event(ANN, "p2", "#djangocon after", time_us=at(3)),
        post_event(BOB, "b1", "#djangocon", time_us=at(4)),
        post_event(EVE, "e1", "#djangocon", time_us=at(5)),
    )
    # One batch (full at 4 posts), however slow the machine.
    source = bluesky(jetstream, batch_size=4, batch_interval=30, progress_interval=30)
    source.labels = labels = MemoryLabels(BOB)
    batches = collect(source, str(at(0)), until_us=at(5), timeout=60)
    assert labels.applied == [{ANN: True}]
    flags = {p.external_id.rsplit("/", 1)[-1]: p.author.no_unauthenticated for p in posts(batches)}
    assert flags == {"p1": True, "p2": True, "b1": True, "e1": None}  # p1: same batch, earlier
    params = jetstream.connections[0].params
    assert params["wantedCollections"] == ["app.bsky.feed.post", "app.bsky.actor.profile"]


def test_label_changes_that_could_not_be_applied_are_kept_for_the_next_batch(jetstream):
    class Down(MemoryLabels):
        async def apply(self, changes):
            raise RuntimeError("database down")

    jetstream.append(profile_event(ANN, labels=["!no-unauthenticated"], time_us=at(1)))
    source = bluesky(jetstream)
    source.labels = Down()
    with pytest.raises(RuntimeError, match="database down"):
        collect(source, str(at(0)), until_us=at(1), timeout=60)
    assert source.filter.label_changes == {ANN: True}


# Through the pipeline ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_batches_store_on_the_wall_and_deletions_remove_posts(
    jetstream, django_capture_on_commit_callbacks
):
    text = "See you at #DjangoCon! <script>alert(1)</script> https://2025.djangocon.eu"
    image = {"$type": "blob", "ref": {"$link": "bafkreiabcdefghijklmnop"}, "mimeType": "image/jpeg"}
    embed = {"$type": "app.bsky.embed.images", "images": [{"alt": "The venue", "image": image}]}
    jetstream.append(
        post_event(ANN, "p1", text, time_us=at(1), facets=[tag_facet(text, "DjangoCon")], embed=embed),
        post_event(BOB, "p2", "also #djangocon", time_us=at(2)),
        post_event(EVE, "n1", "unrelated", time_us=at(3)),
    )  # fmt: skip
    wall = Wall.objects.create(name="DjangoCon", slug="djangocon", hashtags=["djangocon"])
    source_row = wall.sources.create(
        name="bsky", kind="bluesky", config={"endpoint": jetstream.url}
    )

    def run_until(time_us: int) -> None:
        """One runner's life: resume from the stored cursor, store each batch with its cursor."""
        source_row.refresh_from_db()
        adapter = adapter_for(source_row, progress_interval=0, overlap=0, profile_lookup=False)
        assert isinstance(adapter, BlueskySource)
        adapter.labels = MemoryLabels()  # the test's database is not the stream thread's
        for batch in collect(adapter, source_row.cursor or str(at(0)), until_us=time_us):
            with django_capture_on_commit_callbacks(execute=True):
                result = ingest(source_row, batch.posts, cursor=str(batch.cursor))
            assert result.rejected == []

    run_until(at(3))
    assert Post.objects.filter(external_id=uri(BOB, "p2"), deleted_at=None).exists()
    jetstream.append(delete_event(BOB, "p2", time_us=at(4)))
    run_until(at(4))  # after a restart: resumes at the stored cursor
    source_row.refresh_from_db()
    assert source_row.cursor == str(at(4))
    post = Post.objects.get(external_id=uri(ANN, "p1"))
    assert post.url == f"https://bsky.app/profile/{ANN}/post/p1"
    assert 'href="https://bsky.app/hashtag/DjangoCon"' in post.content_html
    assert "<script" not in post.content_html
    assert post.media[0]["alt"] == "The venue"
    assert post.media[0]["url"].startswith(f"https://cdn.bsky.app/img/feed_fullsize/plain/{ANN}/")
    assert Post.objects.get(external_id=uri(BOB, "p2")).deleted_at is not None
    assert PostWall.objects.filter(state="approved").count() == 1


@pytest.mark.django_db
def test_a_profile_label_withdraws_the_accounts_posts_live_until_it_is_removed(
    jetstream, published, django_capture_on_commit_callbacks
):
    from crowdwall.ingest.withdraw import labelled_accounts, withdraw_accounts
    from crowdwall.models import Author

    wall = Wall.objects.create(name="DjangoCon", slug="djangocon", hashtags=["djangocon"])
    source_row = wall.sources.create(
        name="bsky", kind="bluesky", config={"endpoint": jetstream.url}
    )

    def run_until(time_us: int) -> None:
        """Stream, then apply the label changes and store the batches, in that order (as
        ``DatabaseLabels`` does in the runner's thread, which is not the test's)."""
        source_row.refresh_from_db()
        adapter = adapter_for(source_row, progress_interval=0, overlap=0, profile_lookup=False)
        assert isinstance(adapter, BlueskySource)
        adapter.labels = labels = MemoryLabels(*labelled_accounts("did:", 100))
        batches = collect(adapter, source_row.cursor or str(at(0)), until_us=time_us, timeout=60)
        with django_capture_on_commit_callbacks(execute=True):
            for changes in labels.applied:
                withdraw_accounts(changes)
            for batch in batches:
                ingest(source_row, batch.posts, cursor=str(batch.cursor))

    def state(rkey: str) -> str:
        return PostWall.objects.get(post__external_id=uri(ANN, rkey)).state

    jetstream.append(post_event(ANN, "p1", "#djangocon one", time_us=at(1)))
    run_until(at(1))
    assert state("p1") == "approved"
    published.events.clear()
    jetstream.append(
        profile_event(ANN, labels=["!no-unauthenticated"], time_us=at(2)),
        post_event(ANN, "p2", "#djangocon two", time_us=at(3)),
    )
    run_until(at(3))
    assert state("p1") == "rejected"
    assert not PostWall.objects.filter(post__external_id=uri(ANN, "p2")).exists()
    assert [(e.kind, e.post_id, e.walls) for e in published.events][:1] == [
        (
            "post.moderation",
            Post.objects.get(external_id=uri(ANN, "p1")).pk,
            {"djangocon": "rejected"},
        )
    ]
    assert Author.objects.get(key=ANN).opted_out is True
    # After a restart the label is known from the database; then the owner removes it.
    jetstream.append(
        post_event(ANN, "p3", "#djangocon three", time_us=at(4)),
        profile_event(ANN, labels=[], time_us=at(5)),
        post_event(ANN, "p4", "#djangocon four", time_us=at(6)),
    )
    run_until(at(6))
    assert not PostWall.objects.filter(post__external_id=uri(ANN, "p3")).exists()
    assert (state("p1"), state("p4")) == ("rejected", "approved")
    assert Author.objects.get(key=ANN).opted_out is False
