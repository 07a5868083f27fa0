"""analytics: the analytics page and API of a wall with 1,000,000 posts on PostgreSQL.

A throwaway PostgreSQL (``tests.fixtures.postgres``) gets one wall, three sources, 50,000
authors and a million posts over three days with their wall entries, generated in SQL
(``generate_series``), and the rollups as ``rebuild-analytics`` would compute them: minutes
in SQL, then hours and totals by its last step (``resum``); the Python rebuild of one hour of
minutes is timed apart, as a rate. Then, in one
process through Django's test client (middleware, session or bearer auth, templates, JSON):
``--analytics-requests`` requests each of the page and the API over the last hour, the last
day, the whole event and a custom past day (yesterday, chosen with start/end as the page's
range selector sends it), uncached; p50 and p99 latency, target p99 < 200 ms; then, per range,
one API request's PostgreSQL time (``EXPLAIN ANALYZE`` of its reads), its query count and its
three slowest reads with the indexes they used. Last, one post arrives and one API request
refreshes the rollups and counts it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from typing import Any

from bench import ROOT
from bench.measure import env_int
from bench.report import Result, Row, console

NAME = "analytics"
TARGET_MS = 200.0
MIN_BUDGET = 1500  # the fill takes a minute or two on a quiet machine, far more on a busy one


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(NAME)
    group.add_argument(
        "--analytics-posts",
        type=int,
        default=env_int("BENCH_ANALYTICS_POSTS", 1_000_000),
        help="posts on the wall [BENCH_ANALYTICS_POSTS, 1000000]",
    )
    group.add_argument(
        "--analytics-requests",
        type=int,
        default=env_int("BENCH_ANALYTICS_REQUESTS", 100),
        help="timed requests per page/API and range [BENCH_ANALYTICS_REQUESTS, 100]",
    )


def run(args: argparse.Namespace) -> Result:
    from tests.fixtures.postgres import run_postgres

    lifecycle = run_postgres("bench-analytics-postgres")
    server = next(lifecycle)
    try:
        spec = {
            "database": server.database(),
            "posts": args.analytics_posts,
            "requests": args.analytics_requests,
        }
        console.print(f"  PostgreSQL: {spec['posts']:,} posts, {spec['requests']} requests each")
        done = subprocess.run(
            [sys.executable, "-m", "bench.analytics_worker"],
            input=json.dumps(spec),
            stdout=subprocess.PIPE,  # stderr (progress) goes straight to the console
            text=True,
            cwd=ROOT,
            timeout=MIN_BUDGET,
        )
    finally:
        lifecycle.close()
    if done.returncode != 0:
        raise RuntimeError(f"analytics worker exited with {done.returncode}")
    measured: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    fill = measured["fill"]
    console.print(
        f"    fill {fill['generate_s']:.0f} s, rollups {fill['rollups_sql_s']:.0f} s "
        f"({fill['wallminute_rows']:,} minute rows, {fill['wallminuteauthor_rows']:,} "
        f"author-minute rows, {fill['wallhourauthor_rows']:,} author-hour rows, "
        f"{fill['walldayauthor_rows']:,} author-day rows); "
        f"Python rebuild {fill['rebuild_entries_per_s']:,.0f} entries/s"
    )
    result = Result(details=measured)
    for name, timing in measured["requests"].items():
        if name == "live" or name.startswith("db "):
            continue
        verdict = "met" if timing["p99_ms"] < TARGET_MS else "missed"
        console.print(
            f"    {name:<11} p50 {timing['p50_ms']:6.1f} ms   p99 {timing['p99_ms']:6.1f} ms"
        )
        result.rows.append(
            Row(
                NAME,
                f"{name}: p99 vs p50",
                "ms",
                round(timing["p50_ms"], 1),
                round(timing["p99_ms"], 1),
                f"{spec['posts']:,} posts; target p99 < {TARGET_MS:.0f} ms {verdict}",
            )
        )
    live = measured["requests"]["live"]
    console.print(f"    a new post, then one API request: {live['live_request_ms']:.0f} ms")
    return result
