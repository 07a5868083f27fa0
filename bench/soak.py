"""soak: minutes of mixed valid and hostile traffic against the example site in production shape.

uvicorn serving ``example.asgi`` (DEBUG off) on PostgreSQL, Redis (channels-redis) and memcached
(herdcache's pages), with ``crowdwall stream`` running a looping replay source in a process of
its own. For ``--soak-seconds`` (600) clients on this machine (loopback only, ``--soak-rate``
requests/s in all) mix:

- visitors reading pages and the API, and a big screen's socket watching the wall live;
- a webhook sender delivering valid signed posts (each one must end up stored and pushed live);
- attackers: the hostile-input suite's values (``tests.security.strategies``) in query strings,
  forged ``X-Forwarded-For`` headers, API bodies with a staff token, signed webhook bodies and
  fields, and WebSocket paths and messages.

At the end: the count of 5xx answers, valid posts not stored or not pushed live, sockets left
open and silent or closed with a server error, and requests never answered (each must be 0);
whether the streaming source kept storing; and the resident memory (RSS) of the server and the
stream process at the start (after a warm-up) and at the end. The "baseline" column holds the
start values, so the ratio shows growth. Any problem but memory makes the benchmark fail.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg
from tests.fixtures.servers import Server, memcached_command, redis_command

from bench import ROOT
from bench import soak_traffic as traffic
from bench.measure import env_float, env_int
from bench.report import Result, Row, console, print_table
from bench.servers import running

NAME = "soak"
MIN_BUDGET = 900  # seconds: the default 600 s of traffic, plus starting and checking
WARM_UP = 30.0  # seconds of traffic before the starting RSS is read (imports, pools, first renders)
DRAIN = 30.0  # seconds the big screen may take to receive the last posts after the traffic
SECRET = "soak-webhook-secret"
TOKEN = "soak-token-0123456789"
SETUP = f"""
from django.contrib.auth import get_user_model
from crowdwall.models import Source, Wall
get_user_model().objects.create_user("soak", password="soak", is_staff=True)
wall = Wall.objects.create(name="Soak", slug="{traffic.SLUG}", hashtags=["soak", "djangocon"])
hook = Source.objects.create(wall=wall, name="hook", kind="webhook", secret="{SECRET}")
Source.objects.create(wall=wall, name="replay", kind="replay", config={{"rate": 20, "loop": True}})
print(hook.pk)
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add("--soak-seconds", type=float, default=env_float("BENCH_SOAK_SECONDS", 600),
        help="soak: seconds of traffic [BENCH_SOAK_SECONDS, 600]")  # fmt: skip
    add("--soak-rate", type=int, default=env_int("BENCH_SOAK_RATE", 40),
        help="soak: requests per second, all clients together [BENCH_SOAK_RATE, 40]")  # fmt: skip


def run(args: argparse.Namespace) -> Result:
    from tests.fixtures.postgres import run_postgres

    lifecycle = run_postgres("soak-postgres")
    database = next(lifecycle)
    try:
        with (
            running("redis-soak", redis_command) as redis,
            running("memcached-soak", memcached_command) as memcached,
        ):
            env = _env(database.database(), redis, memcached)
            hook_id = _prepare(env)
            with _site(env) as (server, stream):
                target = traffic.Target(f"http://{server.address}", hook_id, SECRET, TOKEN)
                return _soak(args, target, server, stream, database.database())
    finally:
        lifecycle.close()


def _env(db: dict[str, str], redis: Server, memcached: Server) -> dict[str, str]:
    url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "example.settings",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "example"), str(ROOT / "src"), str(ROOT)]),
        "CROWDWALL_DATABASE_URL": url,
        "CROWDWALL_REDIS_URL": f"redis://{redis.address}/0",
        "CROWDWALL_MEMCACHED": memcached.address,
        "CROWDWALL_DEBUG": "0",
        "CROWDWALL_SECRET_KEY": "soak-benchmark-only",
        "CROWDWALL_API_TOKENS": f"{TOKEN}=soak",
        "CROWDWALL_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CROWDWALL_EMBEDDED_STREAM": "0",
        "PYTHONUNBUFFERED": "1",
    }


