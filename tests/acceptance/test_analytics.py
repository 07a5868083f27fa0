"""The analytics page of a wall, live: a post arrives and the counters and the chart move."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect
from pytest_bdd import parsers, scenarios, then, when

from tests.acceptance.browsing import assert_not_reloaded, visit
from tests.acceptance.people import People
from tests.acceptance.scene import Scene

scenarios("features/analytics.feature")

POLL_MS = 30_000  # the page polls every 5 s; generous for a loaded machine


def analytics_page(people: People) -> Any:
    return people.moderator()


@when("I open the wall's analytics")
def open_analytics(scene: Scene, people: People, request: pytest.FixtureRequest) -> None:
    page = analytics_page(people)
    visit(page, scene.url("analytics/?range=event"))  # the scene starts an hour ago
    # What the chart looked like before: compared after the next post.
    request.node.chart_before = page.locator(".an-bars").inner_html()


@then(parsers.parse("the analytics count {posts:d} posts by {posters:d} unique posters"))
def counts(people: People, posts: int, posters: int) -> None:
    page = analytics_page(people)
    expect(page.locator('[data-figure="posts"]')).to_have_text(str(posts))
    expect(page.locator('[data-figure="unique_posters"]')).to_have_text(str(posters))


@then(
    parsers.parse(
        "the analytics count {posts:d} posts by {posters:d} unique posters without a reload"
    )
)
def counts_live(people: People, posts: int, posters: int) -> None:
    page = analytics_page(people)
    expect(page.locator('[data-figure="posts"]')).to_have_text(str(posts), timeout=POLL_MS)
    expect(page.locator('[data-figure="unique_posters"]')).to_have_text(str(posters))
    assert_not_reloaded(page)


@then("the posts-per-minute chart has moved")
def chart_moved(people: People, request: pytest.FixtureRequest) -> None:
    assert analytics_page(people).locator(".an-bars").inner_html() != request.node.chart_before


@then("the analytics page has no script errors")
def no_script_errors(people: People) -> None:
    assert analytics_page(people).console_log.errors == []
