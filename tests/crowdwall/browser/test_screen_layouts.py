"""The big screen's layouts and its overlay in real Chromium at projector sizes: no horizontal
overflow, no post cut off at an edge, body text at least 1/60 of the viewport's height, relative
times, slides, spotlight rotation, ticker crawl. A screenshot of every page goes to
``test-artifacts/screen-layouts/`` on every run, for a person to look at."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.crowdwall.browser.screen_samples import configure, offline_pictures, sample_posts
from tests.crowdwall.browser.test_live_js import no_errors
from tests.crowdwall.conftest import make_post
from tests.crowdwall.live.conftest import Api, AsgiServer
from tests.crowdwall.schedule.conftest import live_schedule
from tests.fixtures.browser import ARTIFACTS

pytestmark = pytest.mark.slow

SHOTS = ARTIFACTS / "screen-layouts"
SIZES = {
    "720p": (1280, 720),
    "1080p": (1920, 1080),
    "4k": (3840, 2160),
    "portrait": (1080, 1920),
}
LAYOUTS = ["columns", "spotlight", "media", "ticker"]
CARDS = "[data-live-root] > article.post, [data-live-root] > .slide"


def open_screen(page: Any, server: AsgiServer, path: str, size: str) -> None:
    width, height = SIZES[size]
    page.set_viewport_size({"width": width, "height": height})
    offline_pictures(page)
    page.goto(f"http://{server.base}{path}")
    expect(page.locator('[data-live-status][data-state="live"]')).to_be_attached()
    page.wait_for_function("document.fonts.status === 'loaded'")
    page.wait_for_function(FILLED)
    page.evaluate(
        "document.getAnimations().forEach(a => { if (a.animationName !== 'cw-ticker') a.finish(); })"
    )


# screen-fill.js has sized the columns' or the media grid's cards (other layouts: nothing to do).
FILLED = (
    "document.documentElement.classList.contains('is-overlay')"
    " || !document.querySelector('[data-layout=columns], [data-layout=media]')"
    " || !!document.querySelector('[data-live-root][data-filled]')"
)


def shoot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


GEOMETRY = """
() => {
  const root = document.querySelector('[data-live-root]');
  const clip = root.getBoundingClientRect();
  const view = {left: 0, top: 0, right: innerWidth, bottom: innerHeight};
  const shown = [], cut = [], spill = [];
  for (const node of root.querySelectorAll(':scope > article.post, :scope > .slide')) {
    const r = node.getBoundingClientRect();
    if (r.width < 1 || r.height < 1 || getComputedStyle(node).visibility === 'hidden') continue;
    const box = {left: Math.max(clip.left, 0), top: Math.max(clip.top, 0),
                 right: Math.min(clip.right, view.right), bottom: Math.min(clip.bottom, view.bottom)};
    const overlaps = r.right > box.left && r.left < box.right && r.bottom > box.top && r.top < box.bottom;
    if (!overlaps) continue;
    const inside = r.left >= box.left - 1 && r.right <= box.right + 1 && r.top >= box.top - 1 && r.bottom <= box.bottom + 1;
    (inside ? shown : cut).push(node.id || node.className);
    // Its pictures stay inside it too (a picture spilling past its card's edge is cut as well).
    for (const media of node.querySelectorAll('.media img, .media video, .slide img')) {
      const m = media.getBoundingClientRect();
      if (m.width < 1 || m.height < 1) continue;
      if (m.left < r.left - 1 || m.right > r.right + 1 || m.top < r.top - 1 || m.bottom > r.bottom + 1)
        spill.push(node.id || node.className);
    }
  }
  const text = [...root.querySelectorAll('.content')].find(n => n.getBoundingClientRect().height > 0);
  return {
    overflowX: Math.max(document.documentElement.scrollWidth, document.body.scrollWidth) - innerWidth,
    overflowY: document.documentElement.scrollHeight - innerHeight,
    shown, cut, spill,
    fontPx: text ? parseFloat(getComputedStyle(text).fontSize) : 0,
  };
}
"""


def check_geometry(page: Any, *, minimum: int, whole: bool = True) -> dict[str, Any]:
    """No overflow; every post that shows shows whole; body text ≥ 1/60 of the height."""
    geometry = page.evaluate(GEOMETRY)
    height = page.viewport_size["height"]
    assert geometry["overflowX"] <= 0, geometry
    assert geometry["overflowY"] <= 0, geometry
    if whole:
        assert geometry["cut"] == [], geometry
        assert geometry["spill"] == [], geometry
    assert len(geometry["shown"]) + (0 if whole else len(geometry["cut"])) >= minimum, geometry
    assert geometry["fontPx"] >= height / 60, geometry
    return geometry


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("layout", LAYOUTS)
def test_each_layout_fits_each_screen(
    page: Any, page_server: AsgiServer, event_wall: Api, layout: str, size: str
):
    open_screen(page, page_server, f"/walls/{event_wall.slug}/screen/?layout={layout}", size)
    shoot(page, f"screen-{layout}-{size}")
    minimum = {"columns": 3, "media": 4, "spotlight": 1, "ticker": 1}[layout]
    check_geometry(page, minimum=minimum, whole=layout != "ticker")
    if layout != "ticker":  # the banner and its captioned QR code are whole on screen too
        expect(page.locator(".qr-box figcaption")).to_contain_text("Scan to")
        expect(page.locator(".qr-box")).to_be_in_viewport(ratio=1)
    else:
        band = page.locator(".screen-scroll").bounding_box()
        assert band["y"] + band["height"] <= page.viewport_size["height"] + 1
        crawl = "document.getAnimations().find(a => a.animationName === 'cw-ticker')"
        assert page.evaluate(f"{crawl}.playState") == "running"
        seconds = page.evaluate(f"{crawl}.effect.getComputedTiming().duration") / 1000
        lap = page.evaluate(  # how far a lap moves the line (its copies follow it)
            "parseFloat(getComputedStyle(document.querySelector('[data-live-root]'))"
            ".getPropertyValue('--ticker-lap'))"
        )
        font = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
        assert 5 <= lap / seconds / font <= 9  # a constant, readable pace (root ems/s)
    no_errors(page)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_each_layout_on_a_phone(page: Any, page_server: AsgiServer, event_wall: Api, layout: str):
    """Someone opens the screen's link on a phone: it scrolls, but never sideways."""
    page.set_viewport_size({"width": 390, "height": 844})
    offline_pictures(page)
    page.goto(f"http://{page_server.base}/walls/{event_wall.slug}/screen/?layout={layout}")
    expect(page.locator('[data-live-status][data-state="live"]')).to_be_attached()
    shoot(page, f"screen-{layout}-phone")
    width = page.evaluate(
        "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
    )
    assert width <= 390
    if layout == "ticker":  # still a band at the bottom
        band = page.locator(".screen-scroll").bounding_box()
        assert band["y"] > 844 / 2 and band["y"] + band["height"] <= 845
    else:
        expect(page.locator("[data-live-root] > article.post").first).to_be_in_viewport()
    no_errors(page)


