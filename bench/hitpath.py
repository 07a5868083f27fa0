"""hitpath: cost of a cache hit, herdcache.cache_page vs Django's cache_page, same 8 KB page.

Over HTTP: gunicorn sync workers on loopback, load from ``wrk``, rounds interleaved so drift
hits both alike. In process: Django's WSGI handler called directly (no socket, no server), which
isolates the decorator's own work; ``--profile`` prints where that time goes (cProfile).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import math
import pstats
import statistics
import time
from typing import Any

import httpx

from bench import inprocess, servers
from bench.measure import env_float, env_int, env_str
from bench.report import Result, Row, console
from bench.wrk import wrk

NAME = "hitpath"
PATHS = {"stock": "/stock/hit/", "herd": "/herd/hit/"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(NAME)
    add = group.add_argument
    add(
        "--duration",
        type=float,
        default=env_float("BENCH_DURATION", 3),
        help="seconds per wrk round [BENCH_DURATION, 3]",
    )
    add(
        "--rounds",
        type=int,
        default=env_int("BENCH_ROUNDS", 6),
        help="rounds per variant, alternating ABBA; medians are reported [BENCH_ROUNDS, 6]",
    )
    add(
        "--wrk",
        default=env_str("BENCH_WRK", "-t2 -c32"),
        help="wrk threads and connections [BENCH_WRK, '-t2 -c32']",
    )
    add(
        "--hit-workers",
        type=int,
        default=env_int("BENCH_HIT_WORKERS", 2),
        help="gunicorn sync workers [BENCH_HIT_WORKERS, 2]",
    )
    add(
        "--calls",
        type=int,
        default=env_int("BENCH_CALLS", 3000),
        help="in-process calls per round (best of 3 is reported) [BENCH_CALLS, 3000]",
    )
    add(
        "--profile",
        action="store_true",
        help="print a cProfile of each variant's in-process hit path",
    )


def run(args: argparse.Namespace) -> Result:
    result = Result()
    with servers.memcached() as mc:
        options = ["--worker-class", "sync", "--workers", str(args.hit_workers)]
        with servers.gunicorn(mc.address, options) as web:
            for path in PATHS.values():  # warm: one render each, then every request hits
                httpx.get(f"http://{web.address}{path}", timeout=30.0).raise_for_status()
            result.details["http"] = _http(web.address, args)
        with inprocess.memcached_caches(mc.address):
            result.details["inprocess"] = _inprocess(args)
    http, local = result.details["http"], result.details["inprocess"]
    stock, herd = http["stock"], http["herd"]
    default, kept = local["default"], local["kept_connection"]
    paired = f"paired ratio {http['paired_ratio']:.2f}, rounds {http['paired_min']:.2f}-{http['paired_max']:.2f}"
    result.rows = [
        Row(NAME, "HTTP hit, gunicorn sync + wrk", "req/s", stock["rps"], herd["rps"], paired),
        Row(NAME, "HTTP hit latency p50", "ms", stock["p50_ms"], herd["p50_ms"]),
        Row(NAME, "HTTP hit latency p99", "ms", stock["p99_ms"], herd["p99_ms"]),
        Row(NAME, "HTTP errors (all rounds)", "", stock["errors"], herd["errors"]),
        Row(NAME, "in-process hit, WSGI handler", "µs/req", default["stock"]["us"],
            default["herd"]["us"], "best of 3, Django default: memcached reconnect per request"),
        Row(NAME, "in-process hit, WSGI handler, kept connection", "µs/req",
            kept["stock"]["us"], kept["herd"]["us"], "best of 3, close_caches off: decorator cost"),
    ]  # fmt: skip
    return result


def _http(address: str, args: argparse.Namespace) -> dict[str, Any]:
    """wrk rounds in ABBA order (stock, herd, herd, stock, ...) so drift hits both alike."""
    for path in PATHS.values():  # a short warm-up each: sockets, code paths, memcached
        wrk(address, path, args.wrk, 1.0)
    runs: dict[str, list[dict[str, float]]] = {kind: [] for kind in PATHS}
    order = list(PATHS)
    for round_no in range(args.rounds):
        for kind in order if round_no % 2 == 0 else order[::-1]:
            runs[kind].append(wrk(address, PATHS[kind], args.wrk, args.duration))
            run = runs[kind][-1]
            console.print(
                f"  wrk {kind}: {run['rps']:.0f} req/s, p50 {run['p50_ms']:.1f} ms, "
                f"p99 {run['p99_ms']:.1f} ms, {run['errors']} errors"
            )
    ratios = [h["rps"] / s["rps"] for s, h in zip(runs["stock"], runs["herd"], strict=True)]
    out: dict[str, Any] = {
        kind: {
            "rps": statistics.median(run["rps"] for run in kind_runs),
            "p50_ms": statistics.median(run["p50_ms"] for run in kind_runs),
            "p99_ms": statistics.median(run["p99_ms"] for run in kind_runs),
            "errors": sum(run["errors"] for run in kind_runs),
            "rounds_rps": [run["rps"] for run in kind_runs],
        }
        for kind, kind_runs in runs.items()
    }
    out.update(
        paired_ratio=statistics.median(ratios), paired_min=min(ratios), paired_max=max(ratios)
    )
    return out


def _inprocess(args: argparse.Namespace) -> dict[str, Any]:
    """Best-of-3 µs per hit through the WSGI handler, as Django ships and with kept connections.

    Django closes cache connections at the end of every request (``close_caches`` on
    ``request_finished``), so each hit also pays a memcached connect; the second measurement
    keeps the connection open to show the decorators' own cost.
    """
    from django.core.cache import close_caches
    from django.core.signals import request_finished

    caller = inprocess.WSGICaller()
    for path in PATHS.values():
        caller.get(path)  # cached already by the HTTP part (same memcached): warms code paths
    out = {"default": _best_of(caller, args.calls)}
    request_finished.disconnect(close_caches)
    try:
        out["kept_connection"] = _best_of(caller, args.calls)
        if args.profile:
            for kind, path in PATHS.items():
                _profile(caller, kind, path, args.calls)
    finally:
        request_finished.connect(close_caches)
        close_caches()
    return out


def _best_of(caller: inprocess.WSGICaller, calls: int, rounds: int = 3) -> dict[str, Any]:
    best = dict.fromkeys(PATHS, math.inf)
    for _ in range(rounds):
        for kind, path in PATHS.items():
            started = time.perf_counter()
            for _ in range(calls):
                caller.get(path)
            best[kind] = min(best[kind], (time.perf_counter() - started) / calls)
    return {kind: {"us": seconds * 1e6, "rps": 1 / seconds} for kind, seconds in best.items()}


def _profile(caller: inprocess.WSGICaller, kind: str, path: str, calls: int) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(calls):
        caller.get(path)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
    console.rule(f"cProfile, {calls} in-process hits of {kind} ({path}), by own time")
    console.print(out.getvalue(), markup=False, highlight=False)
