"""A real ASGI server (uvicorn, in a subprocess) serving crowdwall's pages, static files and
WebSockets, for Chromium to load (``page`` from ``tests.fixtures.browser``)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.crowdwall.live.conftest import ROOT, AsgiServer, _env, start_asgi
from tests.fixtures.servers import free_port


@pytest.fixture(scope="module")
def page_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AsgiServer]:
    """One server process (in-memory channel layer) with the pages and the test endpoints."""
    tmp = tmp_path_factory.mktemp("browser")
    env = {
        **_env(tmp / "live.sqlite3", None, f"browser{free_port()}"),
        "DJANGO_SETTINGS_MODULE": "tests.crowdwall.browser.server_settings",
    }
    subprocess.run(
        [sys.executable, "-m", "django", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT, env=env, check=True, timeout=120,
    )  # fmt: skip
    server = start_asgi(env, tmp / "uvicorn.log")
    try:
        yield server
    finally:
        server.stop()
