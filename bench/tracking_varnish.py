"""tracking, part two: commit -> a tracked page purged everywhere (memcached and a real Varnish).

A Django server (Django's threaded WSGI server, in a thread of the bench process, on a free
loopback port: the bench's SQLite file and memcached, whatever settings the bench has put in
force) serves one tracked page per ``auth.Group`` row (``bench/site/tracked_urls.py``). Debian's
varnishd runs in front of it on the VCL ``manage.py herdcache varnish`` generates (xkey vmod),
and ``HERDCACHE["DOWNSTREAM"]`` points herdcache's purge fan-out at that Varnish. Purges are hard
(``TRACK_PURGE="hard"``, as in tests/herdcache/downstream/test_tracked_varnish.py): Varnish drops
the page instead of serving it once more within grace.

Each sample caches a page in Varnish (a second GET must be a Varnish hit), updates the row the
page read in ``transaction.atomic()``, takes the start time just before leaving the block, and
polls every millisecond until

* memcached: the row's write stamp (``r:auth.Group:<pk>``) has changed -- from then on herdcache
  treats the page's entry as purged (``herdcache.stamps``). herdcache writes it in ``on_commit``,
  before the block returns, so this is commit + the whole on_commit purge (stamps, purge log,
  queueing the Varnish purge) + one ``get_many``; the block's own time is reported beside it;
* Varnish: a GET through Varnish no longer answers the old copy (the fan-out thread sends
  ``xkey-purge``); the time is taken when that answer arrives, so it includes Varnish fetching
  the page again and Django rendering it. The new copy must show the committed name.

A sample whose purges take longer than ``POLL_LIMIT`` counts as ``POLL_LIMIT`` and is reported as
late. Sampling stops after ``SAMPLING_BUDGET`` seconds, so this part stays under a minute.
"""

from __future__ import annotations

import io
import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from tests.fixtures.varnish import VARNISHD, check_vcl

from bench import servers
from bench.measure import ms, percentile
from bench.report import console

GROUP_LABEL = "auth.Group"
POLL_LIMIT = 2.0  # seconds after the commit a sample waits for both purges
POLL_PAUSE = 0.001  # between polls: the fan-out thread sending the PURGE needs the GIL too
SAMPLING_BUDGET = 40.0  # seconds of sampling at most (starting the servers takes a few more)


def unavailable() -> str | None:
    """Why the Varnish part cannot run on this machine, or None when it can."""
    if shutil.which("varnishd") is None and not os.path.exists(VARNISHD):
        return f"varnishd is not installed (Debian: apt-get install varnish varnish-modules; looked for {VARNISHD})"  # fmt: skip
    return None


def measure(samples: int, rows: int) -> dict[str, Any]:
    """Commit -> purged in memcached and in Varnish, p50/p99 over up to ``samples`` commits.

    Needs the bench's Django settings in force (memcached caches, a migrated SQLite file with
    ``auth`` installed and ``rows`` groups). Returns ``{"skipped": reason}`` without varnishd.
    """
    from django.conf import settings
    from django.test.utils import override_settings

    reason = unavailable()
    if reason is not None:
        console.print(f"  [yellow]commit -> purged in Varnish: skipped, {reason}[/yellow]")
        return {"skipped": reason}
    herd = {
        **settings.HERDCACHE,
        "TRACK_WRITES": True,
        "TRACK_PURGE": "hard",
        "SURROGATE_HEADER": "xkey",
    }
    with (
        override_settings(ROOT_URLCONF="bench.site.tracked_urls", HERDCACHE=herd),
        _django_server() as backend,
    ):
        vcl = _generated_vcl(backend)
        skipped = _vmod_missing(vcl)
        if skipped is not None:
            console.print(f"  [yellow]commit -> purged in Varnish: skipped, {skipped}[/yellow]")
            return {"skipped": skipped}
        with servers.varnish("varnish-tracking", lambda _port, _folder: vcl) as varnish:
            node = {"kind": "varnish", "urls": [f"http://{varnish.address}"], "backoff": 0.05}
            with (
                override_settings(HERDCACHE={**herd, "DOWNSTREAM": [node]}),
                httpx.Client(base_url=f"http://{varnish.address}", timeout=5.0) as client,
            ):
                return _measure(client, samples, rows)


