"""edge: nginx serving herdcache's edge copies straight from memcached, against nginx baselines.

Throughput, the same ~8 KB page and wrk settings for all, 1 nginx worker: a static file (the
baseline), the generated config's memcached tier, both tiers (a local ``proxy_cache`` in front,
``--edge-local-ttl``), plain nginx ``proxy_cache`` in front of Django, and Django's own
``cache_page`` hit behind the same nginx. wrk sends ``Accept-Encoding: gzip`` as browsers do:
edge copies are gzip, and for clients without it nginx gunzips every response, measured apart.
Exploratory variants show what moves the memcached tier (access log, worker count, memcached
keepalive, buffers) and the local tier (sendfile). Each comparison runs as a back-to-back pair,
order alternating by round; its ratio is the median of the pairs'. Load on a shared machine
drifts by tens of percent within seconds: short adjacent pairs keep that drift out of the ratios
better than long runs far apart. CPU per request of nginx's worker and of memcached (``/proc``)
shows where each tier's time goes.

Then, Django on gthread workers (as in the stampede benchmark), through nginx: renders when a
crowd arrives right after the edge copy and the origin's freshness are gone (a soft purge, the
way an edit expires a page), and the time from ``herdcache.purge(tags=...)`` until two nginx
nodes sharing one memcached both serve the new content, local tier off and on. Purges run in
this process against the same memcached and SQLite file as gunicorn.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import httpx
from tests.fixtures.servers import Server

from bench import edge_nginx, edge_purge, inprocess, servers
from bench.measure import child_pids, cpu_seconds, env_int, env_str
from bench.report import Result, Row, console
from bench.wrk import wrk

NAME = "edge"
PAGE = "/edge/hit/"  # herdcache.cache_page(edge=True): nginx answers it from memcached
STOCK = "/stock/hit/"  # Django's cache_page: outside EDGE_TYPES, always proxied to Django
GZIP = ("Accept-Encoding: gzip",)
PLAIN: tuple[str, ...] = ()
HERDCACHE = {
    "EDGE_TRUSTED_PROXIES": ["127.0.0.1"],  # nginx on loopback: Django trusts its key header
    "EDGE_TYPES": {"/edge/": "text/html; charset=utf-8"},
}
# An 8 KB page in one buffer each: the memcached response (gzip) and gunzip's output.
_BIG_BUFFERS = (
    "gunzip on;",
    "gunzip on;\n        gunzip_buffers 1 16k;\n        memcached_buffer_size 16k;",
)
_KEEPALIVE_8 = ("keepalive 64;", "keepalive 8;")  # the first one: the memcached upstream's
# Local-tier hits are small cache files: sendfile sends them with extra syscalls (TCP_CORK on,
# writev of the headers, sendfile, cork off) where a read into memory needs one writev.
_NO_SENDFILE = ("sendfile on;", "sendfile off;")


@dataclass(frozen=True)
class Variant:
    """One wrk target: which nginx, which path, which request headers."""

    node: str
    path: str
    headers: tuple[str, ...] = GZIP
    proof: str | None = None  # the tier that must answer (see _PROOF); None: any 200


VARIANTS = {
    "static": Variant("static", edge_nginx.STATIC_PATH),
    "edge": Variant("edge", PAGE, proof="edge"),
    "edge_plain": Variant("edge", PAGE, PLAIN, proof="edge"),
    "local": Variant("local", PAGE, proof="local"),
    "local_plain": Variant("local", PAGE, PLAIN, proof="local"),
    "proxy_cache": Variant("proxy_cache", STOCK, proof="proxy_cache"),
    "django": Variant("edge", STOCK),
}
EXPLORE = {
    "static_nolog": Variant("static_nolog", edge_nginx.STATIC_PATH),
    "edge_nolog": Variant("edge_nolog", PAGE, proof="edge"),
    "static_w2": Variant("static_w2", edge_nginx.STATIC_PATH),
    "edge_w2": Variant("edge_w2", PAGE, proof="edge"),
    "edge_ka8": Variant("edge_ka8", PAGE, proof="edge"),
    "edge_plain_buffers": Variant("edge_buffers", PAGE, PLAIN, proof="edge"),
    "local_nosendfile": Variant("local_nosendfile", PAGE, proof="local"),
}


class Comparison(NamedTuple):
    """Two variants measured back to back (order alternating by round): compared ÷ base."""

    metric: str
    base: str
    compared: str
    target: float | None = None


C = Comparison
COMPARISONS = [
    C("memcached tier ÷ static file, gzip client", "static", "edge", 0.5),
    C("memcached tier ÷ static file, client without gzip", "static", "edge_plain"),
    C("both tiers ÷ static file, gzip client", "static", "local", 0.85),
    C("both tiers ÷ static file, client without gzip", "static", "local_plain"),
    C("plain nginx proxy_cache hit ÷ static file", "static", "proxy_cache"),
    C("memcached tier ÷ Django cache_page hit behind nginx", "django", "edge", 20.0),
    C("explore: access_log off, memcached tier ÷ static", "static_nolog", "edge_nolog"),
    C("explore: 2 nginx workers, memcached tier ÷ static", "static_w2", "edge_w2"),
    C("explore: memcached keepalive 8 vs 64 (32 clients)", "edge", "edge_ka8"),
    C("explore: 16k gunzip/memcached buffers, no-gzip client", "edge_plain", "edge_plain_buffers"),
    C("explore: both tiers with sendfile off ÷ static file", "static", "local_nosendfile"),
]
# Where nginx's time goes: CPU of its worker(s) per request (/proc), memcached's beside it.
CPU_ROWS = {
    "edge": "memcached tier",
    "edge_plain": "memcached tier, no gzip",
    "local": "both tiers",
    "proxy_cache": "proxy_cache",
    "local_nosendfile": "both tiers, sendfile off",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(NAME)
    add = group.add_argument
    add(
        "--edge-wrk",
        default=env_str("BENCH_EDGE_WRK", "-t2 -c32"),
        help="wrk threads and connections, the same for every variant [BENCH_EDGE_WRK, '-t2 -c32']",
    )
    add(
        "--edge-duration",
        type=int,
        default=env_int("BENCH_EDGE_DURATION", 1),
        help="seconds per wrk run, whole seconds [BENCH_EDGE_DURATION, 1]",
    )
    add(
        "--edge-rounds",
        type=int,
        default=env_int("BENCH_EDGE_ROUNDS", 4),
        help="rounds of every comparison (a back-to-back pair, order alternating); medians "
        "are reported [BENCH_EDGE_ROUNDS, 4]",
    )
    add(
        "--edge-explore",
        action=argparse.BooleanOptionalAction,
        default=bool(env_int("BENCH_EDGE_EXPLORE", 1)),
        help="also run the exploratory nginx variants [BENCH_EDGE_EXPLORE, 1]",
    )
    add(
        "--edge-local-ttl",
        type=int,
        default=env_int("BENCH_EDGE_LOCAL_TTL", 2),
        help="seconds the local tier keeps a page (--local-ttl) [BENCH_EDGE_LOCAL_TTL, 2]",
    )
    add(
        "--edge-crowd",
        type=int,
        default=env_int("BENCH_EDGE_CROWD", 200),
        help="concurrent requests at edge expiry, up to ~450 (nginx worker_connections 1024) "
        "[BENCH_EDGE_CROWD, 200]",
    )
    add(
        "--edge-trials",
        type=int,
        default=env_int("BENCH_EDGE_TRIALS", 3),
        help="purges timed per setup [BENCH_EDGE_TRIALS, 3]",
    )


def run(args: argparse.Namespace) -> Result:
    from django.test.utils import override_settings

    result = Result()
    workdir = Path(tempfile.mkdtemp(prefix="crowdwall-bench-edge-"))
    database = workdir / "edge.sqlite3"
    env = {"BENCH_DATABASE": str(database), "BENCH_HERDCACHE": json.dumps(HERDCACHE)}
    try:
        with (
            servers.memcached() as mc,
            inprocess.memcached_caches(mc.address),
            inprocess.sqlite_database(database),  # migrated here, before gunicorn opens it
            override_settings(HERDCACHE=HERDCACHE),
        ):
            sync = ["--worker-class", "sync", "--workers", "2"]  # Django's best hit throughput
            with servers.gunicorn(mc.address, sync, env) as web:
                result.details["throughput"] = _throughput(args, web.address, mc)
            gthread = ["--worker-class", "gthread", "--workers", "4", "--threads", "64",
                       "--keep-alive", "60", "--worker-connections", "1000"]  # fmt: skip
            with servers.gunicorn(mc.address, gthread, env) as web:
                result.details.update(
                    edge_purge.measure(args, web.address, mc.address, page=PAGE, stock=STOCK)
                )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    result.details["config"] = {
        "wrk": args.edge_wrk, "duration_s": args.edge_duration, "rounds": args.edge_rounds,
        "local_ttl_s": args.edge_local_ttl, "nginx_workers": 1,
    }  # fmt: skip
    result.rows = _throughput_rows(result.details["throughput"]) + edge_purge.rows(
        result.details, args
    )
    return result


def _throughput(args: argparse.Namespace, django: str, mc: Server) -> dict[str, Any]:
    variants = {**VARIANTS, **(EXPLORE if args.edge_explore else {})}
    local_ttl = args.edge_local_ttl
    starters = {
        "static": edge_nginx.static("static"),
        "edge": edge_nginx.generated("edge", upstream=django),
        "local": edge_nginx.generated("local", upstream=django, local_ttl=local_ttl),
        "proxy_cache": edge_nginx.proxy_cache("proxy-cache", upstream=django),
    }
    if args.edge_explore:
        nolog = [edge_nginx.NO_ACCESS_LOG]
        starters.update(
            static_nolog=edge_nginx.static("static-nolog", edits=nolog),
            edge_nolog=edge_nginx.generated("edge-nolog", upstream=django, edits=nolog),
            static_w2=edge_nginx.static("static-w2", workers=2),
            edge_w2=edge_nginx.generated("edge-w2", upstream=django, workers=2),
            edge_ka8=edge_nginx.generated("edge-ka8", upstream=django, edits=[_KEEPALIVE_8]),
            edge_buffers=edge_nginx.generated(
                "edge-buffers", upstream=django, edits=[_BIG_BUFFERS]
            ),
            local_nosendfile=edge_nginx.generated(
                "local-nosendfile", upstream=django, local_ttl=local_ttl, edits=[_NO_SENDFILE]
            ),
        )
    comparisons = [c for c in COMPARISONS if c.base in variants and c.compared in variants]
    with edge_nginx.running(starters) as nodes:
        served = {name: _warm(nodes[v.node].address, v) for name, v in variants.items()}

        def measure(name: str, seconds: int) -> dict[str, float]:
            """One wrk run, plus the CPU nginx's workers and memcached spent per request."""
            variant = variants[name]
            workers = child_pids(nodes[variant.node].proc.pid)  # type: ignore[union-attr]
            mc_pid = [mc.proc.pid]  # type: ignore[union-attr]
            before = cpu_seconds(workers), cpu_seconds(mc_pid), time.perf_counter()
            run = wrk(
                nodes[variant.node].address, variant.path, args.edge_wrk, seconds, variant.headers
            )
            nginx_s, memcached_s = cpu_seconds(workers) - before[0], cpu_seconds(mc_pid) - before[1]
            requests = max(1, run["requests"])
            return {
                **run,
                "nginx_us": nginx_s / requests * 1e6,
                "memcached_us": memcached_s / requests * 1e6,
                "nginx_busy": nginx_s / (time.perf_counter() - before[2]),
            }

        for name in variants:  # sockets, code paths, caches
            measure(name, 1)
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in variants}
        pairs = [_pair_rounds(c, measure, args, runs) for c in comparisons]
    return {"variants": _summaries(runs, served), "comparisons": pairs}


