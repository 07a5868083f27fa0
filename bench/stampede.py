"""stampede: renders per expiry when N requests arrive at once, stock cache_page vs herdcache.

gunicorn (gthread, several worker processes) serves the same 0.5 s page under Django's
``cache_page(T)`` and ``herdcache.cache_page(T)`` on one memcached. Each page is warmed, left to
expire (stock: gone; herdcache: stale but present until the hard TTL), then hit by N concurrent
requests; renders are counted in memcached across processes. A cache hit's latency under the
same burst is measured for context.

herdcache runs twice: with its defaults, and with XFetch off (a second gunicorn). With T = 2 s
and a 0.5 s render, XFetch's probabilistic early refresh often fires once within the burst, on
the entry the expiry render just stored: that extra render is a refresh ahead of the *next*
expiry, not part of the stampede, so the XFetch-off count isolates renders caused by the expiry.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import httpx

from bench import servers
from bench.load import burst
from bench.measure import env_float, env_int
from bench.report import Result, Row, console
from bench.site.memcached import flush, read_renders, reset_renders

NAME = "stampede"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(NAME)
    group.add_argument(
        "--requests",
        type=int,
        default=env_int("BENCH_REQUESTS", 200),
        help="concurrent requests per burst, up to ~1000 [BENCH_REQUESTS, 200]",
    )
    group.add_argument(
        "--workers",
        type=int,
        default=env_int("BENCH_WORKERS", 4),
        help="gunicorn worker processes [BENCH_WORKERS, 4]",
    )
    group.add_argument(
        "--threads",
        type=int,
        default=env_int("BENCH_THREADS", 64),
        help="threads per gthread worker [BENCH_THREADS, 64]",
    )
    group.add_argument(
        "--expiry",
        type=int,
        default=env_int("BENCH_EXPIRY", 2),
        help="cache timeout T of the expiring pages, seconds [BENCH_EXPIRY, 2]",
    )
    group.add_argument(
        "--render",
        type=float,
        default=env_float("BENCH_RENDER", 0.5),
        help="seconds a render takes [BENCH_RENDER, 0.5]",
    )


_NO_XFETCH = json.dumps({"XFETCH_BETA": 0})


def run(args: argparse.Namespace) -> Result:
    n, result = args.requests, Result()
    options = ["--worker-class", "gthread", "--workers", str(args.workers),
               "--threads", str(args.threads), "--keep-alive", "60",
               "--worker-connections", str(max(1000, n))]  # fmt: skip
    env = {"BENCH_EXPIRING_TIMEOUT": str(args.expiry), "BENCH_RENDER_SECONDS": str(args.render)}
    runs = {  # variant: (pages, herdcache settings)
        "stock": ("stock", "{}"),
        "herd": ("herd", "{}"),
        "herd_no_xfetch": ("herd", _NO_XFETCH),
    }
    with servers.memcached() as mc:
        for settings in dict.fromkeys(herd_settings for _, herd_settings in runs.values()):
            server_env = {**env, "BENCH_HERDCACHE": settings}
            with servers.gunicorn(mc.address, options, server_env) as web:
                for variant, (pages, herd_settings) in runs.items():
                    if herd_settings == settings:
                        measured = _measure(web.address, mc.address, pages, n, args.expiry)
                        result.details[variant] = measured
                        console.print(f"  {variant}: {_describe(measured)}")
    result.details["config"] = {"requests": n, "workers": args.workers, "threads": args.threads,
                                "expiry_s": args.expiry, "render_s": args.render}  # fmt: skip
    stock, herd = result.details["stock"], result.details["herd"]
    quiet = result.details["herd_no_xfetch"]
    result.rows = [
        Row(NAME, f"renders after expiry, {n} at once", "", stock["renders"], herd["renders"],
            "herdcache defaults; may include 1 XFetch early refresh"),
        Row(NAME, f"renders after expiry, {n} at once, XFetch off", "", stock["renders"],
            quiet["renders"], "renders caused by the expiry; target 1"),
        Row(NAME, "errors (non-200, exceptions)", "", stock["expired"]["errors"],
            herd["expired"]["errors"] + quiet["expired"]["errors"]),
        Row(NAME, "latency p50 after expiry", "ms", stock["expired"]["p50_ms"],
            herd["expired"]["p50_ms"]),
        Row(NAME, "latency p99 after expiry", "ms", stock["expired"]["p99_ms"],
            herd["expired"]["p99_ms"]),
        Row(NAME, f"cache hit p50, {n} at once", "ms", stock["hit"]["p50_ms"],
            herd["hit"]["p50_ms"]),
        Row(NAME, f"cache hit p99, {n} at once", "ms", stock["hit"]["p99_ms"],
            herd["hit"]["p99_ms"]),
    ]  # fmt: skip
    return result


def _measure(address: str, mc_address: str, pages: str, n: int, expiry: int) -> dict[str, Any]:
    """Warm the ``pages`` ("stock" or "herd"), let the expiring one expire, then burst both."""
    expiring, hit = f"{pages}-expiring", f"{pages}-hit"
    flush(mc_address)  # variants share the memcached: start each from nothing cached
    for path in (f"/{pages}/expiring/", f"/{pages}/hit/"):
        httpx.get(f"http://{address}{path}", timeout=30.0).raise_for_status()
    warmed = time.monotonic()
    reset_renders(mc_address, expiring, hit)
    # memcached counts expiry in whole seconds: wait a second more than T to be sure it passed.
    time.sleep(max(0.0, warmed + expiry + 1.2 - time.monotonic()))
    expired = burst(address, f"/{pages}/expiring/", n)
    renders = read_renders(mc_address, expiring)
    hits = burst(address, f"/{pages}/hit/", n)
    return {
        "renders": renders,
        "expired": expired.summary(),
        "hit": hits.summary(),
        "hit_renders": read_renders(mc_address, hit),
    }


def _describe(measured: dict[str, Any]) -> str:
    expired, hit = measured["expired"], measured["hit"]
    return (
        f"{measured['renders']} renders, {expired['errors']} errors, "
        f"p50 {expired['p50_ms']:.0f} ms, p99 {expired['p99_ms']:.0f} ms after expiry; "
        f"hit p50 {hit['p50_ms']:.0f} ms, p99 {hit['p99_ms']:.0f} ms"
    )