@pytest.mark.parametrize("theme", ["dark", "light", "contrast", "brand"])
def test_themes(page: Any, page_server: AsgiServer, event_wall: Api, theme: str):
    open_screen(page, page_server, f"/walls/{event_wall.slug}/screen/?theme={theme}", "1080p")
    shoot(page, f"theme-{theme}-1080p")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert (
        background
        == {
            "dark": "rgb(14, 15, 17)",
            "light": "rgb(238, 240, 242)",
            "contrast": "rgb(0, 0, 0)",
            "brand": "rgb(123, 44, 191)",  # the wall's brand colour
        }[theme]
    )
    check_geometry(page, minimum=3)


@pytest.mark.parametrize(
    ("query", "corner"),
    [
        ("", "bottom-left"),
        ("?position=top-right&size=s", "top-right"),
        ("?background=chroma&size=l", "bottom-left"),
        ("?position=bottom-right&theme=light", "bottom-right"),
    ],
)
@pytest.mark.parametrize("size", list(SIZES))  # 720p, 1080p, 4K and a portrait screen
def test_overlay_shows_whole_posts_in_its_corner(
    page: Any, page_server: AsgiServer, event_wall: Api, query: str, corner: str, size: str
):
    open_screen(page, page_server, f"/walls/{event_wall.slug}/overlay/{query}", size)
    name = re.sub(r"\W+", "-", query.strip("?")) or "default"
    shoot(page, f"overlay-{name}-{size}")
    geometry = check_geometry(page, minimum=1)
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == ("rgb(0, 177, 64)" if "chroma" in query else "rgba(0, 0, 0, 0)")
    newest = page.locator(f"#{geometry['shown'][0]}").bounding_box()  # nearest the corner
    middle_x, middle_y = newest["x"] + newest["width"] / 2, newest["y"] + newest["height"] / 2
    width, height = SIZES[size]
    vertical, horizontal = corner.split("-")
    assert (middle_y < height / 2) == (vertical == "top"), geometry
    assert (middle_x < width / 2) == (horizontal == "left"), geometry


