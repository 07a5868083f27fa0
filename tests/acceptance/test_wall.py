"""Following a wall: its posts, newest first, and new ones arriving live."""

from __future__ import annotations

from playwright.sync_api import expect
from pytest_bdd import scenarios, then

from tests.acceptance.browsing import POSTS
from tests.acceptance.people import People

scenarios("features/wall.feature")


@then("the newest post comes first")
def newest_first(people: People) -> None:
    page = people.pages["visitor"]
    posts = page.locator(POSTS)
    expect(posts).to_have_count(2)
    expect(posts.first).to_contain_text("The coffee here is great")
    expect(posts.last).to_contain_text("Hello from the first keynote")


@then("it is the first post on the wall")
def first_post(people: People) -> None:
    page = people.pages["visitor"]
    expect(page.locator(POSTS).first).to_contain_text("Lunch is served in the main hall")
    expect(page.locator(POSTS)).to_have_count(3)  # no duplicate of it
