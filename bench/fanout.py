"""fanout: publish→client latency, losses and duplicates with thousands of live clients on one wall.

``--fanout-clients`` WebSocket clients (2,000; spread over ``--fanout-processes`` client
processes, ``bench.fanout_client``) watch one wall while posts of ~400 bytes are published at
each of ``--fanout-rates`` (1, 5, 50 posts/s) for ``--fanout-seconds`` each. Every post carries
a sequence number and its publish time, so the clients measure latency, posts never received
(by ``--fanout-drain`` seconds after the last publish, or sooner once every client has every
post: "lost") and duplicates (seen again,
dropped by id like the browser does). Side by side in the same run, against the same Redis:

- ``plain-core``: the textbook Channels consumer (``groups = [...]``, one ``self.send`` per
  event, ``bench.fanout_site.PlainConsumer``) on channels-redis' core layer, stock capacity
  (100): the baseline every ratio is against;
- ``plain-pubsub``: the same consumer on channels-redis' pub/sub layer;
- ``hub`` / ``hub2``: crowdwall's ``WallConsumer`` on the per-process hub
  (``crowdwall.live.hub``: one layer subscription per process, frames encoded once, bursts
  coalesced into one array) on the core layer, one and two uvicorn workers;
- ``hub-pubsub`` (not by default): the hub on the pub/sub layer;
- ``nchan``: nginx (one worker) with the nchan module holding the sockets, posts published by
  crowdwall's ``NchanPublisher`` as shipped (bursts coalesced into one POST per channel) in a
  process of its own (``bench.fanout_nchan``).

The Channels publisher is a ``group_send`` of crowdwall's message (the finished frame as text)
from this process, the way ``ChannelsPublisher`` sends it; the servers read the wall from a
SQLite file. One uvicorn process per worker, clients on the same machine: on a shared or small
machine the clients themselves compete for the CPU, so compare rows of the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.fixtures.servers import Server, redis_command

from bench import ROOT
from bench.fanout_client import ClientProcess
from bench.fanout_publish import CAPACITY, GROUP, publish
from bench.measure import child_pids, cpu_seconds, env_int, env_str, percentile
from bench.report import Result, Row, console
from bench.servers import nginx, running

NAME = "fanout"
MIN_BUDGET = 600  # seconds: five transports, three rates, 2,000 clients connecting each time
SLUG = "bench"
SETTLE = 5.0  # seconds between the last client connecting and the first publish


@dataclass(frozen=True)
class Transport:
    label: str
    layer: str  # core | pubsub | nchan
    path: str  # WebSocket path on the server
    workers: int = 1


TRANSPORTS = {
    "plain-core": Transport("Channels core, plain consumer", "core", f"/ws/plain/{SLUG}/"),
    "plain-pubsub": Transport("Channels pub/sub, plain consumer", "pubsub", f"/ws/plain/{SLUG}/"),
    "hub": Transport("crowdwall hub (core), 1 worker", "core", f"/ws/walls/{SLUG}/"),
    "hub2": Transport("crowdwall hub (core), 2 workers", "core", f"/ws/walls/{SLUG}/", 2),
    "hub-pubsub": Transport("crowdwall hub (pub/sub), 1 worker", "pubsub", f"/ws/walls/{SLUG}/"),
    "nchan": Transport("nchan (nginx, 1 worker)", "nchan", f"/live/{GROUP}"),
}
DEFAULT_TRANSPORTS = "plain-core,plain-pubsub,hub,hub2,nchan"
BASELINE = "plain-core"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(NAME)
    add = group.add_argument
    add(
        "--fanout-clients",
        type=int,
        default=env_int("BENCH_FANOUT_CLIENTS", 2000),
        help="WebSocket clients on the wall [BENCH_FANOUT_CLIENTS, 2000]",
    )
    add(
        "--fanout-processes",
        type=int,
        default=env_int("BENCH_FANOUT_PROCESSES", 4),
        help="client processes the clients are spread over [BENCH_FANOUT_PROCESSES, 4]",
    )
    add(
        "--fanout-seconds",
        type=float,
        default=env_int("BENCH_FANOUT_SECONDS", 10),
        help="seconds of publishing at each rate [BENCH_FANOUT_SECONDS, 10]",
    )
    add(
        "--fanout-rates",
        default=env_str("BENCH_FANOUT_RATES", "1,5,50"),
        help="posts per second, comma-separated [BENCH_FANOUT_RATES, 1,5,50]",
    )
    add(
        "--fanout-drain",
        type=float,
        default=env_int("BENCH_FANOUT_DRAIN", 10),
        help="seconds after the last publish before what is missing counts as lost "
        "[BENCH_FANOUT_DRAIN, 10]",
    )
    add("--fanout-transports", default=env_str("BENCH_FANOUT_TRANSPORTS", DEFAULT_TRANSPORTS),
        help=f"comma-separated: {', '.join(TRANSPORTS)} [BENCH_FANOUT_TRANSPORTS, "
        f"{DEFAULT_TRANSPORTS}]")  # fmt: skip


def run(args: argparse.Namespace) -> Result:
    names = [n.strip() for n in args.fanout_transports.split(",") if n.strip()]
    unknown = set(names) - set(TRANSPORTS)
    if unknown:
        raise ValueError(f"unknown transport(s) {', '.join(sorted(unknown))}")
    rates = [float(r) for r in args.fanout_rates.split(",") if r.strip()]
    result = Result()
    workdir = Path(tempfile.mkdtemp(prefix="crowdwall-bench-fanout-"))
    db = workdir / "fanout.sqlite3"
    _prepare_database(db)
    # The nchan publisher process reads the wall's figures from it, as a shipped one does.
    os.environ["FANOUT_DB"] = str(db)
    measured: dict[str, dict[str, Any]] = {}
    with running("redis-fanout", redis_command) as redis:
        for name in names:
            transport = TRANSPORTS[name]
            console.print(f"  {transport.label}: {args.fanout_clients:,} clients")
            try:
                measured[name] = _measure(transport, args, rates, redis, db, workdir)
            except Exception as exc:  # report it, measure the others
                console.print(f"    [red]failed: {type(exc).__name__}: {exc}", highlight=False)
                measured[name] = {"phases": {}, "error": f"{type(exc).__name__}: {exc}"}
                continue
            _print(measured[name])
    result.details = {"rates": rates, "clients": args.fanout_clients, "transports": measured}
    result.rows = _rows(measured, names, rates)
    return result


def _prepare_database(db: Path) -> None:
    env = _server_env(db, "", "core")
    setup = (
        "import django; django.setup(); from crowdwall.models import Wall; "
        f"Wall.objects.get_or_create(slug={SLUG!r}, defaults={{'name': 'Bench'}})"
    )
    for command in (["-m", "django", "migrate", "--noinput", "-v", "0"], ["-c", setup]):
        subprocess.run([sys.executable, *command], cwd=ROOT, env=env, check=True, timeout=300)


def _server_env(db: Path, redis: str, layer: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.fanout_site",
        "FANOUT_DB": str(db),
        "FANOUT_REDIS": redis,
        "FANOUT_LAYER": layer,
        "FANOUT_CAPACITY": str(CAPACITY),
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")]),
    }


@contextmanager
def _server(transport: Transport, redis: Server, db: Path) -> Iterator[Server]:
    if transport.layer == "nchan":
        from bench.fanout_nchan import nchan_config

        with nginx("nginx-nchan", nchan_config) as server:
            yield server
        return
    env = _server_env(db, redis.address, transport.layer)

    def command(port: int, workdir: Path) -> list[str]:
        variables = [f"{key}={env[key]}" for key in env if key.startswith(("FANOUT_", "DJANGO_"))]
        return [
            "env", *variables, f"PYTHONPATH={env['PYTHONPATH']}",
            sys.executable, "-m", "uvicorn", "bench.fanout_site:application",
            "--host", "127.0.0.1", "--port", str(port), "--ws", "websockets-sansio",
            "--lifespan", "off", "--log-level", "warning", "--no-access-log",
            "--backlog", "4096", "--workers", str(transport.workers),
        ]  # fmt: skip

    with running(f"uvicorn-{transport.layer}-{transport.workers}", command) as server:
        yield server


def _measure(
    transport: Transport,
    args: argparse.Namespace,
    rates: list[float],
    redis: Server,
    db: Path,
    workdir: Path,
) -> dict[str, Any]:
    clients, processes = args.fanout_clients, max(1, args.fanout_processes)
    redis.restart()  # a clean Redis for each transport: nothing left over from the last one
    with _server(transport, redis, db) as server:
        url = f"ws://127.0.0.1:{server.port}{transport.path}"
        shares = [clients // processes + (i < clients % processes) for i in range(processes)]
        clients_ = [ClientProcess(url, share) for share in shares if share]
        try:
            started = time.monotonic()
            for client in clients_:
                if client.line(180) != "ready":
                    raise RuntimeError(f"a client process failed to connect to {url}")
            connect_s = time.monotonic() - started
            time.sleep(SETTLE)  # let the server finish the handshakes' aftermath first
            pids = _server_pids(server)
            cpu_before = cpu_seconds(pids)
            published = asyncio.run(
                publish(transport.layer, server, redis, rates, args.fanout_seconds)
            )
            # Wait until every client has every post (at most --fanout-drain seconds).
            total = sum(int(p["published"]) for p in published)
            drain_started = time.monotonic()
            for client in clients_:
                client.say(f"expect {total}")
            for client in clients_:
                left = drain_started + args.fanout_drain - time.monotonic()
                if client.line(max(left, 0.001)) != "complete":
                    break  # what is still missing now counts as lost
            drain = time.monotonic() - drain_started
            cpu = cpu_seconds(pids) - cpu_before
            for client in clients_:
                client.say("stop")
            reports = [client.report() for client in clients_]
        finally:
            for client in clients_:
                client.kill()
    measured = _aggregate(reports, published, clients, rates, connect_s, cpu)
    return {**measured, "drain_seconds": round(drain, 1)}


def _server_pids(server: Server) -> list[int]:
    assert server.proc is not None
    pid = server.proc.pid
    pids = [pid]
    try:
        for child in child_pids(pid):  # env -> python (uvicorn) -> workers; nginx -> worker
            pids += [child, *child_pids(child)]
    except OSError:
        pass
    return pids


def _aggregate(
    reports: list[dict[str, Any]],
    published: list[dict[str, float]],
    clients: int,
    rates: list[float],
    connect_s: float,
    cpu: float,
) -> dict[str, Any]:
    phases: dict[str, dict[str, Any]] = {}
    deliveries = 0
    for phase, info in enumerate(published, start=1):
        latencies: list[int] = []
        unique = duplicates = 0
        for report in reports:
            got = report["phases"].get(str(phase))
            if got:
                latencies += got["latencies"]
                unique += got["unique"]
                duplicates += got["duplicates"]
        expected = int(info["published"]) * clients
        deliveries += unique + duplicates
        phases[f"{info['rate']:g}"] = {
            **info,
            "p50_ms": percentile(latencies, 50),
            "p99_ms": percentile(latencies, 99),
            "max_ms": max(latencies, default=float("nan")),
            "lost": expected - unique,
            "lost_pct": 100.0 * (expected - unique) / expected if expected else 0.0,
            "duplicates": duplicates,
        }
    return {
        "phases": phases,
        "closed_early": sum(r["closed"] for r in reports),
        "connect_seconds": round(connect_s, 1),
        "server_cpu_seconds": round(cpu, 1),
        "deliveries": deliveries,
    }


def _print(measured: dict[str, Any]) -> None:
    for rate, p in measured["phases"].items():
        console.print(
            f"    {rate:>4} posts/s  p50 {p['p50_ms']:>8,.0f} ms  p99 {p['p99_ms']:>8,.0f} ms  "
            f"lost {p['lost']:>7,} ({p['lost_pct']:.1f}%)  duplicates {p['duplicates']:,}"
        )
    console.print(
        f"    connect {measured['connect_seconds']}s, server CPU "
        f"{measured['server_cpu_seconds']}s, closed early {measured['closed_early']}"
    )


def _rows(measured: dict[str, dict[str, Any]], names: list[str], rates: list[float]) -> list[Row]:
    base = measured.get(BASELINE)
    rows: list[Row] = []
    for rate in (f"{r:g}" for r in rates):
        ref = base["phases"].get(rate) if base else None
        ref = {k: _num(v) for k, v in ref.items()} if ref else None
        for name in names:
            got = measured[name]["phases"].get(rate)
            if got is None:
                continue
            label = TRANSPORTS[name].label
            got = {k: _num(v) for k, v in got.items()}
            p50 = "—" if got["p50_ms"] is None else f"{got['p50_ms']:,.0f} ms"
            note = (
                f"p50 {p50}; lost {got['lost']:,.0f} ({got['lost_pct']:.1f}%); "
                f"duplicates {got['duplicates']:,.0f}; published {got['achieved']:.1f}/s"
            )
            if name == BASELINE:
                rows.append(Row(NAME, f"{rate}/s p99: {label}", "ms", got["p99_ms"], None, note))
                continue
            rows.append(
                Row(
                    NAME,
                    f"{rate}/s p99: {label} vs plain core",
                    "ms",
                    ref["p99_ms"] if ref else None,
                    got["p99_ms"],
                    note,
                )
            )
            rows.append(
                Row(
                    NAME,
                    f"{rate}/s lost: {label} vs plain core",
                    "%",
                    ref["lost_pct"] if ref else None,
                    got["lost_pct"],
                )
            )
    return rows


def _num(value: Any) -> Any:
    """NaN (no sample: nothing arrived) as None, which the table shows as a dash."""
    return None if isinstance(value, float) and math.isnan(value) else value