@pytest.mark.parametrize("size", ["1080p", "portrait"])
def test_a_larger_overlay_has_wider_cards(
    page: Any, page_server: AsgiServer, event_wall: Api, size: str
):
    widths = {}
    for option in ("s", "m", "l"):
        open_screen(page, page_server, f"/walls/{event_wall.slug}/overlay/?size={option}", size)
        box = page.locator("[data-live-root] > article.post").first.bounding_box()
        assert box is not None and 0 <= box["x"] <= box["x"] + box["width"] <= SIZES[size][0]
        widths[option] = box["width"]
    assert widths["s"] < widths["m"] < widths["l"], widths
    assert widths["l"] >= 1.4 * widths["s"], widths  # visibly different, not a pixel or two


def test_spotlight_rotates_posts_pinned_and_slides(
    page: Any, page_server: AsgiServer, event_wall: Api
):
    page.add_init_script(  # a one-second turn instead of eight
        "new MutationObserver((_, observer) => {"
        "  const root = document.querySelector('[data-live-root]');"
        "  if (root) { root.dataset.spotlightSeconds = '1'; observer.disconnect(); }"
        "}).observe(document, {childList: true, subtree: true});"
    )
    open_screen(page, page_server, f"/walls/{event_wall.slug}/screen/?layout=spotlight", "1080p")
    spotlit = page.locator("[data-live-root] > .is-spotlit")
    expect(spotlit).to_have_count(1)
    first = spotlit.get_attribute("data-post-id")
    expect(spotlit).not_to_have_attribute("data-post-id", first or "", timeout=5000)
    expect(page.locator("[data-live-root] > .slide.is-spotlit")).to_have_count(1, timeout=15000)
    new = event_wall.ingest(make_post(500, html="<p>Breaking: the sprint room moved</p>"))
    expect(page.locator(f"#post-{new['500']}.is-spotlit")).to_be_visible()
    no_errors(page)


SPOTLIT_LOG = """
() => {
  const root = document.querySelector('[data-live-root]');
  window.spotlitLog = [];
  window.spotlitMost = 0;
  const note = () => {
    const all = root.querySelectorAll(':scope > .is-spotlit');
    window.spotlitMost = Math.max(window.spotlitMost, all.length);
    const on = all[0];
    if (!on) return;
    const entry = on.hasAttribute('data-guest') ? 'pinned' : (on.getAttribute('data-post-id') || '?');
    if (window.spotlitLog[window.spotlitLog.length - 1] !== entry) window.spotlitLog.push(entry);
  };
  new MutationObserver(note).observe(root, {subtree: true, attributes: true, attributeFilter: ['class'], childList: true});
  note();
}
"""


