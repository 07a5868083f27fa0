"""The running site the scenarios drive: uvicorn on a migrated SQLite file, herdcache on a real
memcached, and (for ``@edge``) the nginx that ``herdcache.edge.nginx`` generates in front of it.

``Site.restart()`` stops the server and starts it again on the same port, as a deploy would;
``Site.control(...)`` sets the scene through the site's test-only endpoints
(``tests.acceptance.site.control``), so events reach the browsers' sockets in that process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.fixtures.servers import Server, free_port

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = "tests.acceptance.site.settings"


def site_env(db: Path, memcached: str) -> dict[str, str]:
    """The environment of every process of the site (server, migrate, offline ingest)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": SETTINGS,
        "CROWDWALL_TEST_DB": str(db),
        "ACCEPTANCE_MEMCACHED": memcached,
        "ACCEPTANCE_EDGE": "1",
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")]),
        "PYTHONUNBUFFERED": "1",
    }
    # The browser fixture sets this for the test process; the server must keep Django's guard
    # against ORM calls from async code, as in production.
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return env


def manage(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    """Run ``python -m <module or django> ...`` in the site's environment; its stdout."""
    done = subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, env=env, input=stdin,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"{args} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


@dataclass
class Site:
    """The uvicorn server of the acceptance site (one process: the in-memory channel layer)."""

    server: Server
    env: dict[str, str]

    @classmethod
    def start(cls, workdir: Path, memcached: str) -> Site:
        env = site_env(workdir / "site.sqlite3", memcached)
        manage(env, "django", "migrate", "--noinput", "-v", "0")
        settings = [
            f"{k}={v}"
            for k, v in env.items()
            if k.startswith(("DJANGO_", "CROWDWALL_", "ACCEPTANCE_", "PYTHON"))
        ]

        def uvicorn(port: int, _workdir: Path) -> list[str]:
            return [
                "env", "-u", "DJANGO_ALLOW_ASYNC_UNSAFE", *settings, sys.executable, "-m", "uvicorn", "tests.acceptance.site.asgi:application",
                "--app-dir", str(ROOT), "--host", "127.0.0.1", "--port", str(port),
                "--ws", "websockets-sansio", "--lifespan", "off", "--log-level", "warning",
                "--timeout-graceful-shutdown", "2",
            ]  # fmt: skip

        server = Server("uvicorn", free_port(), workdir, uvicorn)
        try:
            server.start()
        except Exception:
            raise RuntimeError(server.log.read_text(errors="replace")) from None
        return cls(server, env)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    def url(self, path: str) -> str:
        return self.base + path

    def stop(self) -> None:
        self.server.stop()

    def restart(self) -> None:
        """Stop the server and start it again on the same port (open pages must reconnect)."""
        self.server.restart()

    def control(self, path: str, body: Any = None) -> dict[str, Any]:
        """POST to a test-only control endpoint (``/control/<path>``); its JSON answer."""
        response = httpx.post(f"{self.base}/control/{path}", content=json.dumps(body), timeout=30)
        assert response.status_code == 200, response.text
        return response.json()

    def ingest_offline(self, slug: str, posts: list[dict[str, Any]]) -> None:
        """Ingest in a separate process, straight into the database (works while we are down)."""
        manage(self.env, "tests.acceptance.site.offline", slug, stdin=json.dumps(posts))
