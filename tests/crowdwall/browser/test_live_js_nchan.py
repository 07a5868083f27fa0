"""crowdwall/live.js on the nchan transport, end to end in real Chromium: the wall page and its
script come through a real nginx+nchan from a real Django (``LIVE_TRANSPORT = "nchan"``, the
``NchanPublisher``); the page's socket is nchan's subscriber, nothing on the wire is mocked or
proxied (the page only records its sockets, frames and catch-up requests: ``RECORDER``).

A post ingested in Django appears without a reload, disappears when rejected, and one ingested
while the browser is offline (its socket closed) is caught up from ``/live/missed/`` exactly
once when it comes back online.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

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
