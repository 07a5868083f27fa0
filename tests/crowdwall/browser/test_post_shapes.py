"""Media, link cards, polls, quotes and custom emoji in real Chromium: a post pushed live over
the socket looks exactly like the same post rendered by the server (live.js is the templates'
DOM twin), on the wall page and on the big screen; screenshots at four sizes go to
``test-artifacts/post-shapes/`` for a person to judge."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.crowdwall.browser.test_live_js import POSTS, no_errors
from tests.crowdwall.conftest import make_post
from tests.crowdwall.live.conftest import Api, AsgiServer

pytestmark = pytest.mark.slow

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "post-shapes"
SIZES = {"phone": (390, 844), "laptop": (1366, 768), "1080p": (1920, 1080), "4k": (3840, 2160)}
EMOJI = "https://files.social.example/emoji/blobaww.png"
BLURHASH = "LEHV6nWB2yk8pyo0adR*.7kCMdnj"


def picture(width: int, height: int, colour: str, label: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}">'
        f'<rect width="100%" height="100%" fill="{colour}"/><text x="50%" y="50%" '
        f'font-size="{height // 6}" text-anchor="middle" fill="#fff" font-family="sans-serif">'
        f"{label}</text></svg>"
    )


def offline_pictures(page: Any) -> None:
    """Media on other hosts answered here: emoji small, everything else a labelled picture."""

    def fulfil(route: Any) -> None:
        url = route.request.url
        if "emoji" in url:
            body = picture(64, 64, "#f5a623", ":)")
        elif "avatar" in url or "/a/" in url:
            body = picture(96, 96, "#6c5ce7", "A")
        else:
            body = picture(1280, 720, "#0b6e4f", url.rsplit("/", 1)[-1][:14])
        route.fulfill(status=200, content_type="image/svg+xml", body=body)

    page.route(re.compile(r"^https?://(?!127\.0\.0\.1[:/])"), fulfil)


def shaped(number: int) -> dict:
    media = [
        {"url": f"https://m.example/{number}/stage.jpg", "type": "image", "alt": "The stage, seen from row 3",
         "preview_url": f"https://m.example/{number}/stage-small.jpg", "blurhash": BLURHASH},
        {"url": f"https://m.example/{number}/clap.mp4", "type": "gifv", "alt": "An audience clapping",
         "preview_url": f"https://m.example/{number}/clap.jpg"},
        {"url": f"https://m.example/{number}/talk.mp4", "type": "video", "alt": "The keynote's first minute",
         "preview_url": f"https://m.example/{number}/talk.jpg", "blurhash": BLURHASH},
        {"url": f"https://m.example/{number}/talk.mp3", "type": "audio", "alt": "The keynote, audio only"},
    ]  # fmt: skip
    return make_post(
        number,
        html=f'<p>Day two of #DjangoCon <img class="emoji" src="{EMOJI}" alt=":blobaww:"> '
        "which track was best?</p>",
        media=media,
        card={
            "url": "https://2025.djangocon.example/schedule/",
            "title": "DjangoCon 2025 schedule: talks, tutorials and sprints",
            "description": "Three days of talks in two tracks, a day of tutorials, two of sprints.",
            "image": "https://2025.djangocon.example/card.png",
            "image_alt": "The conference logo",
            "site": "2025.djangocon.example",
            "blurhash": BLURHASH,
        },
        poll={
            "options": [
                {"title": "Tutorials", "votes": 12},
                {"title": "Talks", "votes": 30},
                {"title": "Sprints", "votes": 8},
            ],
            "votes": 50,
            "closed": False,
            "expires_at": "2030-01-01T00:00:00Z",
        },
        quote={
            "url": "https://chaos.social/@ann/1",
            "handle": "ann@chaos.social",
            "name": "Ann",
            "profile_url": "https://chaos.social/@ann",
            "text": "Sprints & tutorials,\nthen talks",
        },
    )


# The parts of a post's body live.js builds, with the attributes that matter, as comparable data.
SHAPE = """article => [...article.querySelectorAll(
    '.content img, .media, .media *, .link-card, .link-card *, .poll, .poll *, .quote, .quote *')]
  .map(n => [n.tagName, n.className, n.children.length ? '' : n.textContent.trim(),
    ['src', 'alt', 'href', 'poster', 'aria-label', 'preload', 'muted', 'loop', 'playsinline',
     'autoplay', 'controls', 'loading', 'rel'].map(a => n.getAttribute(a)),
    n.style.width, n.style.backgroundColor])"""


def same_urls(shape: list) -> list:
    """``shape`` of post 2 with its media URLs as post 1's (the only intended difference)."""
    return [
        [tag, cls, text, [a and a.replace("/2/", "/1/") for a in attrs], width, colour]
        for tag, cls, text, attrs, width, colour in shape
    ]


def test_a_live_post_shows_its_shapes_exactly_as_the_server_renders_them(
    page: Any, page_server: AsgiServer
):
    api = Api(page_server).create()
    ids = api.ingest(shaped(1))
    offline_pictures(page)
    page.goto(f"http://{page_server.base}/walls/{api.slug}/")
    expect(page.locator('[data-live-status][data-state="live"]')).to_be_visible()
    ids = api.ingest(shaped(2))
    expect(page.locator(POSTS)).to_have_count(2)
    server_side = page.locator(f"#post-{ids['1']}").evaluate(SHAPE)
    live = page.locator(f"#post-{ids['2']}").evaluate(SHAPE)
    assert same_urls(live) == server_side
    article = page.locator(f"#post-{ids['2']}")
    video = article.locator(".media-item--video video")
    for attribute in ("muted", "loop", "playsinline", "controls"):
        expect(video).to_have_attribute(attribute, "")
    expect(video).to_have_attribute("preload", "none")
    expect(video).to_have_attribute("poster", "https://m.example/2/talk.jpg")
    expect(article.locator(".media-item--gifv video")).to_have_attribute("autoplay", "")
    expect(article.locator(".media-item--image img")).to_have_attribute(
        "alt", "The stage, seen from row 3"
    )
    expect(article.locator(".link-card-title")).to_have_text(
        "DjangoCon 2025 schedule: talks, tutorials and sprints"
    )
    expect(article.locator(".poll-share")).to_have_text(["24%", "60%", "16%"])
    expect(article.locator(".quote-text")).to_have_text("Sprints & tutorials,then talks")
    expect(article.locator(".content img.emoji")).to_have_attribute("alt", ":blobaww:")
    no_errors(page)


def test_screenshots_of_post_shapes_on_the_wall_and_the_big_screen(
    page: Any, page_server: AsgiServer
):
    api = Api(page_server).create()
    plain = [
        make_post(n, html=f"<p>Post {n} about #DjangoCon, with a few more words.</p>")
        for n in (1, 2)
    ]
    api.ingest(*plain, shaped(3))
    offline_pictures(page)
    for name, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        for kind, path in (("wall", ""), ("screen", "screen/")):
            page.goto(f"http://{page_server.base}/walls/{api.slug}/{path}")
            expect(page.locator('[data-live-status][data-state="live"]')).to_be_attached()
            expect(page.locator(".link-card").first).to_be_visible()
            page.wait_for_function("[...document.images].every(i => i.complete)")
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"{kind}-{name}.png"))
    no_errors(page)
