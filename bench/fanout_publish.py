"""How the fanout benchmark publishes: on schedule, each post the transport's way (a
``group_send`` of crowdwall's message on channels-redis, or an HTTP POST to nchan), carrying its
sequence number and publish time for the clients to measure."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from tests.fixtures.servers import Server

from bench.report import console

PHASE = 1_000_000  # seq = phase * PHASE + n (as bench.fanout_client reads it)
GROUP = "wall.bench"
CAPACITY = 100  # channels-redis' default per-channel capacity, for every core-layer run
FILLER = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor. " * 4


async def publish(
    layer: str, server: Server, redis: Server, rates: list[float], seconds: float
) -> list[dict[str, float]]:
    """Publish each rate's posts on schedule for ``seconds``, on ``layer`` (core, pubsub or
    nchan); per phase: how many posts, and the rate achieved."""
    send, close = await _sender(layer, server, redis)
    loop = asyncio.get_running_loop()
    phases = []
    try:
        for phase, rate in enumerate(rates, start=1):
            count = max(1, round(rate * seconds))
            start = loop.time()
            for n in range(count):
                delay = start + n / rate - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                await send(phase * PHASE + n)
            # n posts span n - 1 intervals: the rate actually achieved
            achieved = (count - 1) / (loop.time() - start) if count > 1 else rate
            phases.append({"rate": rate, "published": count, "achieved": achieved})
            console.print(f"    {rate:g} posts/s: {count} published at {achieved:.1f}/s")
            await asyncio.sleep(min(3.0, max(1.0, seconds / 4)))
    finally:
        await close()
    return phases


async def _sender(layer_name: str, server: Server, redis: Server) -> tuple[Any, Any]:
    """``send(seq)`` publishing one post the transport's way, and ``close()``."""

    def dumps(value: Any) -> str:  # as crowdwall.live.frames.dumps (which needs Django set up)
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)

    def frame(seq: int) -> tuple[str, int]:
        at = int(time.time() * 1000)
        post = {"id": seq, "seq": seq, "t": time.time(), "html": f"<p>{FILLER}</p>"}
        return dumps({"type": "post.new", "id": seq, "post": post, "at": at}), at

    if layer_name == "nchan":
        import httpx

        from bench.fanout_nchan import publish

        client = httpx.AsyncClient(timeout=10)
        base = f"http://127.0.0.1:{server.port}"

        async def send_nchan(seq: int) -> None:
            await publish(client, base, GROUP, frame(seq)[0])

        return send_nchan, client.aclose
    from channels_redis.core import RedisChannelLayer
    from channels_redis.pubsub import RedisPubSubChannelLayer

    hosts = [{"address": f"redis://{redis.address}/0"}]
    layer: Any = (
        RedisPubSubChannelLayer(hosts=hosts)
        if layer_name == "pubsub"
        else RedisChannelLayer(hosts=hosts, capacity=CAPACITY)
    )

    async def send_layer(seq: int) -> None:
        text, at = frame(seq)
        message = {"type": "wall.event", "group": GROUP, "kind": "post.new", "id": seq}
        await layer.group_send(GROUP, {**message, "at": at, "text": text})

    async def close() -> None:
        if hasattr(layer, "flush"):
            await layer.flush()

    return send_layer, close
