"""static/crowdwall/moderate.js in real Chromium against a real ASGI server: keyboard
decisions, the queue filling live, bulk approve, the ban-word form over fetch; and the same
screen without JavaScript (plain forms that redirect back)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.crowdwall.conftest import make_post
from tests.crowdwall.live.conftest import Api, AsgiServer

pytestmark = pytest.mark.slow


def pre_approve_wall(server: AsgiServer, *posts: dict[str, Any]) -> tuple[Api, dict[str, int]]:
    api = Api(server).create()
    httpx.post(f"http://{server.base}/test/mode/{api.slug}/pre_approve/", timeout=30)
    return api, api.ingest(*posts)


def log_in(page: Any, server: AsgiServer, username: str = "mo", **params: Any) -> None:
    """A session cookie (from a real login on the server) in the page's browser: staff unless
    ``params`` say otherwise (``viewer_of=<slug>``)."""
    with httpx.Client(base_url=f"http://{server.base}", timeout=30) as http:
        login = http.get(f"/test/login/{username}/", params=params or {"staff": 1})
        assert login.status_code == 200
        cookies = [
            {"name": name, "value": value, "url": f"http://{server.base}/"}
            for name, value in http.cookies.items()
        ]
    page.context.add_cookies(cookies)


def item(page: Any, post_id: int) -> Any:
    return page.locator(f'[data-mod-item][data-post-id="{post_id}"]')


def test_keyboard_live_queue_and_bulk_approve(mod_server: AsgiServer, page: Any):
    api, ids = pre_approve_wall(mod_server, make_post(1), make_post(2), make_post(3))
    log_in(page, mod_server)
    page.goto(f"http://{mod_server.base}/walls/{api.slug}/moderate/")
    expect(page.locator("[data-mod-item]")).to_have_count(3)
    expect(page.locator("[data-mod-live]")).to_be_visible()  # the socket is open

    page.keyboard.press("j")
    expect(item(page, ids["1"])).to_have_class("mod-item mod-item--pending is-current")
    page.keyboard.press("a")  # approve the current post
    expect(item(page, ids["1"])).to_have_count(0)
    expect(item(page, ids["2"])).to_have_class("mod-item mod-item--pending is-current")
    page.keyboard.press("r")
    expect(item(page, ids["2"])).to_have_count(0)
    expect(page.locator('[data-count="pending"]')).to_have_text("1")

    new = api.ingest(make_post(4))["4"]  # arrives over the moderators' socket
    expect(item(page, new)).to_be_visible()
    expect(page.locator("[data-mod-item]")).to_have_count(2)

    page.keyboard.press("x")  # the current post (the one after the rejected one)
    page.keyboard.press("j")
    page.keyboard.press("x")
    expect(page.locator("[data-select]:checked")).to_have_count(2)
    page.keyboard.press("Shift+A")  # approve the selected posts
    expect(page.locator("[data-mod-item]")).to_have_count(0)
    expect(page.locator("[data-mod-empty]")).to_be_visible()

    page.keyboard.press("?")
    expect(page.locator("[data-mod-help]")).to_be_visible()
    page.keyboard.press("Escape")

    page.goto(f"http://{mod_server.base}/walls/{api.slug}/moderate/log/")
    expect(page.locator("[data-log-entry]")).to_have_count(3)
    assert page.console_log.errors == []


def test_ban_word_over_fetch_and_moderation_elsewhere_removes_items(
    mod_server: AsgiServer, page: Any
):
    api, ids = pre_approve_wall(
        mod_server, make_post(1, html="<p>free crypto here</p>"), make_post(2), make_post(3)
    )
    log_in(page, mod_server)
    page.goto(f"http://{mod_server.base}/walls/{api.slug}/moderate/")
    expect(page.locator("[data-mod-live]")).to_be_visible()
    page.fill("form[data-ban-word] input[name=word]", '"free crypto"')
    page.press("form[data-ban-word] input[name=word]", "Enter")
    expect(page.locator("[data-mod-status]")).to_contain_text("1 post removed")
    expect(item(page, ids["1"])).to_have_count(0)  # removed through the live feed
    expect(page.locator("[data-banned-words]")).to_contain_text('"free crypto"')
    api.moderate(ids["2"], "approved")  # another moderator (or the admin) decides
    expect(item(page, ids["2"])).to_have_count(0)
    expect(page.locator("[data-mod-item]")).to_have_count(1)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    page.locator("form[data-ban-word] input[name=word]").blur()  # keys typed there are text
    page.keyboard.press("j")
    page.keyboard.press("b")  # asks first, then bans the author of the current post
    expect(page.locator("[data-mod-item]")).to_have_count(0)
    expect(page.locator("[data-banned-authors]")).to_contain_text("social.example/users/ann")
    assert len(dialogs) == 1 and "Ban this author" in dialogs[0]
    assert page.console_log.errors == []


def test_without_javascript_every_button_is_a_form(mod_server: AsgiServer, page_without_js: Any):
    page = page_without_js
    api, ids = pre_approve_wall(mod_server, make_post(1), make_post(2))
    log_in(page, mod_server)
    screen = f"http://{mod_server.base}/walls/{api.slug}/moderate/"
    page.goto(screen)
    item(page, ids["1"]).locator('button[data-action="approve"]').click()
    expect(page.locator(".mod-messages li")).to_contain_text("Approve: 1 post changed.")
    expect(page.locator("[data-mod-item]")).to_have_count(1)
    item(page, ids["2"]).locator("input[data-select]").check()
    page.click('button[data-bulk="reject"]')
    expect(page.locator("[data-mod-item]")).to_have_count(0)
    page.goto(screen + "?state=approved")
    item(page, ids["1"]).locator('button[data-action="pin"]').click()
    expect(item(page, ids["1"]).locator('button[data-action="unpin"]')).to_be_visible()


def test_a_viewer_watches_the_queue_live_without_any_action(mod_server: AsgiServer, page: Any):
    api, _ = pre_approve_wall(mod_server, make_post(1), make_post(2))
    log_in(page, mod_server, "watcher", viewer_of=api.slug)
    page.goto(f"http://{mod_server.base}/walls/{api.slug}/moderate/")
    expect(page.locator("[data-mod-item]")).to_have_count(2)
    expect(page.locator("[data-read-only]")).to_be_visible()
    expect(page.locator("[data-mod-live]")).to_be_visible()  # the socket is open for viewers
    expect(page.locator("button[data-action], button[data-bulk], [data-select]")).to_have_count(0)
    for key in ("j", "a", "x", "Shift+A", "b"):  # the shortcuts find nothing to press
        page.keyboard.press(key)
    new = api.ingest(make_post(3))["3"]  # still arrives over the moderators' socket
    expect(item(page, new)).to_be_visible()
    expect(page.locator("[data-mod-item]")).to_have_count(3)
    assert page.console_log.errors == []
