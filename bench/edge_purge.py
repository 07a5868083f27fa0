"""The edge benchmark's second half: pages that change (bench/edge.py runs it).

A crowd at edge expiry: the page's edge copy and its origin freshness go at once (a soft purge,
as after an edit), then N requests arrive through nginx together. Django's stock ``cache_page``
behind the same nginx, its entry expired (memcached flushed), is the baseline. Renders are
counted in memcached across gunicorn's processes.

Purge propagation: two nginx nodes share one memcached; ``herdcache.purge(tags=[...])`` runs in
this process right after both nodes served the page from cache, then both are polled until each
serves the new version. Local tier off; on with ``EDGE_PURGE_NODES`` naming both nodes (purge
sends them ``PURGE``); on without it, where local copies live out their TTL: the worst case, as
they were cached just before the purge, and nginx counts validity in whole seconds (fresh while
``valid_sec >= now``), so a copy can outlive its TTL by up to 1 s.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import httpx
from tests.fixtures.servers import Server

from bench import edge_nginx
from bench.load import burst
from bench.measure import ms
from bench.report import Row, console
from bench.site.memcached import (
    flush,
    page_version,
    read_renders,
    reset_renders,
    set_page_version,
)

NAME = "edge"
NEWS = "/edge/news/"  # tagged "news"; its title shows the version it was rendered from
NEWS_TAG = "news"


def measure(
    args: argparse.Namespace, django: str, mc: str, *, page: str, stock: str
) -> dict[str, Any]:
    """Crowd and purge measurements against gunicorn at ``django`` and memcached at ``mc``."""
    from django.conf import settings
    from django.test.utils import override_settings

    ttl = args.edge_local_ttl
    starters = {
        "edge_a": edge_nginx.generated("edge-a", upstream=django),
        "edge_b": edge_nginx.generated("edge-b", upstream=django),
        "local_a": edge_nginx.generated("local-a", upstream=django, local_ttl=ttl),
        "local_b": edge_nginx.generated("local-b", upstream=django, local_ttl=ttl),
    }
    with edge_nginx.running(starters) as nodes:
        crowd = {
            "stock": _crowd(nodes["edge_a"].address, mc, stock, "stock-hit", args.edge_crowd,
                            expire=lambda: flush(mc)),
            "herd": _crowd(nodes["edge_a"].address, mc, page, "edge-hit", args.edge_crowd,
                           expire=lambda: _soft_purge(page)),
        }  # fmt: skip
        edges = [nodes["edge_a"], nodes["edge_b"]]
        local = [nodes["local_a"], nodes["local_b"]]
        purge_nodes = [f"http://{node.address}" for node in local]
        set_page_version(mc, 1)  # before the news page's first render
        timing = {"trials": args.edge_trials, "timeout_s": ttl + 10.0}
        purge = {"local_off": _propagation(edges, mc, local=False, **timing)}
        with override_settings(HERDCACHE={**settings.HERDCACHE, "EDGE_PURGE_NODES": purge_nodes}):
            purge["local_on"] = _propagation(local, mc, local=True, **timing)
        purge["local_on_no_purge_nodes"] = _propagation(local, mc, local=True, **timing)
    return {"crowd": crowd, "purge": purge}


def _soft_purge(path: str) -> None:
    import herdcache

    if herdcache.purge(urls=[path], soft=True) < 1:
        raise RuntimeError(f"soft purge of {path} found no remembered URL")


def _crowd(
    address: str, mc: str, path: str, name: str, n: int, *, expire: Callable[[], None]
) -> dict[str, Any]:
    """Warm ``path`` through nginx, expire it, send ``n`` requests at once; count renders."""
    url = f"http://{address}{path}"
    for _ in range(2):  # a render (0.5 s), then a hit
        httpx.get(url, timeout=30.0).raise_for_status()
    served_by = httpx.get(url, timeout=30.0).headers.get("X-Herdcache", "django")
    expire()
    reset_renders(mc, name)
    measured = burst(address, path, n)
    out = {"renders": read_renders(mc, name), "served_before": served_by, **measured.summary()}
    console.print(
        f"  crowd {path}: {out['renders']} renders, {out['errors']} errors, "
        f"p50 {out['p50_ms']:.0f} ms, p99 {out['p99_ms']:.0f} ms (before: {served_by})"
    )
    return out


def _propagation(
    nodes: list[Server],
    mc: str,
    *,
    local: bool,
    trials: int,
    timeout_s: float,
) -> dict[str, Any]:
    """Time ``purge(tags=[NEWS_TAG])`` until every node serves the version rendered after it."""
    import herdcache

    runs = []
    with httpx.Client(timeout=10.0) as client:
        version = page_version(mc)  # what the cached copies show (or will, once rendered)
        for _ in range(trials):
            _settle(client, nodes, version, local=local)  # each node serves it from its cache
            version += 1
            set_page_version(mc, version)  # what Django renders from now on
            started = time.perf_counter()
            herdcache.purge(tags=[NEWS_TAG])
            purge_ms = ms(time.perf_counter() - started)
            fresh, stale = _poll(client, nodes, version, started, timeout_s)
            runs.append({"purge_ms": purge_ms, "nodes_ms": fresh, "stale_answers": stale})
    every = [max(run["nodes_ms"].values()) for run in runs]
    out = {
        "all_fresh_ms": statistics.median(every),
        "all_fresh_max_ms": max(every),
        "purge_call_ms": statistics.median(run["purge_ms"] for run in runs),
        "runs": runs,
    }
    from herdcache.conf import conf

    kind = "local tier " + ("on" if local else "off")
    kind += f", EDGE_PURGE_NODES {len(conf.EDGE_PURGE_NODES)}" if local else ""
    console.print(
        f"  purge → all nodes fresh, {kind}: median {out['all_fresh_ms']:.0f} ms, "
        f"max {out['all_fresh_max_ms']:.0f} ms (purge() {out['purge_call_ms']:.1f} ms)"
    )
    return out


def _marker(version: int) -> str:
    return f"<title>bench v{version}</title>"


def _settle(client: httpx.Client, nodes: list[Server], version: int, *, local: bool) -> None:
    """Poll each node until it answers ``version`` from its cache (local tier or edge)."""
    header, cached = ("X-Herdcache-Local", "HIT") if local else ("X-Herdcache", "edge")
    deadline = time.monotonic() + 15.0
    for node in nodes:
        while True:
            response = client.get(f"http://{node.address}{NEWS}")
            response.raise_for_status()
            if _marker(version) in response.text and response.headers.get(header) == cached:
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"{node.name} never served v{version} from its cache")
            time.sleep(0.01)  # a render or a cache fill is in flight: nothing to wait on


def _poll(
    client: httpx.Client, nodes: list[Server], version: int, started: float, timeout_s: float
) -> tuple[dict[str, float], int]:
    """ms after ``started`` at which each node first served ``version``; stale answers seen."""
    fresh: dict[str, float] = {}
    stale = 0
    while len(fresh) < len(nodes):
        for node in nodes:
            if node.name in fresh:
                continue
            response = client.get(f"http://{node.address}{NEWS}")
            response.raise_for_status()
            if _marker(version) in response.text:
                fresh[node.name] = ms(time.perf_counter() - started)
            else:
                stale += 1
        if time.perf_counter() - started > timeout_s:
            raise TimeoutError(f"nodes still stale {timeout_s:.0f}s after the purge: {nodes}")
    return fresh, stale


def rows(details: dict[str, Any], args: argparse.Namespace) -> list[Row]:
    """Table rows for the crowd and the purge measurements."""
    crowd, purge = details["crowd"], details["purge"]
    stock, herd = crowd["stock"], crowd["herd"]
    renders_met = "met" if herd["renders"] == 1 else "MISSED"
    off, on, bound = purge["local_off"], purge["local_on"], purge["local_on_no_purge_nodes"]

    def spread(measured: dict[str, Any]) -> str:
        return (
            f"max {measured['all_fresh_max_ms']:.0f} ms over {args.edge_trials}, "
            f"purge() call {measured['purge_call_ms']:.1f} ms"
        )

    return [
        Row(NAME, f"renders at edge expiry, {args.edge_crowd} at once", "", stock["renders"],
            herd["renders"], f"baseline: Django cache_page, expired; target 1: {renders_met}"),
        Row(NAME, "errors at edge expiry", "", stock["errors"], herd["errors"]),
        Row(NAME, "latency p50 at edge expiry", "ms", stock["p50_ms"], herd["p50_ms"]),
        Row(NAME, "latency p99 at edge expiry", "ms", stock["p99_ms"], herd["p99_ms"]),
        Row(NAME, "purge(tags) → 2 nodes fresh, local tier off", "ms", None,
            off["all_fresh_ms"], spread(off)),
        Row(NAME, f"purge(tags) → 2 nodes fresh, local tier on ({args.edge_local_ttl} s)", "ms",
            bound["all_fresh_ms"], on["all_fresh_ms"],
            f"baseline: no EDGE_PURGE_NODES ({spread(bound)}); {spread(on)}"),
    ]  # fmt: skip
