"""crowdwall/live.js in real Chromium against a real ASGI server: posts arrive without a
reload, disappear when rejected, never twice; a dropped socket reconnects with ``since`` and
catches up with no gap; hostile author data stays text; 4404 stops; the big screen and its
overlay render in both themes; "load earlier posts" fetches older posts on the wall page.

The page's WebSocket runs through Playwright's ``route_web_socket`` (``Proxy``): frames pass
both ways unchanged, and a test can replay a frame, inject one, or drop the connection (the
real server's socket is closed too) and refuse reconnects for a while.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import expect

from tests.crowdwall.conftest import make_post
from tests.crowdwall.live.conftest import Api, AsgiServer

pytestmark = pytest.mark.slow

POSTS = "[data-live-root] > article.post"


class Proxy:
    """Forwards the page's wall WebSockets to the server, recording what the server sends."""

    def __init__(self, page: Any) -> None:
        self.accept = True
        self.urls: list[str] = []
        self.frames: list[str] = []
        self.routes: list[tuple[Any, Any]] = []
        page.route_web_socket(re.compile(r"/ws/walls/"), self.handle)

    def handle(self, ws: Any) -> None:
        self.urls.append(ws.url)
        if not self.accept:
            ws.close(code=1011, reason="refused by the test")
            return
        server = ws.connect_to_server()

        def forward(message: str | bytes) -> None:
            self.frames.append(message if isinstance(message, str) else message.decode())
            ws.send(message)

        server.on_message(forward)
        self.routes.append((ws, server))

    def send(self, frame: Any) -> None:
        """Deliver ``frame`` (an object, a list of them, or encoded text) on the open socket."""
        self.routes[-1][0].send(frame if isinstance(frame, str) else json.dumps(frame))

    def drop(self) -> None:
        """Close both sides of the current socket, as a network blip or a restart would."""
        ws, server = self.routes[-1]
        server.close()
        ws.close(code=1012, reason="restart")

    def since(self, n: int = -1) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.urls[n]).query)


PIXEL = '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>'


def offline(page: Any) -> None:
    """Posts link avatars and media on other hosts: answer those here, with a blank image."""
    page.route(
        re.compile(r"^https?://(?!127\.0\.0\.1[:/])"),
        lambda route: route.fulfill(status=200, content_type="image/svg+xml", body=PIXEL),
    )


def open_live(page: Any, server: AsgiServer, path: str) -> None:
    offline(page)
    page.goto(f"http://{server.base}{path}")
    expect(page.locator('[data-live-status][data-state="live"]')).to_be_visible()


def post_ids(page: Any, selector: str = POSTS) -> list[int]:
    return [int(pk) for pk in page.locator(selector).evaluate_all(
        "nodes => nodes.map(n => n.getAttribute('data-post-id'))"
    )]  # fmt: skip


def expect_ids(page: Any, ids: list[int], selector: str = POSTS) -> None:
    """The posts in ``selector`` become exactly ``ids``, in that order."""
    expect(page.locator(selector)).to_have_count(len(ids))
    page.wait_for_function(
        "([sel, ids]) => JSON.stringify([...document.querySelectorAll(sel)]"
        ".map(n => Number(n.dataset.postId))) === JSON.stringify(ids)",
        arg=[selector, ids],
    )


def no_errors(page: Any) -> None:
    assert page.console_log.errors == []
    assert [line for line in page.console_log.lines if line.startswith("[error]")] == []