def test_spotlight_brings_a_pinned_post_back_regularly_between_new_posts(
    page: Any, page_server: AsgiServer
):
    """Issue 17: a pinned post is a guest of the spotlight every third turn, between the posts
    (new ones included), never twice in a row and never pushed out by new posts."""
    api = Api(page_server, slug="pins").create()
    ids = api.ingest(*(make_post(600 + n, html=f"<p>#pins talk {n}</p>") for n in range(4)))
    httpx.post(f"http://{page_server.base}/test/pin/{api.slug}/{ids['600']}/").raise_for_status()
    page.add_init_script(  # a half-second turn instead of eight
        "new MutationObserver((_, observer) => {"
        "  const root = document.querySelector('[data-live-root]');"
        "  if (root) { root.dataset.spotlightSeconds = '0.5'; observer.disconnect(); }"
        "}).observe(document, {childList: true, subtree: true});"
    )
    open_screen(page, page_server, f"/walls/{api.slug}/screen/?layout=spotlight", "1080p")
    expect(page.locator("[data-pinned] > article.post")).to_have_count(1)
    page.evaluate(SPOTLIT_LOG)
    page.wait_for_function(
        "window.spotlitLog.filter(e => e === 'pinned').length >= 1", timeout=20_000
    )
    new = api.ingest(make_post(700, html="<p>#pins Breaking: lunch moved</p>"))
    fresh = str(new["700"])
    page.wait_for_function(
        f"window.spotlitLog.lastIndexOf('{fresh}') >= 0"
        f" && window.spotlitLog.slice(window.spotlitLog.lastIndexOf('{fresh}'))"
        ".filter(e => e === 'pinned').length >= 2",
        timeout=20_000,
    )
    log = page.evaluate("window.spotlitLog")
    pinned_at = [i for i, entry in enumerate(log) if entry == "pinned"]
    assert len(pinned_at) >= 3, log
    # Regularly: never twice in a row, and at most three posts between two turns of the pin.
    gaps = [b - a for a, b in itertools.pairwise(pinned_at)]
    assert all(2 <= gap <= 4 for gap in gaps), log
    # Interleaved with new posts: the new one took the stage, and the pin came back after it.
    assert fresh in log and pinned_at[-1] > log.index(fresh), log
    assert {entry for entry in log if entry != "pinned"} >= {str(ids[f"60{n}"]) for n in (1, 2, 3)}
    assert page.evaluate("window.spotlitMost") == 1  # a guest leaves the stage after its turn
    no_errors(page)


def test_relative_times_in_the_walls_language_and_no_screen_controls(
    page: Any, page_server: AsgiServer, event_wall: Api
):
    open_screen(page, page_server, f"/walls/{event_wall.slug}/screen/", "1080p")
    newest = page.locator("[data-live-root] > article.post time").first
    expect(newest).to_have_text(re.compile(r"^(now|\d+ minutes? ago|1 minute ago)$"))
    assert newest.get_attribute("datetime")  # kept for machines (and pages without JavaScript)
    assert page.locator("button, [data-load-earlier]").count() == 0
    decoration = page.evaluate(
        "getComputedStyle(document.querySelector('.post .permalink')).textDecorationLine"
    )
    assert decoration == "none"
    # The wall in German: the same times, in German.
    configure(page_server, event_wall.slug, {"languages": ["de"]}, [])
    page.goto(f"http://{page_server.base}/walls/{event_wall.slug}/screen/?theme=light")
    expect(page.locator("[data-live-root] > article.post time").first).to_have_text(
        re.compile(r"^(jetzt|vor \d+ Minuten?)$")
    )
    configure(
        page_server,
        event_wall.slug,
        {"languages": []},
        [{"title": "Thanks to our sponsors", "text": "Coffee by Stroopwafel & Co."}],
    )


