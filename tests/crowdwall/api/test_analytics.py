"""The analytics endpoint: the page's figures as JSON, bad ranges as 422, in the schema."""

from __future__ import annotations

from typing import Any

import pytest

from crowdwall.models import PostWall
from crowdwall.moderation.actions import set_state
from tests.crowdwall.conftest import make_post

URL = "/api/walls/djangocon/analytics/"


def test_the_figures_of_the_whole_event(bearer, posts: list[int], store: Any):
    bob = {"id": "https://social.example/users/bob", "handle": "bob@social.example"}
    store(make_post(6, author=bob, html="<p>#DjangoCon #Wagtail</p>"))
    set_state(PostWall.objects.filter(post__external_id="1"), "rejected")
    response = bearer.get(URL, {"range": "event"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {
        "slug",
        "range",
        "totals",
        "posts_per_step",
        "sources",
        "networks",
        "top_hashtags",
        "top_authors",
        "unique_posters",
        "moderation",
        "screens_online",
    }
    assert body["range"]["kind"] == "event" and body["range"]["step_minutes"] == 1
    assert body["totals"] == {"posts": 6, "approved": 5, "pending": 0, "rejected": 1, "deleted": 0}
    assert sum(point["posts"] for point in body["posts_per_step"]) == 6
    assert [(s["name"], s["network"], s["posts"]) for s in body["sources"]] == [
        ("demo", "replay", 6)
    ]
    assert body["networks"] == [{"network": "replay", "posts": 6, "approved": 5}]
    assert body["top_hashtags"] == [
        {"tag": "djangocon", "posts": 5},
        {"tag": "wagtail", "posts": 1},
    ]
    assert [(a["handle"], a["approved"], a["posts"]) for a in body["top_authors"]] == [
        ("ann@social.example", 4, 5),
        ("bob@social.example", 1, 1),
    ]
    assert body["unique_posters"] == 2
    assert body["moderation"] == {
        "approval_rate": round(5 / 6, 4),
        "median_seconds_to_approve": None,  # every approval was automatic (an open wall)
        "removals": 1,
    }
    assert body["screens_online"] == 0  # from screen presence (crowdwall.remote)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"range": "week"}, "range"),
        ({"range": "custom", "end": "2025-05-14"}, "start"),
        ({"range": "custom", "start": "2025-05-14", "end": "2025-05-13T23:00"}, "end"),
    ],
)
def test_a_bad_range_is_a_422_naming_the_parameter(bearer, wall, query, field):
    response = bearer.get(URL, query)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid" and field in str(error["fields"])


def test_unknown_wall_is_404_and_it_is_in_the_schema(bearer, anon, db):
    assert bearer.get("/api/walls/nope/analytics/").json()["error"]["code"] == "not_found"
    operation = anon.get("/api/openapi.json").json()["paths"]["/api/walls/{slug}/analytics/"]
    assert "422" in operation["get"]["responses"] and "403" in operation["get"]["responses"]
