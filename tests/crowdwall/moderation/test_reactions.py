"""Trusted reactions end to end: posts waiting in a wall's queue, a fake Mastodon server and a
fake Bluesky AppView on loopback reporting who favourited or boosted them, and rounds of
``ReactionWatch`` (the stream process's periodic check) approving what a trusted account
reacted to — logged, pushed, with the reason — and nothing else; bounds and failures."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from django.utils import timezone

from crowdwall.ingest.write import ingest
from crowdwall.models import (
    ModerationAction,
    ModerationLog,
    ModerationMode,
    ModerationState,
    PostWall,
    ReactionCheck,
    Source,
    TrustedAccount,
    Wall,
)
from crowdwall.moderation.reaction_watch import ReactionWatch, reader_for
from crowdwall.sources.bluesky_reactions import BlueskyReactions
from crowdwall.sources.mastodon.reactions import MastodonReactions
from crowdwall.sources.mastodon.statuses import to_post
from crowdwall.sources.runner import StreamRunner
from tests.crowdwall.conftest import make_post
from tests.crowdwall.fakes.appview import FakeAppView
from tests.crowdwall.fakes.asgi_server import AsgiServer
from tests.crowdwall.fakes.mastodon import FakeMastodon
from tests.crowdwall.jobs.test_reindex import reindex

# Other walls' tests read the database from their own thread: the watch's database work runs
# in a thread of its own (as in the stream process), so rows must be committed.
pytestmark = pytest.mark.django_db(transaction=True)

PENDING, APPROVED = ModerationState.PENDING, ModerationState.APPROVED
DORA = "did:plc:dora345dora345dora345do"  # trusted on the wall by handle
EVE = "did:plc:eve2345eve2345eve2345ev"


@pytest.fixture
def fake() -> Iterator[FakeMastodon]:
    server = FakeMastodon()
    with AsgiServer(server) as asgi:
        server.url = asgi.url
        yield server


@pytest.fixture
def appview() -> Iterator[tuple[FakeAppView, str]]:
    server = FakeAppView()
    with AsgiServer(server) as asgi:
        yield server, asgi.url


@pytest.fixture
def wall() -> Wall:
    wall = Wall.objects.create(
        name="DjangoCon",
        slug="djangocon",
        hashtags=["djangocon"],
        moderation=ModerationMode.PRE_APPROVE,
    )
    return wall


@pytest.fixture
def social(fake: FakeMastodon, wall: Wall) -> SimpleNamespace:
    """A Mastodon source with a token, Carol trusted on the wall (by actor URI), Bob and Dave
    not; ``waiting(account)`` posts a status there and stores it: waiting in the queue."""
    source = Source.objects.create(
        wall=wall,
        name="social",
        kind="mastodon",
        config={"instance": fake.url, "hashtags": ["djangocon"]},
        secret="good-token",
    )
    carol, bob, dave = (fake.add_account(name) for name in ("carol", "bob", "dave"))
    TrustedAccount.objects.create(wall=wall, account=carol["uri"])
    host = fake.url.removeprefix("http://")

    def waiting(account: dict[str, Any] | None = None) -> tuple[dict[str, Any], int]:
        status = fake.post("djangocon", account=account or bob)
        ingest(source, [to_post(status, host=host)])
        entry = PostWall.objects.get(post__source=source, post__external_id=status["id"])
        assert entry.state == PENDING
        return status, entry.post_id

    return SimpleNamespace(
        source=source, carol=carol, bob=bob, dave=dave, waiting=waiting, host=host
    )


def rounds(sources: list[Source], count: int = 1, *, readers: Callable[..., Any] = reader_for):
    """Run ``count`` rounds of one watch over ``sources``; the watch (for its stats)."""
    watch = ReactionWatch(sources, readers=readers)

    async def run() -> None:
        try:
            for _ in range(count):
                await watch.round()
        finally:
            await watch.aclose()

    asyncio.run(run())
    return watch


def state(post_id: int) -> tuple[str, str]:
    return PostWall.objects.values_list("state", "reason").get(post_id=post_id)


def reaction_requests(fake: FakeMastodon, name: str = "") -> list[Any]:
    return [r for r in fake.rest_requests("/api/v1/statuses/") if r.path.endswith(name)]


def test_a_trusted_favourite_or_boost_approves_the_waiting_post_logged_and_pushed(
    fake, social, published
):
    favourited, favourited_id = social.waiting()
    boosted, boosted_id = social.waiting()
    untrusted, untrusted_id = social.waiting()
    fake.favourite(favourited, social.carol)
    fake.favourite(favourited, social.dave)
    fake.boost(boosted, social.carol)
    fake.favourite(untrusted, social.dave)
    fake.boost(untrusted, social.bob)
    published.events.clear()

    watch = rounds([social.source])

    host = social.host
    assert state(favourited_id) == (APPROVED, f"auto-approved because favourited by @carol@{host}")
    assert state(boosted_id) == (APPROVED, f"auto-approved because boosted by @carol@{host}")
    assert state(untrusted_id) == (PENDING, "")
    assert (watch.stats.checked, watch.stats.approved, watch.stats.failures) == (3, 2, 0)
    logged = ModerationLog.objects.filter(action=ModerationAction.APPROVE).order_by("post_id")
    assert [(row.post_id, row.actor_id, row.count, row.detail) for row in logged] == [
        (
            favourited_id,
            None,
            1,
            {
                "reason": f"auto-approved because favourited by @carol@{host}",
                "account": social.carol["uri"],
            },
        ),
        (
            boosted_id,
            None,
            1,
            {
                "reason": f"auto-approved because boosted by @carol@{host}",
                "account": social.carol["uri"],
            },
        ),
    ]
    # Pushed to open pages and the moderators' queue like any approval.
    assert sorted(e.post_id for e in published.events if e.kind == "post.moderation") == sorted(
        [favourited_id, boosted_id]
    )
    # Both lists of each post, with the source's token; each post is due again after the delay.
    assert len(reaction_requests(fake)) == 6
    assert {r.authorization for r in reaction_requests(fake)} == {"Bearer good-token"}
    check = ReactionCheck.objects.get(post_id=untrusted_id)
    assert check.failures == 0
    assert check.next_at - check.checked_at == timedelta(seconds=300)

    # The approved posts are not asked about again; the waiting one not before its time.
    rounds([social.source])
    assert len(reaction_requests(fake)) == 6


def test_favourites_are_read_page_by_page_up_to_the_bound(fake, social, settings):
    """Carol's favourite is the oldest of 101: the second page of 80 (Link rel="next")."""
    status, post_id = social.waiting()
    fake.favourite(status, social.carol)
    for n in range(100):
        fake.favourite(status, fake.add_account(f"fan{n}"))

    settings.CROWDWALL = {"TRUSTED_REACTIONS_PAGES": 1}
    rounds([social.source])
    assert state(post_id) == (PENDING, "")
    assert [r.param("max_id") for r in reaction_requests(fake, "/favourited_by")] == [None]

    ReactionCheck.objects.update(next_at=timezone.now())  # due again
    settings.CROWDWALL = {"TRUSTED_REACTIONS_PAGES": 2}
    rounds([social.source])
    assert state(post_id)[0] == APPROVED
    pages = reaction_requests(fake, "/favourited_by")[1:]
    assert [r.param("limit") for r in pages] == ["80", "80"]
    assert pages[0].param("max_id") is None and pages[1].param("max_id") is not None


