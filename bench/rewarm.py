"""rewarm: the requests right after a tag purge, with herdcache's re-warm off (baseline) and on.

gunicorn (gthread) serves 500 remembered pages, all tagged ``warm``, each taking
``--rewarm-render`` seconds to render, with per-URL counters on. Steady load: closed-loop clients
on keep-alive connections request pages Zipf-distributed (a few hot pages, a long tail), first to
fill the cache and the per-URL counters, then ``herdcache.purge(tags=["warm"])`` runs in this
process (same memcached and SQLite file) and the next ``--rewarm-requests`` requests are timed.
With re-warm on, the ``--rewarm-top`` most requested pages are re-rendered by the purge's
background thread through gunicorn while the load goes on.

Renders are counted per page in memcached across processes: re-warm must not add renders beyond
one per page (the stampede lock makes it one more visitor), so the maximum per page is reported.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import inprocess, servers
from bench.load import Connection
from bench.measure import env_float, env_int, ms, percentile
from bench.report import Result, Row, console
from bench.site.memcached import flush, read_many, reset_renders

NAME = "rewarm"
TAG = "warm"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(NAME)
    add = group.add_argument
    add(
        "--rewarm-pages",
        type=int,
        default=env_int("BENCH_REWARM_PAGES", 500),
        help="remembered pages carrying the purged tag [BENCH_REWARM_PAGES, 500]",
    )
    add(
        "--rewarm-requests",
        type=int,
        default=env_int("BENCH_REWARM_REQUESTS", 2000),
        help="requests timed after the purge [BENCH_REWARM_REQUESTS, 2000]",
    )
    add(
        "--rewarm-clients",
        type=int,
        default=env_int("BENCH_REWARM_CLIENTS", 16),
        help="closed-loop clients of the steady load [BENCH_REWARM_CLIENTS, 16]",
    )
    add(
        "--rewarm-render",
        type=float,
        default=env_float("BENCH_REWARM_RENDER", 0.05),
        help="seconds a page takes to render [BENCH_REWARM_RENDER, 0.05]",
    )
    add(
        "--rewarm-top",
        type=int,
        default=env_int("BENCH_REWARM_TOP", 100),
        help="HERDCACHE['REWARM_TOP'] [BENCH_REWARM_TOP, 100]",
    )
    add("--rewarm-concurrency", type=int, default=env_int("BENCH_REWARM_CONCURRENCY", 4),
        help="HERDCACHE['REWARM_CONCURRENCY'] [BENCH_REWARM_CONCURRENCY, 4]")  # fmt: skip


def run(args: argparse.Namespace) -> Result:
    from django.test.utils import override_settings

    herd = {"REMEMBER_STATS_ALL_URLS": True, "STATS_FLUSH_INTERVAL": 0.2}
    workdir = Path(tempfile.mkdtemp(prefix="crowdwall-bench-rewarm-"))
    database = workdir / "rewarm.sqlite3"
    env = {
        "BENCH_DATABASE": str(database),
        "BENCH_HERDCACHE": json.dumps(herd),
        "BENCH_RENDER_SECONDS": str(args.rewarm_render),
    }
    gthread = ["--worker-class", "gthread", "--workers", "2", "--threads", "32",
               "--keep-alive", "60"]  # fmt: skip
    result = Result()
    try:
        with (
            servers.memcached() as mc,
            inprocess.memcached_caches(mc.address),
            inprocess.sqlite_database(database),  # migrated here, before gunicorn opens it
            servers.gunicorn(mc.address, gthread, env) as web,
        ):
            warm = {
                **herd,
                "REWARM_ORIGIN": f"http://{web.address}",
                "REWARM_TOP": args.rewarm_top,
                "REWARM_CONCURRENCY": args.rewarm_concurrency,
            }
            with override_settings(HERDCACHE=warm):
                for variant, rewarm in (("off", False), ("on", True)):
                    measured = _measure(args, web.address, mc.address, rewarm=rewarm)
                    result.details[variant] = measured
                    console.print(f"  re-warm {variant}: {_describe(measured)}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    result.details["config"] = {
        key: getattr(args, f"rewarm_{key}")
        for key in ("pages", "requests", "clients", "render", "top", "concurrency")
    }
    result.rows = _rows(result.details["off"], result.details["on"], args)
    return result


def _measure(args: argparse.Namespace, web: str, mc: str, *, rewarm: bool) -> dict[str, Any]:
    """Fill, load, purge the tag (re-warm on or off), time the next requests; count renders."""
    import herdcache
    from herdcache import rewarm as rewarming
    from herdcache.models import CachedURL

    flush(mc)
    CachedURL.objects.all().delete()
    pages = [f"/warm/{pk}/" for pk in range(1, args.rewarm_pages + 1)]
    chooser = random.Random(18)  # the same traffic for both variants
    weights = [1 / rank**1.1 for rank in range(1, len(pages) + 1)]

    def traffic(n: int) -> list[str]:
        return chooser.choices(pages, weights, k=n)

    _steady(web, pages, args.rewarm_clients)  # every page cached and remembered
    _steady(web, traffic(2 * args.rewarm_requests), args.rewarm_clients)  # per-URL counters
    names = [f"warm-{pk}" for pk in range(1, len(pages) + 1)]
    reset_renders(mc, *names)  # count_render's incr needs the counters to exist
    rewarm_before = herdcache.get_stats()["rewarm"]
    started = time.perf_counter()
    herdcache.purge(tags=[TAG], rewarm=rewarm)
    purge_ms = ms(time.perf_counter() - started)
    after_purge = _steady(web, traffic(args.rewarm_requests), args.rewarm_clients)
    rewarming.rewarmer.wait(timeout=120)
    time.sleep(0.5)  # one stats flush interval and more: the workers' last counts are shared
    _steady(web, ["/warm/1/"] * args.rewarm_clients, args.rewarm_clients)  # (a flush is lazy)
    renders = read_many(mc, names)
    return {
        **after_purge,
        "purge_ms": purge_ms,
        "renders": sum(renders.values()),
        "max_renders_per_page": max(renders.values()),
        "rewarm_renders": herdcache.get_stats()["rewarm"] - rewarm_before,
    }


def _steady(address: str, paths: list[str], clients: int) -> dict[str, Any]:
    """Closed-loop load: ``clients`` connections each send the next path as soon as answered."""
    return asyncio.run(_closed_loop(address, paths, clients))


async def _closed_loop(address: str, paths: list[str], clients: int) -> dict[str, Any]:
    host, port = address.rsplit(":", 1)
    connections = [await Connection.open(host, int(port)) for _ in range(clients)]
    pending = iter(paths)  # shared: each path is sent once, by whichever client is free
    latencies: list[float] = []
    errors = 0

    async def client(connection: Connection) -> None:
        nonlocal errors
        for path in pending:
            sent = time.perf_counter()
            try:
                status = await connection.get(path)
            except (OSError, ValueError, asyncio.IncompleteReadError):
                errors += 1
                return
            if status == 200:
                latencies.append(time.perf_counter() - sent)
            else:
                errors += 1

    started = time.perf_counter()
    try:
        await asyncio.gather(*(client(connection) for connection in connections))
    finally:
        for connection in connections:
            connection.close()
    return {
        "requests": len(latencies) + errors,
        "errors": errors,
        "p50_ms": ms(percentile(latencies, 50)),
        "p90_ms": ms(percentile(latencies, 90)),
        "p99_ms": ms(percentile(latencies, 99)),
        "mean_ms": ms(sum(latencies) / len(latencies)) if latencies else None,
        "wall_ms": ms(time.perf_counter() - started),
    }


def _describe(measured: dict[str, Any]) -> str:
    return (
        f"p50 {measured['p50_ms']:.1f} ms, p99 {measured['p99_ms']:.1f} ms, "
        f"{measured['renders']} renders ({measured['rewarm_renders']} by the re-warm), "
        f"max {measured['max_renders_per_page']} per page, {measured['errors']} errors"
    )


def _rows(off: dict[str, Any], on: dict[str, Any], args: argparse.Namespace) -> list[Row]:
    after = f"{args.rewarm_requests:,} requests after purging {args.rewarm_pages} pages"
    return [
        Row(NAME, f"p99 latency, {after}", "ms", off["p99_ms"], on["p99_ms"],
            f"baseline: re-warm off; on: top {args.rewarm_top}"),
        Row(NAME, f"p90 latency, {after}", "ms", off["p90_ms"], on["p90_ms"]),
        Row(NAME, f"p50 latency, {after}", "ms", off["p50_ms"], on["p50_ms"]),
        Row(NAME, f"mean latency, {after}", "ms", off["mean_ms"], on["mean_ms"]),
        Row(NAME, "renders during and after the purge", "", off["renders"], on["renders"],
            f"on: {on['rewarm_renders']} by the re-warm, the rest by visitors"),
        Row(NAME, "renders a visitor waited for", "", off["renders"] - off["rewarm_renders"],
            on["renders"] - on["rewarm_renders"], "the re-warm's share moves off visitors"),
        Row(NAME, "max renders of one page", "", off["max_renders_per_page"],
            on["max_renders_per_page"], "target 1: re-warm adds no renders"),
        Row(NAME, "purge() call (re-warm runs in the background)", "ms", off["purge_ms"],
            on["purge_ms"]),
        Row(NAME, "errors", "", off["errors"], on["errors"]),
    ]  # fmt: skip
