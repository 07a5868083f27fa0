"""crowdwall/live.js on the nchan transport, end to end in real Chromium: the wall page and its
script come through a real nginx+nchan from a real Django (``LIVE_TRANSPORT = "nchan"``, the
``NchanPublisher``); the page's socket is nchan's subscriber, nothing on the wire is mocked or
proxied (the page only records its sockets, frames and catch-up requests: ``RECORDER``).

A post ingested in Django appears without a reload, disappears when rejected, and one ingested
while the browser is offline (its socket closed) is caught up from ``/live/missed/`` exactly
once when it comes back online.

The big screen on the same transport (issue 19): commands sent from the Screens page's endpoint
go out through the real ``NchanPublisher`` and reach the screen's nchan socket (pause, then a
banner for this screen alone); a screen that reconnects after commands it missed gets the
current state (the wall's and its own) from the catch-up, not from nchan's buffer.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import expect

from tests.crowdwall.browser.test_live_js import POSTS
from tests.crowdwall.browser.test_live_js import offline as blank_other_hosts
from tests.crowdwall.conftest import make_post
from tests.crowdwall.live.conftest import Api
from tests.crowdwall.live.nchan.conftest import Stack, run_nchan_stack
from tests.fixtures.servers import Server

pytestmark = pytest.mark.slow

WAIT = 10_000  # ms any expected change may take


@pytest.fixture(scope="module")
def nchan_page_stack(
    tmp_path_factory: pytest.TempPathFactory, memcached_server: Server
) -> Iterator[Stack]:
    """As ``nchan_stack`` (tests/crowdwall/live/nchan/conftest.py), with the static files too."""
    tmp = tmp_path_factory.mktemp("nchan-browser")
    yield from run_nchan_stack(
        tmp, memcached_server, "tests.crowdwall.browser.nchan_server_settings"
    )


# Records, in the page, the sockets it opens, the frames they receive (before live.js sees
# them) and its catch-up requests; keeps the sockets so the test can close one.
RECORDER = """
window.__seen = {open: [], sockets: [], frames: [], missed: []};
const NativeSocket = window.WebSocket, nativeFetch = window.fetch;
window.WebSocket = class extends NativeSocket {
  constructor(...args) {
    super(...args);
    window.__seen.open.push(this);
    window.__seen.sockets.push(this.url);
    this.addEventListener("message", (event) => {
      let value;
      try { value = JSON.parse(event.data); } catch (e) { return; }
      for (const f of Array.isArray(value) ? value : [value]) window.__seen.frames.push([f.type, f.id]);
    });
  }
};
window.fetch = function (url, ...rest) {
  if (String(url).includes("/live/missed/")) window.__seen.missed.push(String(url));
  return nativeFetch.call(this, url, ...rest);
};
"""


class Seen:
    """What ``RECORDER`` saw so far."""

    def __init__(self, page: Any) -> None:
        seen = page.evaluate(
            "({sockets: __seen.sockets, frames: __seen.frames, missed: __seen.missed})"
        )
        self.sockets: list[str] = seen["sockets"]
        self.frames: list[tuple[str, int]] = [tuple(frame) for frame in seen["frames"]]
        self.missed = [parse_qs(urlsplit(url).query) for url in seen["missed"]]


def expect_ids(page: Any, ids: list[int]) -> None:
    """The wall shows exactly ``ids``, in that order (newest first)."""
    expect(page.locator(POSTS)).to_have_count(len(ids), timeout=WAIT)
    page.wait_for_function(
        "([sel, ids]) => JSON.stringify([...document.querySelectorAll(sel)]"
        ".map(n => Number(n.dataset.postId))) === JSON.stringify(ids)",
        arg=[POSTS, ids],
        timeout=WAIT,
    )


def test_nchan_page_gets_posts_live_removes_rejected_and_catches_up_once(
    page: Any, nchan_page_stack: Stack
):
    edge = nchan_page_stack.edge
    api = Api(nchan_page_stack.django).create()
    ids = api.ingest(make_post(1))

    page.add_init_script(RECORDER)
    live = page.locator('[data-live-status][data-state="live"]')

    blank_other_hosts(page)  # avatars on other hosts: a blank image
    page.goto(edge.http_url(f"/walls/{api.slug}/"))  # the page, through nginx
    config = page.locator("[data-live-config]")
    expect(config).to_have_attribute("data-transport", "nchan")
    expect(live).to_be_visible(timeout=WAIT)  # socket open and the catch-up applied
    seen = Seen(page)
    assert seen.sockets == [edge.ws_url(api.slug)]  # nchan's subscriber, not Django's /ws/
    assert len(seen.missed) == 1 and seen.missed[0]["since"] == [str(ids["1"])]
    expect_ids(page, [ids["1"]])

    # Live: published by Django to nchan, delivered on the open socket, no reload, no fetch.
    ids = api.ingest(make_post(2, html="<p>Live <b>two</b></p>"))
    expect(page.locator(f"article.post#post-{ids['2']}")).to_have_count(1, timeout=WAIT)
    expect(page.locator(f"#post-{ids['2']} .content")).to_have_text("Live two")
    expect_ids(page, [ids["2"], ids["1"]])
    seen = Seen(page)
    assert len(seen.missed) == 1 and len(seen.sockets) == 1  # no reconnect, no fetch
    assert ("post.new", ids["2"]) in seen.frames  # it came on nchan's socket

    # Moderation: rejecting publishes a post.delete; the post leaves the page.
    assert api.moderate(ids["2"], "rejected") == 1
    expect(page.locator(f"#post-{ids['2']}")).to_have_count(0, timeout=WAIT)
    expect_ids(page, [ids["1"]])
    assert ("post.delete", ids["2"]) in Seen(page).frames

    # Offline, socket closed: a post ingested meanwhile is never delivered live (nchan does not
    # replay its buffer to a new subscriber); the reconnect's catch-up brings it, once.
    # (Chromium's offline emulation blocks new connections but leaves an open socket alone:
    # the test closes it, as a network drop would.)
    page.context.set_offline(True)
    page.evaluate("window.__seen.open.at(-1).close()")
    expect(page.locator('[data-live-status][data-state="reconnecting"]')).to_be_visible(
        timeout=WAIT
    )
    ids = api.ingest(make_post(3))
    assert page.locator("[data-live-status]").get_attribute("data-state") == "reconnecting"
    # (No socket can open while offline: every attempt fails with ERR_INTERNET_DISCONNECTED.)
    page.context.set_offline(False)
    expect(live).to_be_visible(timeout=WAIT)
    expect(page.locator(f"article.post#post-{ids['3']}")).to_have_count(1, timeout=WAIT)
    expect_ids(page, [ids["3"], ids["1"]])
    seen = Seen(page)
    assert seen.missed[-1]["since"] == [str(ids["2"])]  # the highest id it had seen
    assert ids["3"] not in [pid for _, pid in seen.frames]  # the catch-up's, not nchan's buffer
    assert len(seen.sockets) >= 2 and set(seen.sockets) == {edge.ws_url(api.slug)}

    # Live again on the new socket; nothing shown twice.
    ids = api.ingest(make_post(4))
    expect_ids(page, [ids["4"], ids["3"], ids["1"]])
    for pid in (ids["4"], ids["3"], ids["1"]):
        assert page.locator(f"#post-{pid}").count() == 1
    assert ("post.new", ids["4"]) in Seen(page).frames
    assert page.console_log.errors == []


# Every frame live.js hands on (nchan's socket and the catch-up alike), in order.
SCREEN_FRAMES = """
window.__screen_frames = [];
document.addEventListener("crowdwall:frame", (event) => window.__screen_frames.push(event.detail.frame));
"""
CSRF = "nchanCsrfToken0123456789abcdefgh"  # 32 characters: a CSRF secret as Django makes them


class Remote:
    """The Screens page's command endpoint, called as a logged-in staff user would."""

    def __init__(self, stack: Stack, slug: str) -> None:
        self.slug = slug
        self.http = httpx.Client(base_url=f"http://{stack.django.base}", timeout=30)
        self.http.cookies.set("sessionid", stack.login("screens", staff=True).split("=", 1)[1])
        self.http.cookies.set("csrftoken", CSRF)

    def send(self, **fields: str) -> None:
        response = self.http.post(
            f"/walls/{self.slug}/moderate/screens/command/",
            data=fields,
            headers={"X-CSRFToken": CSRF, "Accept": "application/json"},
        )
        assert response.status_code == 200, response.text
        assert response.json()["delivered"] is True  # posted to nchan's publisher