def test_a_failing_server_leaves_the_post_waiting_and_it_is_asked_again_later(fake, social):
    first, first_id = social.waiting()
    second, second_id = social.waiting()
    fake.favourite(first, social.carol)
    fake.favourite(second, social.carol)
    fake.fail(500)

    watch = rounds([social.source])
    # The newest post was asked first and failed; the server was then left alone this round.
    assert state(second_id) == state(first_id) == (PENDING, "")
    assert len(reaction_requests(fake)) == 1
    assert (watch.stats.failures, watch.stats.errors) == (1, 0)
    check = ReactionCheck.objects.get(post_id=second_id)
    assert check.failures == 1
    assert check.next_at - check.checked_at == timedelta(seconds=600)  # the delay doubled
    assert not ReactionCheck.objects.filter(post_id=first_id).exists()  # not asked: still due

    # A later round (a new stream process, or the pause over): the first post is due now, the
    # failed one after its longer delay; once that has passed, both are approved.
    rounds([social.source])
    assert state(first_id)[0] == APPROVED and state(second_id)[0] == PENDING
    ReactionCheck.objects.filter(post_id=second_id).update(next_at=timezone.now())
    rounds([social.source])
    assert state(second_id)[0] == APPROVED
    assert ReactionCheck.objects.get(post_id=second_id).failures == 0


