"""tracking: what dependency tracking costs a render, and how fast a commit purges a page.

A view making 20 ORM queries (10 rows by primary key, 5 filtered lists, 5 counts over
``auth.Group`` and ``auth.Permission`` in a migrated SQLite file) is computed with ``track=True``
and without, alternately, on real memcached: the ratio of the medians is the tracking overhead
(target from issue 18: at most 5 %), for a refresh of a stale entry (soft-purged or expired: the
stamps of the tags the last render read come with the lookup) and for a cold miss (one
``get_many`` after the render, creating the stamp keys of tags never purged). Then a tracked page is cached and a row it read is
updated in ``transaction.atomic()`` again and again: the time from leaving the block (commit, then
herdcache's ``on_commit`` purge) until a read finds the page purged, p50/p99, beside the same
commit with ``TRACK_WRITES`` off as the baseline. Last, the same commit with the page also
served through a real Varnish (``bench/tracking_varnish.py``): until memcached's entry is purged
and until Varnish no longer serves the old copy, p50/p99 (skipped when varnishd is missing).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import inprocess, servers, tracking_varnish
from bench.measure import env_int, ms, percentile
from bench.report import Result, Row, console

NAME = "tracking"
APPS = ["herdcache", "django.contrib.contenttypes", "django.contrib.auth"]
GROUPS = 200


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(NAME)
    group.add_argument(
        "--tracking-samples",
        type=int,
        default=env_int("BENCH_TRACKING_SAMPLES", 100),
        help="renders per variant and commits measured [BENCH_TRACKING_SAMPLES, 100]",
    )


def run(args: argparse.Namespace) -> Result:
    from django.test.utils import override_settings

    inprocess.setup()
    workdir = Path(tempfile.mkdtemp(prefix="crowdwall-bench-tracking-"))
    try:
        with (
            servers.memcached() as mc,
            inprocess.memcached_caches(mc.address),
            override_settings(INSTALLED_APPS=APPS, HERDCACHE={"XFETCH_BETA": 0}),
            inprocess.sqlite_database(workdir / "tracking.sqlite3"),
        ):
            from herdcache import tracking

            tracking.models_by_table.cache_clear()  # the apps changed
            _fill()
            renders = _measure_renders(args.tracking_samples)
            purges = _measure_purges(args.tracking_samples)
            everywhere = tracking_varnish.measure(args.tracking_samples, GROUPS)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return Result(
        rows=_rows(renders, purges) + _everywhere_rows(everywhere),
        details={"renders": renders, "purges": purges, "everywhere": everywhere},
    )


def _fill() -> None:
    from django.contrib.auth.models import Group

    Group.objects.bulk_create([Group(name=f"group {i}") for i in range(GROUPS)])


def _view(offset: int) -> str:
    """20 queries: 10 rows by key, 5 lists, 5 counts."""
    from django.contrib.auth.models import Group, Permission

    parts = [Group.objects.get(pk=1 + (offset + i) % GROUPS).name for i in range(10)]
    for i in range(5):
        parts += Permission.objects.filter(codename__contains=f"{i}").values_list("codename", flat=True)[:5]  # fmt: skip
        parts.append(str(Group.objects.filter(name__endswith=str(i)).count()))
    return "|".join(parts)


def _measure_renders(samples: int) -> dict[str, Any]:
    import herdcache

    variants: dict[str, Callable[[int], str]] = {
        "off": herdcache.cached(300, track=False, background=False)(_view),
        "on": herdcache.cached(300, track=True, background=False)(_view),
    }
    result: dict[str, Any] = {}
    # A refresh (the entry is there, stale: soft-purged or expired, the usual case) knows the
    # write stamps of the tags the last render read; a cold miss knows none.
    for kind, soft in (("refresh", True), ("cold", False)):
        # Wall time includes memcached round trips; CPU time (this process) is the work tracking
        # adds, which a loaded machine's scheduling noise does not drown.
        times: dict[str, list[float]] = {"off": [], "on": [], "off_cpu": [], "on_cpu": []}
        for n in range(samples):
            for name, function in variants.items():
                function(n % 10)
                function.purge(n % 10, soft=soft)  # type: ignore[attr-defined]
                started, cpu = time.perf_counter(), time.process_time()
                function(n % 10)
                times[name].append(time.perf_counter() - started)
                times[f"{name}_cpu"].append(time.process_time() - cpu)
        medians = {name: statistics.median(values) for name, values in times.items()}
        off, on = medians["off"], medians["on"]
        cpu_overhead = medians["on_cpu"] / medians["off_cpu"] - 1 if medians["off_cpu"] else 0.0
        console.print(
            f"  {kind} (20 queries): {ms(off):.2f} ms untracked, {ms(on):.2f} ms tracked "
            f"({(on / off - 1) * 100:+.1f} % wall, {cpu_overhead * 100:+.1f} % CPU)"
        )
        result[kind] = {
            "off_ms": ms(off),
            "on_ms": ms(on),
            "overhead": on / off - 1,
            "cpu_overhead": cpu_overhead,
        }
    return result


def _measure_purges(samples: int) -> dict[str, Any]:
    from django.conf import settings
    from django.contrib.auth.models import Group
    from django.db import transaction
    from django.test.utils import override_settings

    import herdcache

    renders: list[int] = []

    @herdcache.cached(300, track=True, background=False)
    def page(pk: int) -> str:
        renders.append(pk)
        return Group.objects.get(pk=pk).name

    def commit(n: int) -> float:
        with transaction.atomic():
            Group.objects.filter(pk=1).update(name=f"renamed {n}")
            started = time.perf_counter()
        return time.perf_counter() - started  # commit + on_commit purge

    latency: dict[str, list[float]] = {"baseline": [], "tracked": []}
    for n in range(samples):
        page(1)
        before = len(renders)
        latency["tracked"].append(commit(n))
        page(1)  # found purged: rendered again (checked below)
        if len(renders) != before + 1:
            raise RuntimeError("a committed write did not purge the page that read its row")
    with override_settings(HERDCACHE={**settings.HERDCACHE, "TRACK_WRITES": False}):
        latency["baseline"] = [commit(n) for n in range(samples)]
    summary = {
        f"{name}_{pct}_ms": ms(percentile(values, pct))
        for name, values in latency.items()
        for pct in (50, 99)
    }
    console.print(
        f"  commit -> page purged: p50 {summary['tracked_50_ms']:.2f} ms, "
        f"p99 {summary['tracked_99_ms']:.2f} ms "
        f"(commit alone: p50 {summary['baseline_50_ms']:.2f} ms)"
    )
    return summary


def _rows(renders: dict[str, Any], purges: dict[str, Any]) -> list[Row]:
    return [
        *(
            Row(
                NAME,
                f"20-query view, {label}: untracked -> tracked",
                "ms",
                renders[kind]["off_ms"],
                renders[kind]["on_ms"],
                f"overhead {renders[kind]['overhead'] * 100:+.1f} % wall, "
                f"{renders[kind]['cpu_overhead'] * 100:+.1f} % CPU (target <= 5 %)",
            )
            for kind, label in (("refresh", "refresh of a stale entry"), ("cold", "cold miss"))
        ),
        *(
            Row(
                NAME,
                f"commit -> tracked page purged, p{pct} (baseline: commit alone)",
                "ms",
                purges[f"baseline_{pct}_ms"],
                purges[f"tracked_{pct}_ms"],
                "purge runs in on_commit, through memcached",
            )
            for pct in (50, 99)
        ),
    ]


def _everywhere_rows(everywhere: dict[str, Any]) -> list[Row]:
    if "skipped" in everywhere:
        return [Row(NAME, "commit -> page purged in Varnish", "ms", None, None, everywhere["skipped"])]  # fmt: skip
    late = f"{everywhere['late']} of {everywhere['samples']} later than {everywhere['poll_limit_s']:.0f} s"  # fmt: skip
    return [
        Row(
            NAME,
            f"commit -> purged in {where}, p{pct} (Varnish in front, hard purge)",
            "ms",
            None,
            everywhere[f"{tier}_{pct}_ms"],
            f"{what}; {late}",
        )
        for tier, where, what in (
            ("memcached", "memcached", "the row's write stamp changed (on_commit)"),
            ("varnish", "Varnish", "a GET through Varnish got the new page (xkey fan-out)"),
        )
        for pct in (50, 99)
    ]
