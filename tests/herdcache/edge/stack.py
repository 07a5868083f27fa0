"""A whole edge stack for end-to-end tests: memcached node(s), Django under gunicorn, nginx.

Django runs ``tests.edge_site`` (a real site with herdcache edge pages) on a migrated SQLite
file; nginx runs the config ``herdcache.edge.nginx`` generates, as a user would run it.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.client import HTTPResponse
from pathlib import Path

import herdcache
from herdcache.edge.nginx import render_config
from tests.fixtures.nginx_generated import run_generated
from tests.fixtures.servers import Server, free_port, memcached_command, run_server

ROOT = Path(__file__).resolve().parents[3]
# Where this test process found herdcache (this checkout's src/, or an installed wheel's
# site-packages): the site under test must run that same code.
HERDCACHE_PATH = Path(herdcache.__file__).resolve().parent.parent


@dataclass
class Reply:
    status: int
    headers: dict[str, str]  # lower-cased names; the last line wins for a repeated header
    body: bytes
    lines: list[tuple[str, str]] = field(default_factory=list)  # every header line, in order

    @property
    def from_edge(self) -> bool:
        return self.headers.get("x-herdcache") == "edge"

    def joined(self, name: str) -> str | None:
        """A header's lines joined as one list value (RFC 9110 §5.3), or None when absent."""
        values = [value for key, value in self.lines if key.lower() == name.lower()]
        return ", ".join(values) if values else None


def raw_get(
    port: int, target: bytes, *, host: str = "example.com", headers: dict[str, str] | None = None
) -> Reply:
    """GET with the request target sent byte for byte (no client-side normalisation)."""
    lines = [b"GET " + target + b" HTTP/1.1", f"Host: {host}".encode(), b"Connection: close"]
    lines += [f"{name}: {value}".encode() for name, value in (headers or {}).items()]
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(b"\r\n".join(lines) + b"\r\n\r\n")
        response = HTTPResponse(sock)
        response.begin()
        body = response.read()
        lines = response.getheaders()
        return Reply(response.status, {k.lower(): v for k, v in lines}, body, lines)


@dataclass
class EdgeStack:
    nginx: Server
    django: Server
    memcached: list[Server]
    env: dict[str, str]

    @property
    def port(self) -> int:
        return self.nginx.port

    def get(self, path: str, **kwargs) -> Reply:
        return raw_get(self.port, path.encode(), **kwargs)

    def manage(self, *args: str) -> str:
        """Run a management command against the site's database and cache."""
        done = subprocess.run(
            [sys.executable, "-m", "django", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return done.stdout

    def renders(self, name: str) -> int:
        reply = raw_get(self.django.port, f"/renders/{name}".encode())
        return json.loads(reply.body)["renders"]

    def purge(
        self, *, urls: tuple[str, ...] = (), tags: tuple[str, ...] = (), soft: bool = False
    ) -> int:
        return self.purge_reply(urls=urls, tags=tags, soft=soft)["purged"]

    def purge_reply(
        self,
        *,
        urls: tuple[str, ...] = (),
        tags: tuple[str, ...] = (),
        soft: bool = False,
        rewarm: bool = False,
    ) -> dict:
        """Purge in Django: ``{"purged": n, "log": {"matched": n, "tiers": [...]}}``."""
        form = "&".join(
            [
                *(f"url={u}" for u in urls),
                *(f"tag={t}" for t in tags),
                f"soft={int(soft)}",
                f"rewarm={int(rewarm)}",
            ]
        )
        with socket.create_connection(("127.0.0.1", self.django.port), timeout=30) as sock:
            body = form.encode()
            sock.sendall(
                b"POST /purge/ HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\n"
                + f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            response = HTTPResponse(sock)
            response.begin()
            return json.loads(response.read())


@contextlib.contextmanager
def edge_stack(
    *, nodes: int = 1, trust: bool = True, local_ttl: int = 0, cache_status: bool = False
) -> Iterator[EdgeStack]:
    """Start memcached, nginx, and a migrated Django site under gunicorn; stop them all.

    With ``local_ttl`` nginx has a local proxy_cache tier and Django purges it (PURGE requests);
    ``cache_status`` turns on HERDCACHE["CACHE_STATUS"] in Django and in the nginx config.
    """
    with contextlib.ExitStack() as stack:
        memcached = [
            stack.enter_context(
                contextlib.contextmanager(run_server)(f"memcached{i}", memcached_command)
            )
            for i in range(nodes)
        ]
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="edge-site-")))
        django_port = free_port()

        def nginx(port: int, prefix: Path) -> str:
            return render_config(
                listen=f"127.0.0.1:{port}",
                upstream=f"127.0.0.1:{django_port}",
                servers=[server.address for server in memcached],
                prefix=str(prefix),
                worker_processes=1,
                local_ttl=local_ttl,
                cache_status=cache_status,
            )

        proxy = stack.enter_context(contextlib.contextmanager(run_generated)(nginx))
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.edge_site.settings",
            # The herdcache under test first: the venv's editable install may point at another
            # checkout (and a wheel test must not pick up this checkout's src/ with crowdwall).
            "PYTHONPATH": os.pathsep.join([str(HERDCACHE_PATH), str(ROOT)]),
            "EDGE_TEST_DB": str(workdir / "db.sqlite3"),
            "EDGE_TEST_MEMCACHED": ",".join(server.address for server in memcached),
            "EDGE_TEST_TRUST": "1" if trust else "0",
            "EDGE_TEST_PURGE_NODES": proxy.address if local_ttl else "",
            "EDGE_TEST_CACHE_STATUS": "1" if cache_status else "0",
            "EDGE_TEST_REWARM_ORIGIN": f"http://{proxy.address}",
        }
        subprocess.run(
            [sys.executable, "-m", "django", "migrate", "-v0"],
            cwd=ROOT,
            env=env,
            check=True,
            timeout=120,
        )

        def gunicorn(port: int, _workdir: Path) -> list[str]:
            settings = [
                f"{k}={v}"
                for k, v in env.items()
                if k.startswith(("EDGE_TEST_", "DJANGO_", "PYTHONPATH"))
            ]
            return [
                "env", *settings, sys.executable, "-m", "gunicorn", "tests.edge_site.wsgi:application",
                "--chdir", str(ROOT), "-b", f"127.0.0.1:{port}", "-w", "2", "-k", "gthread",
                "--threads", "64", "--graceful-timeout", "2",
            ]  # fmt: skip

        django = Server("gunicorn", django_port, workdir, gunicorn)
        stack.callback(django.stop)
        django.start()
        yield EdgeStack(proxy, django, memcached, env)
