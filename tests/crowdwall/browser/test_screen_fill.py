"""The big screen uses its space (issue 17): the ticker's band is full from the first frame and
loops without a jump, portrait columns reach the bottom of the screen, and the media grid
clamps only long texts and puts posts with pictures first. Real Chromium, like
``test_screen_layouts``; screenshots go to ``test-artifacts/screen-layouts/``."""

from __future__ import annotations

from typing import Any

import pytest

from tests.crowdwall.browser.screen_samples import sample_posts
from tests.crowdwall.browser.test_live_js import no_errors
from tests.crowdwall.browser.test_screen_layouts import open_screen, shoot
from tests.crowdwall.conftest import make_post
from tests.crowdwall.live.conftest import Api, AsgiServer

pytestmark = pytest.mark.slow

CRAWL = "document.getAnimations().find(a => a.animationName === 'cw-ticker')"

# The share of the band (right of the label) that items cover, and where the first one starts.
BAND = """
() => {
  const root = document.querySelector('[data-live-root]');
  const label = document.querySelector('.ticker-label');
  const from = label ? label.getBoundingClientRect().right : 0, to = innerWidth;
  const spans = [...root.querySelectorAll(':scope > article.post, :scope > .slide')]
    .map(n => n.getBoundingClientRect())
    .filter(r => r.width > 0 && r.right > from && r.left < to)
    .map(r => [Math.max(r.left, from), Math.min(r.right, to)])
    .sort((a, b) => a[0] - b[0]);
  let covered = 0, end = from;
  for (const [left, right] of spans) {
    if (right > end) { covered += right - Math.max(left, end); end = right; }
  }
  const first = root.querySelector(':scope > article.post, :scope > .slide').getBoundingClientRect();
  return {share: covered / (to - from), firstLeft: first.left, from};
}
"""


def crawl_at(page: Any, fraction: float) -> None:
    """The crawl paused at ``fraction`` of its lap (0: as the page opens)."""
    page.evaluate(
        f"f => {{ const a = {CRAWL}; a.pause();"
        " a.currentTime = a.effect.getComputedTiming().duration * f; }",
        fraction,
    )


@pytest.mark.parametrize("motion", ["no-preference", "reduce"])
def test_the_ticker_band_starts_full(
    page: Any, page_server: AsgiServer, event_wall: Api, motion: str
):
    page.emulate_media(reduced_motion=motion)
    open_screen(page, page_server, f"/walls/{event_wall.slug}/screen/?layout=ticker", "1080p")
    font = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    if motion == "no-preference":
        crawl_at(page, 0)
    else:
        assert page.evaluate(f"!{CRAWL}")  # no crawl at all
    band = page.evaluate(BAND)
    assert band["share"] >= 0.8, band  # items, not an empty band
    assert band["firstLeft"] - band["from"] <= 2 * font, band  # the newest, at the start
    no_errors(page)


def test_the_ticker_loops_without_a_jump_even_with_a_short_line(page: Any, page_server: AsgiServer):
    """Two short posts: copies fill the band, and the end of a lap looks like its start."""
    api = Api(page_server).create()
    api.ingest(make_post(1, html="<p>Doors open</p>"), make_post(2, html="<p>Hello!</p>"))
    open_screen(page, page_server, f"/walls/{api.slug}/screen/?layout=ticker", "1080p")
    crawl_at(page, 0)
    start = page.evaluate(BAND)
    firsts = "[...document.querySelectorAll('[data-live-root] > article.post')]"
    at_start = page.evaluate(f"{firsts}.map(n => Math.round(n.getBoundingClientRect().left))")
    assert start["share"] >= 0.5, start  # short posts, 3em apart: still a full line
    assert page.locator("[data-live-root] > article.post[data-post-id]").count() == 2
    assert page.locator("[data-live-root] > [data-ticker-copy][aria-hidden=true]").count() >= 4
    crawl_at(page, 0.9999)  # a lap on: the copies stand where the posts stood
    at_end = page.evaluate(f"{firsts}.map(n => Math.round(n.getBoundingClientRect().left))")
    assert all(any(abs(later - earlier) <= 2 for later in at_end) for earlier in at_start[:4]), (
        at_start,
        at_end,
    )
    assert page.evaluate(BAND)["share"] >= 0.5
    no_errors(page)


def test_a_post_taken_off_leaves_the_tickers_copies_at_once(page: Any, page_server: AsgiServer):
    api = Api(page_server).create()
    ids = api.ingest(*sample_posts(4))
    open_screen(page, page_server, f"/walls/{api.slug}/screen/?layout=ticker", "1080p")
    before = page.locator("[data-live-root] > [data-ticker-copy]").count()
    assert before >= 4
    page.evaluate('id => document.querySelector(`[data-post-id="${id}"]`).remove()', str(ids["2"]))
    page.wait_for_function(
        "n => document.querySelectorAll('[data-live-root] > [data-ticker-copy]').length < n",
        arg=before,
    )
    copies = page.evaluate(
        "[...document.querySelectorAll('[data-live-root] > [data-ticker-copy]')]"
        ".map(n => n.textContent)"
    )
    original = sample_posts(4)[1]["html"]
    assert not any(original[3:20] in text for text in copies), copies


