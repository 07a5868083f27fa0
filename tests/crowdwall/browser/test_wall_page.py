"""The wall page in real Chromium: the live bar on top; new posts wait behind "N new posts"
while the reader is scrolled down or has pressed Pause (removals still apply); compact cards on
a phone; keyboard steps through the posts; ``prefers-reduced-motion`` respected."""

from __future__ import annotations

import statistics
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.crowdwall.browser.pages import photos, replay_posts, shoot
from tests.crowdwall.browser.test_live_js import POSTS, expect_ids, no_errors, post_ids
from tests.crowdwall.conftest import make_post
from tests.crowdwall.live.conftest import Api, AsgiServer

pytestmark = pytest.mark.slow

NEW_POSTS = "[data-new-posts]"
PAUSE = "[data-live-pause]"


def open_wall(page: Any, server: AsgiServer, slug: str) -> None:
    photos(page)
    page.goto(f"http://{server.base}/walls/{slug}/")
    expect(page.locator('[data-live-status][data-state="live"]')).to_be_visible()


def top_of(page: Any, post_id: int) -> float:
    return page.locator(f"#post-{post_id}").evaluate("n => n.getBoundingClientRect().top")


def test_the_live_status_sits_above_the_posts(page: Any, page_server: AsgiServer):
    api = Api(page_server).create()
    api.ingest(*[make_post(n) for n in range(1, 31)])
    open_wall(page, page_server, api.slug)
    status = page.locator("[data-live-status]").bounding_box()
    first = page.locator(POSTS).first.bounding_box()
    assert status is not None and first is not None
    assert status["y"] + status["height"] <= first["y"]
    assert status["y"] < 300  # on the first screen, not under the posts
    page.mouse.wheel(0, 2000)  # sticky: still in view while reading
    expect(page.locator("[data-live-status]")).to_be_in_viewport()


def test_new_posts_wait_behind_a_bar_while_the_reader_is_scrolled_down(
    page: Any, page_server: AsgiServer
):
    api = Api(page_server).create()
    ids = api.ingest(*[make_post(n) for n in range(1, 31)])
    open_wall(page, page_server, api.slug)
    shown = post_ids(page)
    reading = ids["20"]
    page.locator(f"#post-{reading}").scroll_into_view_if_needed()
    page.evaluate("window.scrollBy(0, 200)")
    before = top_of(page, reading)

    ids = api.ingest(make_post(40), make_post(41))
    button = page.locator(NEW_POSTS)
    expect(button).to_have_text("Show 2 new posts")
    expect(button).to_be_in_viewport()  # the bar is sticky
    assert post_ids(page) == shown
    assert top_of(page, reading) == before  # what they read did not move
    shoot(page, "wall-new-posts-waiting")

    # Moderation still applies, to the held posts and to the shown ones.
    api.moderate(ids["40"], "rejected")
    expect(button).to_have_text("Show 1 new post")
    api.moderate(ids["30"], "rejected")
    expect(page.locator(f"#post-{ids['30']}")).to_have_count(0)

    button.focus()
    page.keyboard.press("Enter")  # keyboard, like a click
    expect_ids(page, [ids["41"], *[pk for pk in shown if pk != ids["30"]]])
    expect(button).to_be_hidden()
    page.wait_for_function("window.scrollY === 0")
    expect(page.locator(f"#post-{ids['41']}")).to_be_focused()
    ids = api.ingest(make_post(42))  # at the top again: straight in
    expect(page.locator(POSTS).first).to_have_attribute("data-post-id", str(ids["42"]))
    no_errors(page)


def test_pause_holds_new_posts_until_resumed(page: Any, page_server: AsgiServer):
    api = Api(page_server).create()
    ids = api.ingest(make_post(1), make_post(2))
    open_wall(page, page_server, api.slug)
    pause = page.locator(PAUSE)
    expect(pause).to_have_attribute("aria-pressed", "false")
    pause.click()
    expect(pause).to_have_attribute("aria-pressed", "true")

    ids = api.ingest(make_post(3))
    expect(page.locator(NEW_POSTS)).to_have_text("Show 1 new post")
    # An edit of a held post replaces it in the queue: still one.
    ids = api.ingest(make_post(3, html="<p>Post 3, edited</p>"))
    page.wait_for_timeout(300)
    expect(page.locator(NEW_POSTS)).to_have_text("Show 1 new post")
    assert post_ids(page) == [ids["2"], ids["1"]]

    pause.click()  # resumed at the top: the held posts go in
    expect(pause).to_have_attribute("aria-pressed", "false")
    expect_ids(page, [ids["3"], ids["2"], ids["1"]])
    expect(page.locator(f"#post-{ids['3']} .content")).to_have_text("Post 3, edited")
    expect(page.locator(NEW_POSTS)).to_be_hidden()
    no_errors(page)


