"""Benchmarks for herdcache, run with ``make bench`` or ``python -m bench [NAME ...]``.

Each benchmark module starts its own servers on free loopback ports (reusing
``tests.fixtures.servers``), measures herdcache beside a baseline in the same run, and returns
rows for the summary table; ``bench/site/`` is the small Django project they serve.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
