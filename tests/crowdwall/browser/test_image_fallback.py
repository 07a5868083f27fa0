"""crowdwall/fallback.js in real Chromium: on every page an avatar that fails to load becomes
the author's initials and a photo that fails becomes a placeholder with its alt text, for
server-rendered posts and live ones alike; without JavaScript the initials still show. On the
big screen a broken logo disappears and a broken slide picture shows its alt text."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from crowdwall.avatars import initials, tone
from tests.crowdwall.browser.screen_samples import configure
from tests.crowdwall.conftest import make_post
from tests.crowdwall.live.conftest import Api, AsgiServer

pytestmark = pytest.mark.slow

FACE = '<svg xmlns="http://www.w3.org/2000/svg" width="48" height="48"><rect width="48" height="48" fill="#0b6e4f"/></svg>'
BROKEN = {"author": {"avatar_url": "https://avatars.example/gone.png"}}
PHOTO = {"url": "https://media.example/gone.jpg", "type": "image", "alt": "A full room"}


def pictures(page: Any) -> None:
    """Images on other hosts: "gone" ones answer 404, the others a small picture."""

    def answer(route: Any) -> None:
        if "gone" in route.request.url:
            route.fulfill(status=404, body="")
        else:
            route.fulfill(status=200, content_type="image/svg+xml", body=FACE)

    page.route(re.compile(r"^https?://(?!127\.0\.0\.1[:/])"), answer)


def posts(api: Api) -> dict[str, int]:
    return api.ingest(
        make_post(1, media=[PHOTO], **BROKEN),
        make_post(2, author={"id": "u-bo", "handle": "bo@x.example", "display_name": "Bo Chen"}),
        make_post(3, author={"id": "u-cy", "handle": "cy@x.example", "display_name": "Cy Dunn",
                             "avatar_url": ""}),
    )  # fmt: skip


def expect_fallbacks(page: Any, article: str, initials: str = "A") -> None:
    avatar = page.locator(f"{article} [data-avatar]")
    expect(avatar).to_have_class(re.compile(r"\bavatar--initials\b"))
    expect(avatar.locator("img")).to_have_count(0)
    expect(avatar.locator(".avatar-initials")).to_have_text(initials)
    expect(avatar.locator(".avatar-initials")).to_be_visible()


@pytest.mark.parametrize("page_path", ["/", "/archive/", "/screen/", "/overlay/"])
def test_failed_images_fall_back_on_every_page(page: Any, page_server: AsgiServer, page_path):
    api = Api(page_server).create()
    ids = posts(api)
    pictures(page)
    page.goto(f"http://{page_server.base}/walls/{api.slug}{page_path}")
    first = f"article#post-{ids['1']}"
    expect_fallbacks(page, first)
    missing = page.locator(f"{first} .media-missing")
    expect(missing).to_have_text("A full room")
    expect(missing).to_have_attribute("aria-label", "A full room (image not available)")
    expect(page.locator(f"{first} .media img")).to_have_count(0)
    # A picture that loads stays, over the initials; no picture at all: the initials.
    good = page.locator(f"article#post-{ids['2']} [data-avatar] img")
    expect(good).to_be_visible()
    assert good.evaluate("img => img.naturalWidth") == 48
    expect(page.locator(f"article#post-{ids['3']} .avatar-initials")).to_have_text("CD")


def test_a_live_post_with_a_failed_avatar_shows_initials(page: Any, page_server: AsgiServer):
    api = Api(page_server).create()
    api.ingest(make_post(1))
    pictures(page)
    page.goto(f"http://{page_server.base}/walls/{api.slug}/")
    expect(page.locator('[data-live-status][data-state="live"]')).to_be_visible()
    author = {"id": "u-dj", "handle": "dj@x.example", "display_name": "Dana Jo ✨"}
    ids = api.ingest(make_post(9, media=[PHOTO], author=author | BROKEN["author"]))
    expect_fallbacks(page, f"article#post-{ids['9']}", "DJ")
    expect(page.locator(f"article#post-{ids['9']} .media-missing")).to_have_text("A full room")
    assert page.console_log.errors == []
    # The browser's initials and colours are the server's (crowdwall.avatars).
    names = [
        "Ann",
        "Dan ✨",
        "佐藤 ひろし",
        "Zoë  Brooks",
        " ",
        "@kat_99 x",
        "Олександр",
        "😀 Émile",
    ]
    script = "ns => ns.map(n => [CrowdwallImages.initials(n), CrowdwallImages.tone(n)])"
    assert page.evaluate(script, names) == [[initials(n), tone(n)] for n in names]


def test_without_javascript_a_failed_avatar_shows_the_initials_under_it(
    page_without_js: Any, page_server: AsgiServer
):
    api = Api(page_server).create()
    ids = posts(api)
    pictures(page_without_js)
    page_without_js.goto(f"http://{page_server.base}/walls/{api.slug}/")
    avatar = page_without_js.locator(f"article#post-{ids['1']} [data-avatar]")
    expect(avatar.locator(".avatar-initials")).to_be_visible()
    expect(avatar.locator("img")).to_have_attribute("alt", "")  # no broken-image icon drawn


def test_the_big_screens_broken_logo_goes_and_a_broken_slide_picture_shows_its_alt(
    page: Any, page_server: AsgiServer
):
    api = Api(page_server).create()
    api.ingest(*(make_post(n) for n in range(1, 4)))
    configure(
        page_server,
        api.slug,
        {"logo_url": "https://logo.example/gone.svg", "slide_every": 1},
        [{"title": "Our sponsor", "image_url": "https://media.example/gone.png",
          "image_alt": "Stroopwafel & Co. logo"}],
    )  # fmt: skip
    pictures(page)
    page.goto(f"http://{page_server.base}/walls/{api.slug}/screen/")
    expect(page.locator(".screen-banner .logo")).to_have_count(0)  # no broken-image icon
    expect(page.locator(".screen-banner h1")).to_be_visible()
    shown = page.locator("[data-live-root] > .slide").first  # screen.js's copy between posts
    missing = shown.locator(".media-missing")
    expect(missing).to_have_text("Stroopwafel & Co. logo")
    expect(missing).to_have_attribute("aria-label", "Stroopwafel & Co. logo (image not available)")
    expect(missing).to_be_visible()
    expect(page.locator(".slide img")).to_have_count(0)
    box = missing.bounding_box()
    assert box is not None and box["height"] <= page.viewport_size["height"] * 0.22 + 1
    # A logo that loads stays.
    configure(page_server, api.slug, {"logo_url": "https://logo.example/ok.svg"}, [])
    page.reload()
    expect(page.locator(".screen-banner .logo")).to_be_visible()
    assert page.locator(".screen-banner .logo").evaluate("img => img.naturalWidth") == 48
