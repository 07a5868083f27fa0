"""The API on a real ASGI server (uvicorn subprocess): a moderation made through the API
reaches open wall pages over their WebSockets, and public reads follow it."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from tests.crowdwall.conftest import make_post
from tests.crowdwall.live.conftest import ROOT, Api, AsgiServer, _env, client, receive, start_asgi

pytestmark = pytest.mark.slow

API_TOKEN = "live-server-token-0123456789"


@pytest.fixture(scope="module")
def api_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AsgiServer]:
    tmp = tmp_path_factory.mktemp("api-live")
    env = {
        **_env(tmp / "live.sqlite3", None, "apilive"),
        "DJANGO_SETTINGS_MODULE": "tests.crowdwall.api.server_settings",
        "CROWDWALL_TEST_API_TOKEN": API_TOKEN,
    }
    for command in (
        ["migrate", "--noinput", "-v", "0"],
        [
            "shell",
            "-c",
            "from django.contrib.auth.models import User; User.objects.create_user('mod', is_staff=True)",
        ],
    ):
        subprocess.run(
            [sys.executable, "-m", "django", *command], cwd=ROOT, env=env, check=True, timeout=120
        )
    server = start_asgi(env, tmp / "uvicorn.log")
    yield server
    server.stop()


def test_moderation_through_the_api_reaches_open_pages(api_server: AsgiServer):
    wall = Api(api_server).create()
    base = f"http://{api_server.base}/api/walls/{wall.slug}"
    staff = {"Authorization": f"Bearer {API_TOKEN}"}

    async def scenario() -> None:
        async with client(wall.ws_url()) as ws:
            post = make_post()
            pid = wall.ingest(post)[post["id"]]
            assert (await receive(ws))["type"] == "post.new"
            async with httpx.AsyncClient(timeout=30) as http:
                listed = (await http.get(f"{base}/posts/")).json()
                assert [p["id"] for p in listed["objects"]] == [pid]
                # Without credentials: refused, and nothing reaches the page.
                refused = await http.post(
                    f"{base}/moderation/", json={"action": "reject", "posts": [pid]}
                )
                assert refused.status_code == 401
                done = await http.post(
                    f"{base}/moderation/", json={"action": "reject", "posts": [pid]}, headers=staff
                )
                assert done.json() == {"changed": 1}
                assert await receive(ws) == {"type": "post.delete", "id": pid}
                # The public list no longer shows it (the cached copy was purged); the log does.
                for _ in range(3):
                    listed = (await http.get(f"{base}/posts/")).json()
                    if not listed["objects"]:
                        break
                assert listed["objects"] == []
                log = (await http.get(f"{base}/moderation-log/", headers=staff)).json()
                assert [(e["actor"], e["action"], e["post_id"]) for e in log["objects"]] == [
                    ("mod", "reject", pid)
                ]

    asyncio.run(scenario())