def test_live_posts_arrive_update_disappear_and_never_twice(page: Any, page_server: AsgiServer):
    api = Api(page_server).create()
    ids = api.ingest(make_post(1), make_post(2))
    proxy = Proxy(page)
    open_live(page, page_server, f"/walls/{api.slug}/")
    expect_ids(page, [ids["2"], ids["1"]])
    assert proxy.since()["since"] == [str(ids["2"])]  # the page's data-last-id

    ids = api.ingest(make_post(3, html="<p>Live <b>three</b></p>"))
    expect_ids(page, [ids["3"], ids["2"], ids["1"]])  # newest first, no reload
    expect(page.locator(f"#post-{ids['3']} .content")).to_have_text("Live three")

    # Replayed frames (one alone, then a coalesced burst of both) change nothing.
    live_frame = next(f for f in proxy.frames if f'"id":{ids["3"]}' in f and "post.new" in f)
    proxy.send(live_frame)
    proxy.send("[" + live_frame + "," + live_frame + "]")
    # An older post arriving late is placed by created_at, not on top.
    ids = api.ingest(make_post(0, html="<p>Late</p>"))
    expect_ids(page, [ids["3"], ids["2"], ids["1"], ids["0"]])

    # A pin (as moderation sends it: the post with "pinned") shows a copy in the pinned area.
    pinned = "[data-pinned] > article.post"
    expect(page.locator("[data-pinned]")).to_be_hidden()
    proxy.send({**json.loads(live_frame), "type": "post.update", "pinned": True, "at": 2})
    expect_ids(page, [ids["3"]], pinned)
    expect(page.locator(f"#pinned-post-{ids['3']}")).to_be_visible()
    proxy.send({**json.loads(live_frame), "type": "post.update", "pinned": False, "at": 3})
    expect(page.locator("[data-pinned]")).to_be_hidden()
    expect_ids(page, [ids["3"], ids["2"], ids["1"], ids["0"]])  # still in the timeline

    assert api.moderate(ids["2"], "rejected") == 1
    expect_ids(page, [ids["3"], ids["1"], ids["0"]])
    no_errors(page)


def test_a_dropped_socket_reconnects_and_catches_up_without_gap_or_duplicate(
    page: Any, page_server: AsgiServer
):
    api = Api(page_server).create()
    ids = api.ingest(make_post(1), make_post(2))
    proxy = Proxy(page)
    open_live(page, page_server, f"/walls/{api.slug}/")
    ids = api.ingest(make_post(3))
    expect_ids(page, [ids["3"], ids["2"], ids["1"]])

    proxy.accept = False
    proxy.drop()
    expect(page.locator('[data-live-status][data-state="reconnecting"]')).to_be_visible()
    # While the page is away: new posts, and one it shows is rejected.
    ids = api.ingest(make_post(4), make_post(5))
    api.moderate(ids["1"], "rejected")
    page.wait_for_timeout(300)  # let at least one reconnect be refused
    proxy.accept = True

    expect_ids(page, [ids["5"], ids["4"], ids["3"], ids["2"]])
    expect(page.locator('[data-live-status][data-state="live"]')).to_be_visible()
    resumed = proxy.since()
    assert resumed["since"] == [str(ids["3"])]  # the last post it had
    assert int(resumed["changes"][0]) > 1_600_000_000_000
    # And it is live again.
    ids = api.ingest(make_post(6))
    expect_ids(page, [ids["6"], ids["5"], ids["4"], ids["3"], ids["2"]])
    assert page.console_log.errors == []


def test_hostile_author_data_stays_text(page: Any, page_server: AsgiServer):
    api = Api(page_server).create()
    ids = api.ingest(make_post(1))
    proxy = Proxy(page)
    open_live(page, page_server, f"/walls/{api.slug}/")
    evil = '<img src=x onerror="window.__pwned=1">'
    ids = api.ingest(
        make_post(2, author={"display_name": evil, "handle": "x<b>y</b>"},
                  html='<p>hi<script>window.__pwned=2</script><img src=x onerror="window.__pwned=3"></p>')
    )  # fmt: skip
    article = page.locator(f"#post-{ids['2']}")
    expect(article.locator(".author strong")).to_have_text(evil)
    # A frame straight onto the socket (not sanitized by ingest): the client's own guards.
    post = {
        "id": 999, "created_at": "2030-01-01T00:00:00.123456+00:00", "html": "<p>ok</p>",
        "url": "javascript:window.__pwned=4",
        "author": {"display_name": "</strong><script>window.__pwned=5</script>", "handle": "h",
                   "avatar_url": "javascript:window.__pwned=6", "profile_url": "data:text/html,x"},
        "media": [{"type": "image", "url": "javascript:window.__pwned=7", "alt": "a"},
                  {"type": "image", "url": "https://img.example/p.png", "alt": '"><script>x</script>'}],
    }  # fmt: skip
    proxy.send({"type": "post.new", "id": 999, "post": post, "at": 1})
    injected = page.locator("#post-999")
    expect(injected.locator(".author strong")).to_have_text(post["author"]["display_name"])
    assert (
        injected.locator("a[href^='javascript'], a[href^='data'], img[src^='javascript']").count()
        == 0
    )
    expect(injected.locator(".media img")).to_have_attribute("alt", '"><script>x</script>')
    # Written like the server's own (reltime.js then moves it to the title: "in 3 years").
    expect(injected.locator("time")).to_have_attribute("title", "1 Jan 2030, 00:00 UTC")
    page.wait_for_timeout(200)
    assert page.evaluate("window.__pwned") is None
    assert page.console_log.errors == []


