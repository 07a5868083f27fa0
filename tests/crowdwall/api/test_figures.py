"""The API's figures follow every change at once: ``count``, the list's ``total_count``, the
wall's ``post_count`` and the top lists agree, with the answers' page cache warm."""

from __future__ import annotations

from typing import Any

import pytest

from tests.crowdwall.conftest import make_post

W = "/api/walls/djangocon"
BOB = {"id": "https://social.example/users/bob", "handle": "bob@social.example"}


def figures(client: Any) -> tuple[int, int, int, list[tuple[str, int]], list[str]]:
    """(count, total_count, post_count, top authors, top posts) as a public client sees them."""
    count = client.get(f"{W}/count/").json()["count"]
    total = client.get(f"{W}/posts/?limit=2").json()["meta"]["total_count"]
    detail = client.get(f"{W}/").json()["post_count"]
    rows = client.get(f"{W}/top-authors/").json()["objects"]
    authors = [(row["author"]["handle"].split("@")[0], row["posts"]) for row in rows]
    top = [post["external_id"] for post in client.get(f"{W}/top-posts/").json()["objects"]]
    return count, total, detail, authors, top


@pytest.mark.parametrize("action", ["reject", "hide"])
def test_a_new_post_and_moderation_change_the_figures_at_once(
    anon, bearer, posts, store, action, django_capture_on_commit_callbacks
):
    def moderate(action: str, post_id: int) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            body = {"action": action, "posts": [post_id]}
            answer = bearer.post(f"{W}/moderation/", body, content_type="application/json")
        assert answer.status_code == 200 and answer.json() == {"changed": 1}

    assert figures(anon) == (5, 5, 5, [("ann", 5)], [])  # the answers are cached from here on
    new = store(make_post(61, author=BOB, counts={"favourites": 3})).events[0].post_id
    assert figures(anon) == (6, 6, 6, [("ann", 5), ("bob", 1)], ["61"])
    moderate(action, new)
    assert figures(anon) == (5, 5, 5, [("ann", 5)], [])
    moderate("approve", new)  # re-approved: back in every figure
    assert figures(anon) == (6, 6, 6, [("ann", 5), ("bob", 1)], ["61"])


def test_a_ban_and_a_deletion_at_the_source_change_the_figures(
    anon, bearer, posts, store, django_capture_on_commit_callbacks
):
    store(make_post(61, author=BOB, counts={"boosts": 2}), make_post(62, author=BOB))
    assert figures(anon) == (7, 7, 7, [("ann", 5), ("bob", 2)], ["61"])
    store({"id": "61", "action": "delete"})
    assert figures(anon) == (6, 6, 6, [("ann", 5), ("bob", 1)], [])
    with django_capture_on_commit_callbacks(execute=True):
        answer = bearer.post(
            f"{W}/bans/authors/",
            {"account": "@bob@social.example"},
            content_type="application/json",
        )
    assert answer.status_code == 201
    assert figures(anon) == (5, 5, 5, [("ann", 5)], [])