def _pair_rounds(
    comparison: Comparison,
    measure: Callable[[str, int], dict[str, float]],
    args: argparse.Namespace,
    runs: dict[str, list[dict[str, float]]],
) -> dict[str, Any]:
    """Measure a comparison's two variants back to back, ``--edge-rounds`` times, ABBA."""
    pair = [comparison.base, comparison.compared]
    rps: dict[str, list[float]] = {"base": [], "compared": []}
    for round_no in range(args.edge_rounds):
        got = {
            name: measure(name, args.edge_duration)
            for name in (pair if round_no % 2 == 0 else pair[::-1])
        }
        for name, run in got.items():
            runs[name].append(run)
        rps["base"].append(got[comparison.base]["rps"])
        rps["compared"].append(got[comparison.compared]["rps"])
    ratios = [c / b for b, c in zip(rps["base"], rps["compared"], strict=True)]
    console.print(
        f"  {comparison.compared} ÷ {comparison.base}: {statistics.median(ratios):.2f} "
        f"(rounds {', '.join(f'{r:.2f}' for r in ratios)}; "
        f"{statistics.median(rps['compared']):.0f} / {statistics.median(rps['base']):.0f} req/s)"
    )
    return {**comparison._asdict(), **{f"{k}_rps": v for k, v in rps.items()}, "ratios": ratios}