def test_unknown_wall_4404_stops_reconnecting(page: Any, page_server: AsgiServer):
    api = Api(page_server).create()
    api.ingest(make_post(1))
    sockets: list[str] = []
    page.on("websocket", lambda ws: sockets.append(ws.url))

    # The page of a wall deactivated since the page was cached: its socket names a wall the
    # server does not know. (Rewritten in the page: a fulfilled route would make the document
    # non-local, and Chromium would then block its connections to 127.0.0.1.)
    page.add_init_script(
        "new MutationObserver((_, observer) => {"
        "  const config = document.querySelector('[data-live-config]');"
        "  if (config) { config.dataset.wsUrl = '/ws/walls/gone/'; observer.disconnect(); }"
        "}).observe(document, {childList: true, subtree: true});"
    )
    offline(page)
    page.goto(f"http://{page_server.base}/walls/{api.slug}/")
    status = page.locator('[data-live-status][data-state="stopped"]')
    expect(status).to_be_visible()
    expect(status).to_contain_text("not live")
    page.wait_for_timeout(1500)  # several backoff periods: no new attempt
    assert len(sockets) == 1 and "/ws/walls/gone/" in sockets[0]


def test_big_screen_themes_and_overlay(page: Any, page_server: AsgiServer):
    api = Api(page_server).create()
    api.ingest(*[make_post(n) for n in range(1, 54)])  # 53: one page (50) and 3 more
    open_live(page, page_server, f"/walls/{api.slug}/screen/")
    assert page.locator("html").get_attribute("class") == "screen-page theme-dark layout-columns"
    background = "getComputedStyle(document.body).backgroundColor"
    assert page.evaluate(background) == "rgb(14, 15, 17)"
    expect(page.locator(".screen-banner .qr svg")).to_be_visible()
    expect(page.locator(POSTS)).to_have_count(50)

    new = api.ingest(make_post(60))
    expect(page.locator(POSTS).first).to_have_attribute("data-post-id", str(new["60"]))
    assert page.locator("[data-load-earlier], button").count() == 0  # a projector has no mouse
    no_errors(page)

    open_live(page, page_server, f"/walls/{api.slug}/screen/?theme=light")
    assert page.evaluate(background) == "rgb(238, 240, 242)"

    open_live(page, page_server, f"/walls/{api.slug}/overlay/")
    assert page.evaluate(background) == "rgba(0, 0, 0, 0)"
    assert page.locator(".screen-banner").count() == 0
    new = api.ingest(make_post(61))
    expect(page.locator(POSTS).first).to_have_attribute("data-post-id", str(new["61"]))
    expect(page.locator(POSTS)).to_have_count(4)  # the overlay keeps a short stack
    no_errors(page)


def test_a_quiet_big_screen_reshows_older_posts(page: Any, page_server: AsgiServer):
    api = Api(page_server).create()
    ids = api.ingest(make_post(1), make_post(2), make_post(3))
    page.add_init_script(  # one quiet second instead of the screen's minute
        "new MutationObserver((_, observer) => {"
        "  const root = document.querySelector('[data-live-root]');"
        "  if (root) { root.dataset.quietSeconds = '1'; observer.disconnect(); }"
        "}).observe(document, {childList: true, subtree: true});"
    )
    open_live(page, page_server, f"/walls/{api.slug}/screen/")
    expect(page.locator(f"{POSTS}.is-reshown")).to_have_count(1, timeout=5000)
    assert post_ids(page) == [ids["1"], ids["3"], ids["2"]]  # the oldest, back on top
    new = api.ingest(make_post(4))
    expect(page.locator(POSTS).first).to_have_attribute("data-post-id", str(new["4"]))
    assert len(post_ids(page)) == 4
    no_errors(page)


