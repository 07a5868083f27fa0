"""ingest: posts stored per second end to end, beside a raw ``bulk_create`` of the same rows.

End to end is the path a running wall takes. **Replay**: the replay source reads a JSONL file of
``--ingest-posts`` Mastodon-like posts (the bundled sample posts, lap after lap with fresh ids;
edits and deletions included; ``retime`` off, as for an archive import, so its lines go to the
pipeline as text) and ``StreamRunner`` feeds its batches of 500 through the pipeline: parse,
validate, sanitize (nh3), match three walls, dedupe, store, publish one event per post and purge
the walls' cached pages after each commit. **Jetstream**: the same texts as Jetstream commit
frames, through the Bluesky adapter's own receive loop (``BlueskySource._receive``: prefilter,
parse, match; batches of 500 with the time cursor; the pipeline converts the records) and
``StreamRunner``; the WebSocket is replaced by the frames handed over as ``websockets``' ``recv``
does, 16 buffered frames between two turns of the event loop (``python -m bench jetstream``
measures the WebSocket part), and the AppView the profile lookup asks about first-seen authors
by an in-process stand-in that finds no label (the real calls, CPU included; no network).

Both run as ``manage.py crowdwall stream`` does: batches prepared by the prepare worker process
(``CROWDWALL["PREPARE_PROCESSES"]``, one on a machine with two cores) while the previous batch is
stored; the workers are started once, before the first measured round, as in a stream process
that is running. **Replay in one process** is the same run with no worker. Each run is timed
whole (start-up and a first batch that nothing overlaps included: the headline rate) and from
its first stored batch to its last (the **steady state** of a stream that is running).

Beside them, on the same database and the same rows (the posts and wall entries the replay run
stored; authors already there):

- ``bulk_create`` in batches of 500 (the issue's reference: 19,600 posts/s on SQLite);
- ``save()`` per row in one transaction, and in autocommit (on 500 posts: it is slow);
- parse + sanitize alone (json, validation, nh3, text and hashtags; no matching, no database);
- re-ingesting everything: dedupe must be exact (no new, changed or deleted row).

Rates are per source item (post, edit or deletion), wall clock, medians of ``--ingest-rounds``
rounds that interleave the variants. The machine may be shared, so CPU time is reported too:
items per CPU-second of this process, its prepare workers and, for PostgreSQL, the server's
processes.

Each database runs in its own process (``bench.ingest_worker``, Django configured for
crowdwall), and every variant, ours and the baselines, runs on the same connection settings:
SQLite in a file in a temporary folder with WAL and ``synchronous=NORMAL`` (Django's
``init_command``; the setting recommended for production in the README), and PostgreSQL 15
started like the test fixture (``tests.fixtures.postgres``: ``fsync``, ``synchronous_commit``
and ``full_page_writes`` off; no durability, so the numbers show CPU work, not the disk).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench import ROOT
from bench.measure import env_int, env_str
from bench.report import Result, Row, console

NAME = "ingest"
VENDORS = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
SQLITE_PRAGMAS = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
TARGET = 10_000  # posts per second end to end, from the issue


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(NAME)
    add = group.add_argument
    add(
        "--ingest-posts",
        type=int,
        default=env_int("BENCH_INGEST_POSTS", 5000),
        help="posts per run [BENCH_INGEST_POSTS, 5000]",
    )
    add(
        "--ingest-rounds",
        type=int,
        default=env_int("BENCH_INGEST_ROUNDS", 5),
        help="rounds of every variant; medians are reported [BENCH_INGEST_ROUNDS, 5]",
    )
    add(
        "--ingest-databases",
        default=env_str("BENCH_INGEST_DATABASES", "sqlite,postgres"),
        help="comma-separated: sqlite, postgres [BENCH_INGEST_DATABASES]",
    )
    add(
        "--ingest-profile",
        action="store_true",
        help="print where the pipeline spends its time (cProfile of one replay run)",
    )


def run(args: argparse.Namespace) -> Result:
    vendors = [v.strip() for v in args.ingest_databases.split(",") if v.strip()]
    unknown = set(vendors) - set(VENDORS)
    if unknown:
        raise ValueError(f"unknown database(s) {', '.join(sorted(unknown))}")
    spec = {"posts": args.ingest_posts, "rounds": args.ingest_rounds}
    spec["profile"] = args.ingest_profile
    result = Result()
    workdir = Path(tempfile.mkdtemp(prefix="crowdwall-bench-ingest-"))
    try:
        for vendor in vendors:
            with _database(vendor, workdir) as (database, server_pid):
                measured = _worker(vendor, {**spec, "database": database, "server": server_pid})
            result.details[vendor] = measured
            result.rows += _rows(VENDORS[vendor], measured)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return result


@contextmanager
def _database(vendor: str, workdir: Path) -> Iterator[tuple[dict[str, Any], int | None]]:
    """The ``DATABASES`` entry to measure on, and the server's pid (None: in process)."""
    if vendor == "sqlite":
        path = workdir / "ingest.sqlite3"
        yield (
            {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": str(path),
                "OPTIONS": {"init_command": SQLITE_PRAGMAS, "transaction_mode": "IMMEDIATE"},
            },
            None,
        )
        return
    from tests.fixtures.postgres import run_postgres

    lifecycle = run_postgres("bench-postgres")
    server = next(lifecycle)
    try:
        yield server.database(), server.proc.pid if server.proc else None
    finally:
        lifecycle.close()  # run_postgres's finally: stop the server, remove its folder


