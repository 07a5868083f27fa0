"""Outbound requests: our User-Agent on every source's requests, robots.txt obeyed for feeds.

Against the fake servers (real HTTP and WebSockets on loopback)."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterator

import pytest

from crowdwall import __version__
from crowdwall.exceptions import SourceError
from crowdwall.models import Source, Wall
from crowdwall.sources.base import Cursor
from crowdwall.sources.http import (
    ROBOTS,
    RobotsCache,
    RobotsDisallowed,
    http_client,
    tls_context,
)
from crowdwall.sources.rss import FeedUnavailable, RSSSource
from crowdwall.sources.runner import StreamRunner
from tests.crowdwall.fakes.feeds import FeedServer
from tests.crowdwall.fakes.jetstream import FakeJetstream, post_event
from tests.crowdwall.sources.test_bluesky import bluesky, collect
from tests.crowdwall.sources.test_mastodon import TAG, Collector, fake, mastodon  # noqa: F401

CONTACT = "https://events.example/contact"


@pytest.fixture(autouse=True)
def fresh_robots() -> Iterator[None]:
    ROBOTS.clear()
    yield
    ROBOTS.clear()


@pytest.fixture
def contact(settings) -> str:
    settings.CROWDWALL = {**getattr(settings, "CROWDWALL", {}), "CONTACT_URL": CONTACT}
    return f"crowdwall/{__version__} (+{CONTACT})"


@pytest.fixture
def feed() -> Iterator[FeedServer]:
    with FeedServer() as server:
        server.add("1", title="Hello", published="Mon, 05 Jun 2023 14:23:00 GMT")
        yield server


def poll(feed: FeedServer, url: str | None = None):
    adapter = RSSSource(name="feed", config={"url": url or feed.url, "timeout": 5.0})

    async def run():
        try:
            return await adapter.poll(Cursor(""))
        finally:
            await adapter.aclose()

    return asyncio.run(run())


def test_the_default_user_agent_names_the_version_and_a_contact():
    client = http_client()
    try:
        agent = client.headers["User-Agent"]
    finally:
        asyncio.run(client.aclose())
    assert agent.startswith(f"crowdwall/{__version__} (+https://")


def _context_of(client) -> ssl.SSLContext:
    return client._transport._pool._ssl_context  # httpx's transport -> httpcore's pool


def test_clients_share_one_verifying_tls_context_unless_given_their_own():
    own = ssl.create_default_context()
    clients = [http_client(), http_client(timeout=3.0), http_client(verify=own)]
    try:
        contexts = [_context_of(client) for client in clients]
    finally:
        for client in clients:
            asyncio.run(client.aclose())
    assert contexts[0] is contexts[1] is tls_context()  # built once, not per client
    assert contexts[2] is own
    assert tls_context().verify_mode == ssl.CERT_REQUIRED and tls_context().check_hostname


def test_a_feed_and_its_robots_txt_get_our_user_agent(feed, contact):
    assert poll(feed) is not None
    assert feed.requests[0].headers["user-agent"] == contact
    assert feed.robots_requests[0].headers["user-agent"] == contact


def test_a_configured_user_agent_is_sent_as_is(feed, settings):
    settings.CROWDWALL = {**getattr(settings, "CROWDWALL", {}), "USER_AGENT": "wall-bot/2"}
    poll(feed)
    assert feed.requests[0].headers["user-agent"] == "wall-bot/2"


@pytest.mark.parametrize(
    "robots",
    [
        "User-agent: crowdwall\nDisallow: /feed",
        "User-agent: *\nDisallow: /",
        "User-agent: other\nAllow: /\n\nUser-agent: *\nDisallow: /feed.xml",
    ],
)
def test_a_feed_disallowed_for_our_agent_is_not_read(feed, robots):
    feed.robots = robots
    with pytest.raises(RobotsDisallowed, match=r"robots\.txt disallows .*/feed\.xml"):
        poll(feed)
    assert feed.requests == []  # the feed itself was never asked for


@pytest.mark.parametrize(
    "robots",
    [
        "User-agent: crowdwall\nDisallow: /private/",
        "User-agent: somebot\nDisallow: /",
        "User-agent: *\nDisallow: /\n\nUser-agent: crowdwall\nAllow: /",
    ],
)
def test_a_feed_allowed_for_our_agent_is_read(feed, robots):
    feed.robots = robots
    assert poll(feed) is not None
    assert len(feed.requests) == 1


@pytest.mark.parametrize("status", [401, 403, 404, 410])
def test_a_missing_or_refused_robots_txt_allows_everything(feed, status):
    feed.robots_status = status
    assert poll(feed) is not None


def test_an_unreachable_robots_txt_means_wait_not_read(feed):
    feed.robots_status = 503
    with pytest.raises(FeedUnavailable, match=r"robots\.txt unavailable"):
        poll(feed)
    assert feed.requests == []


def test_robots_txt_is_cached_per_host_for_the_configured_time(feed, settings):
    moments = iter([0.0, 10.0, 5000.0])
    cache = RobotsCache(clock=lambda: next(moments))
    client = http_client()

    async def run() -> None:
        try:
            for _ in range(3):
                await cache.check(client, feed.url)
        finally:
            await client.aclose()

    asyncio.run(run())
    assert len(feed.robots_requests) == 2  # again after ROBOTS_CACHE_SECONDS (3600)


@pytest.mark.django_db(transaction=True)
def test_a_disallowed_feed_stops_its_source_with_a_clear_error(feed):
    feed.robots = "User-agent: *\nDisallow: /"
    wall = Wall.objects.create(name="W", slug="w")
    source = Source.objects.create(wall=wall, name="feed", kind="rss", config={"url": feed.url})
    runner = StreamRunner([Source.objects.select_related("wall").get(pk=source.pk)])
    asyncio.run(asyncio.wait_for(runner.run(), 30))
    source.refresh_from_db()
    assert "robots.txt disallows" in source.last_error
    assert feed.requests == []
    assert issubclass(RobotsDisallowed, SourceError)


def test_mastodon_requests_carry_our_user_agent(fake, contact):  # noqa: F811
    fake.post(TAG)

    async def run() -> None:
        source = mastodon(fake)
        collector = Collector(source.stream(Cursor()))
        try:
            await collector.count(1)
        finally:
            await collector.stop()
            await source.aclose()

    asyncio.run(run())
    agents = {r.user_agent for r in fake.requests}
    assert agents == {contact}


def test_the_jetstream_websocket_carries_our_user_agent(contact):
    with FakeJetstream() as jetstream:
        jetstream.append(post_event("did:plc:ann", "a1", "#djangocon", time_us=10))
        collect(bluesky(jetstream), "1", until_us=10)
        assert [c.user_agent for c in jetstream.connections] == [contact]
