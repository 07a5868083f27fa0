"""crowdwall.live.hub on the in-memory layer: one channel per process in the groups that have
sockets, bursts coalesced into one array text built once and shared, a slow socket isolated
(and closed with 1013 past its backlog), recovery after the layer failed."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from channels.layers import InMemoryChannelLayer

from crowdwall.live.consumers import WallConsumer
from crowdwall.live.hub import Batch, Hub
from crowdwall.live.publisher import MESSAGE_TYPE

GROUP = "wall.hub-test"


class Recorder:
    """A socket that records what the hub hands it."""

    def __init__(self) -> None:
        self.batches: list[Batch] = []
        self.resyncs = 0
        self.got = asyncio.Event()

    def hub_deliver(self, batch: Batch) -> None:
        self.batches.append(batch)
        self.got.set()

    def hub_resync(self) -> None:
        self.resyncs += 1
        self.got.set()

    async def wait(self, count: int) -> None:
        while len(self.batches) < count:
            self.got.clear()
            await asyncio.wait_for(self.got.wait(), 5)


def message(post_id: int, group: str = GROUP) -> dict[str, Any]:
    text = json.dumps({"type": "post.new", "id": post_id, "post": {"id": post_id}, "at": 1})
    return {
        "type": MESSAGE_TYPE, "group": group, "kind": "post.new", "id": post_id, "at": 1,
        "text": text,
    }  # fmt: skip


def run(scenario: Any) -> None:
    asyncio.run(asyncio.wait_for(scenario, 30))


def test_groups_are_joined_with_the_first_socket_and_left_with_the_last():
    async def scenario() -> None:
        layer = InMemoryChannelLayer()
        hub = Hub(layer, coalesce_ms=0)
        one, two = Recorder(), Recorder()
        await hub.join(GROUP, one)
        await hub.join(GROUP, two)
        assert list(layer.groups[GROUP]) == [hub.channel]  # one channel for the process
        await hub.leave(GROUP, one)
        assert list(layer.groups[GROUP]) == [hub.channel]
        await hub.leave(GROUP, two)
        assert GROUP not in layer.groups
        await hub.close()

    run(scenario())


def test_a_burst_is_coalesced_into_one_array_built_once_for_all_sockets():
    async def scenario() -> None:
        layer = InMemoryChannelLayer()
        hub = Hub(layer, coalesce_ms=200)
        sockets = [Recorder() for _ in range(3)]
        other = Recorder()
        for socket in sockets:
            await hub.join(GROUP, socket)
        await hub.join("wall.other", other)
        await layer.group_send(GROUP, message(1))  # isolated: sent at once, as a plain frame
        await sockets[0].wait(1)
        for n in (2, 3, 4):  # a burst within the window: one message, a JSON array
            await layer.group_send(GROUP, message(n))
        await layer.group_send("wall.other", message(5, "wall.other"))
        for socket in sockets:
            await socket.wait(2)
        first, burst = sockets[0].batches
        assert json.loads(first.text)["id"] == 1
        assert [f["id"] for f in json.loads(burst.text)] == [2, 3, 4]
        for socket in sockets[1:]:  # the same objects: encoded once per wall per flush
            assert socket.batches[0] is first and socket.batches[1] is burst
        await other.wait(1)
        assert [b.messages[0]["id"] for b in other.batches] == [5]
        await hub.close()

    run(scenario())


def figures(count: int, group: str = GROUP) -> dict[str, Any]:
    text = json.dumps({"type": "wall.figures", "count": count, "at": count})
    return {
        "type": MESSAGE_TYPE, "group": group, "kind": "wall.figures", "id": 0, "at": count,
        "text": text,
    }  # fmt: skip


def test_a_burst_keeps_only_its_newest_figures():
    async def scenario() -> None:
        layer = InMemoryChannelLayer()
        hub = Hub(layer, coalesce_ms=200)
        socket = Recorder()
        await hub.join(GROUP, socket)
        await layer.group_send(GROUP, message(1))  # isolated: sent at once
        await socket.wait(1)
        for send in (message(2), figures(1), figures(3), message(3), figures(2)):
            await layer.group_send(GROUP, send)
        await socket.wait(2)
        frames = json.loads(socket.batches[1].text)
        assert [(f["type"], f.get("id"), f.get("count")) for f in frames] == [
            ("post.new", 2, None),
            ("wall.figures", None, 3),  # the newest by ``at``, though not the last to arrive
            ("post.new", 3, None),
        ]
        await hub.close()

    run(scenario())


def consumer(hub: Hub, send: Any) -> WallConsumer:
    """A WallConsumer driven directly (no ASGI server): live, with ``send`` as its socket."""
    socket = WallConsumer()
    socket.setup(wall_id=1)
    socket.live = True
    socket.send = send  # type: ignore[method-assign]
    closed: list[int] = []

    async def close(code: int | None = None) -> None:
        closed.append(code or 1000)

    socket.close = close  # type: ignore[method-assign]
    socket.closed = closed  # type: ignore[attr-defined]
    socket.spawn(socket.sender())
    return socket


def test_a_slow_socket_neither_stalls_the_others_nor_holds_memory(settings):
    settings.CROWDWALL = {"LIVE_SOCKET_BACKLOG": 5}

    async def scenario() -> None:
        layer = InMemoryChannelLayer()
        hub = Hub(layer, coalesce_ms=0)
        stuck = asyncio.Event()  # never set: this browser stopped reading
        fast_got: list[str] = []
        arrived = asyncio.Event()

        async def blocked(text_data: str) -> None:
            await stuck.wait()

        async def fast(text_data: str) -> None:
            fast_got.append(text_data)
            arrived.set()

        slow_socket, fast_socket = consumer(hub, blocked), consumer(hub, fast)
        await hub.join(GROUP, slow_socket)
        await hub.join(GROUP, fast_socket)
        for n in range(1, 9):
            await layer.group_send(GROUP, message(n))
            while str(n) not in (fast_got[-1] if fast_got else ""):  # one at a time
                arrived.clear()
                await asyncio.wait_for(arrived.wait(), 5)
        ids = [f["id"] for text in fast_got for f in _frames(text)]
        assert ids == list(range(1, 9))  # the fast one got everything, in order
        assert slow_socket.closed == [1013]  # type: ignore[attr-defined]
        assert not slow_socket.outbox  # its backlog was dropped with it
        await hub.close()

    run(scenario())


def test_a_duplicate_post_is_dropped_before_it_is_sent():
    async def scenario() -> None:
        hub = Hub(InMemoryChannelLayer(), coalesce_ms=0)
        sent: list[str] = []

        async def record(text_data: str) -> None:
            sent.append(text_data)

        socket = consumer(hub, record)
        socket.hub_deliver(Batch([message(1)], message(1)["text"]))
        both = [message(1), message(2)]
        socket.hub_deliver(Batch(both, "[" + ",".join(m["text"] for m in both) + "]"))
        await asyncio.sleep(0.05)  # let the sender task run
        assert [f["id"] for text in sent for f in _frames(text)] == [1, 2]
        assert socket.last_id == 2
        await hub.close()

    run(scenario())


class FlakyLayer(InMemoryChannelLayer):
    """The in-memory layer, with an outage switch; a restart forgets the groups, like Redis."""

    down = False

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        if self.down:
            raise ConnectionError("layer down")
        await super().group_send(group, message)

    async def group_add(self, group: str, channel: str) -> None:
        if self.down:
            raise ConnectionError("layer down")
        await super().group_add(group, channel)

    async def new_channel(self, prefix: str = "specific.") -> str:
        if self.down:  # as the pub/sub layer, which subscribes here
            raise ConnectionError("layer down")
        return await super().new_channel(prefix)


@pytest.mark.filterwarnings("ignore")
def test_after_an_outage_the_hub_rejoins_its_groups_and_resyncs_every_socket():
    async def scenario() -> None:
        layer = FlakyLayer()
        hub = Hub(layer, coalesce_ms=0, heartbeat=0.05)
        hub.ping_timeout = 0.5
        socket = Recorder()
        await hub.join(GROUP, socket)
        layer.down = True
        while hub.healthy:
            await asyncio.sleep(0.02)  # the heartbeat notices
        layer.groups.clear()  # "restarted": memberships are gone
        layer.down = False
        while not socket.resyncs:
            socket.got.clear()
            await asyncio.wait_for(socket.got.wait(), 10)
        assert hub.healthy and hub.resyncs == 1 and hub.channel in layer.groups[GROUP]
        await layer.group_send(GROUP, message(7))  # and live delivery works again
        await socket.wait(1)
        await hub.close()

    run(scenario())


def _frames(text: str) -> list[dict[str, Any]]:
    value = json.loads(text)
    return value if isinstance(value, list) else [value]


@pytest.mark.filterwarnings("ignore")
def test_a_hub_started_during_an_outage_accepts_sockets_and_resyncs_them_later():
    async def scenario() -> None:
        layer = FlakyLayer()
        layer.down = True
        hub = Hub(layer, coalesce_ms=0, heartbeat=0.05)
        hub.ping_timeout = 0.3
        socket = Recorder()
        await hub.join(GROUP, socket)  # returns (after ping_timeout) although Redis is down
        assert not hub.healthy and hub.channel is None
        layer.down = False
        while not socket.resyncs:
            socket.got.clear()
            await asyncio.wait_for(socket.got.wait(), 10)
        await layer.group_send(GROUP, message(3))
        await socket.wait(1)
        await hub.close()

    run(scenario())


def test_a_resync_starts_from_where_the_socket_was_at_the_last_good_heartbeat():
    """Messages may arrive again before the hub notices the outage (pub/sub re-subscribes on
    its own): the resync must still start before the first message after the last heartbeat."""

    async def scenario() -> None:
        hub = Hub(InMemoryChannelLayer(), coalesce_ms=0)

        async def discard(text_data: str) -> None:
            pass

        socket = consumer(hub, discard)
        socket.hub = hub
        started: list[tuple[int, int | None]] = []

        def catch_up(since: int, changes: int | None, delay: float = 0.0) -> None:
            started.append((since, changes))

        socket.start_catch_up = catch_up  # type: ignore[method-assign]
        socket.hub_deliver(Batch([message(1)], message(1)["text"]))
        hub.checkpoint += 1  # a good heartbeat: 1 was delivered
        socket.hub_deliver(Batch([message(2)], message(2)["text"]))  # then the outage ...
        socket.hub_deliver(Batch([message(9)], message(9)["text"]))  # ... and Redis is back
        hub.checkpoint += 1  # the hub recovered
        socket.hub_resync()
        assert [since for since, _ in started] == [1]
        await hub.close()

    run(scenario())
