"""The big screen across a server restart: it reconnects and catches up by itself."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect
from pytest_bdd import parsers, scenarios, then, when

from tests.acceptance.browsing import STATUS, assert_not_reloaded, post
from tests.acceptance.people import People
from tests.acceptance.scene import Scene

scenarios("features/restart.feature")

# The page retries with backoff (live.js: doubling up to 30 s, with jitter): after a long outage
# on a busy machine its next attempt may be that far away. Wait for it, not for a fixed time.
RECONNECT_MS = 45_000


@pytest.fixture
def up_again_afterwards(scene: Scene) -> Iterator[None]:
    """Whatever happens in the scenario, the next one finds the server running."""
    yield
    if scene.site.server.proc is None or scene.site.server.proc.poll() is not None:
        scene.site.server.start()


@when("the web server goes down")
def server_down(scene: Scene, up_again_afterwards: None) -> None:
    scene.site.stop()


@when("the web server comes back")
def server_back(scene: Scene) -> None:
    scene.site.server.start()  # same port: the page reconnects to the address it knows


@when(parsers.parse('somebody posts "{text}" while the web server is down'))
def posts_while_down(scene: Scene, text: str) -> None:
    scene.ingest_offline(scene.post(text, by="someone"))


@then("the big screen says it is reconnecting")
def says_reconnecting(people: People) -> None:
    status = people.pages["big screen"].locator(STATUS).first
    expect(status).to_have_attribute("data-state", "reconnecting")


@then(parsers.parse('the big screen shows "{text}" without a reload'))
def screen_shows(people: People, text: str) -> None:
    screen = people.pages["big screen"]
    expect(post(screen, text)).to_have_count(1, timeout=RECONNECT_MS)  # once: no duplicate
    expect(post(screen, text)).to_be_visible()
    assert_not_reloaded(screen)


@then("the big screen is live again")
def live_again(people: People) -> None:
    status = people.pages["big screen"].locator(STATUS).first
    expect(status).to_have_attribute("data-state", "live", timeout=RECONNECT_MS)
