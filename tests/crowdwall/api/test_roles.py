"""Every staff API operation against every role (``crowdwall.moderation.access``): the table of
operation × caller → status, on the "djangocon" wall."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from crowdwall.ingest.prepare import BatchResult
from crowdwall.models import BannedAuthor, BannedWord, NeverShow, Source, TrustedAccount, Wall
from crowdwall.schedule.importer import import_schedule
from tests.crowdwall.api.test_permissions import call
from tests.crowdwall.conftest import make_post
from tests.crowdwall.moderation.roles import callers, expected, statuses
from tests.crowdwall.schedule.conftest import sample

__all__ = ["callers"]  # the fixture, imported for pytest

W = "/api/walls/djangocon"
ICS = sample("schedule.ics").decode()
TALK = "pretalx-ponycon-2025-FORM04@pretalx.example"  # one of ICS's talks
NEW_SOURCE = {"name": "feed", "kind": "rss", "config": {"url": "https://example.com/feed"}}

# (method, path, body, what it needs, status when allowed)
OPERATIONS = [
    ("post", "/api/walls/", {"name": "New wall", "slug": "new-wall"}, "site", 201),
    ("patch", f"{W}/", {"info_text": "Welcome"}, "organise", 200),
    ("post", f"{W}/moderation/", {"action": "pin", "posts": ["{post}"]}, "moderate", 200),
    ("get", f"{W}/moderation-log/", None, "view", 200),
    ("get", f"{W}/bans/authors/", None, "view", 200),
    ("post", f"{W}/bans/authors/", {"account": "@spammer@example.com"}, "moderate", 201),
    ("delete", f"{W}/bans/authors/?account=@old@example.com", None, "moderate", 204),
    ("get", f"{W}/bans/words/", None, "view", 200),
    ("post", f"{W}/bans/words/", {"word": "spam"}, "moderate", 201),
    ("delete", f"{W}/bans/words/?word=old", None, "moderate", 204),
    ("get", f"{W}/sources/", None, "organise", 200),
    ("post", f"{W}/sources/", NEW_SOURCE, "organise", 201),
    ("get", f"{W}/sources/{{source}}/", None, "organise", 200),
    ("patch", f"{W}/sources/{{source}}/", {"enabled": False}, "organise", 200),
    ("delete", f"{W}/sources/{{source}}/", None, "organise", 204),
    ("get", f"{W}/never-show/", None, "view", 200),
    ("post", f"{W}/never-show/", {"account": "@shy@example.com"}, "moderate", 201),
    ("delete", f"{W}/never-show/?account=@old@example.com", None, "moderate", 204),
    ("get", "/api/never-show/", None, "site", 200),
    ("post", "/api/never-show/", {"account": "@shy@example.com"}, "site", 201),
    ("delete", "/api/never-show/?account=@old@example.com", None, "site", 204),
    ("get", f"{W}/trusted/", None, "view", 200),
    ("post", f"{W}/trusted/", {"account": "@friend@example.com"}, "organise", 201),
    ("delete", f"{W}/trusted/?account=@old@example.com", None, "organise", 204),
    ("get", f"{W}/posts/?state=pending", None, "view", 200),
    ("get", f"{W}/analytics/?range=day", None, "view", 200),
    ("put", f"{W}/schedule/", {"content": ICS}, "organise", 200),
    ("patch", f"{W}/schedule/talks/{{talk}}/", {"keywords": ["forms"]}, "organise", 200),
]
# Not here, because public (no auth; tests/crowdwall/api/test_walls.py, test_posts.py,
# test_schedule.py): the wall list, a wall, its count, top authors and posts, approved posts
# and one post, the schedule.


@pytest.fixture
def targets(wall: Wall, source: Source, store: Callable[..., BatchResult]) -> dict[str, Any]:
    post = store(make_post(1)).events[0].post_id
    BannedAuthor.objects.create(wall=wall, account="@old@example.com")
    BannedWord.objects.create(wall=wall, word="old")
    NeverShow.objects.create(wall=wall, account="@old@example.com")
    NeverShow.objects.create(wall=None, account="@old@example.com")
    TrustedAccount.objects.create(wall=wall, account="@old@example.com")
    import_schedule(wall, ICS.encode(), source="schedule.ics")
    return {"source": source.pk, "post": post, "talk": TALK}


@pytest.mark.parametrize(
    ("method", "path", "body", "needs", "ok"),
    OPERATIONS,
    ids=[f"{m.upper()} {p}" for m, p, *_ in OPERATIONS],
)
def test_each_role_gets_what_it_may(callers, targets, method, path, body, needs, ok):
    got = statuses(callers, lambda client: call(client, method, path, body, targets))
    # Anonymous callers are asked to authenticate (401), except on the public post list, where
    # only the staff filter is refused (403, as test_posts has it): the list itself is open.
    anonymous = 403 if "/posts/" in path else 401
    assert got == expected(needs, ok, anonymous=anonymous)


def test_a_refusal_is_the_api_error_shape(callers, targets):
    client = callers["viewer"].client()
    response = call(client, "post", f"{W}/bans/words/", {"word": "spam"}, targets)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert "role" in response.json()["error"]["message"]
    assert not BannedWord.objects.filter(word="spam").exists()


def test_the_wall_list_shows_inactive_walls_only_to_those_with_a_role(callers, wall):
    Wall.objects.filter(slug="pycon").update(is_active=False)
    wall.is_active = False
    wall.save()

    def slugs(name: str) -> set[str]:
        response = callers[name].client().get("/api/walls/")
        return {row["slug"] for row in response.json()["objects"]}

    assert slugs("staff") == {"djangocon", "pycon"}
    assert slugs("viewer") == {"djangocon"}
    assert slugs("organiser_elsewhere") == {"pycon"}
    assert slugs("member") == set()
    assert callers["organiser_elsewhere"].client().get(f"{W}/").status_code == 404
    assert callers["viewer"].client().get(f"{W}/").status_code == 200
