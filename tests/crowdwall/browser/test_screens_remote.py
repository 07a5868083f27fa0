"""The console's page of every wall's screens, in real Chromium against a real server
(Channels): three big screens on two walls are listed live under their walls; a banner sent
from one screen's row reaches that screen alone (the other screen of the wall receives the
frame and ignores it); a wall's "All screens" commands reach that wall's screens only.
Screenshots of the page at the four sizes go to ``test-artifacts/pages/<size>/``."""

from __future__ import annotations

import time
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.crowdwall.browser.pages import axe_problems, shoot
from tests.crowdwall.browser.screen_samples import offline_pictures
from tests.crowdwall.conftest import make_post
from tests.crowdwall.live.conftest import Api, AsgiServer

pytestmark = pytest.mark.slow

WAIT = 20_000  # ms: a screen is listed at its first report, the page polls every heartbeat
# Every frame a screen page's live.js hands to screen-remote.js, in order.
FRAMES = """
window.__frames = [];
document.addEventListener("crowdwall:frame", (event) => window.__frames.push(event.detail.frame));
"""


def open_screen(context: Any, server: AsgiServer, slug: str) -> tuple[Any, str]:
    """A big screen of ``slug`` in a new tab (its own screen id), live; the page and its id."""
    screen = context.new_page()
    offline_pictures(screen)
    screen.goto(f"http://{server.base}/walls/{slug}/screen/")
    expect(screen.locator('[data-live-status][data-state="live"]')).to_be_attached()
    holder = screen.locator("[data-screen-remote][data-screen-id]")
    expect(holder).to_be_attached()
    return screen, str(holder.get_attribute("data-screen-id"))


def control_frames(screen: Any, command: str) -> list[dict[str, Any]]:
    return screen.evaluate(
        "(command) => window.__frames.filter(f => f.type === 'screen.control'"
        " && f.command === command)",
        command,
    )


def test_the_console_page_drives_each_screen_and_each_wall_apart(
    page: Any, page_server: AsgiServer
):
    hall = Api(page_server, slug="hall-a").create()
    foyer = Api(page_server, slug="foyer").create()
    hall.ingest(make_post(1))
    foyer.ingest(make_post(2))
    page.context.add_init_script(FRAMES)
    first, first_id = open_screen(page.context, page_server, hall.slug)
    second, second_id = open_screen(page.context, page_server, hall.slug)
    third, third_id = open_screen(page.context, page_server, foyer.slug)

    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"http://{page_server.base}/test/login/?next=/walls/console/")
    page.get_by_role("link", name="Screens of every wall").click()
    expect(page).to_have_url(f"http://{page_server.base}/walls/console/screens/")
    hall_section = page.locator(f'[data-screens-wall="{hall.slug}"]')
    foyer_section = page.locator(f'[data-screens-wall="{foyer.slug}"]')
    for section, screen_id in ((hall_section, first_id), (hall_section, second_id),
                               (foyer_section, third_id)):  # fmt: skip
        expect(section.locator(f'tr[data-screen="{screen_id}"]')).to_have_count(1, timeout=WAIT)
    expect(foyer_section.locator("tr[data-screen]")).to_have_count(1)

    # A banner for the first screen alone, from its row's "More".
    row = hall_section.locator(f'tr[data-screen="{first_id}"]')
    row.locator("summary", has_text="More").click()
    row.get_by_label("Banner").fill("Talk moved to Hall B")
    row.get_by_role("button", name="Show banner").click()
    expect(hall_section.locator("[data-screen-command-status]")).to_have_text(
        f"banner: sent to screen {first_id[:8]}."
    )
    expect(first.locator(".screen-announcement")).to_have_text("Talk moved to Hall B")
    # The second screen of the wall got the same frame (its id names the first) and ignored it.
    second.wait_for_function(
        "(id) => window.__frames.some(f => f.command === 'banner' && f.screen === id)",
        arg=first_id,
    )
    expect(second.locator(".screen-announcement:not([hidden])")).to_have_count(0)
    assert control_frames(third, "banner") == []  # another wall's group: never sent there
    # The row's forms survive the page's refreshes: still open, and still this screen's.
    page.wait_for_function(
        "() => document.querySelector('[data-screens-total]').textContent.includes('3 screens')"
    )
    assert row.locator("details").get_attribute("open") is not None
    assert row.locator('input[name="screen"]').evaluate_all(
        "inputs => [...new Set(inputs.map(i => i.value))]"
    ) == [first_id]

    # A wall's own "All screens" commands: the foyer's screen pauses, the hall's do not.
    foyer_section.locator("[data-wall-commands]").get_by_role("button", name="Pause").click()
    third.wait_for_function("document.documentElement.classList.contains('is-paused')")
    assert not first.evaluate("document.documentElement.classList.contains('is-paused')")
    assert control_frames(first, "pause") == [] and control_frames(second, "pause") == []
    expect(foyer_section.locator("[data-screens-state]")).to_have_text("Paused", timeout=WAIT)

    assert axe_problems(page) == []
    shoot(page, "console-screens")
    assert page.console_log.errors == []


def test_a_screen_whose_scripts_load_late_still_takes_the_state(page: Any, page_server: AsgiServer):
    """live.js connects as soon as it runs; the wall's state may come before screen-remote.js
    (the next deferred script) has run. It is kept and applied when that script starts: a
    paused wall's screen opens paused even when screen-remote.js arrives 1.5 s late (a
    reload through the service worker once lost the state this way)."""
    wall = Api(page_server, slug="late-scripts").create()
    wall.ingest(make_post(1))
    page.goto(f"http://{page_server.base}/test/login/?next=/walls/{wall.slug}/moderate/screens/")
    page.locator("[data-screen-commands]").first.get_by_role(
        "button", name="Pause", exact=True
    ).click()
    expect(page.locator("[data-screens-state]")).to_contain_text("Paused")

    screen = page.context.new_page()
    offline_pictures(screen)
    frames: list[str] = []
    screen.on("websocket", lambda ws: ws.on("framereceived", lambda f: frames.append(str(f))))

    def late(route: Any) -> None:
        # Hold the script until the socket has answered with the wall's state (or 5 s).
        deadline = time.monotonic() + 5
        while not any("screen.state" in f for f in frames) and time.monotonic() < deadline:
            screen.wait_for_timeout(50)
        route.continue_()

    screen.route("**/crowdwall/screen-remote.js*", late)
    screen.goto(f"http://{page_server.base}/walls/{wall.slug}/screen/")
    expect(screen.locator('[data-live-status][data-state="live"]')).to_be_attached()
    screen.wait_for_function("document.documentElement.classList.contains('is-paused')")