def test_phone_cards_are_compact(page: Any, page_server: AsgiServer):
    """A typical post of the demo wall at 390 px wide: about half of the ~400 px it took."""
    api = Api(page_server).create()
    api.ingest(*replay_posts(40))
    page.set_viewport_size({"width": 390, "height": 844})
    open_wall(page, page_server, api.slug)
    page.wait_for_load_state("networkidle")
    heights = page.locator(POSTS).evaluate_all(
        "nodes => nodes.map(n => n.getBoundingClientRect().height)"
    )
    assert statistics.median(heights) <= 200, sorted(heights)
    assert max(heights) <= 520, sorted(heights)  # a photo is capped, not a screen tall
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shoot(page, "wall-demo-posts")


def test_keyboard_steps_through_the_posts_in_order(page: Any, page_server: AsgiServer):
    api = Api(page_server).create()
    api.ingest(*[make_post(n) for n in range(1, 8)])
    open_wall(page, page_server, api.slug)
    shown = post_ids(page)
    focused = "document.activeElement.closest('article.post')?.dataset.postId ?? null"

    page.keyboard.press("j")  # the first post in view
    assert page.evaluate(focused) == str(shown[0])
    ring = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert ring == "solid"
    page.keyboard.press("j")
    page.keyboard.press("j")
    assert page.evaluate(focused) == str(shown[2])
    page.keyboard.press("k")
    assert page.evaluate(focused) == str(shown[1])
    page.keyboard.press("ArrowDown")
    assert page.evaluate(focused) == str(shown[2])

    # Tab reaches every post in order (each post, then its links).
    page.locator(f"#post-{shown[0]}").focus()
    seen = [shown[0]]
    for _ in range(40):
        page.keyboard.press("Tab")
        current = page.evaluate(focused)
        if current is None:
            break
        if int(current) != seen[-1]:
            seen.append(int(current))
    assert seen == shown
    # Going back up, the focused post is never hidden under the sticky bar.
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    for _ in shown:
        page.keyboard.press("k")
        page.wait_for_function(
            "() => document.activeElement.getBoundingClientRect().top >="
            " document.querySelector('[data-live-bar]').getBoundingClientRect().bottom - 1"
        )
    assert page.evaluate(focused) == str(shown[0])
    # Typing in a field is not stepping.
    page.locator("[data-boost-switch] input").focus()
    page.keyboard.press("j")
    assert page.evaluate(focused) is None


def test_reduced_motion_means_no_animation_and_no_smooth_scroll(page: Any, page_server: AsgiServer):
    api = Api(page_server).create()
    api.ingest(*[make_post(n) for n in range(1, 31)])
    page.emulate_media(reduced_motion="reduce")
    open_wall(page, page_server, api.slug)

    ids = api.ingest(make_post(40))  # at the top: goes straight in, without animation
    new = page.locator(f"#post-{ids['40']}")
    expect(new).to_be_visible()
    assert new.evaluate("n => n.getAnimations().length + n.classList.contains('is-new')") == 0

    page.evaluate("window.scrollTo(0, 1500)")
    ids = api.ingest(make_post(41))
    expect(page.locator(NEW_POSTS)).to_have_text("Show 1 new post")
    page.locator(NEW_POSTS).click()
    assert page.evaluate("window.scrollY") == 0  # at once, not gliding
    page.keyboard.press("j")
    page.keyboard.press("j")
    assert page.evaluate("getComputedStyle(document.documentElement).scrollBehavior") == "auto"
    no_errors(page)


def test_waiting_posts_are_bounded_like_the_list(page: Any, page_server: AsgiServer):
    api = Api(page_server).create()
    api.ingest(make_post(1))
    page.add_init_script(  # a list of two posts instead of 200
        "new MutationObserver((_, observer) => {"
        "  const root = document.querySelector('[data-live-root]');"
        "  if (root) { root.dataset.maxPosts = '2'; observer.disconnect(); }"
        "}).observe(document, {childList: true, subtree: true});"
    )
    open_wall(page, page_server, api.slug)
    page.locator(PAUSE).click()
    ids = api.ingest(make_post(2), make_post(3), make_post(4))
    expect(page.locator(NEW_POSTS)).to_have_text("Show 2 new posts")
    page.locator(NEW_POSTS).click()
    expect_ids(page, [ids["4"], ids["3"]])
    no_errors(page)
