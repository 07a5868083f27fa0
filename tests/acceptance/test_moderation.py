"""Moderators at work: banning an author, approving posts on a pre-approve wall."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect
from pytest_bdd import parsers, scenarios, then, when

from tests.acceptance.browsing import assert_not_reloaded, post, visit
from tests.acceptance.people import People
from tests.acceptance.scene import Scene

scenarios("features/moderation.feature")


def queue_item(page: Any, scene: Scene, text: str) -> Any:
    """The moderation screen's item for the post with this text."""
    return page.locator(f'[data-mod-item][data-post-id="{scene.id_of(text)}"]')


def moderation_screen(scene: Scene, people: People, text: str) -> Any:
    """The moderator's screen showing the post's item (approved posts may sit on another tab)."""
    page = people.moderator()
    visit(page, scene.url("moderate/"))
    item = queue_item(page, scene, text)
    if item.count() == 0:
        visit(page, scene.url("moderate/?state=approved"))
    expect(item).to_be_visible()
    return item


@when(parsers.parse('I ban the author of "{text}" on the moderation screen'))
def ban_author(scene: Scene, people: People, text: str) -> None:
    item = moderation_screen(scene, people, text)
    item.locator('button[data-action="ban-author"]').click()


@when(parsers.parse('I approve "{text}" on the moderation screen'))
def approve(scene: Scene, people: People, text: str) -> None:
    item = queue_item(people.moderator(), scene, text)
    item.locator('button[data-action="approve"]').click()


@then(parsers.parse("the posts by {name} vanish from the big screen without a reload"))
def posts_vanish(scene: Scene, people: People, name: str) -> None:
    screen = people.pages["big screen"]
    for text in scene.texts_by(name):
        expect(post(screen, text)).to_have_count(0)
    assert_not_reloaded(screen)


@then(parsers.parse('the big screen still shows "{text}"'))
def screen_still_shows(people: People, text: str) -> None:
    expect(post(people.pages["big screen"], text)).to_be_visible()


@then(parsers.parse('the moderation screen lists "{text}" as waiting'))
def listed_as_waiting(scene: Scene, people: People, text: str) -> None:
    page = people.moderator()
    visit(page, scene.url("moderate/"))
    item = queue_item(page, scene, text)
    expect(item).to_be_visible()
    expect(item.locator('button[data-action="approve"]')).to_be_visible()