def _summaries(
    runs: dict[str, list[dict[str, float]]], served: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """Per variant: medians over all its runs, errors summed, and what a response looked like."""
    medians = ("rps", "p50_ms", "p99_ms", "nginx_us", "memcached_us", "nginx_busy")
    return {
        name: {
            **{key: statistics.median(run[key] for run in kind_runs) for key in medians},
            "errors": sum(run["errors"] for run in kind_runs),
            "runs_rps": [run["rps"] for run in kind_runs],
            **served[name],
        }
        for name, kind_runs in runs.items()
    }


_PROOF: dict[str, Callable[[httpx.Response], bool]] = {
    # What shows a response came from the tier being measured, not from a fallback.
    "edge": lambda r: r.headers.get("X-Herdcache") == "edge",
    "local": lambda r: r.headers.get("X-Herdcache-Local") == "HIT",
    "proxy_cache": lambda r: r.headers.get("X-Cache-Status") == "HIT",
}


def _warm(address: str, variant: Variant) -> dict[str, Any]:
    """Fill the variant's caches and check it answers from the tier it stands for."""
    headers = dict(line.split(": ", 1) for line in variant.headers) or {
        "Accept-Encoding": "identity"  # httpx would send gzip by default; wrk sends none
    }
    proof = _PROOF[variant.proof] if variant.proof else None
    for _ in range(20):  # first request renders (0.5 s); the local tier caches the second
        response = httpx.get(f"http://{address}{variant.path}", headers=headers, timeout=30.0)
        response.raise_for_status()
        if proof is None or proof(response):
            return {
                "wire_bytes": response.num_bytes_downloaded,
                "content_encoding": response.headers.get("Content-Encoding", ""),
            }
        time.sleep(0.05)
    raise RuntimeError(f"{variant} never answered from its cache: {dict(response.headers)}")


def _throughput_rows(measured: dict[str, Any]) -> list[Row]:
    """One row per comparison (medians of its own pairs), CPU per request, errors."""
    rows = []
    variants = measured["variants"]
    for pair in measured["comparisons"]:
        ratio, ratios = statistics.median(pair["ratios"]), pair["ratios"]
        note = f"paired {ratio:.2f} ({min(ratios):.2f}-{max(ratios):.2f})"
        if pair["target"] is not None:
            note += (
                f"; target ≥{pair['target']:g}x: {'met' if ratio >= pair['target'] else 'MISSED'}"
            )
        base, compared = (
            statistics.median(pair["base_rps"]),
            statistics.median(pair["compared_rps"]),
        )
        rows.append(Row(NAME, pair["metric"], "req/s", base, compared, note))
    static = variants["static"]
    for name, label in CPU_ROWS.items():
        if name in variants:
            measured_cpu = variants[name]
            note = (
                f"+ memcached {measured_cpu['memcached_us']:.1f} µs/req; nginx worker busy "
                f"{measured_cpu['nginx_busy']:.0%} (static {static['nginx_busy']:.0%})"
            )
            rows.append(Row(NAME, f"nginx CPU per request, static vs {label}", "µs",
                            static["nginx_us"], measured_cpu["nginx_us"], note))  # fmt: skip
    errors = sum(v["errors"] for name, v in variants.items() if name != "static")
    rows.append(Row(NAME, "wrk errors (non-2xx, socket), all runs", "", static["errors"], errors))
    return rows
