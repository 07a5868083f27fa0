"""Deterministic cost of the ingest pipeline: callgrind instructions per post, in one thread.

Wall-clock rates on a shared machine move by more than the differences worth looking for, so
this counts instructions instead. The benchmark's 5,000 replay posts (``bench.ingest_worker``:
the bundled sample posts, lap after lap with fresh ids) go through ``ingest`` in batches of 500
on SQLite (a file in a temporary folder, WAL and ``synchronous=NORMAL`` as the benchmark runs
it): parse (the lines as text, as the replay source hands them over), validate, sanitize,
match three walls, dedupe, store, announce. A warm-up run first (not counted; the tables
emptied after it), then the measured run, wrapped in ``sys.call_tracing`` so that callgrind
counts only it. The walls' figures refresh at most once an hour here: the warm-up's first
batch refreshes them, the measured run never does (the timer thread that would is asleep), so
batch timing cannot change the work. ``PYTHONHASHSEED`` is fixed (dict and set layouts repeat):
two runs of the same code agree within ~0.01 %.

Use (from the repository root)::

    python bench/cg_ingest.py              # runs itself under callgrind; prints instructions/post
    python bench/cg_ingest.py --runs 2     # twice, to see that the counts agree
    python bench/cg_ingest.py --profile    # no valgrind: cProfile of the measured run instead

or by hand (under valgrind it runs the measured process itself)::

    PYTHONHASHSEED=0 valgrind --tool=callgrind --collect-atstart=no \\
        --toggle-collect=_PyEval_CallTracing --callgrind-out-file=/tmp/cg.out \\
        python bench/cg_ingest.py
    callgrind_annotate /tmp/cg.out | head -40      # by function; the total is on top

``--out FILE`` keeps the callgrind output (``FILE``, ``FILE.2``, ...) for ``callgrind_annotate``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POSTS = 5000
BATCH = 500
SQLITE_PRAGMAS = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"


def _configure(folder: Path) -> None:
    from bench.ingest_worker import _configure as configure

    database = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(folder / "ingest.sqlite3"),
        "OPTIONS": {"init_command": SQLITE_PRAGMAS, "transaction_mode": "IMMEDIATE"},
    }
    # Figures refreshed by the warm-up's first batch only (see the module docstring).
    configure(database, {"REPLAY_DIRS": [str(folder)], "LIVE_FIGURES_INTERVAL": 3600})


def _inner(profile: bool) -> None:
    """Set up, warm up, and run the measured pipeline once (under ``sys.call_tracing``)."""
    folder = Path(tempfile.mkdtemp(prefix="crowdwall-cg-ingest-"))
    try:
        _configure(folder)
        from django.core.management import call_command

        from bench.ingest_worker import _empty, _records, _setup_walls
        from crowdwall.ingest.items import JSONText
        from crowdwall.ingest.write import ingest
        from crowdwall.models import Post, Source

        call_command("migrate", verbosity=0, interactive=False)
        wall = _setup_walls()
        # Matched against every wall, as the benchmark's replay source is.
        source = Source.objects.create(wall=wall, name="replay", kind="replay", scope="any")
        lines = [json.dumps(item, ensure_ascii=False) for item in _records(POSTS)]

        # As the replay source hands its lines over: text, parsed by the pipeline.
        items = [JSONText(line, f"posts.jsonl line {n}") for n, line in enumerate(lines, 1)]

        def run() -> None:
            for start in range(0, len(items), BATCH):
                ingest(source.pk, items[start : start + BATCH], cursor=str(start + BATCH))

        _empty()
        run()  # warm-up: imports, caches, the figures' one refresh
        _empty()
        if profile:
            profiler = cProfile.Profile()
            profiler.enable()
            run()
            profiler.disable()
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out)
            stats.sort_stats("tottime").print_stats(400)
            stats.sort_stats("cumulative").print_stats(400)
            print(out.getvalue())
        else:
            sys.call_tracing(run, ())
        print(f"stored {Post.objects.count()} posts", file=sys.stderr)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _total(out: str) -> int:
    """The instructions counted in a callgrind output file (``callgrind_annotate``'s total)."""
    text = subprocess.run(
        ["callgrind_annotate", out], capture_output=True, text=True, check=True
    ).stdout
    found = re.search(r"^\s*([\d,]+)\s+(?:\(100\.0%\)\s+)?PROGRAM TOTALS", text, re.M)
    if found is None:
        raise RuntimeError(f"no total in callgrind_annotate's output for {out}")
    return int(found.group(1).replace(",", ""))


def _count(runs: int, keep: str | None) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        "PYTHONHASHSEED": "0",  # the same dict and set layouts, run after run
    }
    folder = Path(tempfile.mkdtemp(prefix="crowdwall-cg-out-"))
    try:
        for number in range(1, runs + 1):
            out = str(folder / f"callgrind.{number}")
            if keep:
                out = keep if number == 1 else f"{keep}.{number}"
            subprocess.run(
                [
                    "valgrind",
                    "--tool=callgrind",
                    "--collect-atstart=no",
                    "--toggle-collect=_PyEval_CallTracing",
                    f"--callgrind-out-file={out}",
                    sys.executable,
                    str(Path(__file__).resolve()),
                    "--inner",
                ],
                env=env,
                cwd=ROOT,
                check=True,
                stderr=subprocess.DEVNULL,
            )
            total = _total(out)
            print(
                f"run {number}: {total:,} instructions, {total / POSTS / 1000:,.1f} k per post"
                f" ({POSTS:,} posts)",
                flush=True,
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inner", action="store_true", help="the measured process itself")
    parser.add_argument("--profile", action="store_true", help="cProfile, no valgrind")
    parser.add_argument("--runs", type=int, default=1, help="callgrind runs [1]")
    parser.add_argument("--out", help="keep the callgrind output in this file")
    args = parser.parse_args()
    # Under valgrind (its preload library is in LD_PRELOAD): the measured process itself.
    if args.inner or args.profile or "vgpreload" in os.environ.get("LD_PRELOAD", ""):
        here = str(Path(__file__).resolve().parent)
        sys.path[:] = [str(ROOT / "src"), str(ROOT)] + [p for p in sys.path if p != here]
        _inner(args.profile)
    else:
        _count(args.runs, args.out)


if __name__ == "__main__":
    main()
