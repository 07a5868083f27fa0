"""Result rows, the summary table (rich) and the JSON file the README numbers come from."""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import django
from rich.console import Console
from rich.table import Table
from rich.text import Text

# Piped output (make, CI logs) would otherwise wrap the table at 80 columns.
console = Console(width=None if sys.stdout.isatty() else 150)


@dataclass
class Row:
    """One metric: the baseline measured in the same run beside herdcache's value."""

    benchmark: str
    metric: str
    unit: str
    baseline: float | None
    herdcache: float | None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        """herdcache / baseline (None when either is missing or the baseline is zero)."""
        if self.baseline is None or self.herdcache is None or self.baseline == 0:
            return None
        return self.herdcache / self.baseline


@dataclass
class Result:
    """What one benchmark returns: table rows plus raw details for the JSON file."""

    rows: list[Row] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    if value == int(value) and abs(value) < 1e9:
        return f"{int(value):,}"
    return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"


def print_table(rows: Sequence[Row]) -> None:
    """The summary: benchmark | metric | baseline | herdcache | ratio | note."""
    table = Table(title="benchmarks (ratio = herdcache or crowdwall / baseline)")
    for name, justify in [
        ("benchmark", "left"),
        ("metric", "left"),
        ("stock / baseline", "right"),
        ("herdcache / crowdwall", "right"),
        ("ratio", "right"),
        ("note", "left"),
    ]:
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for row in rows:
        ratio = row.ratio
        cells = [
            row.benchmark,
            f"{row.metric} ({row.unit})" if row.unit else row.metric,
            _fmt(row.baseline),
            _fmt(row.herdcache),
            "—" if ratio is None else f"{ratio:.3g}x",
            row.note,
        ]
        table.add_row(*(Text(cell) for cell in cells))  # Text: "[...]" is not rich markup
    console.print(table)


def write_json(
    path: Path,
    rows: Sequence[Row],
    details: dict[str, Any],
    failures: dict[str, str],
    options: dict[str, Any],
) -> None:
    """Write the run's results (with the machine it ran on) to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "django": django.get_version(),
            "platform": platform.platform(),
        },
        "options": options,
        "rows": [{**asdict(row), "ratio": row.ratio} for row in rows],
        "details": details,
        "failures": failures,
    }
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
