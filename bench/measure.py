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
