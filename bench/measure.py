"""Small measuring helpers: percentiles, a time limit per benchmark, option defaults from env."""

from __future__ import annotations

import math
import os
import signal
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import FrameType


class BenchTimeout(Exception):
    """A benchmark ran past its time budget."""


def percentile(samples: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (``pct`` in 0..100) of ``samples``; NaN when there are none."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def ms(seconds: float) -> float:
    return seconds * 1000.0


def cpu_seconds(pids: Sequence[int]) -> float:
    """User + system CPU time the processes ``pids`` have used so far (Linux ``/proc``)."""
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()  # after "(command name)"
        total += int(fields[11]) + int(fields[12])  # utime, stime in clock ticks
    return total / os.sysconf("SC_CLK_TCK")


def child_pids(pid: int) -> list[int]:
    """Direct children of ``pid`` (e.g. nginx's workers under its master)."""
    with open(f"/proc/{pid}/task/{pid}/children") as children:
        return [int(child) for child in children.read().split()]


@contextmanager
def time_limit(seconds: float, what: str) -> Iterator[None]:
    """Raise ``BenchTimeout`` in the main thread after ``seconds`` (0: no limit).

    Benchmarks stop their servers in ``finally`` blocks, so an overrun still cleans up.
    """
    if seconds <= 0:
        yield
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        raise BenchTimeout(f"{what} exceeded its {seconds:.0f}s budget")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)
