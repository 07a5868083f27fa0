"""crowdwall/figures.js in real Chromium: the wall page's post count, top authors and top posts
follow new posts and moderation live (``wall.figures`` frames), and a page showing old figures
(a cached copy) is corrected as soon as it connects."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.crowdwall.browser.test_live_js import Proxy, offline
from tests.crowdwall.conftest import make_post
from tests.crowdwall.live.conftest import Api, AsgiServer
from tests.fixtures.browser import ARTIFACTS

pytestmark = pytest.mark.slow

COUNT = '[data-figure="count"]'
AUTHORS = '[data-figure="top-authors"]'
TOP_POSTS = '[data-figure="top-posts"]'
SIZES = {"phone": (390, 844), "laptop": (1366, 768), "1080p": (1920, 1080), "4k": (3840, 2160)}
BOB = {
    "id": "https://social.example/users/bob",
    "handle": "bob@social.example",
    "display_name": "Bob",
}


STALE = """() => {
    // The page as a cache might still hold it from before any post: no figures.
    document.querySelector("[data-post-count]").textContent = "0";
    document.querySelector('[data-figure="top-authors"]').innerHTML = "<p>No posts yet.</p>";
    document.querySelector('[data-figure="top-posts"]').innerHTML = "<p>Nothing boosted yet.</p>";
}"""


def authors(page: Any) -> list[str]:
    return page.locator(f"{AUTHORS} li").evaluate_all(
        "nodes => nodes.map(n => n.textContent.replace(/\\s+/g, ' ').trim())"
    )


def top_ids(page: Any) -> list[int]:
    return page.locator(f"{TOP_POSTS} article.post").evaluate_all(
        "nodes => nodes.map(n => Number(n.dataset.postId))"
    )


def expect_figures(page: Any, count: str, names: list[str], top: list[int]) -> None:
    expect(page.locator(COUNT)).to_have_text(count)
    page.wait_for_function(
        "([sel, n]) => document.querySelectorAll(sel).length === n",
        arg=[f"{AUTHORS} li", len(names)],
    )
    assert [name.split(" @")[0] for name in authors(page)] == names
    expect(page.locator(f"{TOP_POSTS} article.post")).to_have_count(len(top))
    assert top_ids(page) == top


def screenshots(page: Any, name: str) -> None:
    folder = ARTIFACTS / "figures"
    folder.mkdir(parents=True, exist_ok=True)
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(folder / f"{name}-{size}.png"), full_page=False)
    page.set_viewport_size({"width": 1366, "height": 768})


def test_figures_are_corrected_on_load_and_follow_posts_and_moderation(
    page: Any, page_server: AsgiServer
):
    api = Api(page_server).create()
    ids = api.ingest(make_post(1, counts={"boosts": 2}), make_post(2))
    proxy = Proxy(page)
    proxy.accept = False  # no socket yet: the page shows what its HTML says
    offline(page)
    page.goto(f"http://{page_server.base}/walls/{api.slug}/")
    expect(page.locator(COUNT)).to_have_text("2 posts")
    page.evaluate(STALE)
    expect(page.locator(COUNT)).to_have_text("0 posts")
    # Connected: the catch-up's figures replace the stale ones at once.
    proxy.accept = True
    expect(page.locator('[data-live-status][data-state="live"]')).to_be_visible(timeout=20_000)
    expect_figures(page, "2 posts", ["Ann"], [ids["1"]])
    assert authors(page)[0].endswith("2 posts")

    # A new post by another author, favourited more: every figure moves without a reload.
    ids = api.ingest(make_post(3, author=BOB, counts={"favourites": 5}))
    expect_figures(page, "3 posts", ["Ann", "Bob"], [ids["3"], ids["1"]])
    assert authors(page)[1].endswith("1 post")
    screenshots(page, "after-new-post")

    # Hidden by a moderator: gone from the count and both lists; approved again: back.
    assert api.moderate(ids["3"], "rejected") == 1
    expect_figures(page, "2 posts", ["Ann"], [ids["1"]])
    assert api.moderate(ids["3"], "approved") == 1
    expect_figures(page, "3 posts", ["Ann", "Bob"], [ids["3"], ids["1"]])
    # Down to one post: the noun follows the number.
    for external in ("1", "2"):
        api.moderate(ids[external], "rejected")
    expect_figures(page, "1 post", ["Bob"], [ids["3"]])
    assert any('"wall.figures"' in frame for frame in proxy.frames)
    errors = [e for e in page.console_log.errors if "refused by the test" not in e]
    assert errors == []