def screen_frames(page: Any, kind: str) -> list[dict[str, Any]]:
    return page.evaluate("(kind) => window.__screen_frames.filter(f => f.type === kind)", kind)


def open_nchan_screen(page: Any, stack: Stack) -> tuple[Api, Remote, str]:
    """A wall with one post, its big screen open through nginx and live on nchan."""
    api = Api(stack.django).create()
    api.ingest(make_post(1))
    page.add_init_script(RECORDER)
    page.add_init_script(SCREEN_FRAMES)
    blank_other_hosts(page)
    page.goto(stack.edge.http_url(f"/walls/{api.slug}/screen/"))
    expect(page.locator("[data-live-config]")).to_have_attribute("data-transport", "nchan")
    expect(page.locator('[data-live-status][data-state="live"]')).to_be_attached(timeout=WAIT)
    screen_id = page.locator("[data-screen-remote]").get_attribute("data-screen-id")
    assert screen_id
    return api, Remote(stack, api.slug), screen_id


def is_paused(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.classList.contains('is-paused')"))


def test_nchan_screen_obeys_commands_sent_through_the_nchan_publisher(
    page: Any, nchan_page_stack: Stack
):
    api, remote, screen_id = open_nchan_screen(page, nchan_page_stack)
    assert not is_paused(page)

    remote.send(command="pause")
    page.wait_for_function("document.documentElement.classList.contains('is-paused')")
    pause = screen_frames(page, "screen.control")
    assert [(f["command"], f["screen"]) for f in pause] == [("pause", None)]

    # A banner for another screen arrives on the same socket and is ignored; one for this
    # screen shows.
    remote.send(command="banner", text="Not for you", screen="another-screen-1")
    remote.send(command="banner", text="Doors close at six", screen=screen_id, seconds="60")
    expect(page.locator(".screen-announcement")).to_have_text("Doors close at six", timeout=WAIT)
    banners = [f for f in screen_frames(page, "screen.control") if f["command"] == "banner"]
    assert [f["screen"] for f in banners] == ["another-screen-1", screen_id]
    seen = Seen(page)
    assert seen.sockets == [nchan_page_stack.edge.ws_url(api.slug)]  # nchan's, no reconnect
    assert len(seen.missed) == 1 and seen.missed[0]["screen"] == [screen_id]
    assert is_paused(page)
    assert page.console_log.errors == []


def test_nchan_screen_reconnects_into_the_current_state(page: Any, nchan_page_stack: Stack):
    _, remote, screen_id = open_nchan_screen(page, nchan_page_stack)
    remote.send(command="pause")
    page.wait_for_function("document.documentElement.classList.contains('is-paused')")

    # The connection drops; meanwhile a banner for every screen and a theme for this one alone.
    page.context.set_offline(True)
    page.evaluate("window.__seen.open.at(-1).close()")
    expect(page.locator('[data-live-status][data-state="reconnecting"]')).to_be_attached(
        timeout=WAIT
    )
    remote.send(command="banner", text="Lunch until two", seconds="600")
    remote.send(command="theme", value="light", screen=screen_id)
    remote.send(command="theme", value="contrast", screen="another-screen-1")
    page.context.set_offline(False)

    expect(page.locator('[data-live-status][data-state="live"]')).to_be_attached(timeout=WAIT)
    expect(page.locator(".screen-announcement")).to_have_text("Lunch until two", timeout=WAIT)
    page.wait_for_function("document.documentElement.classList.contains('theme-light')")
    assert is_paused(page)
    # It comes from the catch-up's state (this screen's own: ?screen=). (NchanPublisher posts
    # from a background sender, so the last commands may reach nginx only after the new socket
    # subscribed and arrive live as well: re-applied after the state they change nothing, so
    # the live control frames are not counted here.)
    assert len(Seen(page).sockets) >= 2
    states = screen_frames(page, "screen.state")
    assert len(states) == 2  # the first connect's and the reconnect's, both catch-ups'
    assert states[-1]["paused"] is True and states[-1]["theme"] == "light"
    assert states[-1]["banner"]["text"] == "Lunch until two"
    assert 0 < states[-1]["banner"]["seconds"] <= 600
    seen = Seen(page)
    assert len(seen.missed) == 2 and seen.missed[-1]["screen"] == [screen_id]
    assert not page.evaluate("document.documentElement.classList.contains('theme-contrast')")
    assert page.console_log.errors == []
