"""Public answers are cached under the wall's tag and purged when the wall changes; staff
answers are never stored, and a stored public answer is never served to staff."""

from __future__ import annotations

from crowdwall.models import ModerationState, PostWall
from tests.crowdwall.conftest import make_post

POSTS = "/api/walls/djangocon/posts/"


def test_a_public_answer_is_cached_and_ingest_purges_it(
    anon, posts, store, django_assert_num_queries
):
    first = anon.get(POSTS)
    assert first.status_code == 200 and "max-age=60" in first["Cache-Control"]
    with django_assert_num_queries(0):  # served from the cache: no query at all
        again = anon.get(POSTS)
    assert again.content == first.content
    store(make_post(99))  # ingest soft-purges wall:djangocon
    # A soft purge hands out the stale copy once while one request re-renders.
    for _ in range(3):
        ids = [p["id"] for p in anon.get(POSTS).json()["objects"]]
        if len(ids) == 6:
            break
    assert len(ids) == 6


def test_moderation_through_the_api_purges_the_cached_list(
    anon, bearer, posts, django_capture_on_commit_callbacks
):
    assert len(anon.get(POSTS).json()["objects"]) == 5
    with django_capture_on_commit_callbacks(execute=True):
        response = bearer.post(
            "/api/walls/djangocon/moderation/",
            {"action": "reject", "posts": [posts[0]]},
            content_type="application/json",
        )
    assert response.json() == {"changed": 1}
    for _ in range(3):
        ids = [p["id"] for p in anon.get(POSTS).json()["objects"]]
        if posts[0] not in ids:
            break
    assert posts[0] not in ids


def test_a_staff_answer_is_not_served_to_the_public_nor_the_reverse(anon, bearer, session, posts):
    PostWall.objects.filter(post_id=posts[0]).update(state=ModerationState.PENDING)
    staff_view = bearer.get(f"{POSTS}?state=all")
    assert staff_view.json()["objects"][-1]["state"] == "pending"
    # The same URL for the public: refused, not the staff copy.
    assert anon.get(f"{POSTS}?state=all").status_code == 403
    public = anon.get(POSTS)
    assert all(post["state"] is None for post in public.json()["objects"])
    # The public copy is now cached; staff (token or session) still get their own answer.
    assert all(post["state"] for post in bearer.get(POSTS).json()["objects"])
    assert all(post["state"] for post in session.get(POSTS).json()["objects"])


def test_wall_list_is_purged_when_a_wall_is_created(anon, bearer, wall):
    assert [w["slug"] for w in anon.get("/api/walls/").json()["objects"]] == ["djangocon"]
    created = bearer.post(
        "/api/walls/", {"name": "PyCon", "slug": "pycon"}, content_type="application/json"
    )
    assert created.status_code == 201
    slugs = [w["slug"] for w in anon.get("/api/walls/").json()["objects"]]
    assert slugs == ["pycon", "djangocon"]  # newest first, hard-purged at once


def test_ban_through_the_api_removes_posts_from_the_cached_list(
    anon, bearer, posts, django_capture_on_commit_callbacks
):
    assert anon.get(POSTS).json()["meta"]["total_count"] == 5
    with django_capture_on_commit_callbacks(execute=True):
        banned = bearer.post(
            "/api/walls/djangocon/bans/words/", {"word": "Post"}, content_type="application/json"
        )
    assert banned.status_code == 201 and banned.json()["rejected"] == 5
    for _ in range(3):
        objects = anon.get(POSTS).json()["objects"]
        if not objects:
            break
    assert objects == []


def test_a_foreign_parameter_never_reaches_the_links_clean_requests_get(anon, posts):
    # Issue 14: ?utm=X shares the clean request's cache entry, so it must not shape the answer.
    poisoned = anon.get(POSTS, {"limit": 2, "utm": "X"}).json()
    assert "utm" not in poisoned["meta"]["next"]
    clean = anon.get(POSTS, {"limit": 2}).json()
    assert clean["meta"]["next"] and "utm" not in clean["meta"]["next"]
    second = anon.get(clean["meta"]["next"] + "&utm=X").json()
    assert second["meta"]["previous"] and "utm" not in second["meta"]["previous"]
    assert "utm" not in second["meta"]["next"]


def test_a_repeated_parameter_counts_with_its_last_value_in_answer_and_key(anon, posts):
    # Django's rule (the last value wins) for the operation and the cache key alike: two orders
    # are two answers, each cached under its own key, whichever request comes first.
    two_last = anon.get(f"{POSTS}?limit=3&limit=2").json()
    three_last = anon.get(f"{POSTS}?limit=2&limit=3").json()
    assert (two_last["meta"]["limit"], len(two_last["objects"])) == (2, 2)
    assert (three_last["meta"]["limit"], len(three_last["objects"])) == (3, 3)
    assert "limit=2" in two_last["meta"]["next"] and "limit=3" not in two_last["meta"]["next"]
    assert anon.get(f"{POSTS}?limit=3&limit=2").json() == two_last
