"""Shared checks for browser tests of whole pages: screenshots at the four sizes people use
(saved on every run, for a person to look at) and axe-core's accessibility rules.

    photos(page)                   # avatars and photos on other hosts: a 4:3 picture
    api.ingest(*replay_posts(40))  # the demo's posts: languages, media, boosts, warnings
    shoot(page, "wall")            # test-artifacts/pages/<size>/wall.png, every size
    assert axe_problems(page) == []
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import crowdwall
from tests.fixtures.browser import ARTIFACTS

SIZES = {"phone": (390, 844), "laptop": (1366, 768), "1080p": (1920, 1080), "4k": (3840, 2160)}
SHOTS = ARTIFACTS / "pages"
SERIOUS = ("serious", "critical")
REPLAY = Path(crowdwall.__file__).parent / "sources" / "data" / "replay.jsonl"
PHOTO = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="800" height="600">'
    '<rect width="800" height="600" fill="#8fb3c9"/></svg>'
)


def photos(page: Any) -> None:
    """Answer every request to another host with a 4:3 picture, as a real photo or avatar would."""
    page.route(
        re.compile(r"^https?://(?!127\.0\.0\.1[:/])"),
        lambda route: route.fulfill(status=200, content_type="image/svg+xml", body=PHOTO),
    )


def replay_posts(count: int) -> list[dict[str, Any]]:
    """The first ``count`` posts of the bundled demo replay, for walls that look real."""
    lines = REPLAY.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()][:count]


def shoot(page: Any, name: str, sizes: dict[str, tuple[int, int]] = SIZES) -> list[Path]:
    """Screenshot what fits the screen at each size as ``test-artifacts/pages/<size>/<name>.png``."""
    original = page.viewport_size
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", name)
    paths = []
    try:
        for size, (width, height) in sizes.items():
            page.set_viewport_size({"width": width, "height": height})
            path = SHOTS / size / f"{name}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(path))
            paths.append(path)
    finally:
        if original:
            page.set_viewport_size(original)
    return paths


def axe_problems(page: Any, impacts: tuple[str, ...] = SERIOUS) -> list[str]:
    """axe-core's violations of ``impacts`` on the page as it is now, one readable line each."""
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + "; ".join(" ".join(node["target"]) for node in v["nodes"][:5])
        for v in violations
        if v["impact"] in impacts
    ]
