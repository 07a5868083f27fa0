"""registry: cost of remembering URLs and purging them as the remembered-URL table grows.

An SQLite file in a temporary folder is filled to each size (fast raw inserts, not measured),
then measured: a ``cache_page`` miss that remembers a new URL (through Django's WSGI handler),
``registry.remember()`` alone, ``purge(urls=[one URL])`` and ``purge(tags=[one tag])`` on real
memcached. Targets from the issue: O(1) per miss, purge of one URL or tag under 10 ms. The
smallest size is the baseline the larger ones are compared with. Last, half of the largest table
expires (as pages do) and ``manage.py herdcache prune`` runs: the table size before and after, and
how fast dead rows go.
"""

from __future__ import annotations

import argparse
import io
import random
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bench import inprocess, servers
from bench.measure import env_int, env_str, ms, percentile
from bench.report import Result, Row, console

NAME = "registry"
HOST = "127.0.0.1"  # the WSGI caller's Host: filled rows must look like what it remembers
_NEW_IDS = 10**9  # ids of URLs remembered during measurement, apart from the filled ones
# Expiries as Django stores them in SQLite (UTC text): filled rows live through the run.
_FUTURE, _PAST = "2999-01-01 00:00:00", "2000-01-01 00:00:00"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(NAME)
    group.add_argument(
        "--sizes",
        default=env_str("BENCH_SIZES", "1000,100000,1000000"),
        help="remembered URLs in the table, comma-separated [BENCH_SIZES]",
    )
    group.add_argument(
        "--samples",
        type=int,
        default=env_int("BENCH_SAMPLES", 200),
        help="timed operations per kind and size [BENCH_SAMPLES, 200]",
    )


def run(args: argparse.Namespace) -> Result:
    sizes = sorted({int(size.replace("_", "")) for size in args.sizes.split(",")})
    workdir = Path(tempfile.mkdtemp(prefix="crowdwall-bench-registry-"))
    result = Result()
    try:
        with (
            servers.memcached() as mc,
            inprocess.memcached_caches(mc.address),
            inprocess.sqlite_database(workdir / "registry.sqlite3"),
            _uncapped(sizes[-1] + 10 * args.samples),
        ):
            result.details["sizes"] = _measure_sizes(sizes, args.samples)
            result.details["prune"] = _measure_prune(workdir / "registry.sqlite3")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    result.rows = _rows(result.details["sizes"]) + _prune_rows(result.details["prune"])
    return result


def _uncapped(rows: int) -> Any:
    """MAX_REMEMBERED_URLS above every size measured: the misses must remember their URLs."""
    from django.conf import settings
    from django.test.utils import override_settings

    herd = {**getattr(settings, "HERDCACHE", {}), "MAX_REMEMBERED_URLS": rows}
    return override_settings(HERDCACHE=herd)


def _measure_prune(database: Path) -> dict[str, float]:
    """Expire every other row, then time ``manage.py herdcache prune`` (sizes before/after)."""
    from django.core.management import call_command
    from django.db import connection

    from herdcache import lifecycle
    from herdcache.models import CachedURL

    connection.close()
    con = sqlite3.connect(database)
    try:
        with con:
            con.execute(
                f'UPDATE "{CachedURL._meta.db_table}" SET expires = ? WHERE rowid % 2 = 0',
                (_PAST,),
            )
    finally:
        con.close()
    before = lifecycle.table_size()
    started = time.perf_counter()
    call_command("herdcache", "prune", stdout=io.StringIO())
    seconds = time.perf_counter() - started
    after = lifecycle.table_size()
    console.print(
        f"  prune: {before:,} remembered URLs before, {after:,} after "
        f"({before - after:,} expired rows in {seconds:.1f}s)"
    )
    return {"before": before, "after": after, "seconds": seconds}


def _prune_rows(prune: dict[str, float]) -> list[Row]:
    pruned = prune["before"] - prune["after"]
    rate = pruned / prune["seconds"] if prune["seconds"] else 0.0
    return [
        Row(
            NAME,
            "remembered URLs, before -> after prune (half expired)",
            "rows",
            prune["before"],
            prune["after"],
            f"{pruned:,.0f} pruned in {prune['seconds']:.1f}s ({rate:,.0f} rows/s)",
        )
    ]