def test_one_card_layout_clamped_long_posts_and_scripts(
    page: Any, page_server: AsgiServer, event_wall: Api
):
    open_screen(page, page_server, f"/walls/{event_wall.slug}/screen/", "1080p")
    # Name and handle sit beside the avatar on every card, never below it.
    offsets = page.evaluate(
        "[...document.querySelectorAll('[data-live-root] > article.post')].map(p => {"
        "  const a = p.querySelector('.avatar').getBoundingClientRect();"
        "  const n = p.querySelector('.author strong').getBoundingClientRect();"
        "  return [Math.round(n.left - a.right), n.top < a.bottom]; })"
    )
    assert {tuple(o) for o in offsets} == {tuple(offsets[0])} and offsets[0][1], offsets
    long = page.locator("[data-live-root] > article.post .content.is-clamped").first
    expect(long).to_contain_text("A very long post")
    assert page.evaluate("e => getComputedStyle(e).maskImage", long.element_handle()) != "none"
    rtl = page.locator("[data-live-root] .content p", has_text="مرحبا").first
    box, text = (
        rtl.bounding_box(),
        rtl.evaluate(
            "p => { const r = document.createRange(); r.selectNodeContents(p);"
            " return r.getBoundingClientRect(); }"
        ),
    )
    assert text["right"] >= box["x"] + box["width"] - 2  # Arabic runs from the right
    fonts = page.evaluate(
        "() => ['12px \"Noto Sans CJK JP\"', '12px \"Noto Color Emoji\"', '12px \"Noto Sans Arabic\"']"
        ".map(f => document.fonts.check(f))"
    )
    assert fonts == [True, True, True]


DOCS = ARTIFACTS.parent / "docs" / "screens"
DOC_SHOTS = [  # (file, path, viewport, clip to the bottom this many CSS px, or 0)
    ("columns.png", "/screen/", (1920, 1080), 0),
    ("spotlight.png", "/screen/?layout=spotlight&theme=light", (1920, 1080), 0),
    ("media.png", "/screen/?layout=media&theme=brand", (1920, 1080), 0),
    ("ticker.png", "/screen/?layout=ticker&theme=contrast", (1920, 1080), 110),
    ("overlay-chroma.png", "/overlay/?background=chroma&position=bottom-right", (1920, 1080), 0),
    ("portrait.png", "/screen/", (1080, 1920), 0),
]


@pytest.mark.skipif(
    not __import__("os").environ.get("CROWDWALL_DOCS_SCREENS"),
    reason="CROWDWALL_DOCS_SCREENS=1 regenerates docs/screens/ (half-size PNGs, ~320 KB in all)",
)
def test_regenerate_the_readmes_screenshots(chromium: Any, page_server: AsgiServer, event_wall):
    """The README's pictures, at half size (run by hand; commit the optimized PNGs)."""
    DOCS.mkdir(parents=True, exist_ok=True)
    for name, path, (width, height), bottom in DOC_SHOTS:
        context = chromium.new_context(
            viewport={"width": width, "height": height}, device_scale_factor=0.5
        )
        page = context.new_page()
        offline_pictures(page)
        page.goto(f"http://{page_server.base}/walls/{event_wall.slug}{path}")
        expect(page.locator('[data-live-status][data-state="live"]')).to_be_attached()
        page.wait_for_function("document.fonts.status === 'loaded'")
        page.wait_for_function(FILLED)
        page.evaluate(  # the ticker as it opens: full, the newest post first
            "() => document.getAnimations().forEach(a => {"
            "  if (a.animationName !== 'cw-ticker') { a.finish(); return; }"
            "  a.pause(); a.currentTime = 0; })"
        )
        page.wait_for_timeout(300)  # images decoded and painted: no event tells a screenshot
        clip = {"x": 0, "y": height - bottom, "width": width, "height": bottom} if bottom else None
        page.screenshot(path=str(DOCS / name), clip=clip)
        context.close()


