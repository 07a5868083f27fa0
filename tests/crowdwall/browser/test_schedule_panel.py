"""The "now / next" panel in real Chromium: per room, the talk running and the next one, moving
on by itself when a talk ends (the page's clock is Playwright's, run forward: no sleeping, no
reload), in the wall's language; the overlay shows one room. Screenshots of the screen, the
overlay and the archive by talk go to ``test-artifacts/schedule/`` for a person to look at."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.crowdwall.browser.screen_samples import configure, offline_pictures, sample_posts
from tests.crowdwall.browser.test_live_js import no_errors
from tests.crowdwall.live.conftest import ROOT, Api, AsgiServer, _env, start_asgi
from tests.crowdwall.schedule.conftest import live_schedule
from tests.fixtures.browser import ARTIFACTS
from tests.fixtures.servers import free_port

pytestmark = pytest.mark.slow

SHOTS = ARTIFACTS / "schedule"
SIZES = {"phone": (390, 844), "laptop": (1366, 768), "1080p": (1920, 1080), "4k": (3840, 2160)}


@pytest.fixture(scope="module")
def server_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[AsgiServer, dict]]:
    """The browser tests' server (pages, static files), and its environment for commands."""
    tmp = tmp_path_factory.mktemp("schedule")
    env = {
        **_env(tmp / "live.sqlite3", None, f"schedule{free_port()}"),
        "DJANGO_SETTINGS_MODULE": "tests.crowdwall.browser.server_settings",
    }
    subprocess.run(
        [sys.executable, "-m", "django", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT, env=env, check=True, timeout=120,
    )  # fmt: skip
    server = start_asgi(env, tmp / "uvicorn.log")
    try:
        yield server, env
    finally:
        server.stop()


def _import(env: dict, slug: str, data: bytes, tmp: Path) -> None:
    path = tmp / f"{slug}.json"
    path.write_bytes(data)
    subprocess.run(
        [sys.executable, "-m", "django", "crowdwall", "import-schedule", slug, str(path)],
        cwd=ROOT, env=env, check=True, timeout=120, capture_output=True,
    )  # fmt: skip


def _open(page: Any, url: str, size: str) -> None:
    width, height = SIZES[size]
    page.set_viewport_size({"width": width, "height": height})
    page.goto(url)
    expect(page.locator(".schedule-panel")).to_be_visible()
    page.wait_for_function("document.fonts.status === 'loaded'")


def _shoot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def _card(page: Any, room: str) -> Any:
    return page.locator(f'.schedule-panel .room[data-room-name="{room}"]')


def test_now_next_panel(page: Any, server_env: tuple[AsgiServer, dict], tmp_path: Path) -> None:
    server, env = server_env
    api = Api(server, slug="schedule-screen").create()
    configure(server, api.slug, {"info_text": "Wi-Fi: ponycon / pony2025"}, [])
    api.ingest(*sample_posts())
    now = datetime.now(UTC)
    _import(env, api.slug, live_schedule(now), tmp_path)
    offline_pictures(page)
    page.clock.install(time=now)
    base = f"http://{server.base}/walls/{api.slug}"

    _open(page, f"{base}/screen/", "1080p")
    hall, room_b = _card(page, "Main Hall"), _card(page, "Room B")
    expect(hall.locator(".now .title")).to_have_text("Talk running now")
    expect(hall.locator(".now .label")).to_have_text("Now")
    expect(hall.locator(".now .speakers")).to_have_text("Speaker of Talk running now")
    expect(hall.locator(".next .title")).to_have_text("The next talk")
    expect(hall.locator(".next .label")).to_have_text("In 2 minutes")
    expect(room_b.locator(".now")).to_have_count(0)
    expect(room_b.locator(".next .label")).to_have_text("In 60 minutes")
    for size in SIZES:
        _open(page, f"{base}/screen/", size)
        _shoot(page, f"screen-{size}")

    # The running talk ends: the next one is "now", without a reload.
    page.evaluate("window.notReloaded = true")
    page.clock.run_for("03:00")
    expect(hall.locator(".now .title")).to_have_text("The next talk")
    expect(hall.locator(".next")).to_have_count(0)
    assert page.evaluate("window.notReloaded") is True

    # In the wall's language; the overlay of one room's stream.
    configure(server, api.slug, {"languages": ["de"]}, [])
    _open(page, f"{base}/overlay/?schedule=1&room=Main+Hall&background=chroma", "1080p")
    expect(page.locator(".schedule-panel .room")).to_have_count(1)
    expect(_card(page, "Main Hall").locator(".now .label")).to_have_text("Jetzt")
    _shoot(page, "overlay-1080p")

    for size in SIZES:
        width, height = SIZES[size]
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{base}/archive/talks/")
        expect(page.locator("section.talk").first).to_be_visible()
        _shoot(page, f"archive-talks-{size}")
    no_errors(page)
