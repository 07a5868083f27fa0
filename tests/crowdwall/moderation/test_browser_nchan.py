"""static/crowdwall/moderate.js on the nchan transport, in real Chromium: the moderation screen
and its script come through a real nginx+nchan from a real Django (``LIVE_TRANSPORT =
"nchan"``, the ``NchanPublisher``); the page's socket is nchan's moderators' subscriber, which
nginx lets open only after Django's authorize view said yes. Nothing on the wire is mocked (the
page only records its sockets, frames and snapshot requests: ``RECORDER``).

A post ingested in Django appears in the queue without a reload; approved by another moderator
(over HTTP) it leaves; one ingested while the page is offline comes with the snapshot fetched on
reconnect; a session that is no longer staff's is refused by nginx, and the page stops.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import expect

from tests.crowdwall.conftest import make_post
from tests.crowdwall.live.conftest import Api
from tests.crowdwall.live.nchan.conftest import Stack, run_nchan_stack
from tests.fixtures.servers import Server

pytestmark = pytest.mark.slow

WAIT = 10_000  # ms any expected change may take


@pytest.fixture(scope="module")
def nchan_mod_stack(
    tmp_path_factory: pytest.TempPathFactory, memcached_server: Server
) -> Iterator[Stack]:
    """As ``nchan_stack``, with static files and the wall-mode helper."""
    tmp = tmp_path_factory.mktemp("nchan-moderation")
    yield from run_nchan_stack(
        tmp, memcached_server, "tests.crowdwall.moderation.nchan_server_settings"
    )


# Records, in the page, the sockets it opens (and whether they opened), the frames they
# receive (before moderate.js sees them) and its snapshot requests.
RECORDER = """
window.__seen = {open: [], sockets: [], opened: [], frames: [], snapshots: []};
const NativeSocket = window.WebSocket, nativeFetch = window.fetch;
window.WebSocket = class extends NativeSocket {
  constructor(...args) {
    super(...args);
    const index = window.__seen.sockets.length;
    window.__seen.open.push(this);
    window.__seen.sockets.push(this.url);
    window.__seen.opened.push(false);
    this.addEventListener("open", () => { window.__seen.opened[index] = true; });
    this.addEventListener("message", (event) => {
      let value;
      try { value = JSON.parse(event.data); } catch (e) { return; }
      for (const f of Array.isArray(value) ? value : [value]) window.__seen.frames.push([f.type, f.id]);
    });
  }
};
window.fetch = function (url, ...rest) {
  if (String(url).includes("/moderate/snapshot/")) window.__seen.snapshots.push(String(url));
  return nativeFetch.call(this, url, ...rest);
};
"""


class Seen:
    """What ``RECORDER`` saw so far."""

    def __init__(self, page: Any) -> None:
        seen = page.evaluate(
            "({sockets: __seen.sockets, opened: __seen.opened, frames: __seen.frames,"
            " snapshots: __seen.snapshots})"
        )
        self.sockets: list[str] = seen["sockets"]
        self.opened: list[bool] = seen["opened"]
        self.frames: list[tuple[str, int]] = [tuple(frame) for frame in seen["frames"]]
        self.snapshots = [parse_qs(urlsplit(url).query) for url in seen["snapshots"]]


def session_cookie(page: Any, stack: Stack, name: str, *, staff: bool) -> None:
    """The browser's session becomes ``name``'s (a real login on the server)."""
    _, _, value = stack.login(name, staff=staff).partition("=")
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": "sessionid", "value": value, "url": stack.edge.http_url("/")}]
    )


def approve_elsewhere(stack: Stack, slug: str, post_id: int) -> None:
    """Another moderator approves ``post_id`` with the screen's own form endpoint (CSRF and
    all), through nginx."""
    with httpx.Client(base_url=stack.edge.http_url(""), timeout=30) as http:
        assert http.post("/test/login/other-mo/1/").status_code == 200
        response = http.post(
            f"/walls/{slug}/moderate/act/",
            data={"item": f"{post_id}:approve"},
            headers={"Accept": "application/json", "X-CSRFToken": http.cookies["csrftoken"]},
        )
    assert response.status_code == 200, response.text
    assert response.json()["posts"] == [{"id": post_id, "state": "approved", "pinned": False}]


def item(page: Any, post_id: int) -> Any:
    return page.locator(f'[data-mod-item][data-post-id="{post_id}"]')


def test_nchan_moderation_queue_is_live_resyncs_and_refuses_non_staff(
    page: Any, nchan_mod_stack: Stack
):
    stack = nchan_mod_stack
    edge = stack.edge
    api = Api(stack.django).create()
    httpx.post(f"http://{stack.django.base}/test/mode/{api.slug}/pre_approve/", timeout=30)
    first = api.ingest(make_post(1))["1"]

    page.add_init_script(RECORDER)
    session_cookie(page, stack, "mo", staff=True)
    live = page.locator('[data-mod-live][data-state="live"]')
    page.goto(edge.http_url(f"/walls/{api.slug}/moderate/"))  # the screen, through nginx
    expect(page.locator("[data-mod-root]")).to_have_attribute("data-transport", "nchan")
    expect(live).to_be_visible(timeout=WAIT)  # subscribed, and the snapshot applied
    expect(page.locator("[data-mod-item]")).to_have_count(1)
    expect(item(page, first)).to_be_visible()
    seen = Seen(page)
    assert seen.sockets == [edge.ws_url(api.slug, moderate=True)]  # nchan's, not Django's /ws/
    assert seen.opened == [True] and len(seen.snapshots) == 1

    # Live: a new pending post, published by Django to nchan, delivered on the open socket.
    new = api.ingest(make_post(2))["2"]
    expect(item(page, new)).to_be_visible(timeout=WAIT)
    expect(page.locator('[data-count="pending"]')).to_have_text("2")
    assert ("mod.update", new) in Seen(page).frames
    assert len(Seen(page).sockets) == 1  # no reconnect

    # Another moderator approves it: it leaves this queue live.
    approve_elsewhere(stack, api.slug, new)
    expect(item(page, new)).to_have_count(0, timeout=WAIT)
    expect(page.locator('[data-count="pending"]')).to_have_text("1")
    expect(page.locator('[data-count="approved"]')).to_have_text("1")

    # Offline, socket closed: a post ingested meanwhile is not delivered live (nchan does not
    # replay its buffer); the snapshot fetched on reconnect brings it.
    page.context.set_offline(True)
    page.evaluate("window.__seen.open.at(-1).close()")
    expect(page.locator('[data-mod-live][data-state="reconnecting"]')).to_be_attached(timeout=WAIT)
    missed = api.ingest(make_post(3))["3"]
    page.context.set_offline(False)
    expect(live).to_be_visible(timeout=WAIT)
    expect(item(page, missed)).to_be_visible(timeout=WAIT)
    expect(page.locator("[data-mod-item]")).to_have_count(2)
    seen = Seen(page)
    assert len(seen.snapshots) >= 2 and seen.snapshots[-1]["changes"]
    assert missed not in [pid for _, pid in seen.frames]  # the snapshot's, not nchan's
    assert set(seen.sockets) == {edge.ws_url(api.slug, moderate=True)}
    assert page.console_log.errors == []

    # The session is not staff's any more: nginx refuses the socket (authorize → 403), the page
    # stops instead of retrying, and nothing more arrives.
    session_cookie(page, stack, "joe", staff=False)
    sockets = len(seen.sockets)
    page.evaluate("window.__seen.open.at(-1).close()")
    stopped = page.locator('[data-mod-live][data-state="stopped"]')
    expect(stopped).to_be_visible(timeout=WAIT)
    expect(stopped).to_contain_text("moderators only")
    seen = Seen(page)
    assert len(seen.sockets) == sockets + 1 and seen.opened[-1] is False
    frames = len(seen.frames)
    hidden = api.ingest(make_post(4))["4"]
    page.wait_for_timeout(1_000)
    seen = Seen(page)
    assert len(seen.frames) == frames and len(seen.sockets) == sockets + 1
    assert item(page, hidden).count() == 0