def _worker(vendor: str, spec: dict[str, Any]) -> dict[str, Any]:
    console.print(f"  {VENDORS[vendor]}: {spec['posts']:,} posts x {spec['rounds']} rounds")
    done = subprocess.run(
        [sys.executable, "-m", "bench.ingest_worker"],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=900,
    )
    if done.stderr.strip():
        console.print(done.stderr.rstrip(), markup=False, highlight=False)
    if done.returncode != 0:
        raise RuntimeError(f"ingest worker ({vendor}) exited with {done.returncode}")
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    for name, value in measured["rates"].items():
        cpu = measured["cpu_rates"][name]
        console.print(f"    {name:<16} {value:>8,.0f} posts/s   {cpu:>8,.0f} posts/CPU-s")
    for name, value in measured.get("steady_rates", {}).items():
        console.print(
            f"    {name + ' steady':<16} {value:>8,.0f} posts/s (first to last stored batch)"
        )
    check = measured["dedupe"]
    console.print(f"    dedupe: {'exact' if check['exact'] else 'NOT EXACT'} {check}")
    return measured


def _rows(db: str, measured: dict[str, Any]) -> list[Row]:
    rates, cpu, check = measured["rates"], measured["cpu_rates"], measured["dedupe"]
    rows = []
    for source in ("replay", "jetstream"):
        if source not in rates:
            continue
        value = rates[source]
        verdict = "met" if value >= TARGET else "missed"
        label = f"{db}: {source} end to end vs"
        rows += [
            Row(
                NAME,
                f"{label} bulk_create",
                "posts/s",
                rates["bulk_create"],
                value,
                f"target {TARGET:,}/s {verdict}; per CPU-s {cpu[source]:,.0f} vs "
                f"{cpu['bulk_create']:,.0f}",
            ),
            Row(NAME, f"{label} save() in 1 txn", "posts/s", rates["save_txn"], value),
        ]
        steady = measured.get("steady_rates", {}).get(source)
        if steady is not None:
            rows.append(
                Row(
                    NAME,
                    f"{db}: {source}, steady state vs bulk_create",
                    "posts/s",
                    rates["bulk_create"],
                    steady,
                    f"first to last stored batch; target {TARGET:,}/s "
                    f"{'met' if steady >= TARGET else 'missed'}",
                )
            )
    rows += [
        Row(
            NAME,
            f"{db}: replay with a prepare worker vs in one process",
            "posts/s",
            rates["replay_one_process"],
            rates["replay"],
            f"{measured['prepare_processes']} worker(s); per CPU-s {cpu['replay']:,.0f} vs "
            f"{cpu['replay_one_process']:,.0f}",
        ),
        Row(
            NAME,
            f"{db}: replay vs save() autocommit",
            "posts/s",
            rates["save_auto"],
            rates["replay"],
        ),
        Row(
            NAME,
            f"{db}: replay vs parse+sanitize alone",
            "posts/s",
            rates["parse_sanitize"],
            rates["replay"],
            f"{measured['posts']:,} posts, median of {measured['rounds']}",
        ),
        Row(
            NAME,
            f"{db}: re-ingest: rows changed",
            "rows",
            0,
            check["new_rows"] + check["changed"],
            f"dedupe {'exact' if check['exact'] else 'NOT EXACT'}; "
            f"re-ingest {rates['reingest']:,.0f} posts/s",
        ),
    ]
    return rows
