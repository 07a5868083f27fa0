"""Remote control of the big screen (the Screens page, the moderation screen) and the screen
through an outage: the server stopped for 30 s under an open screen, then started again; and a
screen reloaded while the server is away, served by its service worker with the posts it kept
in IndexedDB (``crowdwall/screen-sw.js``, ``crowdwall/screen-remote.js``)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect
from pytest_bdd import given, parsers, scenarios, then, when

from tests.acceptance.browsing import (
    POSTS,
    SAME_DOCUMENT,
    STATUS,
    assert_not_reloaded,
    post,
    visit,
    wait_live,
)
from tests.acceptance.people import People
from tests.acceptance.scene import Scene

scenarios("features/screens_remote.feature")

OUTAGE_SECONDS = 30
RECONNECT_MS = 45_000  # live.js backs off up to 30 s (with jitter) after a long outage
SPOTLIT = "[data-live-root] > article.post.is-spotlit[data-post-id]"
OFFLINE = ".screen-offline:not([hidden])"


def screens_page(people: People) -> Any:
    return people.pages["screens"]


def all_screens(people: People) -> Any:
    """The command forms for every screen (the Screens page's first panel)."""
    return screens_page(people).locator("[data-screen-commands]").first


@pytest.fixture
def up_again_afterwards(scene: Scene) -> Iterator[None]:
    """Whatever happens in the scenario, the next one finds the server running."""
    yield
    if scene.site.server.proc is None or scene.site.server.proc.poll() is not None:
        scene.site.server.start()


@given("the big screen is showing the wall in the spotlight layout")
def big_screen_spotlight(scene: Scene, people: People) -> None:
    screen = people.page("big screen")
    visit(screen, scene.url("screen/?layout=spotlight"))
    wait_live(screen)


@when("I open the Screens page of the wall")
def open_screens_page(scene: Scene, people: People) -> None:
    page = people.add("screens", people.moderator())
    visit(page, scene.url("moderate/screens/"))


@then("the Screens page lists the big screen")
def lists_the_screen(people: People) -> None:
    screen_id = (
        people.pages["big screen"].locator("[data-screen-remote]").get_attribute("data-screen-id")
    )
    row = screens_page(people).locator(f'[data-screens-list] tr[data-screen="{screen_id}"]')
    expect(row).to_have_count(1, timeout=RECONNECT_MS)  # listed at its first report
    expect(row).to_contain_text("columns")
    expect(row).not_to_contain_text("stale")


@when(parsers.parse('I press "{button}" for all screens'))
def press_for_all(people: People, button: str) -> None:
    panel = all_screens(people)
    panel.get_by_role("button", name=button, exact=True).click()
    expect(panel.locator("[data-screen-command-status]")).to_have_text(
        f"{button.lower()}: sent to all screens."
    )


@then(parsers.parse('the big screen received "{text}" but holds it back'))
def holds_back(scene: Scene, people: People, text: str) -> None:
    screen = people.pages["big screen"]
    post_id = scene.id_of(text)
    # The frame has arrived (live.js moved its position past the post): now it must not show.
    screen.wait_for_function(
        f"document.querySelector('[data-live-config]')._live.since >= {post_id}"
    )
    expect(post(screen, text)).to_have_count(0)
    assert screen.evaluate("document.documentElement.classList.contains('is-paused')")


@when(parsers.parse('I put "{text}" on the screens from the moderation screen'))
def spotlight_from_moderation(scene: Scene, people: People, text: str) -> None:
    page = people.moderator()
    visit(page, scene.url("moderate/?state=approved"))
    item = page.locator(f'[data-mod-item][data-post-id="{scene.id_of(text)}"]')
    item.get_by_role("button", name="On screens").click()
    expect(page.locator("[data-screen-command-status]")).to_have_text(
        "spotlight: sent to all screens."
    )


@then(parsers.parse('the big screen shows "{text}" in the spotlight'))
def in_the_spotlight(people: People, text: str) -> None:
    expect(
        post(people.pages["big screen"], text, ".screen-spotlight:not([hidden]) article.post")
    ).to_be_visible()


@when(parsers.parse('I show the banner "{text}" on all screens'))
def show_banner(people: People, text: str) -> None:
    page = people.pages["screens"]
    visit(page, page.url)  # back from the moderation screen
    panel = all_screens(people)
    panel.get_by_label("Announcement banner").fill(text)
    panel.get_by_role("button", name="Show banner").click()
    expect(panel.locator("[data-screen-command-status]")).to_have_text(
        "banner: sent to all screens."
    )


@then(parsers.parse('the big screen shows the banner "{text}"'))
def shows_banner(people: People, text: str) -> None:
    expect(people.pages["big screen"].locator(".screen-announcement")).to_have_text(text)


@then(parsers.parse('the big screen shows "{text}" without a reload'))
def shows_without_reload(people: People, text: str) -> None:
    screen = people.pages["big screen"]
    expect(post(screen, text)).to_have_count(1, timeout=RECONNECT_MS)
    assert_not_reloaded(screen)


@when(parsers.parse('I press "{button}" for the big screen alone'))
def press_for_one(scene: Scene, people: People, button: str) -> None:
    screen = people.pages["big screen"]
    screen_id = screen.locator("[data-screen-remote]").get_attribute("data-screen-id")
    page = screens_page(people)
    if "/moderate/screens/" not in page.url:  # the moderation screen has no list of screens
        visit(page, scene.url("moderate/screens/"))
    row = page.locator(f'[data-screens-list] tr[data-screen="{screen_id}"]')
    row.get_by_role("button", name=button, exact=True).click()
    if button == "Pause":
        screen.wait_for_function("document.documentElement.classList.contains('is-paused')")


@then("the big screen loads again and is still paused")
def reloaded_still_paused(people: People) -> None:
    """A command to one screen is that screen's override: its reload keeps it (issue 19)."""
    screen = people.pages["big screen"]
    screen.wait_for_function(f"{SAME_DOCUMENT} !== true")  # the command reloaded the page
    wait_live(screen)
    screen.wait_for_function("document.documentElement.classList.contains('is-paused')")


@when(
    parsers.parse('the server goes away for 30 seconds while somebody posts "{text}"'),
    target_fixture="outage",
)
def outage(scene: Scene, people: People, text: str, up_again_afterwards: None) -> dict[str, Any]:
    screen = people.pages["big screen"]
    scene.site.stop()
    started = time.monotonic()
    expect(screen.locator(OFFLINE)).to_be_visible()
    scene.ingest_offline(scene.post(text, by="someone"))
    shown: list[str] = []
    offline_all_along = True
    # Await each change of the spotlit post (an event on the page), until the outage is over.
    while (left := OUTAGE_SECONDS - (time.monotonic() - started)) > 0:
        current = screen.locator(SPOTLIT).first.get_attribute("data-post-id")
        shown.append(current)
        try:
            screen.wait_for_function(
                f"(document.querySelector({SPOTLIT!r}) || {{}}).dataset?.postId !== {current!r}",
                timeout=max(left, 0.1) * 1000,
            )
        except Exception:  # the outage ended before the next change: that is fine
            break
        offline_all_along = offline_all_along and screen.locator(OFFLINE).count() == 1
    scene.site.server.start()
    return {"shown": shown, "offline": offline_all_along}


@then("the big screen kept changing posts and showed the offline mark all along")
def kept_changing(outage: dict[str, Any]) -> None:
    # 30 s at 8 s a post: three or four changes, at least two on a busy machine.
    assert len(set(outage["shown"])) >= 2, outage["shown"]
    assert outage["offline"]


@then("the big screen shows every post once")
def every_post_once(people: People) -> None:
    ids = people.pages["big screen"].eval_on_selector_all(
        POSTS + "[data-post-id]", "nodes => nodes.map(n => n.getAttribute('data-post-id'))"
    )
    assert len(ids) == len(set(ids)) == 5, ids


# -- a reload during an outage: the service worker and the posts kept in IndexedDB ------------

CACHE = "crowdwall-screen-v1"  # screen-sw.js's cache
# The page and every script and style it names, all in the worker's cache (the "keep" message).
KEPT = f"""async () => {{
  if (!navigator.serviceWorker.controller) {{ return false; }}
  const cache = await caches.open({CACHE!r});
  const urls = [location.href, ...Array.from(
    document.querySelectorAll("script[src], link[rel=stylesheet][href]"),
    (n) => new URL(n.getAttribute("src") || n.getAttribute("href"), location.href).href)];
  const found = await Promise.all(urls.map((url) => cache.match(url)));
  return found.every(Boolean);
}}"""
# The post ids screen-remote.js keeps in IndexedDB for this wall.
STORED = """() => new Promise((resolve) => {
  const open = indexedDB.open("crowdwall-screen", 1);
  open.onsuccess = () => {
    const all = open.result.transaction("posts").objectStore("posts").getAll();
    all.onsuccess = () => resolve(all.result.map((row) => row.id));
    all.onerror = () => resolve([]);
  };
  open.onerror = () => resolve([]);
})"""
KEPT_PAGE = f"""async () => {{
  const found = await (await caches.open({CACHE!r})).match(location.href);
  return found ? await found.text() : "";
}}"""


@given("the big screen's service worker keeps its page")
def worker_keeps_page(people: People) -> None:
    """Registered (127.0.0.1 is a secure context), controlling the page, its copies stored."""
    people.pages["big screen"].wait_for_function(KEPT, polling=200)


@then(parsers.parse('the big screen keeps "{text}" for an outage'))
def kept_for_outage(scene: Scene, people: People, text: str) -> None:
    screen = people.pages["big screen"]
    expect(post(screen, text)).to_have_count(1)
    post_id = scene.id_of(text)
    screen.wait_for_function(f"async () => (await ({STORED})()).includes({post_id})", polling=200)


@when("the server goes away and the big screen is reloaded", target_fixture="offline_reload")
def reload_in_outage(scene: Scene, people: People, up_again_afterwards: None) -> Any:
    screen = people.pages["big screen"]
    scene.site.stop()
    response = screen.reload()  # without the worker: net::ERR_CONNECTION_REFUSED
    screen.evaluate(f"{SAME_DOCUMENT} = true")  # "without a reload" from here on
    return response


@then("the big screen was served by its service worker")
def served_by_worker(people: People, offline_reload: Any) -> None:
    assert offline_reload is not None and offline_reload.ok
    assert offline_reload.from_service_worker
    assert people.pages["big screen"].evaluate("navigator.serviceWorker.controller !== null")


@then(parsers.parse('the big screen shows "{text}" from its outage store'))
def shows_from_store(scene: Scene, people: People, text: str) -> None:
    screen = people.pages["big screen"]
    # The kept page was stored before the post arrived: only IndexedDB can bring it back.
    assert "Doors open at nine" in screen.evaluate(KEPT_PAGE)
    assert text not in screen.evaluate(KEPT_PAGE)
    expect(post(screen, text)).to_have_count(1)
    ids = screen.eval_on_selector_all(
        POSTS + "[data-post-id]", "nodes => nodes.map(n => n.getAttribute('data-post-id'))"
    )
    assert str(scene.id_of(text)) in ids and len(ids) == len(set(ids)) == 4, ids


@then("the big screen shows the offline mark")
def shows_offline_mark(people: People) -> None:
    expect(people.pages["big screen"].locator(OFFLINE)).to_be_visible()


@then("the big screen keeps changing posts")
def keeps_changing(people: People) -> None:
    screen = people.pages["big screen"]
    current = screen.locator(SPOTLIT).first.get_attribute("data-post-id")
    # The next post of the rotation (every data-spotlight-seconds, 8 s) — an event on the page.
    screen.wait_for_function(
        f"(document.querySelector({SPOTLIT!r}) || {{}}).dataset?.postId !== {current!r}",
        timeout=RECONNECT_MS,
    )
    expect(screen.locator(OFFLINE)).to_be_visible()


@when(parsers.parse('somebody posts "{text}" and the server comes back'))
def post_and_come_back(scene: Scene, text: str) -> None:
    scene.ingest_offline(scene.post(text, by="someone"))
    scene.site.server.start()


@then("the offline mark is gone")
def offline_mark_gone(people: People) -> None:
    screen = people.pages["big screen"]
    expect(screen.locator(STATUS).first).to_have_attribute(
        "data-state", "live", timeout=RECONNECT_MS
    )
    expect(screen.locator(OFFLINE)).to_have_count(0)
