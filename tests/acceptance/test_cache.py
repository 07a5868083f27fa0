"""Cached pages: anonymous visitors share a copy (Django's cache or the nginx edge);
a logged-in moderator never gets a copy cached for somebody else."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect
from pytest_bdd import given, parsers, scenarios, then, when

from tests.acceptance.browsing import visit
from tests.acceptance.people import People
from tests.acceptance.scene import Scene
from tests.fixtures.servers import Server

scenarios("features/cache.feature")


@given("the site is served through the nginx edge", target_fixture="scene")
def through_edge(scene: Scene, edge: Server) -> Scene:
    scene.base = f"http://{edge.address}"
    return scene


@given("an anonymous visitor has seen the wall")
def anonymous_has_seen(scene: Scene, people: People) -> None:
    visit(people.page("first visitor"), scene.url())


@when(parsers.parse('the post "{old}" is changed to "{new}" behind the cache\'s back'))
def change_quietly(scene: Scene, old: str, new: str) -> None:
    scene.site.control(f"posts/{scene.id_of(old)}/rewrite/", {"html": f"<p>{new}</p>"})


@then(
    parsers.parse('another anonymous visitor gets the cached page with "{text}"'),
    target_fixture="cached_response",
)
def anonymous_gets_cached(scene: Scene, people: People, text: str) -> Any:
    page = people.page("second visitor")
    response = visit(page, scene.url())
    assert text in response.text()  # what the server sent, before any script ran
    expect(page.locator("article.post", has_text=text)).to_be_visible()
    return response


@then("that page came from the nginx edge, not from Django")
def came_from_edge(cached_response: Any) -> None:
    assert cached_response.headers.get("x-herdcache") == "edge", cached_response.headers


@then("a logged-in moderator's wall page does not come from the edge")
def moderator_bypasses_edge(scene: Scene, people: People) -> None:
    page = people.moderator()
    response = visit(page, scene.url())
    assert "x-herdcache" not in response.headers, response.headers


@then(parsers.parse('a logged-in moderator sees "{text}" on their moderation screen'))
def moderator_sees_fresh(scene: Scene, people: People, text: str) -> None:
    page = people.moderator()
    response = visit(page, scene.url("moderate/"))
    assert "x-herdcache" not in response.headers, response.headers
    expect(page.locator("[data-mod-item]", has_text=text)).to_be_visible()