def _measure_sizes(sizes: list[int], samples: int) -> dict[str, dict[str, object]]:
    from django.db import connection

    database = Path(connection.settings_dict["NAME"])
    caller = inprocess.WSGICaller(HOST)
    new_ids = iter(range(_NEW_IDS, _NEW_IDS * 2))
    filled, out, purged = 0, {}, set[int]()
    for size in sizes:
        connection.close()  # the fill writes through its own connection
        started = time.perf_counter()
        fill(database, filled, size)
        filled = size
        fill_s = time.perf_counter() - started
        timings = {
            "miss_remember": _time(samples, lambda: caller.get(f"/p/{next(new_ids)}/")),
            "remember": _time(samples, _direct_remember(new_ids)),
            "purge_url": _time(samples, _purge_one_url(size, purged)),
            "purge_tag": _time(samples, _purge_one_tag()),
        }
        out[str(size)] = {
            "rows": size,
            "fill_s": fill_s,
            **{
                op: {"p50_ms": ms(percentile(t, 50)), "p99_ms": ms(percentile(t, 99))}
                for op, t in timings.items()
            },
        }
        measured = ", ".join(
            f"{op} {t['p50_ms']:.2f}/{t['p99_ms']:.2f}"
            for op, t in out[str(size)].items()
            if isinstance(t, dict)
        )
        console.print(f"  {size:,} URLs (filled in {fill_s:.1f}s), p50/p99 ms: {measured}")
    return out


def _time(samples: int, op: Callable[[], object]) -> list[float]:
    op()  # first call pays one-off costs (connections, imports)
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        op()
        times.append(time.perf_counter() - started)
    return times


def _direct_remember(ids: Iterator[int]) -> Callable[[], None]:
    from herdcache import registry
    from herdcache.keys import page_key
    from herdcache.lifecycle import expiry

    def op() -> None:
        i = next(ids)
        url = f"http://{HOST}/p/{i}/"
        key = page_key(url, "")
        registry.remember(url, "", key, key, [f"t{i % 100}"], "default", expiry(660))

    return op


def _purge_one_url(size: int, purged: set[int]) -> Callable[[], None]:
    import herdcache

    rng = random.Random(size)

    def op() -> None:
        i = rng.randrange(size)
        while i in purged:  # a URL can be purged once: pick remembered ones only
            i = rng.randrange(size)
        purged.add(i)
        if herdcache.purge(urls=[f"/p/{i}/"]) != 1:
            raise AssertionError(f"purge of /p/{i}/ did not find its remembered row")

    return op


def _purge_one_tag() -> Callable[[], None]:
    import herdcache

    tags = iter(range(10**9))

    def op() -> None:
        herdcache.purge(tags=[f"t{next(tags) % 100}"])

    return op


def fill(database: Path, start: int, stop: int, batch: int = 50_000) -> None:
    """Insert remembered URLs ``/p/start/`` .. ``/p/stop-1/`` (one tag each) in one transaction.

    Raw executemany with durability off: the fill is setup, not what is measured, and 1M rows
    must load in seconds. Keys are the real page keys, so purges find real memcached keys.
    """
    from herdcache.keys import page_key
    from herdcache.models import CachedURL, CachedURLTag, path_digest

    url_sql = (
        f'INSERT INTO "{CachedURL._meta.db_table}" (key, base_key, cache_alias, url, host, path,'
        " full_path, full_path_hash, key_prefix, created, expires)"
        " VALUES (?, ?, 'default', ?, ?, ?, ?, ?, '', ?, ?)"
    )
    tag_sql = f'INSERT INTO "{CachedURLTag._meta.db_table}" (entry_id, tag) VALUES (?, ?)'
    created = "2026-01-01 00:00:00"
    con = sqlite3.connect(database)
    try:
        con.execute("PRAGMA synchronous = OFF")
        con.execute("PRAGMA journal_mode = MEMORY")
        con.execute("PRAGMA cache_size = -262144")  # 256 MB: random-order index inserts stay in RAM
        with con:
            for low in range(start, stop, batch):
                urls, tags = [], []
                for i in range(low, min(stop, low + batch)):
                    path = f"/p/{i}/"
                    url = f"http://{HOST}{path}"
                    key = page_key(url, "")
                    urls.append(
                        (key, key, url, HOST, path, path, path_digest(path), created, _FUTURE)
                    )
                    tags.append((key, f"t{i % 100}"))
                con.executemany(url_sql, urls)
                con.executemany(tag_sql, tags)
    finally:
        con.close()


def _rows(sizes: dict[str, dict[str, object]]) -> list[Row]:
    labels = {
        "miss_remember": "cache_page miss remembering a new URL",
        "remember": "registry.remember() of a new URL",
        "purge_url": "purge(urls=[one URL])",
        "purge_tag": "purge(tags=[one tag])",
    }
    measured = list(sizes.values())
    base = measured[0]
    compared = measured[1:] or measured  # one size only: show it without a baseline
    rows = []
    for op, label in labels.items():
        for at in compared:
            for stat in ("p50_ms", "p99_ms"):
                value = at[op][stat]  # type: ignore[index]
                baseline = base[op][stat] if at is not base else None  # type: ignore[index]
                note = ""
                if op.startswith("purge"):
                    note = "target < 10 ms: " + ("met" if value < 10 else "MISSED")
                elif baseline is not None:
                    note = f"baseline: {base['rows']:,} URLs"
                metric = f"{label} {stat[:3]}, {at['rows']:,} URLs"
                rows.append(Row(NAME, metric, "ms", baseline, value, note))
    return rows
