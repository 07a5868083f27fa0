"""One client process of the fanout benchmark: ``python -m bench.fanout_client URL COUNT``.

Opens COUNT WebSockets to URL (a few at a time), prints ``ready`` when all are open, then
receives until stdin says ``stop`` (or closes); ``expect N`` on stdin makes it print
``complete`` once every socket has received N distinct posts. Every message may be one frame or a JSON array
of frames (a coalesced burst), as in the browser. Each frame's post carries ``seq`` and ``t``
(publish time, epoch seconds: same machine, same clock). Like the browser, a client drops a
frame whose id it has already seen — counted as a duplicate first. Prints one JSON line: per
phase (``seq // PHASE``) the latencies of first receipts (ms), and counts of unique frames and
duplicates.
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections import defaultdict
from typing import Any

from websockets.asyncio.client import connect

from bench import ROOT

PHASE = 1_000_000  # seq = phase * PHASE + n
_CONNECTING = 50  # handshakes in flight at once


class Stats:
    def __init__(self) -> None:
        self.latencies: dict[int, list[int]] = defaultdict(list)
        self.unique: dict[int, int] = defaultdict(int)
        self.duplicates: dict[int, int] = defaultdict(int)
        self.closed = 0

    def as_json(self) -> dict[str, Any]:
        phases = sorted(set(self.unique) | set(self.duplicates))
        return {
            "phases": {
                str(p): {
                    "latencies": self.latencies[p],
                    "unique": self.unique[p],
                    "duplicates": self.duplicates[p],
                }
                for p in phases
            },
            "closed": self.closed,
        }


async def listen(ws: Any, stats: Stats, stop: asyncio.Event, seen: set[int]) -> None:
    try:
        async for text in ws:
            now = time.time()
            value = json.loads(text)
            for frame in value if isinstance(value, list) else [value]:
                post = frame.get("post")
                if not post or "seq" not in post:
                    continue
                seq = post["seq"]
                phase = seq // PHASE
                if seq in seen:
                    stats.duplicates[phase] += 1
                    continue
                seen.add(seq)
                stats.unique[phase] += 1
                stats.latencies[phase].append(round((now - post["t"]) * 1000))
    except Exception:
        pass
    if not stop.is_set():
        stats.closed += 1  # closed by the server (e.g. 1013) before the end


async def complete(seen: list[set[int]], total: int) -> None:
    """Print ``complete`` once every socket has seen ``total`` distinct posts."""
    while any(len(ids) < total for ids in seen):
        await asyncio.sleep(0.2)  # the listeners fill the sets; poll them
    print("complete", flush=True)


async def main(url: str, count: int) -> None:
    stats = Stats()
    stop = asyncio.Event()
    gate = asyncio.Semaphore(_CONNECTING)
    sockets: list[Any] = []

    async def open_one() -> None:
        async with gate:
            for attempt in range(5):
                try:
                    ws = await connect(url, open_timeout=60, max_size=None, ping_interval=None)
                    sockets.append(ws)
                    return
                except Exception:
                    await asyncio.sleep(0.5 * (attempt + 1))
            raise RuntimeError(f"cannot connect to {url}")

    await asyncio.gather(*(open_one() for _ in range(count)))
    seen: list[set[int]] = [set() for _ in sockets]
    tasks = [  # noqa: F841 (referenced until the end)
        asyncio.create_task(listen(ws, stats, stop, ids))
        for ws, ids in zip(sockets, seen, strict=True)
    ]
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    waiting: asyncio.Task[None] | None = None
    while True:
        line = (await loop.run_in_executor(None, sys.stdin.readline)).strip()
        if not line or line == "stop":
            break
        if line.startswith("expect "):  # all published: say when every socket has them all
            waiting = asyncio.create_task(complete(seen, int(line.split()[1])))
    if waiting is not None:
        waiting.cancel()
    stop.set()
    # Report what arrived until now and leave without closing handshakes: behind a backlog,
    # 500 graceful closes would take minutes; the server sees the connections drop.
    print(json.dumps(stats.as_json()), flush=True)
    os._exit(0)


class ClientProcess:
    """The parent's handle on one client process; its output lines are read by a thread."""

    def __init__(self, url: str, count: int) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.fanout_client", url, str(count)],
            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.strip())
        self.lines.put("")  # end of output

    def line(self, timeout: float) -> str:
        """The next line ("" at the end, or after ``timeout`` seconds)."""
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            return ""

    def say(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def report(self) -> dict[str, Any]:
        """The JSON line printed after ``stop`` (other lines, e.g. a late "complete", skipped)."""
        deadline = time.monotonic() + 120
        while (left := deadline - time.monotonic()) > 0:
            line = self.line(left)
            if line.startswith("{"):
                return json.loads(line)
            if not line and self.proc.poll() is not None:
                break
        raise RuntimeError("a client process did not report")

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
