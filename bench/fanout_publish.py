"""How the fanout benchmark publishes: on schedule, each post the transport's way (a
``group_send`` of crowdwall's message on channels-redis, or crowdwall's ``NchanPublisher`` in a
process of its own, ``bench.fanout_nchan``), carrying its sequence number and publish time for
the clients to measure."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from typing import Any

from tests.fixtures.servers import Server

from bench import ROOT
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
        return await _nchan_sender(f"http://127.0.0.1:{server.port}/pub/")
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


async def _nchan_sender(publish_url: str) -> tuple[Any, Any]:
    """``send(seq)`` handing the post to the publisher process (``NchanPublisher`` as shipped),
    and ``close()``: it sends what is queued, then its counters are printed."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.fanout_site",
        "FANOUT_NCHAN_URL": publish_url,
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")]),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.fanout_nchan"],
        cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1,
    )  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None
    ready = await asyncio.to_thread(proc.stdout.readline)
    if ready.strip() != "ready":
        proc.kill()
        raise RuntimeError(f"the nchan publisher process did not start: {ready!r}")

    async def send(seq: int) -> None:
        assert proc.stdin is not None
        proc.stdin.write(f"{seq} {time.time()!r}\n")  # line-buffered: written at once

    async def close() -> None:
        try:
            out, _ = await asyncio.to_thread(proc.communicate, None, 90)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
        counters = json.loads(out.strip().splitlines()[-1])
        console.print(
            f"    NchanPublisher: {counters['sent']:,} POSTs, errors {counters['errors']:,}, "
            f"dropped {counters['dropped']:,}"
        )

    return send, close
