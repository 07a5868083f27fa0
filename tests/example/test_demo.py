"""``make demo``'s server, for real: the example project under daphne's runserver on embedded
defaults (SQLite, local-memory cache, in-memory channel layer) pushes the replay source's posts
to a WebSocket client, because the sources run inside the server (crowdwall.live.embedded);
``/`` is a landing page linking every page of both demo walls; the posts' avatars are served."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websockets

from tests.fixtures.servers import free_port, wait_for_port

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "example"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("demo")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("CROWDWALL_") and key != "DJANGO_SETTINGS_MODULE"
    }
    env.update(CROWDWALL_SQLITE_PATH=str(tmp / "demo.sqlite3"), PYTHONUNBUFFERED="1")
    # This checkout's code first, also when PYTHONPATH was given relative to the root (src).
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])

    def manage(*args: str) -> None:
        subprocess.run(
            [sys.executable, "manage.py", *args], cwd=EXAMPLE, env=env, check=True, timeout=120
        )

    manage("migrate", "--noinput", "-v0")
    port = free_port()
    manage("crowdwall", "demo", "--rate", "20", "--site-url", f"http://127.0.0.1:{port}")
    log = open(tmp / "server.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=EXAMPLE, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        wait_for_port(port, proc)
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_the_demo_wall_is_live_out_of_the_box(demo: str):
    page = httpx.get(f"http://{demo}/walls/djangocon/", timeout=30)
    assert page.status_code == 200 and "data-live-root" in page.text

    async def two_posts() -> list[dict]:
        url = f"ws://{demo}/ws/walls/djangocon/"
        async with websockets.connect(url, origin=f"http://{demo}") as ws:
            frames: list[dict] = []
            while len([f for f in frames if f.get("type") == "post.new"]) < 2:
                message = json.loads(await asyncio.wait_for(ws.recv(), 30))
                frames.extend(message if isinstance(message, list) else [message])
            return frames

    frames = asyncio.run(two_posts())
    posts = [f for f in frames if f["type"] == "post.new"]
    assert posts[0]["id"] != posts[1]["id"]
    assert posts[0]["post"]["html"]  # sanitized replay content


def test_the_landing_page_links_every_page_of_both_demo_walls(demo: str):
    page = httpx.get(f"http://{demo}/", timeout=30)
    assert page.status_code == 200 and "<h1>crowdwall</h1>" in page.text
    for slug in ("djangocon", "djangocon-moderated"):
        for path in ("", "screen/", "overlay/", "archive/", "moderate/"):
            assert f'href="/walls/{slug}/{path}"' in page.text
        assert f'href="/api/walls/{slug}/posts/"' in page.text
    assert httpx.get(f"http://{demo}/cache-demo/", timeout=30).status_code == 200  # moved here
    icon = httpx.get(f"http://{demo}/favicon.ico", timeout=30, follow_redirects=True)
    assert icon.status_code == 200  # no 404 in the browser's console


def test_the_demo_posts_avatars_and_photos_load_from_the_demo_itself(demo: str):
    posts = httpx.get(f"http://{demo}/api/walls/djangocon/posts/", timeout=30).json()["objects"]
    avatars = {p["author"]["avatar_url"] for p in posts} - {""}
    assert avatars and all(a.startswith(f"http://{demo}/static/crowdwall/demo/") for a in avatars)
    picture = httpx.get(sorted(avatars)[0], timeout=30)
    assert picture.status_code == 200 and picture.text.startswith("<svg")
