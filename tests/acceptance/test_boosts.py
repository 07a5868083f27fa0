"""The boost switch: hides boosted posts, remembered across reloads."""

from __future__ import annotations

from playwright.sync_api import expect
from pytest_bdd import parsers, scenarios, then, when

from tests.acceptance.browsing import post
from tests.acceptance.people import People

scenarios("features/boosts.feature")

SWITCH = "[data-boost-switch] input[type=checkbox]"


@when("I switch boosts off")
def switch_boosts_off(people: People) -> None:
    people.pages["visitor"].locator(SWITCH).check()


@when("I reload the page")
def reload_page(people: People) -> None:
    people.pages["visitor"].reload()


@then(parsers.parse('the post "{text}" is hidden'))
def post_hidden(people: People, text: str) -> None:
    found = post(people.pages["visitor"], text)
    expect(found).to_have_count(1)  # still on the page, just not shown
    expect(found).to_be_hidden()


@then("the boost switch is still off")
def switch_still_off(people: People) -> None:
    page = people.pages["visitor"]
    expect(page.locator("[data-boost-switch]")).to_be_visible()
    expect(page.locator(SWITCH)).to_be_checked()