# The lowest bottom edge of the whole cards in view, and the cut ones (there must be none).
FILLED = """
() => {
  const root = document.querySelector('[data-live-root]');
  const box = root.getBoundingClientRect();
  let bottom = box.top; const cut = [], squeezed = [];
  for (const node of root.querySelectorAll(':scope > article.post, :scope > .slide')) {
    const r = node.getBoundingClientRect();
    if (r.height < 1 || r.left >= box.right - 1) continue;
    if (r.bottom > box.bottom + 1 || r.right > box.right + 1) { cut.push(node.id); continue; }
    bottom = Math.max(bottom, r.bottom);
    if (node.hasAttribute('data-squeezed')) squeezed.push(node.id);
  }
  return {bottom, cut, squeezed, height: innerHeight};
}
"""


@pytest.mark.parametrize("size", ["portrait", "1080p"])
def test_the_columns_reach_the_bottom_of_the_screen(
    page: Any, page_server: AsgiServer, event_wall: Api, size: str
):
    open_screen(page, page_server, f"/walls/{event_wall.slug}/screen/", size)
    page.wait_for_function("document.querySelector('[data-live-root] [data-squeeze]')")
    filled = page.evaluate(FILLED)
    shoot(page, f"fill-columns-{size}")
    assert filled["cut"] == [], filled
    assert filled["height"] - filled["bottom"] < 0.15 * filled["height"], filled
    no_errors(page)


# The media grid's tiles in view, in reading order (rows top to bottom, each left to right).
TILES = """
() => {
  const root = document.querySelector('[data-live-root]');
  const box = root.getBoundingClientRect();
  return [...root.querySelectorAll(':scope > article.post, :scope > .slide')]
    .map(n => ({n, r: n.getBoundingClientRect()}))
    .filter(({r}) => r.height > 1 && r.bottom <= box.bottom + 1)
    .sort((a, b) => Math.round(a.r.top - b.r.top) || a.r.left - b.r.left)
    .map(({n}) => {
      const text = n.querySelector('.content'), handle = n.querySelector('.handle');
      return {
        id: n.getAttribute('data-post-id') || 'slide',
        picture: !!n.querySelector('.media img, .media video'),
        clamped: !!text && text.classList.contains('is-clamped'),
        chars: text ? text.textContent.trim().length : 0,
        textCut: !!text && text.scrollHeight > text.clientHeight + 2,
        handleCut: !!handle && handle.scrollWidth > handle.clientWidth + 1,
      };
    });
}
"""


def test_the_media_grid_puts_posts_with_pictures_first(page: Any, page_server: AsgiServer):
    api = Api(page_server).create()
    photo = [{"type": "image", "url": "https://media.example/p/1.jpg", "alt": "A photo"}]
    long = "<p>" + "A long report from the sprint room, table by table. " * 12 + "</p>"
    ids = api.ingest(
        *(make_post(n, html=f"<p>Short post {n}</p>") for n in (1, 3, 4, 6)),
        make_post(2, html=long, media=photo),
        make_post(5, html="<p>Coffee ☕ and stroopwafels at the booth</p>", media=photo),
    )
    open_screen(page, page_server, f"/walls/{api.slug}/screen/?layout=media", "1080p")
    page.wait_for_function("document.querySelector('[data-live-root][data-filled]')")
    tiles = page.evaluate(TILES)
    # Pictures first, each group newest first (the page's order is newest first throughout).
    assert [t["id"] for t in tiles] == [str(ids[n]) for n in ("5", "2", "6", "4", "3", "1")]
    by_id = {t["id"]: t for t in tiles}
    assert by_id[str(ids["2"])]["clamped"]  # a really long text: clamped, with the fade
    assert not any(t["clamped"] or t["textCut"] for t in tiles if t["id"] != str(ids["2"]))
    shoot(page, "media-pictures-first-1080p")
    no_errors(page)


@pytest.mark.parametrize("size", ["portrait", "1080p"])
def test_the_media_grid_clamps_only_long_texts_and_keeps_handles_whole(
    page: Any, page_server: AsgiServer, event_wall: Api, size: str
):
    open_screen(page, page_server, f"/walls/{event_wall.slug}/screen/?layout=media", size)
    page.wait_for_function("document.querySelector('[data-live-root][data-filled]')")
    tiles = [t for t in page.evaluate(TILES) if t["id"] != "slide"]
    assert len(tiles) >= 3, tiles
    assert not any(t["handleCut"] for t in tiles), tiles
    short = [t for t in tiles if t["chars"] <= 100]  # e.g. "Coffee ☕ and stroopwafels at the…"
    assert short and not any(t["clamped"] or t["textCut"] for t in short), tiles
    no_errors(page)
