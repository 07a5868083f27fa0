"""The profile lookup against a fake AppView (``app.bsky.actor.getProfiles``) on loopback:
labels found in batches of 25, answers cached with a TTL, failures leave authors unknown and
never stop the stream."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import pytest

from crowdwall.sources.bluesky_profiles import ProfileLookup
from tests.crowdwall.fakes.asgi_server import AsgiServer
from tests.crowdwall.fakes.jetstream import FakeJetstream, MemoryLabels, post_event
from tests.crowdwall.sources.test_bluesky import ANN, BOB, EVE, at, bluesky, collect, posts

LABELLED = {ANN}


def self_labels(did: str) -> list[dict[str, str]]:
    """The account's self-labels as the AppView returns them (label objects)."""
    if did not in LABELLED:
        return []
    uri = f"at://{did}/app.bsky.actor.profile/self"
    return [{"src": did, "uri": uri, "val": "!no-unauthenticated", "cts": "2025-01-01T00:00:00Z"}]


class FakeAppView:
    """``GET /xrpc/app.bsky.actor.getProfiles?actors=...``: profiles shaped like the real
    AppView's (``labels`` holds self-labels as label objects); ``fail`` answers 502."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self.user_agents: list[str] = []
        self.fail = False

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        actors = parse_qs(scope["query_string"].decode()).get("actors", [])
        self.calls.append(actors)
        self.user_agents.append(dict(scope["headers"]).get(b"user-agent", b"").decode())
        status, body = 200, b""
        if self.fail:
            status = 502
        else:
            profiles = [
                {"did": did, "handle": "handle.invalid", "labels": self_labels(did)}
                for did in actors
            ]
            body = json.dumps({"profiles": profiles}).encode()
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


@pytest.fixture
def appview() -> Iterator[tuple[FakeAppView, str]]:
    fake = FakeAppView()
    with AsgiServer(fake) as server:
        yield fake, server.url


def test_lookups_are_batched_cached_and_failures_leave_authors_unknown(appview):
    fake, url = appview
    clock = [0.0]
    lookup = ProfileLookup(url, ttl=60, clock=lambda: clock[0])
    dids = [ANN, *(f"did:plc:{n:024d}" for n in range(30))]

    async def run() -> list[set[str]]:
        try:
            found = [await lookup.labelled([*dids, ANN])]
            found.append(await lookup.labelled(dids))  # cached: no call
            fake.fail = True
            clock[0] = 61.0
            found.append(await lookup.labelled([ANN]))
            fake.fail = False
            found.append(await lookup.labelled([ANN]))  # paused after a failure: no call
            clock[0] += lookup.pause
            found.append(await lookup.labelled([ANN]))  # asked again after the pause
            return found
        finally:
            await lookup.aclose()

    assert asyncio.run(run()) == [{ANN}, set(), set(), set(), {ANN}]
    assert [len(call) for call in fake.calls] == [25, 6, 1, 1]
    assert (lookup.calls, lookup.failures) == (4, 1)
    assert all(agent.startswith("crowdwall/") for agent in fake.user_agents)


def test_a_first_seen_labelled_author_is_kept_off_and_recorded(appview):
    fake, url = appview
    with FakeJetstream() as jetstream:
        jetstream.append(
            post_event(ANN, "p1", "#djangocon", time_us=at(1)),
            post_event(BOB, "b1", "#djangocon", time_us=at(2)),
            post_event(ANN, "p2", "#djangocon", time_us=at(3)),
            post_event(BOB, "b2", "#djangocon", time_us=at(4)),
        )
        source = bluesky(
            jetstream,
            profile_lookup=True,
            profile_lookup_url=url,
            batch_size=2,
            batch_interval=30,  # batches of two, however slow the machine
            progress_interval=30,
        )
        source.labels = labels = MemoryLabels()
        batches = collect(source, str(at(0)), until_us=at(4), timeout=60)
    flags = {p.external_id.rsplit("/", 1)[-1]: p.author.no_unauthenticated for p in posts(batches)}
    assert flags == {"p1": True, "b1": None, "p2": True, "b2": None}
    assert labels.applied == [{ANN: True}]
    assert fake.calls == [[ANN, BOB]]  # both known afterwards: one call


def test_an_appview_that_is_down_does_not_stop_the_stream():
    with FakeJetstream() as jetstream:
        jetstream.append(post_event(EVE, "e1", "#djangocon", time_us=at(1)))
        source = bluesky(jetstream, profile_lookup=True, profile_lookup_url="http://127.0.0.1:9/")
        source.labels = MemoryLabels()
        batches = collect(source, str(at(0)), until_us=at(1), timeout=60)
    assert [p.author.no_unauthenticated for p in posts(batches)] == [None]
    assert source.lookup is not None and source.lookup.failures == 1