def as_nchan(page: Any, slug: str) -> None:
    """Make the page use the nchan transport (as ``LIVE_TRANSPORT = "nchan"`` renders it)."""
    page.add_init_script(
        "new MutationObserver((_, observer) => {"
        "  const config = document.querySelector('[data-live-config]');"
        "  if (!config) return;"
        "  config.dataset.transport = 'nchan';"
        f"  config.dataset.liveUrl = '/nchan/walls/{slug}/';"
        f"  config.dataset.missedUrl = '/walls/{slug}/live/missed/';"
        "  observer.disconnect();"
        "}).observe(document, {childList: true, subtree: true});"
    )


def test_nchan_transport_fetches_what_it_missed_and_merges_the_live_stream(
    page: Any, page_server: AsgiServer
):
    """nchan's socket carries live frames only (played here by the test); on every (re)open
    the page buffers them, fetches the missed frames from Django, then applies the buffer."""
    api = Api(page_server).create()
    ids = api.ingest(make_post(1), make_post(2))
    sockets: list[Any] = []
    page.route_web_socket(re.compile(r"/nchan/walls/"), lambda ws: sockets.append(ws))  # mocked
    missed: list[dict[str, list[str]]] = []
    page.on(
        "request",
        lambda r: "/live/missed/" in r.url and missed.append(parse_qs(urlsplit(r.url).query)),
    )
    as_nchan(page, api.slug)
    open_live(page, page_server, f"/walls/{api.slug}/")
    assert missed == [{"since": [str(ids["2"])], "changes": missed[0]["changes"]}]

    ids = api.ingest(make_post(3), make_post(4))
    # (The last frame, the wall's figures, has no id.)
    frames = {f.get("id"): f for f in httpx.get(
        f"http://{page_server.base}/walls/{api.slug}/live/missed/?since={ids['2']}"
    ).json()["frames"]}  # fmt: skip
    sockets[-1].send(json.dumps(frames[ids["3"]]))  # nchan delivers post 3 live
    expect_ids(page, [ids["3"], ids["2"], ids["1"]])

    sockets[-1].close(code=1012)  # nginx restarted: 4 was never delivered live
    expect(page.locator('[data-live-status][data-state="reconnecting"]')).to_be_visible()
    expect(page.locator('[data-live-status][data-state="live"]')).to_be_visible()
    assert missed[-1]["since"] == [str(ids["3"])]
    expect_ids(page, [ids["4"], ids["3"], ids["2"], ids["1"]])
    sockets[-1].send(json.dumps([frames[ids["4"]], frames[ids["3"]]]))  # nchan's backlog again
    page.wait_for_timeout(200)
    expect_ids(page, [ids["4"], ids["3"], ids["2"], ids["1"]])
    assert len(sockets) == 2
    no_errors(page)


def test_pages_fit_a_phone(page: Any, page_server: AsgiServer):
    api = Api(page_server).create()
    api.ingest(make_post(1, html="<p>" + "long-word" * 30 + "</p>"), make_post(2))
    page.set_viewport_size({"width": 360, "height": 740})
    for path in (f"/walls/{api.slug}/", f"/walls/{api.slug}/screen/"):
        open_live(page, page_server, path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, path
        expect(page.locator(POSTS).first).to_be_in_viewport()
    no_errors(page)


def test_without_javascript_the_archive_link_replaces_the_button(
    page_without_js: Any, page_server: AsgiServer
):
    api = Api(page_server).create()
    api.ingest(make_post(1))
    page_without_js.goto(f"http://{page_server.base}/walls/{api.slug}/")
    expect(page_without_js.locator("[data-load-earlier-fallback]")).to_be_visible()
    expect(page_without_js.locator("[data-load-earlier]")).to_be_hidden()
    expect(page_without_js.locator("[data-live-status]")).to_be_hidden()
    expect(page_without_js.locator(POSTS)).to_have_count(1)