def _generated_vcl(backend: str) -> str:
    """The VCL of ``manage.py herdcache varnish --backend BACKEND`` (SURROGATE_HEADER: xkey)."""
    from django.core.management import call_command

    out = io.StringIO()
    call_command("herdcache", "varnish", "--backend", backend, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def _vmod_missing(vcl: str) -> str | None:
    """A reason to skip when varnishd rejects the VCL for want of the xkey vmod; raise for
    any other rejection (a broken generated VCL is a bug, not a missing package)."""
    checked = check_vcl(vcl)
    if checked.returncode == 0:
        return None
    if "Could not find VMOD xkey" in checked.stderr:  # varnishd 7's words
        return "varnishd lacks the xkey vmod (Debian: apt-get install varnish-modules)"
    raise RuntimeError(f"varnishd rejects the generated VCL:\n{checked.stderr}")


@contextmanager
def _django_server() -> Iterator[str]:
    """Django's threaded WSGI server in a daemon thread; yields its ``host:port``."""
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass  # a line per request would bury the bench's report

    server = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler, allow_reuse_address=False)
    server.set_app(WSGIHandler())
    thread = threading.Thread(target=server.serve_forever, name="tracking-django", daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def _measure(client: httpx.Client, samples: int, rows: int) -> dict[str, Any]:
    from herdcache import downstream

    latency: dict[str, list[float]] = {"block": [], "memcached": [], "varnish": [], "miss": []}
    late = 0
    stop_at = time.monotonic() + SAMPLING_BUDGET
    for n in range(samples):
        if time.monotonic() > stop_at:
            break
        # Rows 2.. (row 1 is the memcached-only part's): a page not cached yet, until they wrap.
        miss, block, memcached, varnish = _sample(client, n, 2 + n % (rows - 1))
        late += memcached is None or varnish is None
        latency["miss"].append(miss)
        latency["block"].append(block)
        latency["memcached"].append(POLL_LIMIT if memcached is None else memcached)
        latency["varnish"].append(POLL_LIMIT if varnish is None else varnish)
    downstream.drain(5)
    taken = len(latency["varnish"])
    summary: dict[str, Any] = {
        f"{tier}_{pct}_ms": ms(percentile(values, pct))
        for tier, values in latency.items()
        for pct in (50, 99)
    }
    summary.update(samples=taken, late=late, poll_limit_s=POLL_LIMIT)
    console.print(
        f"  commit -> purged in memcached: p50 {summary['memcached_50_ms']:.2f} ms, "
        f"p99 {summary['memcached_99_ms']:.2f} ms; Varnish serves the new page: "
        f"p50 {summary['varnish_50_ms']:.2f} ms, p99 {summary['varnish_99_ms']:.2f} ms"
    )
    console.print(
        f"    ({taken} commits, {late} later than {POLL_LIMIT:.0f} s; the atomic block, commit + "
        f"on_commit purge: p50 {summary['block_50_ms']:.2f} ms; a miss through Varnish, "
        f"Django rendering: p50 {summary['miss_50_ms']:.2f} ms)"
    )
    return summary


def _sample(
    client: httpx.Client, n: int, pk: int
) -> tuple[float, float, float | None, float | None]:
    """One commit, in seconds: the page's first (missing) GET through Varnish; from the commit,
    until the block returned (commit, then herdcache's on_commit purge), until memcached's entry
    and until Varnish's copy were purged (None: not within ``POLL_LIMIT``)."""
    from django.contrib.auth.models import Group
    from django.core.cache import caches
    from django.db import transaction

    from herdcache import stamps, tracking
    from herdcache.conf import conf

    path = f"/group/{pk}/"
    miss, old = _warm(client, path)
    cache = caches[conf.CACHE]
    tag = tracking.row_tag(GROUP_LABEL, pk)
    stamp_before = stamps.fetch(cache, [tag])[tag][1]  # the hard stamp: TRACK_PURGE="hard"
    name = f"varnish {n}"
    with transaction.atomic():
        Group.objects.filter(pk=pk).update(name=name)
        started = time.perf_counter()  # leaving the block commits, then on_commit purges
    block = time.perf_counter() - started
    in_memcached = in_varnish = None
    while in_memcached is None or in_varnish is None:
        if time.perf_counter() - started > POLL_LIMIT:
            break
        if in_memcached is None and stamps.fetch(cache, [tag])[tag][1] != stamp_before:
            in_memcached = time.perf_counter() - started
        if in_varnish is None:
            reply = client.get(path)
            if reply.content != old:
                in_varnish = time.perf_counter() - started
                if reply.status_code != 200 or reply.text != name:
                    raise RuntimeError(f"{path} answered {reply.status_code} {reply.text!r}, not {name!r}")  # fmt: skip
        time.sleep(POLL_PAUSE)
    return miss, block, in_memcached, in_varnish


def _warm(client: httpx.Client, path: str) -> tuple[float, bytes]:
    """Get ``path`` into Varnish: the seconds its first GET took, and the cached body. Raises
    when Varnish does not keep it."""
    started = time.perf_counter()
    first = client.get(path)
    miss = time.perf_counter() - started
    if first.status_code != 200:
        raise RuntimeError(f"{path} answered {first.status_code}: {first.text[:200]!r}")
    second = client.get(path)
    # X-Varnish names this request and, on a hit, the one that stored the object.
    if len(second.headers.get("x-varnish", "").split()) != 2:
        raise RuntimeError(f"Varnish did not cache {path}: {dict(second.headers)}")
    return miss, second.content