def test_a_timeout_pauses_the_server_for_later_rounds(fake, social):
    status, post_id = social.waiting()
    fake.favourite(status, social.carol)
    fake.slow(5.0)

    def quick(source: Source) -> MastodonReactions:
        return MastodonReactions(source.config["instance"], token=source.secret, timeout=0.3)

    watch = ReactionWatch([social.source], readers=quick)
    due_again = sync_to_async(ReactionCheck.objects.update, thread_sensitive=True)

    async def run() -> list[int]:
        try:
            first = await watch.round()
            await due_again(next_at=timezone.now())
            second = await watch.round()  # due, but its server is paused: not asked
            return [first, second]
        finally:
            await watch.aclose()

    assert asyncio.run(run()) == [0, 0]
    assert state(post_id) == (PENDING, "")
    assert len(reaction_requests(fake)) == 1
    assert watch.stats.failures == 1


def test_bounds_newest_posts_per_wall_recent_only_and_not_too_often(fake, social, settings):
    settings.CROWDWALL = {"TRUSTED_REACTIONS_POSTS": 2, "TRUSTED_REACTIONS_MAX_AGE": 3600}
    ids = [social.waiting()[0]["id"] for _ in range(4)]
    old = PostWall.objects.get(post__external_id=ids[3])
    PostWall.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=2))

    rounds([social.source])
    asked = {r.path.split("/")[4] for r in reaction_requests(fake)}
    assert asked == {ids[2], ids[1]}  # the two newest young enough; the oldest two wait

    rounds([social.source])  # the next round: those two are not due, the next newest is
    asked = [r.path.split("/")[4] for r in reaction_requests(fake)][4:]
    assert set(asked) == {ids[0]}

    # Walls without trusted accounts, blocklist holds and moderators' decisions: never asked.
    before = len(reaction_requests(fake))
    ReactionCheck.objects.all().delete()
    PostWall.objects.filter(post__external_id=ids[2]).update(reason="blocklist: spam")
    PostWall.objects.filter(post__external_id=ids[1]).update(moderated_at=timezone.now())
    rounds([social.source])
    assert {r.path.split("/")[4] for r in reaction_requests(fake)[before:]} == {ids[0]}
    TrustedAccount.objects.all().delete()
    ReactionCheck.objects.all().delete()
    rounds([social.source])
    assert len(reaction_requests(fake)) == before + 2


def test_a_ban_still_wins_over_a_trusted_favourite(fake, social, wall):
    status, post_id = social.waiting()
    fake.favourite(status, social.carol)
    wall.banned_authors.create(account=social.bob["uri"])  # after it was stored
    rounds([social.source])
    assert state(post_id) == (PENDING, "")
    assert not ModerationLog.objects.filter(action=ModerationAction.APPROVE).exists()


