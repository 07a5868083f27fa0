"""One render per expiry across real processes sharing real memcached / Redis (DESIGN §1)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import caches

import herdcache
from tests.herdcache.herd_worker import RENDER_COUNTER

pytestmark = [pytest.mark.django_db, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]


class Worker:
    """One herd_worker process; talks over stdin/stdout lines."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.herdcache.herd_worker", json.dumps(config)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self.expect("ready")

    def expect(self, word: str) -> None:
        """Block until the worker prints ``word`` (an event, not a sleep)."""
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.strip())
            if line.strip() == word:
                return
        raise AssertionError(f"worker exited before printing {word!r}: {self.lines}")

    def go(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()

    def results(self, timeout: float = 60) -> list[dict[str, Any]]:
        out, _ = self.proc.communicate(timeout=timeout)
        lines = self.lines + out.splitlines()
        return json.loads(next(line for line in reversed(lines) if line.startswith("[")))

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()


@pytest.fixture(params=["memcached", "redis"])
def shared_cache(request: pytest.FixtureRequest, settings) -> Iterator[dict]:
    """A cache every process can share; the render counter starts at 0."""
    from tests.conftest import cache_config

    config = {"default": cache_config(request.param, request)}
    settings.CACHES = config
    caches["default"].clear()
    caches["default"].set(RENDER_COUNTER, 0, timeout=None)
    yield config
    caches["default"].clear()


def renders() -> int:
    return int(caches["default"].get(RENDER_COUNTER))


def run_herd(config: dict[str, Any], processes: int, threads: int) -> list[dict[str, Any]]:
    workers = [Worker({**config, "threads": threads}) for _ in range(processes)]
    for worker in workers:
        worker.go()
    return [result for worker in workers for result in worker.results()]


@pytest.mark.parametrize("target", ["function", "page"])
def test_one_render_for_a_crowd_after_expiry(shared_cache, target):
    config = {"caches": shared_cache, "render_seconds": 3.0, "target": target}
    run_herd({**config, "render_seconds": 0}, processes=1, threads=1)  # fill
    assert renders() == 1
    herdcache.purge(tags=["herd"], soft=True)  # now stale, as after expiry
    caches["default"].set(RENDER_COUNTER, 0, timeout=None)

    results = run_herd(config, processes=4, threads=25)

    assert [r["error"] for r in results if r["error"]] == []
    assert renders() == 1
    assert all(r["value"] for r in results)
    # Everyone but the renderer got the stale copy without waiting for the 3 s render (the
    # bound is generous: 100 threads on a loaded 2-core CI machine take a while to answer).
    slow = [r for r in results if r["seconds"] >= 2.5]
    assert len(slow) <= 1, sorted(round(r["seconds"], 2) for r in results)


def test_cold_miss_renders_once_and_waiters_share_the_value(shared_cache):
    config = {"caches": shared_cache, "render_seconds": 0.5}
    results = run_herd(config, processes=4, threads=25)

    assert [r["error"] for r in results if r["error"]] == []
    assert renders() == 1
    assert len({r["value"] for r in results}) == 1


def test_lock_holder_killed_mid_render_others_recover_within_lock_ttl(shared_cache):
    lock_ttl = 4  # a render can only be duplicated if it outlives this: keep it far above 0.2 s
    holder = Worker(
        {"caches": shared_cache, "render_seconds": 120, "threads": 1, "lock_timeout": lock_ttl}
    )
    holder.go()
    holder.expect("rendering")  # it holds the lock now
    holder.kill()

    started = time.monotonic()
    config = {"caches": shared_cache, "render_seconds": 0.2, "lock_timeout": lock_ttl}
    results = run_herd(config, processes=3, threads=10)
    elapsed = time.monotonic() - started

    assert [r["error"] for r in results if r["error"]] == []
    assert renders() == 2  # the killed render + exactly one replacement
    assert len({r["value"] for r in results}) == 1
    assert elapsed < lock_ttl + 15  # generous: recovery is bounded by the lock TTL, not cold_wait
