"""Sample content for the big screen's browser tests: an event's varied posts (scripts, emoji,
photos, long texts), drawn stand-ins for remote pictures, and the test server's screen settings."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.crowdwall.conftest import make_post
from tests.crowdwall.live.conftest import AsgiServer

TEXTS = [
    "<p>Keynote starting now! The room is packed 🎉🐍 #DjangoCon</p>",
    "<p>東京からこんにちは！DjangoCon の発表、とても楽しみです。非同期ビューの話が最高でした。</p>",
    "<p>مرحبا من المؤتمر! العرض عن قواعد البيانات كان رائعا جدا #DjangoCon</p>",
    "<p>"
    + "A very long post about migrations, caching, and the ORM that goes on and on. " * 9
    + "</p>",
    "<p>שלום מהכנס! הרצאה מעולה על אבטחה</p>",
    "<p>Coffee ☕ and stroopwafels at the sponsor booth. Who else is here for the sprints?</p>",
    "<p>Slides for my talk on async Django are up. Thanks for all the questions! 🙌</p>",
    "<p>Lightning talks in 10 minutes, main hall.</p>",
]
COLOURS = ["#e4572e", "#17bebb", "#ffc914", "#76b041", "#2e282a", "#5b5f97", "#ff6b6b", "#4ecdc4"]


def svg_image(url: str) -> str:
    """A stand-in picture for a remote image: an initial on a colour (avatars) or a scene."""
    colour = COLOURS[sum(url.encode()) % len(COLOURS)]
    if "/a/" in url:
        letter = url.rsplit("/", 1)[-1][:1].upper()
        return (
            '<svg xmlns="http://www.w3.org/2000/svg" width="96" height="96">'
            f'<rect width="96" height="96" fill="{colour}"/><text x="48" y="64" font-size="48"'
            f' text-anchor="middle" fill="#fff" font-family="sans-serif">{letter}</text></svg>'
        )
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="800" height="600">'
        f'<rect width="800" height="600" fill="{colour}"/><circle cx="600" cy="160" r="90"'
        ' fill="#fff8"/><path d="M0 600 L260 260 L460 480 L600 360 L800 600Z" fill="#0005"/>'
        "</svg>"
    )


def offline_pictures(page: Any) -> None:
    """Remote avatars and media answered here with drawn pictures (no network in tests)."""
    page.route(
        re.compile(r"^https?://(?!127\.0\.0\.1[:/])"),
        lambda route: route.fulfill(
            status=200, content_type="image/svg+xml", body=svg_image(route.request.url)
        ),
    )


def sample_posts(count: int = 24) -> list[dict[str, Any]]:
    """Posts as an event produces them: recent, varied, some with photos, some long."""
    now = datetime.now(UTC)
    names = ["Ann", "Bo", "Chidi", "Dana", "Eun-ji", "Farid", "Gus", "Hila"]
    posts = []
    for n in range(1, count + 1):
        name = names[n % len(names)]
        fields: dict[str, Any] = {
            "created_at": (now - timedelta(minutes=3 * (count - n) + 1)).isoformat(),
            "html": TEXTS[n % len(TEXTS)],
            "author": {
                "id": f"https://social.example/users/{name.lower()}",
                "handle": f"{name.lower()}@social.example",
                "display_name": name,
                "avatar_url": f"https://social.example/a/{name.lower()}.png",
            },
        }
        if n % 3 == 0:
            fields["media"] = [
                {"type": "image", "url": f"https://media.example/p/{n}.jpg", "alt": "A photo"}
            ]
        posts.append(make_post(n, **fields))
    return posts


def configure(server: AsgiServer, slug: str, wall: dict[str, Any], slides: list[Any]) -> None:
    response = httpx.post(
        f"http://{server.base}/test/walls/{slug}/screen/",
        json={"wall": wall, "slides": slides},
        timeout=30,
    )
    assert response.status_code == 200, response.text
