"""Run the benchmarks and print one summary table: ``python -m bench [NAME ...] [options]``.

With no names every benchmark runs. Results also go to ``bench/results/latest.json``.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path
from types import FrameType, ModuleType

from bench import (
    ROOT,
    analytics,
    edge,
    fanout,
    hitpath,
    ingest,
    jetstream,
    registry,
    rewarm,
    soak,
    stampede,
    tracking,
)
from bench.measure import env_float, time_limit
from bench.report import Result, Row, console, print_table, write_json

BENCHMARKS: dict[str, ModuleType] = {
    module.NAME: module
    for module in (
        stampede,
        hitpath,
        registry,
        tracking,
        edge,
        rewarm,
        ingest,
        jetstream,
        fanout,
        soak,
        analytics,
    )
}
# Run only when named (`make bench ARGS=soak`): ten minutes of traffic is no part of a quick look.
ON_REQUEST = {soak.NAME}
RESULTS = ROOT / "bench" / "results" / "latest.json"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "benchmarks",
        nargs="*",
        metavar="NAME",
        help=f"benchmarks to run: {', '.join(BENCHMARKS)} (default: all but {', '.join(ON_REQUEST)})",
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=env_float("BENCH_BUDGET", 240),
        help="seconds each benchmark may take before it is stopped "
        "(0: no limit) [BENCH_BUDGET, 240]",
    )
    parser.add_argument("--json", default=str(RESULTS), help=f"results file [{RESULTS}]")
    for module in BENCHMARKS.values():
        module.add_arguments(parser)
    return parser


def _terminate(signum: int, frame: FrameType | None) -> None:
    # SIGTERM (e.g. from CI) unwinds like Ctrl-C, so every server is stopped on the way out.
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    unknown = [name for name in args.benchmarks if name not in BENCHMARKS]
    if unknown:
        parser.error(
            f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}"
        )
    signal.signal(signal.SIGTERM, _terminate)
    rows: list[Row] = []
    details: dict[str, object] = {}
    failures: dict[str, str] = {}
    for name in args.benchmarks or [n for n in BENCHMARKS if n not in ON_REQUEST]:
        console.rule(f"[bold]{name}")
        started = time.monotonic()
        try:
            # A benchmark may need more than the default budget (fanout: ~6 minutes).
            budget = args.budget and max(args.budget, getattr(BENCHMARKS[name], "MIN_BUDGET", 0))
            with time_limit(budget, name):
                result: Result = BENCHMARKS[name].run(args)
        except Exception as exc:  # report it, run the others, fail at the end
            console.print_exception(max_frames=5)
            failures[name] = f"{type(exc).__name__}: {exc}"
            continue
        rows += result.rows
        details[name] = {**result.details, "seconds": round(time.monotonic() - started, 1)}
        console.print(f"  {name} done in {time.monotonic() - started:.0f}s")
    print_table(rows)
    write_json(Path(args.json), rows, details, failures, vars(args))
    console.print(f"results written to {args.json}")
    for name, error in failures.items():
        console.print(f"[red]{name} failed: {error}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
