"""Walls: list, detail with figures, top authors/posts, count; staff create and update."""

from __future__ import annotations

import pytest

from crowdwall.models import ModerationLog, Post, Wall
from tests.crowdwall.conftest import make_post
from tests.crowdwall.test_rule_limits import TOO_LONG, TOO_MANY

W = "/api/walls/djangocon"


def test_list_and_detail(anon, posts):
    Wall.objects.create(name="Old", slug="old", is_active=False)
    body = anon.get("/api/walls/").json()
    assert [w["slug"] for w in body["objects"]] == ["djangocon"]  # inactive walls hidden
    assert body["meta"]["total_count"] == 1
    detail = anon.get(f"{W}/").json()
    assert detail["name"] == "DjangoCon" and detail["hashtags"] == ["djangocon"]
    assert detail["post_count"] == 5
    assert "custom_css" not in detail
    assert anon.get("/api/walls/old/").status_code == 404


def test_count_top_authors_and_top_posts(anon, posts, store):
    store(
        make_post(60, author={"id": "https://other.example/u/bob", "handle": "bob@other.example"}),
        make_post(61, counts={"favourites": 7}),
    )
    assert anon.get(f"{W}/count/").json() == {"slug": "djangocon", "count": 7}
    top = anon.get(f"{W}/top-authors/?n=2").json()
    assert [(a["author"]["handle"], a["posts"]) for a in top["objects"]] == [
        ("ann@social.example", 6),
        ("bob@other.example", 1),
    ]
    assert top["meta"] == {"limit": 2, "next": None, "previous": None, "total_count": 2}
    best = anon.get(f"{W}/top-posts/?n=3").json()["objects"]
    assert [p["external_id"] for p in best] == ["61"]
    assert best[0]["counts"]["favourites"] == 7
    assert anon.get(f"{W}/top-posts/?n=0").status_code == 422


def test_create_a_wall(bearer, staff):
    response = bearer.post(
        "/api/walls/",
        {
            "name": "PyCon",
            "slug": "pycon",
            "hashtags": ["#PyCon", "pycon"],
            "moderation": "pre_approve",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["hashtags"] == ["pycon"]  # normalised by Wall.clean
    assert body["moderation"] == "pre_approve" and body["post_count"] == 0
    log = ModerationLog.objects.get()
    assert (log.action, log.actor, log.detail) == ("configure", staff, {"created": "pycon"})


def test_update_a_wall(bearer, anon, wall):
    response = bearer.patch(
        f"{W}/", {"info_text": "Hi!", "keywords": ["django*"]}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert anon.get(f"{W}/").json()["info_text"] == "Hi!"
    assert ModerationLog.objects.get().detail == {"changed": ["info_text", "keywords"]}
    bad = bearer.patch(f"{W}/", {"keywords": ['"unclosed']}, content_type="application/json")
    assert bad.status_code == 422 and "keywords" in bad.json()["error"]["fields"]
    null = bearer.patch(f"{W}/", {"name": None}, content_type="application/json")
    assert null.status_code == 422 and "name" in null.json()["error"]["fields"]


def test_deactivating_a_wall_takes_it_off_the_public_api_at_once(bearer, anon, wall):
    assert anon.get(f"{W}/").status_code == 200  # cached now
    bearer.patch(f"{W}/", {"is_active": False}, content_type="application/json")
    assert anon.get(f"{W}/").status_code == 404
    assert anon.get("/api/walls/").json()["objects"] == []


def test_posts_fixture_sanity(posts):
    assert Post.objects.count() == 5


@pytest.mark.parametrize("field", ["hashtags", "keywords", "accounts", "languages"])
@pytest.mark.parametrize("values", [TOO_MANY, TOO_LONG], ids=["too many", "too long"])
def test_wall_rules_beyond_their_bounds_are_422(bearer, wall, field, values):
    created = bearer.post(
        "/api/walls/",
        {"name": "New", "slug": "new", field: values[field]},
        content_type="application/json",
    )
    assert created.status_code == 422
    assert list(created.json()["error"]["fields"]) == [field]
    changed = bearer.patch(f"{W}/", {field: values[field]}, content_type="application/json")
    assert changed.status_code == 422 and field in changed.json()["error"]["fields"]
    assert len(changed.content) < 2_000  # the error does not echo the values
    assert not Wall.objects.filter(slug="new").exists()
    assert Wall.objects.get(slug="djangocon").hashtags == ["djangocon"]


def test_screen_settings_and_slides(bearer, anon, wall):
    changes = {
        "screen_layout": "spotlight",
        "screen_theme": "contrast",
        "brand_color": "#7b2cbf",
        "logo_url": "https://djangocon.example/logo.svg",
        "slide_every": 6,
        "overlay_position": "top-right",
        "overlay_size": "l",
        "overlay_background": "chroma",
        "slides": [
            {"title": "Thanks to our sponsors", "image_url": "https://x.example/a.png"},
            {"text": "Lunch at 12:30 in the foyer"},
        ],
    }
    response = bearer.patch(f"{W}/", changes, content_type="application/json")
    assert response.status_code == 200, response.json()
    detail = anon.get(f"{W}/").json()
    for name, value in changes.items():
        if name != "slides":
            assert detail[name] == value
    assert [(s["title"], s["text"]) for s in detail["slides"]] == [
        ("Thanks to our sponsors", ""),
        ("", "Lunch at 12:30 in the foyer"),
    ]
    # Patching other fields keeps the slides; "slides" replaces them all.
    bearer.patch(f"{W}/", {"slide_every": 3}, content_type="application/json")
    assert len(anon.get(f"{W}/").json()["slides"]) == 2
    bearer.patch(f"{W}/", {"slides": []}, content_type="application/json")
    assert anon.get(f"{W}/").json()["slides"] == []
    assert "slides" in ModerationLog.objects.latest("id").detail["changed"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"screen_layout": "grid"}, "screen_layout"),
        ({"screen_theme": "pink"}, "screen_theme"),
        ({"brand_color": "purple"}, "brand_color"),
        ({"overlay_position": "middle"}, "overlay_position"),
        ({"slide_every": -1}, "slide_every"),
        ({"slides": [{}]}, "slides.0"),
        ({"slides": [{"title": "x", "image_url": "javascript:alert(1)"}]}, "slides.0"),
        ({"slides": [{"title": "x", "colour": "red"}]}, "slides.0.colour"),
    ],
)
def test_bad_screen_settings_are_422_and_change_nothing(bearer, wall, changes, field):
    response = bearer.patch(f"{W}/", changes, content_type="application/json")
    assert response.status_code == 422
    assert field in response.json()["error"]["fields"], response.json()
    wall.refresh_from_db()
    assert wall.screen_layout == "columns" and wall.brand_color == ""
    assert not wall.slides.exists()
