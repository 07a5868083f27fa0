"""Fixtures of the downstream tests: the fake CDN purge API, and Varnish in front of Django.

``varnish_stack`` runs Debian's varnishd (with the xkey vmod) on the VCL ``manage.py herdcache
varnish`` generates, in front of the edge tests' Django site (``tests.edge_site`` under gunicorn,
memcached as its cache), whose purges fan out to that Varnish.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from herdcache.downstream.vcl import render_vcl
from tests.fixtures.fake_cdn import fake_cdn  # noqa: F401  (a fixture, used by name)
from tests.fixtures.servers import Server, free_port, memcached_command, run_server
from tests.fixtures.varnish import run_varnish
from tests.herdcache.edge.stack import HERDCACHE_PATH, ROOT, EdgeStack


@pytest.fixture(scope="session")
def varnish_stack() -> Iterator[EdgeStack]:
    """The edge tests' stack with Varnish as its front server (``stack.get`` goes through it)."""
    with contextlib.ExitStack() as stack:
        memcached = stack.enter_context(
            contextlib.contextmanager(run_server)("memcached-varnish", memcached_command)
        )
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="varnish-site-")))
        django_port = free_port()
        varnish = stack.enter_context(
            contextlib.contextmanager(run_varnish)(
                lambda port, _dir: render_vcl(backend=f"127.0.0.1:{django_port}", grace=10)
            )
        )
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.edge_site.settings",
            "PYTHONPATH": os.pathsep.join([str(HERDCACHE_PATH), str(ROOT)]),
            "EDGE_TEST_DB": str(workdir / "db.sqlite3"),
            "EDGE_TEST_MEMCACHED": memcached.address,
            "EDGE_TEST_VARNISH": f"http://{varnish.address}",
        }
        subprocess.run(
            [sys.executable, "-m", "django", "migrate", "-v0"],
            cwd=ROOT,
            env=env,
            check=True,
            timeout=120,
        )

        def gunicorn(port: int, _workdir: Path) -> list[str]:
            settings = [f"{k}={v}" for k, v in env.items() if k.startswith(("EDGE_TEST_", "DJANGO_", "PYTHONPATH"))]  # fmt: skip
            return [
                "env", *settings, sys.executable, "-m", "gunicorn", "tests.edge_site.wsgi:application",
                "--chdir", str(ROOT), "-b", f"127.0.0.1:{port}", "-w", "1", "-k", "gthread",
                "--threads", "8", "--graceful-timeout", "2",
            ]  # fmt: skip

        django = Server("gunicorn-varnish", django_port, workdir, gunicorn)
        stack.callback(django.stop)
        django.start()
        yield EdgeStack(varnish, django, [memcached], env)