def test_an_open_screen_follows_a_change_of_layout(page: Any, page_server: AsgiServer):
    api = Api(page_server).create()
    api.ingest(*sample_posts(6))
    page.add_init_script(  # check every second instead of every five minutes
        "new MutationObserver((_, observer) => {"
        "  const root = document.querySelector('[data-live-root]');"
        "  if (root) { root.dataset.settingsSeconds = '1'; observer.disconnect(); }"
        "}).observe(document, {childList: true, subtree: true});"
    )
    open_screen(page, page_server, f"/walls/{api.slug}/screen/", "720p")
    expect(page.locator("html")).to_have_class(re.compile(r"\blayout-columns\b"))
    configure(page_server, api.slug, {"screen_layout": "spotlight"}, [])
    expect(page.locator("html")).to_have_class(re.compile(r"\blayout-spotlight\b"), timeout=20000)
    no_errors(page)


def test_cards_glide_to_their_new_places_when_a_post_arrives(page: Any, page_server: AsgiServer):
    api = Api(page_server).create()
    ids = api.ingest(*sample_posts(8))
    open_screen(page, page_server, f"/walls/{api.slug}/screen/", "1080p")
    page.evaluate(  # any card that moves must move by a transition, not jump
        "() => { window.glided = []; document.querySelectorAll('[data-live-root] > article.post')"
        ".forEach(n => n.addEventListener('transitionstart', e => {"
        " if (e.propertyName === 'transform') window.glided.push(n.id); })); }"
    )
    now = datetime.now(UTC).isoformat()
    new = api.ingest(make_post(900, html="<p>Just in</p>", created_at=now))
    expect(page.locator("[data-live-root] > article.post").first).to_have_id(f"post-{new['900']}")
    page.wait_for_function("window.glided.length > 0")
    assert f"post-{ids['8']}" in page.evaluate("window.glided")  # the newest before it moved


@pytest.fixture(scope="module")
def scheduled_wall(page_server: AsgiServer) -> Api:
    """A wall whose screen also shows a schedule's now/next panel (less room for the posts)."""
    api = Api(page_server, slug="scheduled").create()
    configure(page_server, api.slug, {"info_text": "Wi-Fi: pony / 2026"}, [])
    api.ingest(*sample_posts())
    schedule = live_schedule(datetime.now(UTC))
    base = f"http://{page_server.base}/test"
    httpx.post(f"{base}/walls/{api.slug}/schedule/", content=schedule).raise_for_status()
    return api


@pytest.mark.parametrize("size", ["720p", "portrait"])
@pytest.mark.parametrize("layout", ["columns", "spotlight", "media"])
def test_each_layout_fits_beside_a_schedule_panel(
    page: Any, page_server: AsgiServer, scheduled_wall: Api, layout: str, size: str
):
    """The now/next panel takes room from the posts: cards and their pictures still fit whole
    (a spotlit picture once ran past its card's bottom edge here)."""
    path = f"/walls/{scheduled_wall.slug}/screen/?layout={layout}"
    open_screen(page, page_server, path, size)
    expect(page.locator(".schedule-panel .room").first).to_be_visible()
    shoot(page, f"screen-{layout}-schedule-{size}")
    check_geometry(page, minimum=1)
    rooms = page.evaluate(
        """() => {
      const box = document.querySelector('.schedule-rooms').getBoundingClientRect();
      return [...document.querySelectorAll('.schedule-panel .room')].map(room => {
        const r = room.getBoundingClientRect();
        const seen = Math.max(0, Math.min(r.bottom, box.bottom) - Math.max(r.top, box.top));
        return seen < 1 ? 'hidden' : seen >= r.height - 1 ? 'whole' : 'cut';
      });
    }"""
    )
    assert rooms[0] == "whole" and "cut" not in rooms, rooms
