"""The catch-up race, made deterministic: posts are stored (and published) while the consumer
reads the database, one just before the read and one just after."""

from __future__ import annotations

import asyncio

import pytest
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from crowdwall.ingest.publisher import set_publisher
from crowdwall.ingest.write import ingest
from crowdwall.live import catchup
from crowdwall.live.publisher import ChannelsPublisher
from crowdwall.live.routing import websocket_urlpatterns
from tests.crowdwall.conftest import make_post
from tests.crowdwall.live.conftest import frames_of


@pytest.mark.django_db(transaction=True)
def test_events_during_the_catch_up_are_buffered_deduplicated_and_sent_after(
    source, layer, monkeypatch
):
    set_publisher(ChannelsPublisher())  # the autouse ``published`` fixture restores it
    since = ingest(source, [make_post()]).events[0].post_id
    read = catchup.missed
    ids: dict[str, int] = {}

    def racing(wall_id: int, since: int, changes: int | None, limit: int, **kwargs):
        # In the read AND delivered live (the consumer joined the group first): sent once.
        ids["before"] = ingest(source, [make_post()]).events[0].post_id
        result = read(wall_id, since, changes, limit, **kwargs)
        # Only delivered live, while the catch-up is still being sent: held, then sent.
        ids["after"] = ingest(source, [make_post()]).events[0].post_id
        return result

    monkeypatch.setattr(catchup, "missed", racing)

    async def scenario() -> list[dict]:
        app = URLRouter(websocket_urlpatterns)
        ws = WebsocketCommunicator(app, f"/ws/walls/djangocon/?since={since}")
        connected, _ = await ws.connect()
        assert connected
        frames: list[dict] = []
        # Up to the figures published after the last post (count 3: since, before, after),
        # the last frame sent; the hub may have dropped the older live figures of one flush.
        while not any(f["type"] == "wall.figures" and f["count"] == 3 for f in frames):
            frames += frames_of(await ws.receive_from(5))
        assert await ws.receive_nothing(0.2)  # the duplicate was dropped
        await ws.disconnect()
        return frames

    frames = asyncio.run(scenario())
    posts = [f for f in frames if f["type"] not in ("wall.figures", "screen.state")]
    assert [(f["type"], f.get("id")) for f in posts] == [
        ("post.new", ids["before"]),
        ("catchup.done", None),
        ("post.new", ids["after"]),
    ]
    assert posts[1]["count"] == 1
    # The page keeps the figures with the newest ``at``: the ones read after the last post.
    figures = [f for f in frames if f["type"] == "wall.figures"]
    assert figures[0]["count"] == 2  # the catch-up's: since and before
    assert max(figures, key=lambda f: f["at"])["count"] == 3
