"""An organiser sets a wall up in the console: create it, add a feed, test it, open the wall.

The feed is the fake feed server of the source tests, on a loopback port the site's server
process fetches from. Every run also saves the console's pages at phone, laptop, 1080p and 4K
sizes under ``test-artifacts/console/`` (for people to judge; docs).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from pytest_bdd import given, parsers, scenarios, then, when

from tests.acceptance.browsing import visit
from tests.acceptance.people import People
from tests.acceptance.scene import Scene
from tests.crowdwall.fakes.feeds import FeedServer

scenarios("features/console.feature")

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "console"
SIZES = {"phone": (390, 844), "laptop": (1366, 768), "1080p": (1920, 1080), "4k": (3840, 2160)}


def screenshots(page: Any, name: str) -> None:
    """The page at every size, on every run (a person looks at them; docs/console/)."""
    size = page.viewport_size
    SHOTS.mkdir(parents=True, exist_ok=True)
    for label, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(SHOTS / f"{name}-{label}.png"), full_page=True)
        if label == "laptop":  # what fits the screen: small enough for docs/console/
            page.screenshot(path=str(SHOTS / f"{name}-laptop-view.png"))
    page.set_viewport_size(size)


@pytest.fixture
def feed() -> Iterator[FeedServer]:
    with FeedServer(format="rss", title="Django Day news") as server:
        yield server


def verdict(page: Any, text: str, scene: Scene) -> Any:
    item = page.locator("[data-sample-post]", has_text=text)
    return item.locator(f'[data-verdict^="{scene.slug}:"]')


@given("I am logged in as an organiser")
def organiser(people: People) -> None:
    people.moderator()  # staff: today's organisers (crowdwall.console.access)


@given("a news feed with the posts:")
def news_feed(feed: FeedServer, datatable: list[list[str]]) -> None:
    for number, (text,) in enumerate(datatable[1:], start=1):
        feed.add(str(number), title=text, html=f"<p>{text}</p>", author="Django Day team")


@when(parsers.parse('I create a wall "{name}" with the hashtag "{tag}" in the console'))
def create_wall(people: People, scene: Scene, name: str, tag: str) -> None:
    page = people.moderator()
    visit(page, scene.site.url("/walls/console/"))
    page.get_by_role("link", name="New wall").click()
    page.get_by_label("Name").fill(name)
    page.get_by_label("Slug").fill(scene.slug)
    page.get_by_label("Hashtags").fill(f"#{tag}")
    # The form says what the rule will match while the organiser types.
    expect(page.locator('[data-meanings="hashtags"]')).to_contain_text(f"posts tagged #{tag}")
    page.get_by_role("button", name="Create the wall").click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()


@when("I add the news feed as a source of the wall and test it")
def add_and_test(people: People, feed: FeedServer) -> None:
    page = people.moderator()
    page.get_by_role("link", name="Add a source").click()
    page.get_by_label("Name").fill("news")
    page.get_by_label("Kind").select_option("rss")
    page.get_by_label("URL").fill(feed.url)
    page.get_by_role("button", name="Test this source").click()
    expect(page.locator("[data-test-result]")).to_have_attribute("data-test-result", "ok")
    screenshots(page, "source-test")


@then(parsers.parse('the test shows "{text}" approved on the new wall'))
def shown_approved(people: People, scene: Scene, text: str) -> None:
    found = verdict(people.moderator(), text, scene)
    expect(found).to_have_attribute("data-verdict", f"{scene.slug}:approved")
    expect(found).to_contain_text("#djangoday")


@then(parsers.parse('the test shows "{text}" not shown on the new wall'))
def shown_not_matching(people: People, scene: Scene, text: str) -> None:
    found = verdict(people.moderator(), text, scene)
    expect(found).to_have_attribute("data-verdict", f"{scene.slug}:none")
    expect(found).to_contain_text("no hashtag, keyword or account")


@when("I save the source")
def save_source(people: People) -> None:
    people.moderator().get_by_role("button", name="Add the source").click()


@then("the console lists the source on the wall's page")
def source_listed(people: People) -> None:
    page = people.moderator()
    expect(page.locator("[data-console-sources] [data-source='news']")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Saved the source news")
    screenshots(page, "wall")


@when("I open the wall from the console")
def open_wall(people: People) -> None:
    people.moderator().get_by_role("link", name="Open the wall").click()


@then(parsers.parse('I see the wall "{name}"'))
def see_wall(people: People, scene: Scene, name: str) -> None:
    page = people.moderator()
    expect(page).to_have_url(scene.url())
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)
    visit(page, scene.site.url("/walls/console/"))
    screenshots(page, "walls")
