"""A burst of N concurrent GETs on N open keep-alive connections: statuses and latencies.

A minimal HTTP/1.1 client on asyncio streams rather than httpx: httpx's shared connection pool
costs O(connections) per request (200 concurrent pings took 3-5 s), and one httpx client per
connection still spends ~2 ms of client CPU per request, which at 1,000 requests measures the
client. This one sends every request in the same event-loop pass and reads only what it needs.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from bench.measure import ms, percentile


@dataclass
class Burst:
    """What a burst of requests got back."""

    latencies: list[float] = field(default_factory=list)  # seconds, 200 responses only
    errors: int = 0  # non-200 responses, timeouts, broken connections
    wall: float = 0.0  # seconds from the first request sent to the last response read

    def summary(self) -> dict[str, float]:
        return {
            "requests": len(self.latencies) + self.errors,
            "errors": self.errors,
            "p50_ms": ms(percentile(self.latencies, 50)),
            "p99_ms": ms(percentile(self.latencies, 99)),
            "max_ms": ms(max(self.latencies, default=0.0)),
            "wall_ms": ms(self.wall),
        }


class Connection:
    """One keep-alive HTTP/1.1 connection."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str):
        self.reader, self.writer, self.host = reader, writer, host

    @classmethod
    async def open(cls, host: str, port: int) -> Connection:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer, f"{host}:{port}")

    async def get(self, path: str) -> int:
        """GET ``path``, read the whole response, return its status code."""
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\n\r\n".encode())
        await self.writer.drain()
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        headers = dict(line.lower().split(b":", 1) for line in lines[1:] if b":" in line)
        if b"content-length" in headers:
            await self.reader.readexactly(int(headers[b"content-length"]))
        elif headers.get(b"transfer-encoding", b"").strip() == b"chunked":
            while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
                await self.reader.readexactly(size + 2)
            await self.reader.readuntil(b"\r\n")  # end of the (empty) trailer section
        else:
            raise ConnectionError("response without length cannot be kept alive")
        return status

    def close(self) -> None:
        self.writer.close()


async def _burst(host: str, port: int, path: str, n: int, timeout: float) -> Burst:
    connections = await asyncio.gather(*(Connection.open(host, port) for _ in range(n)))
    result = Burst()
    try:
        # Each ping holds its connection briefly, so the server accepts all n before the burst.
        await asyncio.wait_for(
            asyncio.gather(*(c.get("/ping/?sleep=0.2") for c in connections)), timeout
        )

        async def one(connection: Connection) -> None:
            started = time.perf_counter()
            try:
                status = await connection.get(path)
            except (OSError, ValueError, asyncio.IncompleteReadError):
                result.errors += 1
                return
            if status == 200:
                result.latencies.append(time.perf_counter() - started)
            else:
                result.errors += 1

        tasks = [asyncio.ensure_future(one(c)) for c in connections]
        started = time.perf_counter()
        _, pending = await asyncio.wait(tasks, timeout=timeout)
        result.wall = time.perf_counter() - started
        for task in pending:  # unanswered within the timeout: errors
            task.cancel()
            result.errors += 1
    finally:
        for connection in connections:
            connection.close()
    return result


def burst(address: str, path: str, n: int, timeout: float = 60.0) -> Burst:
    """Send ``n`` GETs of ``path`` at once to ``address`` (``host:port``) on ``n`` connections."""
    host, port = address.rsplit(":", 1)
    return asyncio.run(_burst(host, int(port), path, n, timeout))
