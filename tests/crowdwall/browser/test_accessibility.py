"""Every page of crowdwall in real Chromium: no serious or critical axe-core violation at phone
and laptop sizes, and screenshots at phone, laptop, 1080p and 4K saved on every run under
``test-artifacts/pages/<size>/`` for a person to look at."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.crowdwall.browser.pages import SIZES, axe_problems, photos, replay_posts, shoot
from tests.crowdwall.live.conftest import Api, AsgiServer

pytestmark = pytest.mark.slow

PAGES = {
    "wall-list": "/walls/",
    "wall": "/walls/{slug}/",
    "archive": "/walls/{slug}/archive/",
    "screen": "/walls/{slug}/screen/",
    "screen-light": "/walls/{slug}/screen/?theme=light",
    "overlay": "/walls/{slug}/overlay/",
    "moderate": "/walls/{slug}/moderate/",
    "moderate-approved": "/walls/{slug}/moderate/?state=approved",
    "moderate-log": "/walls/{slug}/moderate/log/",
    "quarantine": "/walls/{slug}/moderate/quarantine/",
}
STAFF_ONLY = ("moderate", "moderate-approved", "moderate-log", "quarantine")


@pytest.fixture(scope="module")
def rich_wall(page_server: AsgiServer) -> Iterator[Api]:
    api = Api(page_server).create()
    ids = api.ingest(*replay_posts(40))
    api.moderate(ids["replay-0007"], "pending")
    api.moderate(ids["replay-0008"], "rejected")
    yield api


@pytest.mark.parametrize("name", PAGES)
def test_page_is_accessible_at_every_size(
    name: str, page: Any, page_server: AsgiServer, rich_wall: Api
):
    photos(page)
    path = PAGES[name].format(slug=rich_wall.slug)
    if name in STAFF_ONLY:
        path = f"/test/login/?next={path}"
    response = page.goto(f"http://{page_server.base}{path}")
    assert response is not None and response.status == 200
    page.wait_for_load_state("networkidle")
    shoot(page, name)
    for size in ("phone", "laptop"):
        width, height = SIZES[size]
        page.set_viewport_size({"width": width, "height": height})
        assert axe_problems(page) == [], size
