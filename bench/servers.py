"""Servers for the benchmarks, started with the test suite's helpers (``tests.fixtures``).

Each ``with`` block starts a server on a free loopback port in its own temporary folder and stops
it (SIGTERM, then SIGKILL) and removes the folder when the block exits, also on errors and
timeouts; on an error the tail of the server's log is printed first.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx
from tests.fixtures.nginx import run_nginx
from tests.fixtures.nginx_generated import run_generated
from tests.fixtures.servers import Server, memcached_command, run_server
from tests.fixtures.varnish import run_varnish

from bench import ROOT
from bench.report import console

Command = Callable[[int, Path], list[str]]
Config = Callable[[int, Path], str]  # (port, prefix folder) -> nginx config text


@contextmanager
def running(name: str, command: Command) -> Iterator[Server]:
    """Run ``command`` as a server for the duration of the block."""
    with _served(run_server(name, command)) as server:
        yield server


@contextmanager
def nginx(name: str, config: Config) -> Iterator[Server]:
    """nginx on a full config written for its port and prefix folder (checked with ``nginx -t``)."""
    with _served(run_nginx(config, name)) as server:
        yield server


@contextmanager
def generated_nginx(name: str, render: Config) -> Iterator[Server]:
    """nginx on a config from ``herdcache.edge.nginx.render_config`` (prefix: its folder)."""
    with _served(run_generated(render, name=name)) as server:
        yield server


@contextmanager
def varnish(name: str, render: Config) -> Iterator[Server]:
    """varnishd on the VCL ``render(port, folder)`` returns (checked with ``varnishd -C``)."""
    with _served(run_varnish(render, name)) as server:
        yield server


@contextmanager
def _served(lifecycle: Iterator[Server]) -> Iterator[Server]:
    server = next(lifecycle)
    try:
        yield server
    except BaseException:
        _print_log_tail(server)
        raise
    finally:
        lifecycle.close()  # run_server's finally: stop the process, remove its folder


@contextmanager
def memcached() -> Iterator[Server]:
    """A throwaway memcached (64 MB, 2 threads)."""
    with running("memcached", memcached_command) as server:
        yield server


def gunicorn_command(
    memcached_address: str, options: Sequence[str], env: dict[str, str]
) -> Command:
    """Command line of gunicorn serving the bench site against ``memcached_address``."""

    def command(port: int, workdir: Path) -> list[str]:
        settings = {"BENCH_MEMCACHED": memcached_address, **env}
        return [
            sys.executable, "-m", "gunicorn", "bench.site.wsgi:application",
            "--bind", f"127.0.0.1:{port}", "--chdir", str(ROOT),
            "--graceful-timeout", "3", "--log-level", "warning",
            "--env", "DJANGO_SETTINGS_MODULE=bench.site.settings",
            *[f"--env={key}={value}" for key, value in settings.items()],
            *options,
        ]  # fmt: skip

    return command


@contextmanager
def gunicorn(
    memcached_address: str, options: Sequence[str], env: dict[str, str] | None = None
) -> Iterator[Server]:
    """gunicorn serving the bench site; the block starts once every worker answers."""
    command = gunicorn_command(memcached_address, options, env or {})
    with running("gunicorn", command) as server:
        wait_until_serving(f"http://{server.address}/ping/")
        yield server


def wait_until_serving(url: str, timeout: float = 30.0) -> None:
    """Poll ``url`` until it answers 200 (the master listens before its workers have booted)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(url, timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url} did not answer 200 within {timeout}s")
        time.sleep(0.1)  # readiness poll: there is no event to wait on


def _print_log_tail(server: Server, lines: int = 30) -> None:
    # nginx writes its errors to error.log in its prefix folder, beside the captured output.
    for log in (server.log, server.workdir / "error.log"):
        try:
            tail = log.read_text(errors="replace").splitlines()[-lines:]
        except OSError:
            continue
        if tail:
            console.print(f"[dim]--- last lines of {server.name}'s {log.name} ---[/dim]")
            console.print("\n".join(tail), markup=False, highlight=False)
