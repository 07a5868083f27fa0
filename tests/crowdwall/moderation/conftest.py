"""A real ASGI server (uvicorn) serving the moderation screen and its WebSocket, and logged-in
HTTP/WebSocket clients for it (session cookies from a real login)."""

from __future__ import annotations

import secrets
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect

from tests.crowdwall.live.conftest import ROOT, TIMEOUT, AsgiServer, _env, start_asgi
from tests.fixtures.servers import free_port


@pytest.fixture(scope="module")
def mod_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AsgiServer]:
    """One uvicorn process (in-memory channel layer) with crowdwall's pages mounted."""
    tmp = tmp_path_factory.mktemp("moderation")
    env = _env(tmp / "moderation.sqlite3", None, f"mod{free_port()}")
    env["DJANGO_SETTINGS_MODULE"] = "tests.crowdwall.moderation.server_settings"
    subprocess.run(
        [sys.executable, "-m", "django", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT, env=env, check=True, timeout=120,
    )  # fmt: skip
    server = start_asgi(env, tmp / "uvicorn.log")
    try:
        yield server
    finally:
        server.stop()


class Session:
    """One browser: an HTTP client with a session cookie (after ``login``) and a CSRF token."""

    def __init__(self, server: AsgiServer) -> None:
        self.server = server
        self.csrf = secrets.token_hex(16)  # 32 characters: a valid CSRF secret
        self.http = httpx.AsyncClient(base_url=f"http://{server.base}", timeout=30)
        self.http.cookies.set("csrftoken", self.csrf, domain="127.0.0.1")

    async def login(self, username: str, *, staff: bool) -> Session:
        response = await self.http.get(f"/test/login/{username}/", params={"staff": int(staff)})
        assert response.status_code == 200, response.text
        self.csrf = self.http.cookies["csrftoken"]  # logging in rotates the token
        return self

    @property
    def cookie(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.http.cookies.items())

    async def post(self, path: str, data: dict[str, Any], **headers: str) -> httpx.Response:
        headers = {"X-CSRFToken": self.csrf, "Accept": "application/json", **headers}
        return await self.http.post(path, data=data, headers=headers)

    def ws(self, slug: str, query: str = "", origin: str = "http://127.0.0.1") -> Any:
        url = f"ws://{self.server.base}/ws/walls/{slug}/moderate/{query}"
        headers = {"Cookie": self.cookie} if self.http.cookies else {}
        return connect(url, origin=origin, additional_headers=headers, open_timeout=TIMEOUT)  # type: ignore[arg-type]

    async def aclose(self) -> None:
        await self.http.aclose()