def _manage(env: dict[str, str], *arguments: str) -> str:
    done = subprocess.run(
        [sys.executable, str(ROOT / "example" / "manage.py"), *arguments],
        env=env, cwd=ROOT, check=True, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    return done.stdout


def _prepare(env: dict[str, str]) -> int:
    """Migrate, create the wall, its webhook and replay sources; return the webhook's id."""
    _manage(env, "migrate", "--noinput", "-v", "0")
    return int(_manage(env, "shell", "-c", SETUP).strip().splitlines()[-1])


@contextmanager
def _site(env: dict[str, str]) -> Iterator[tuple[Server, Server]]:
    def server_command(port: int, workdir: Path) -> list[str]:
        return ["env", *_exported(env), sys.executable, "-m", "uvicorn",
                "example.asgi:application", "--host", "127.0.0.1", "--port", str(port),
                "--ws", "websockets-sansio", "--lifespan", "off", "--log-level", "warning"]  # fmt: skip

    def stream_command(port: int, workdir: Path) -> list[str]:
        # The stream listens nowhere: a tiny listener on `port` tells `running` it started.
        script = (
            "import socket,subprocess,sys;s=socket.socket();"
            f"s.bind(('127.0.0.1',{port}));s.listen();"
            f"sys.exit(subprocess.call([sys.executable,{str(ROOT / 'example' / 'manage.py')!r},"
            "'crowdwall','stream']))"
        )
        return ["env", *_exported(env), sys.executable, "-c", script]

    with (
        running("uvicorn-soak", server_command) as server,
        running("stream-soak", stream_command) as stream,
    ):
        yield server, stream


def _exported(env: dict[str, str]) -> list[str]:
    return [
        f"{key}={value}"
        for key, value in env.items()
        if key.startswith(("CROWDWALL_", "DJANGO_", "PYTHON"))
    ]


def _rss_mb(server: Server) -> float:
    """Resident memory of a server's process tree (MB)."""
    assert server.proc is not None
    pids = [server.proc.pid, *_children(server.proc.pid)]
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        direct = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return found
    for child in map(int, direct):
        found += [child, *_children(child)]
    return found


def _soak(
    args: argparse.Namespace,
    target: traffic.Target,
    server: Server,
    stream: Server,
    db: dict[str, str],
) -> Result:
    seconds = args.soak_seconds
    tally = traffic.Tally()
    seen_live: set[str] = set()
    drops: list[str] = []
    replay_before = _count(db, "replay")
    rss: dict[str, float] = {}
    samples: list[tuple[int, float]] = []
    console.print(f"  soak: {seconds:.0f}s at {args.soak_rate} requests/s against {target.base}")
    asyncio.run(
        _drive(
            target, args.soak_rate, seconds, tally, seen_live, drops, server, stream, rss, samples
        )
    )
    stored = _stored(db, tally.sent_posts)
    lost = sorted(set(tally.sent_posts) - stored)
    unseen = sorted(set(tally.sent_posts) - seen_live, key=lambda id_: int(id_.rsplit("-", 1)[1]))
    # A hostile ban (the soak's staff token bans whatever it draws, "a" included) rightly keeps
    # posts off the screen: only a post the wall approved and the screen never got is lost.
    moderated = _moderated(db, unseen)
    not_live = [id_ for id_ in unseen if id_ not in moderated]
    replay_stored = _count(db, "replay") - replay_before
    rss["server end"], rss["stream end"] = _rss_mb(server), _rss_mb(stream)
    console.print(f"  answers: {dict(sorted(tally.answers.items()))}")
    console.print(f"  uvicorn RSS (s, MB): {samples}")
    if lost or not_live:
        console.print(f"  not stored: {lost[:20]}; not pushed live: {not_live[:20]}")
    for line in tally.server_errors + tally.socket_failures + tally.unanswered[:20] + drops:
        console.print(f"  [red]{line}")
    note = f"{tally.total:,} requests, {len(tally.sent_posts):,} valid webhook posts"
    if tally.unsendable:
        note += f" ({tally.unsendable} URLs too long for the client, not sent)"
    rows = [
        Row(NAME, "5xx answers", "", 0, tally.five_hundreds, note),
        Row(NAME, "valid posts not stored", "", 0, len(lost), ""),
        Row(NAME, "valid posts not pushed live", "", 0, len(not_live), "one big-screen socket"),
        Row(NAME, "valid posts kept off by hostile bans", "", None, len(moderated), ""),
        Row(NAME, "sockets silent or 1011", "", 0, len(tally.socket_failures), ""),
        Row(NAME, "big-screen socket drops", "", 0, len(drops), "it reconnects with since"),
        Row(NAME, "requests never answered", "", 0, len(tally.unanswered), ""),
        Row(NAME, "replay posts stored meanwhile", "", None, replay_stored, "the streaming source"),
        Row(NAME, "uvicorn RSS start/end", "MB", rss["server start"], rss["server end"], ""),
        Row(NAME, "stream RSS start/end", "MB", rss["stream start"], rss["stream end"], ""),
    ]
    details: dict[str, Any] = {
        "answers": dict(tally.answers),
        "server_errors": tally.server_errors,
        "socket_failures": tally.socket_failures,
        "screen_drops": drops,
        "unanswered": tally.unanswered[:50],
        "lost": lost[:50],
        "not_live": not_live[:50],
        "moderated": dict(list(moderated.items())[:50]),
        "rss_mb": rss,
        "rss_samples": samples,
    }
    problems = (
        tally.five_hundreds
        + len(lost)
        + len(not_live)
        + len(tally.socket_failures)
        + len(tally.unanswered)
        + len(drops)
    )
    if problems or replay_stored <= 0:
        print_table(rows)
        raise AssertionError(
            f"soak: {tally.five_hundreds} 5xx, {len(lost)} lost, {len(not_live)} not live, "
            f"{len(tally.socket_failures)} bad sockets, {len(drops)} screen drops, "
            f"{len(tally.unanswered)} unanswered, "
            f"{replay_stored} replay posts stored"
        )
    return Result(rows, details)


async def _drive(
    target: traffic.Target,
    rate: int,
    seconds: float,
    tally: traffic.Tally,
    seen_live: set[str],
    drops: list[str],
    server: Server,
    stream: Server,
    rss: dict[str, float],
    samples: list[tuple[int, float]],
) -> None:
    rng = random.Random(20261206)
    base_ws = target.base.replace("http://", "ws://")
    stop = asyncio.Event()
    ready = asyncio.Event()
    watcher = asyncio.create_task(traffic.watch_live(base_ws, stop, seen_live, ready, drops))
    await asyncio.wait_for(ready.wait(), 30)  # the screen is open before the first post is sent
    numbers = iter(range(1, 10**9))
    started = time.monotonic()
    next_sample = started
    pending: set[asyncio.Task[None]] = set()
    limits = httpx.Limits(max_connections=32)
    async with httpx.AsyncClient(base_url=target.base, timeout=30, limits=limits) as client:
        tick = 0
        while (now := time.monotonic()) - started < seconds:
            if "server start" not in rss and now - started >= min(WARM_UP, seconds / 2):
                rss["server start"], rss["stream start"] = _rss_mb(server), _rss_mb(stream)
            if now >= next_sample:  # the trend, not only both ends: warm-up or a leak?
                samples.append((round(now - started), round(_rss_mb(server), 1)))
                next_sample += seconds / 10
            job = _pick(rng, client, tally, target, base_ws, next(numbers))
            task = asyncio.create_task(traffic.guarded(job, tally))
            pending.add(task)
            task.add_done_callback(pending.discard)
            tick += 1
            await asyncio.sleep(max(0.0, started + tick / rate - time.monotonic()))
        await asyncio.gather(*pending)
    # The last posts' frames may still be on their way: wait until the screen has them all (it
    # only collects, so poll), or give up after DRAIN seconds and report what never came.
    deadline = time.monotonic() + DRAIN
    while not set(tally.sent_posts) <= seen_live and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    samples.append((round(time.monotonic() - started), round(_rss_mb(server), 1)))
    stop.set()
    await asyncio.wait_for(watcher, 30)


def _pick(
    rng: random.Random,
    client: httpx.AsyncClient,
    tally: traffic.Tally,
    target: traffic.Target,
    base_ws: str,
    number: int,
) -> Any:
    roll = rng.random()
    if roll < 0.35:
        return traffic.valid_read(client, rng, tally)
    if roll < 0.50:
        return traffic.valid_webhook(client, rng, tally, target, number)
    if roll < 0.70:
        return traffic.hostile_read(client, rng, tally)
    if roll < 0.80:
        return traffic.hostile_write(client, rng, tally, target)
    if roll < 0.95:
        return traffic.hostile_webhook(client, rng, tally, target, number)
    return traffic.hostile_socket(base_ws, rng, tally)


def _connect(db: dict[str, str]) -> psycopg.Connection[Any]:
    return psycopg.connect(
        host=db["HOST"],
        port=db["PORT"],
        dbname=db["NAME"],
        user=db["USER"],
        password=db["PASSWORD"],
    )


def _stored(db: dict[str, str], external_ids: list[str]) -> set[str]:
    with _connect(db) as conn:
        rows = conn.execute(
            "SELECT external_id FROM crowdwall_post WHERE external_id = ANY(%s)", [external_ids]
        ).fetchall()
    return {row[0] for row in rows}


def _moderated(db: dict[str, str], external_ids: list[str]) -> dict[str, str]:
    """Of these posts, those no wall approved, with the reason of one of their entries."""
    with _connect(db) as conn:
        rows = conn.execute(
            "SELECT p.external_id, min(pw.reason) FROM crowdwall_post p "
            "JOIN crowdwall_postwall pw ON pw.post_id = p.id WHERE p.external_id = ANY(%s) "
            "GROUP BY p.external_id HAVING bool_and(pw.state <> 'approved')",
            [external_ids],
        ).fetchall()
    return {row[0]: row[1] for row in rows}


def _count(db: dict[str, str], source_name: str) -> int:
    with _connect(db) as conn:
        row = conn.execute(
            "SELECT count(*) FROM crowdwall_post p JOIN crowdwall_source s ON s.id = p.source_id "
            "WHERE s.name = %s",
            [source_name],
        ).fetchone()
    return int(row[0]) if row else 0
