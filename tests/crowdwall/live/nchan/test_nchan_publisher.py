"""NchanPublisher against real HTTP servers: one POST per channel and flush (the Channels
transport's frames, a JSON array for several), bursts coalesced into few messages that reach a
real nchan subscriber in order, an isolated post at once, and an unreachable nchan never breaks
ingest."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

from crowdwall.ingest.publisher import Event, EventKind, set_publisher
from crowdwall.live.nchan import NchanPublisher, channel_messages
from crowdwall.models import ModerationMode, Wall
from tests.crowdwall.conftest import make_post
from tests.fixtures.nchan import NchanEdge, run_nchan
from tests.fixtures.nginx_generated import EchoUpstream, echo_upstream
from tests.fixtures.servers import Server, free_port

# seconds: an isolated post reaches the subscriber well within this (~10 ms on a quiet machine;
# the bound is generous for a loaded CI box, and still far below the 5 s window it must not wait)
PROMPT = 1.5


@pytest.fixture
def upstream() -> Iterator[EchoUpstream]:
    yield from echo_upstream()


@pytest.fixture(scope="module")
def edge(memcached_server: Server) -> Iterator[NchanEdge]:
    """nginx+nchan (two workers); the wall channels need no Django, so none runs."""
    django = f"127.0.0.1:{free_port()}"
    yield from run_nchan(
        django=django, publish_port=free_port(), memcached=memcached_server.address
    )


@pytest.fixture
def subscriber(edge: NchanEdge) -> Iterator[ClientConnection]:
    """A WebSocket on ``wall.djangocon`` whose subscription is known to be effective."""
    with connect(edge.ws_url("djangocon"), open_timeout=10) as ws:
        _await_subscription(ws, edge.publish_url + "wall.djangocon")
        yield ws


def _await_subscription(ws: ClientConnection, url: str) -> None:
    # With several workers a subscription takes effect slightly after the socket opens: probe
    # until one arrives, then drop any probe still on its way.
    for attempt in range(50):
        httpx.post(url, content=json.dumps({"type": "probe", "n": attempt}), timeout=5)
        try:
            json.loads(ws.recv(timeout=0.2))
        except TimeoutError:
            continue
        while True:
            try:
                ws.recv(timeout=0.2)
            except TimeoutError:
                return
    raise AssertionError("the nchan subscription never became effective")


def _frames(ws: ClientConnection, count: int, timeout: float = 10.0) -> list[Any]:
    """Messages until they hold ``count`` frames (each message: a frame or an array)."""
    messages: list[Any] = []
    deadline = time.monotonic() + timeout
    while sum(len(m) if isinstance(m, list) else 1 for m in messages) < count:
        messages.append(json.loads(ws.recv(timeout=max(deadline - time.monotonic(), 0.001))))
    return messages


def _flat(messages: list[Any]) -> list[dict[str, Any]]:
    return [f for m in messages for f in (m if isinstance(m, list) else [m])]


def _events(count: int, first: int = 1) -> list[Event]:
    """New-post events for the open wall ``djangocon`` (no database read to publish them)."""
    return [
        Event(EventKind.NEW, n, {"djangocon": "approved"}, post={"id": n, "html": f"<p>{n}</p>"})
        for n in range(first, first + count)
    ]


def test_one_post_per_channel_and_batch(wall, store, upstream):
    Wall.objects.create(
        name="Held", slug="held", hashtags=["djangocon"], moderation=ModerationMode.PRE_APPROVE
    )
    publisher = NchanPublisher(publish_url=f"http://{upstream.address}/_nchan/pub/")
    set_publisher(publisher)  # the autouse ``published`` fixture restores the previous one
    result = store(make_post(), make_post())  # publishes after commit
    assert publisher.flush()
    assert [seen.method for seen in upstream.seen] == ["POST"] * 3
    bodies = {seen.path: json.loads(seen.body) for seen in upstream.seen}
    # The open wall shows both (one array); the held wall's page hears nothing, its moderators
    # hear about both pending posts.
    assert set(bodies) == {
        "/_nchan/pub/wall.djangocon",
        "/_nchan/pub/moderate.djangocon",
        "/_nchan/pub/moderate.held",
    }
    ids = [event.post_id for event in result.events]
    *news, figures = bodies["/_nchan/pub/wall.djangocon"]
    assert [(f["type"], f["id"]) for f in news] == [("post.new", pid) for pid in ids]
    assert (figures["type"], figures["count"]) == ("wall.figures", 2)  # once per batch, last
    assert [(f["type"], f["state"]) for f in bodies["/_nchan/pub/moderate.held"]] == [
        ("mod.update", "pending")
    ] * 2
    assert upstream.seen[0].headers["content-type"] == "application/json"
    assert (publisher.sent, publisher.errors) == (3, 0)
    publisher.close()


def test_synchronous_mode_posts_in_the_callers_thread(wall, store, upstream):
    publisher = NchanPublisher(
        publish_url=f"http://{upstream.address}/_nchan/pub/", background=False
    )
    set_publisher(publisher)
    store(make_post())
    assert len(upstream.seen) == 2  # wall and moderators' channel, before store() returned
    assert publisher.sent == 2
    publisher.close()


def test_single_frame_is_sent_as_an_object(wall, store):
    result = store(make_post())
    messages = channel_messages(result.events, figures={"djangocon"})
    assert json.loads(messages["moderate.djangocon"])["type"] == "mod.update"
    # The wall's page gets the post, then the wall's figures: an array.
    assert [f["type"] for f in json.loads(messages["wall.djangocon"])] == [
        "post.new",
        "wall.figures",
    ]


def test_burst_reaches_a_subscriber_as_fewer_messages_in_order(edge, subscriber):
    publisher = NchanPublisher(publish_url=edge.publish_url, coalesce_ms=300)
    events = _events(30)
    for event in events:  # one call per post, as an ingest publishing post by post
        publisher.publish(event)
    messages = _frames(subscriber, len(events))
    frames = _flat(messages)
    assert [(f["type"], f["id"]) for f in frames] == [("post.new", e.post_id) for e in events]
    assert len(messages) < len(events)
    assert any(isinstance(m, list) for m in messages)
    assert publisher.errors == 0
    publisher.close()


def test_isolated_post_is_delivered_at_once(edge, subscriber):
    # A long window: an idle publisher must not wait for it.
    publisher = NchanPublisher(publish_url=edge.publish_url, coalesce_ms=5_000)
    started = time.monotonic()
    publisher.publish(_events(1, first=7)[0])
    (message,) = _frames(subscriber, 1, timeout=PROMPT)
    assert time.monotonic() - started < PROMPT
    assert (message["type"], message["id"]) == ("post.new", 7)
    publisher.close()


def test_flush_and_close_send_what_waits_for_the_window(edge, subscriber):
    publisher = NchanPublisher(publish_url=edge.publish_url, coalesce_ms=60_000)
    publisher.publish_many(_events(1, first=1))  # sent at once; the window starts
    assert _flat(_frames(subscriber, 1))[0]["id"] == 1
    for event in _events(3, first=2):
        publisher.publish(event)  # held for the window (a minute) ...
    started = time.monotonic()
    assert publisher.flush(timeout=10)  # ... unless flushed
    assert time.monotonic() - started < 5
    assert [f["id"] for f in _flat(_frames(subscriber, 3))] == [2, 3, 4]
    for event in _events(2, first=5):
        publisher.publish(event)
    assert publisher.close(timeout=10)
    assert [f["id"] for f in _flat(_frames(subscriber, 2))] == [5, 6]
    assert (publisher.sent, publisher.errors) == (6, 0)  # three flushes: wall and moderators
    # Closed is not dead: a later publish starts a new sender.
    publisher.publish(_events(1, first=9)[0])
    assert _flat(_frames(subscriber, 1))[0]["id"] == 9
    publisher.close()


def test_unreachable_nchan_is_counted_never_raised(wall, store, caplog):
    publisher = NchanPublisher(publish_url=f"http://127.0.0.1:{free_port()}/_nchan/pub/")
    set_publisher(publisher)
    started = time.monotonic()
    result = store(make_post())  # ingest succeeds, publishing after commit fails
    assert result.created == 1
    assert time.monotonic() - started < 2  # not held up by the failing POSTs
    assert publisher.flush()
    assert publisher.errors == 2 and publisher.sent == 0  # wall and moderators' channel
    assert "nchan publish to wall.djangocon failed" in caplog.text
    publisher.close()


def test_no_publish_url_is_counted(wall, store, settings):
    settings.CROWDWALL = {"NCHAN_PUBLISH_URL": ""}
    publisher = NchanPublisher()
    publisher.publish_many(store(make_post()).events)
    assert publisher.errors == 2


def test_a_screen_command_reaches_a_subscriber(wall, admin_user, edge, subscriber):
    from crowdwall.remote import control

    publisher = NchanPublisher(publish_url=edge.publish_url)
    set_publisher(publisher)
    try:
        command = control.Command("banner", text="Doors close at six", seconds=30)
        assert control.send(wall, command, actor=admin_user)
        assert publisher.flush()
        frame = json.loads(subscriber.recv(timeout=10))
    finally:
        publisher.close()
    assert frame == {
        "type": "screen.control", "command": "banner", "screen": None, "seconds": 30,
        "text": "Doors close at six",
    }  # fmt: skip
