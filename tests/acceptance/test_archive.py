"""The archive's pages, with JavaScript switched off."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from pytest_bdd import given, parsers, scenarios, then, when

from tests.acceptance.browsing import visit
from tests.acceptance.people import People
from tests.acceptance.scene import Scene

scenarios("features/archive.feature")

TIMELINE = "section.timeline article.post"


def text(number: int) -> str:
    return f"Archived post number {number}"


@given(parsers.parse("a wall with {count:d} numbered posts"), target_fixture="scene")
def numbered_posts(scene: Scene, count: int) -> Scene:
    scene.create()
    scene.ingest(*(scene.post(text(n)) for n in range(1, count + 1)))
    return scene


@given("my browser has JavaScript switched off")
def javascript_off(people: People, request: pytest.FixtureRequest) -> None:
    people.add("visitor", request.getfixturevalue("page_without_js"))


@when("I open the wall's archive")
def open_archive(scene: Scene, people: People) -> None:
    visit(people.pages["visitor"], scene.url("archive/"))


@when(parsers.parse('I follow "{link}"'))
def follow(people: People, link: str) -> None:
    page = people.pages["visitor"]
    page.get_by_role("link", name=link, exact=True).click()
    page.wait_for_load_state()


@then(parsers.parse("I see posts {first:d} to {last:d}"))
def see_posts(people: People, first: int, last: int) -> None:
    expected = [text(n) for n in range(first, last - 1, -1)]
    posts = people.pages["visitor"].locator(TIMELINE + " .content")
    expect(posts).to_have_text(expected)


@then(parsers.parse('there is no "{link}" link'))
def no_link(people: People, link: str) -> None:
    expect(people.pages["visitor"].get_by_role("link", name=link, exact=True)).to_have_count(0)