def test_bluesky_likes_and_reposts_through_the_appview_with_cursor_paging(appview, wall):
    server, url = appview
    source = Source.objects.create(
        wall=wall, name="sky", kind="bluesky", config={"profile_lookup_url": url}
    )
    TrustedAccount.objects.create(wall=wall, account="@Dora.bsky.social")
    uris = [f"at://{EVE}/app.bsky.feed.post/3kpost{n}" for n in range(3)]
    for n, uri in enumerate(uris):
        post = make_post(n, id=uri, author={"id": EVE, "handle": "eve.bsky.social"})
        ingest(source, [{**post, "created_at": timezone.now().isoformat()}])
    liked, reposted, untouched = (PostWall.objects.get(post__external_id=u).post_id for u in uris)
    server.like(uris[0], DORA, "dora.bsky.social")  # the oldest of 121 likes: page 2
    for n in range(120):
        server.like(uris[0], f"did:plc:fan{n:021d}", f"fan{n}.bsky.social")
    server.repost(uris[1], DORA, "dora.bsky.social")
    server.like(uris[2], EVE, "eve.bsky.social")

    rounds([source])

    assert state(liked) == (APPROVED, "auto-approved because liked by @dora.bsky.social")
    assert state(reposted) == (APPROVED, "auto-approved because reposted by @dora.bsky.social")
    assert state(untouched) == (PENDING, "")
    likes = [p for p in server.calls("app.bsky.feed.getLikes") if p["uri"] == [uris[0]]]
    assert [(p["limit"], p.get("cursor")) for p in likes] == [(["100"], None), (["100"], ["100"])]


def test_bluesky_appview_errors_leave_posts_waiting(appview, wall):
    server, url = appview
    source = Source.objects.create(
        wall=wall, name="sky", kind="bluesky", config={"profile_lookup_url": url}
    )
    TrustedAccount.objects.create(wall=wall, account=DORA)
    uri = f"at://{EVE}/app.bsky.feed.post/3kpost"
    post = make_post(1, id=uri, author={"id": EVE, "handle": "eve.bsky.social"})
    ingest(source, [{**post, "created_at": timezone.now().isoformat()}])
    server.like(uri, DORA, "dora.bsky.social")
    server.fail(502)

    def quick(source: Source) -> BlueskyReactions:
        return BlueskyReactions(url, timeout=1.0)

    watch = rounds([source], readers=quick)
    assert watch.stats.failures == 1
    assert PostWall.objects.get().state == PENDING
    ReactionCheck.objects.update(next_at=timezone.now())
    rounds([source], readers=quick)
    assert PostWall.objects.get().state == APPROVED


def test_the_stream_process_runs_the_rounds_beside_its_sources(fake, social, settings):
    """``crowdwall stream``: the source stores both posts (waiting), the watch approves the
    one Carol favourited and keeps asking about the other until the stream stops."""
    settings.CROWDWALL = {
        "TRUSTED_REACTIONS_INTERVAL": 0.05,
        "TRUSTED_REACTIONS_RECHECK_SECONDS": 0.01,
    }
    Source.objects.filter(pk=social.source.pk).update(
        config={**social.source.config, "stream": False}
    )
    other = fake.post("djangocon", account=social.bob)
    liked = fake.post("djangocon", account=social.bob)
    fake.favourite(liked, social.carol)
    source = Source.objects.select_related("wall").get(pk=social.source.pk)
    runner = StreamRunner([source], prepare_processes=0)

    def asked_twice() -> bool:
        path = f"/api/v1/statuses/{other['id']}/favourited_by"
        return sum(r.path == path and r.end is not None for r in fake.requests) >= 2

    async def main() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(runner.run(stop))
        try:
            # Newest first in every round: once the other post is asked a second time, the
            # round that approved the favourited one is over.
            await fake.wait_for(asked_twice, timeout=20)
        finally:
            stop.set()
            await task

    asyncio.run(main())
    entries = dict(PostWall.objects.values_list("post__external_id", "state"))
    assert entries == {liked["id"]: APPROVED, other["id"]: PENDING}
    assert runner.watch.stats.approved == 1


def test_the_screen_says_why_and_reindex_keeps_the_approval(fake, social, django_user_model):
    status, post_id = social.waiting()
    fake.favourite(status, social.carol)
    rounds([social.source])
    reason = f"auto-approved because favourited by @carol@{social.host}"
    client = Client()
    client.force_login(django_user_model.objects.create_user("mo", is_staff=True))
    page = client.get("/walls/djangocon/moderate/?state=approved").content.decode()
    assert f"data-reason>{reason}</span>" in page
    # Who favourited it is not stored: a re-check keeps the approval rather than queue it again.
    reindex()
    assert state(post_id) == (APPROVED, reason)
