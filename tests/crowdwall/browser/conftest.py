"""A real ASGI server (uvicorn, in a subprocess) serving crowdwall's pages, static files and
WebSockets, for Chromium to load (``page`` from ``tests.fixtures.browser``)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.crowdwall.browser.screen_samples import configure, sample_posts
from tests.crowdwall.live.conftest import ROOT, Api, AsgiServer, _env, start_asgi
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


@pytest.fixture(scope="module")
def event_wall(page_server: AsgiServer) -> Api:
    """One wall with an event's posts, a brand colour, and a sponsor slide every 5 posts."""
    api = Api(page_server, slug="screens").create()
    configure(
        page_server,
        api.slug,
        {"brand_color": "#7b2cbf", "slide_every": 5, "info_text": "Wi-Fi: djangocon / pony2026"},
        [{"title": "Thanks to our sponsors", "text": "Coffee by Stroopwafel & Co."}],
    )
    api.ingest(*sample_posts())
    return api
