"""One scenario's wall and posts, named in the users' words ("a post by ann saying ...").

Each scenario gets a fresh wall on the shared site; posts are remembered by their text so steps
can say "the post 'Lunch is served'" and find its id. Creation times increase with every post
(the newest post is the last one written), all within the last hour.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.acceptance.stack import Site

_walls = itertools.count(1)


def author(name: str) -> dict[str, str]:
    """An author on a made-up Mastodon server (no avatar: the browser fetches nothing external)."""
    return {
        "id": f"https://social.example/users/{name}",
        "handle": f"{name}@social.example",
        "display_name": name.capitalize(),
        "profile_url": f"https://social.example/@{name}",
    }


@dataclass
class Scene:
    """A fresh wall on the site and the posts written to it so far."""

    site: Site
    base: str = ""  # where visitors go: the site itself, or the nginx edge in front of it
    slug: str = field(default_factory=lambda: f"wall-{os.getpid()}-{next(_walls)}")
    ids: dict[str, int] = field(default_factory=dict)  # text -> post id
    authors: dict[str, str] = field(default_factory=dict)  # text -> author name
    start: datetime = field(default_factory=lambda: datetime.now(UTC) - timedelta(hours=1))
    _numbers: Any = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self.base = self.base or self.site.base

    def create(self, **options: Any) -> Scene:
        self.site.control(f"walls/{self.slug}/", options)
        return self

    def post(self, text: str, by: str = "ann", *, boost: bool = False) -> dict[str, Any]:
        """A post in crowdwall's JSON format, newer than every post made before it."""
        number = next(self._numbers)
        self.authors[text] = by
        return {
            "id": f"{self.slug}-{number}",
            "created_at": (self.start + timedelta(seconds=number)).isoformat(),
            "author": author(by),
            "html": f"<p>{text}</p>",
            "language": "en",
            "boost": boost,
            "url": f"https://social.example/@{by}/{number}",
        }

    def ingest(self, *posts: dict[str, Any]) -> None:
        """Ingest through the running server (its sockets get the live events)."""
        ids = self.site.control(f"walls/{self.slug}/ingest/", list(posts))["ids"]
        self._remember(posts, ids)

    def ingest_offline(self, *posts: dict[str, Any]) -> None:
        """Ingest from a separate process straight into the database (the server may be down)."""
        self.site.ingest_offline(self.slug, list(posts))

    def _remember(self, posts: tuple[dict[str, Any], ...], ids: dict[str, int]) -> None:
        for post in posts:
            text = post["html"].removeprefix("<p>").removesuffix("</p>")
            self.ids[text] = ids[post["id"]]

    def id_of(self, text: str) -> int:
        return self.ids[text]

    def texts_by(self, name: str) -> list[str]:
        return [text for text, by in self.authors.items() if by == name]

    def url(self, page: str = "") -> str:
        """One of the wall's pages: "" (the wall), "archive/", "screen/", "moderate/" ..."""
        return f"{self.base}/walls/{self.slug}/{page}"
