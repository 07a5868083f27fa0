"""One ``wrk`` run against a URL on loopback: requests/s, p50/p99 latency and errors."""

from __future__ import annotations

import math
import re
import subprocess
from collections.abc import Sequence

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}  # wrk's latency units, to milliseconds


def wrk(
    address: str, path: str, wrk_args: str, duration: float, headers: Sequence[str] = ()
) -> dict[str, float]:
    """Run wrk for ``duration`` seconds; ``headers`` are ``"Name: value"`` lines it sends.

    Errors count non-2xx/3xx responses and socket errors (connect, read, write, timeout). wrk
    takes whole seconds only, so ``duration`` is rounded (at least 1).
    """
    seconds = max(1, round(duration))
    command = [
        "wrk", *wrk_args.split(), f"-d{seconds}s", "--latency",
        *[arg for header in headers for arg in ("-H", header)],
        f"http://{address}{path}",
    ]  # fmt: skip
    out = subprocess.run(
        command, capture_output=True, text=True, check=True, timeout=seconds + 30
    ).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if rps is None:
        raise RuntimeError(f"could not read wrk's output:\n{out}")
    latency = {
        pct: float(value) * _UNITS[unit]
        for pct, value, unit in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    }
    requests = re.search(r"(\d+) requests in", out)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    errors = int(non_2xx.group(1)) if non_2xx else 0
    if socket_errors:
        errors += sum(int(n) for n in re.findall(r"\d+", socket_errors.group(1)))
    return {
        "rps": float(rps.group(1)),
        "requests": int(requests.group(1)) if requests else 0,
        "p50_ms": latency.get("50", math.nan),
        "p99_ms": latency.get("99", math.nan),
        "errors": errors,
    }
