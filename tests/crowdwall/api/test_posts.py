"""A wall's posts: envelope, cursor pagination, filters, staff-only states, single posts."""

from __future__ import annotations

import base64
import json
from urllib.parse import urlsplit

import pytest

from crowdwall.models import ModerationState, PostWall
from tests.crowdwall.conftest import make_post

POSTS = "/api/walls/djangocon/posts/"


def _path(url: str) -> str:
    parts = urlsplit(url)
    assert parts.scheme == "http" and parts.netloc == "testserver"  # full URLs
    return f"{parts.path}?{parts.query}"


def test_the_envelope(anon, posts):
    body = anon.get(POSTS).json()
    assert body["meta"] == {"limit": 50, "next": None, "previous": None, "total_count": 5}
    assert [post["id"] for post in body["objects"]] == posts[::-1]  # newest first
    first = body["objects"][0]
    assert first["author"]["handle"] == "ann@social.example"
    assert first["pinned"] is False and first["state"] is None  # state: staff only
    assert first["html"].startswith("<p>Post 5")


def test_next_and_previous_walk_the_whole_set_while_posts_arrive(anon, posts, store):
    seen: list[int] = []
    url: str | None = f"{POSTS}?limit=2"
    pages = []
    while url:
        body = anon.get(url).json()
        seen += [post["id"] for post in body["objects"]]
        pages.append(body)
        if len(pages) == 1:
            store(make_post(100), make_post(101))  # newer posts arrive mid-walk
        url = _path(body["meta"]["next"]) if body["meta"]["next"] else None
    assert seen == posts[::-1]  # no gaps, no duplicates, the arrivals do not shift pages
    assert len(pages) == 3 and pages[0]["meta"]["previous"] is None
    # Back from the last page with `previous`: the same pages in reverse.
    back = anon.get(_path(pages[-1]["meta"]["previous"])).json()
    assert [p["id"] for p in back["objects"]] == [p["id"] for p in pages[1]["objects"]]
    back = anon.get(_path(back["meta"]["previous"])).json()
    assert [p["id"] for p in back["objects"]] == [p["id"] for p in pages[0]["objects"]]
    # ... and previous from the top page reaches the posts that arrived meanwhile.
    newer = anon.get(_path(back["meta"]["previous"])).json()
    assert len(newer["objects"]) == 2 and newer["meta"]["previous"] is None


def test_since_before_and_author_filters(anon, posts, store):
    store(
        make_post(50, author={"id": "https://other.example/u/bob", "handle": "bob@other.example"})
    )
    body = anon.get(f"{POSTS}?since={posts[2]}").json()
    assert [p["id"] for p in body["objects"]][-2:] == [posts[4], posts[3]]
    assert body["meta"]["total_count"] == 3  # 2 of Ann's + Bob's
    created = anon.get(f"{POSTS}?limit=1&since={posts[-1]}").json()["objects"][0]["created_at"]
    older = anon.get(POSTS, {"before": created}).json()
    assert [p["id"] for p in older["objects"]] == posts[::-1]
    by_handle = anon.get(POSTS, {"author": "@BOB@other.example"}).json()
    by_key = anon.get(POSTS, {"author": "https://other.example/u/bob"}).json()
    assert [p["author"]["handle"] for p in by_handle["objects"]] == ["bob@other.example"]
    assert by_key["objects"] == by_handle["objects"]
    assert anon.get(POSTS, {"author": "@nobody"}).json()["meta"]["total_count"] == 0


def test_a_bad_filter_is_a_422_with_the_field(anon, wall):
    for query, field in [
        ("before=yesterday", "before"),
        ("limit=0", "limit"),
        ("since=-1", "since"),
    ]:
        response = anon.get(f"{POSTS}?{query}")
        assert response.status_code == 422
        assert field in response.json()["error"]["fields"]


def test_a_tampered_cursor_is_a_400(anon, posts):
    response = anon.get(f"{POSTS}?cursor=bm9wZQ")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_cursor"


def test_other_states_are_for_staff_only(anon, bearer, posts):
    PostWall.objects.filter(post_id=posts[0]).update(state=ModerationState.PENDING)
    response = anon.get(f"{POSTS}?state=pending")
    assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"
    held = bearer.get(f"{POSTS}?state=pending").json()
    assert [(p["id"], p["state"]) for p in held["objects"]] == [(posts[0], "pending")]
    everything = bearer.get(f"{POSTS}?state=all").json()
    assert everything["meta"]["total_count"] == 5
    assert anon.get(POSTS).json()["meta"]["total_count"] in (4, 5)  # cached figure may lag


def test_a_single_post(anon, bearer, posts):
    body = anon.get(f"{POSTS}{posts[0]}/").json()
    assert body["id"] == posts[0] and body["state"] is None
    PostWall.objects.filter(post_id=posts[0]).update(state=ModerationState.REJECTED)
    missing = anon.get(f"{POSTS}{posts[1] + 1000}/")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert bearer.get(f"{POSTS}{posts[0]}/").json()["state"] == "rejected"


def test_an_unknown_or_inactive_wall_is_a_404(anon, bearer, wall, posts):
    assert anon.get("/api/walls/nope/posts/").status_code == 404
    wall.is_active = False
    wall.save()
    assert anon.get(POSTS).status_code == 404
    assert bearer.get(POSTS).status_code == 200  # staff still see it


# Hostile times and cursors (issue 14): a 4xx in the error shape, never a 500.

EXTREMES = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"]


def _forged(*key: object, direction: str = "next") -> str:
    raw = json.dumps({"d": direction, "k": list(key)}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize("moment", EXTREMES)
def test_a_before_time_that_overflows_utc_is_a_422(anon, posts, moment):
    response = anon.get(POSTS, {"before": moment})
    assert response.status_code == 422
    assert list(response.json()["error"]["fields"]) == ["before"]


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59Z"])
def test_a_before_time_at_the_ends_of_the_calendar_is_a_filter(anon, posts, moment):
    assert anon.get(POSTS, {"before": moment}).status_code == 200


@pytest.mark.parametrize(
    "cursor",
    [
        _forged(EXTREMES[0], 1),
        _forged(EXTREMES[1], 1, direction="prev"),
        _forged("2025-05-14T09:00:00+00:00", 2**63),
        _forged("2025-05-14T09:00:00+00:00", 10**30),
        _forged("2025-05-14T09:00:00+00:00", -1),
        _forged("not a time", 1),
        base64.urlsafe_b64encode(b"[" * 300).decode().rstrip("="),
    ],
)
def test_a_forged_cursor_is_a_400_bad_cursor(anon, posts, cursor):
    response = anon.get(POSTS, {"cursor": cursor})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_cursor"


def test_posts_say_whether_their_date_is_estimated(anon, wall, store):
    store(make_post(1), make_post(2, date_estimated=True))
    objects = anon.get(POSTS).json()["objects"]
    assert {p["external_id"]: p["date_estimated"] for p in objects} == {"1": False, "2": True}


def test_posts_carry_media_with_alt_text_cards_polls_and_quotes(anon, wall, store):
    card = {"url": "https://l.example/", "title": "A link"}
    poll = {"options": [{"title": "yes", "votes": 3}, {"title": "no", "votes": None}]}
    quote = {"url": "https://q.example/@bo/1", "handle": "bo@q.example", "text": "quoted"}
    media = [
        {"url": "https://m.example/1.jpg", "type": "image"},  # no alt text: "" all the same
        {"url": "https://m.example/2.mp4", "type": "gifv", "alt": "Clapping", "blurhash": "LEHV6n"},
    ]
    store(make_post(1, media=media, card=card, poll=poll, quote=quote), make_post(2))
    shaped, plain = sorted(anon.get(POSTS).json()["objects"], key=lambda p: p["id"])
    assert shaped["media"] == [
        {"url": "https://m.example/1.jpg", "type": "image", "alt": "", "preview_url": "", "blurhash": ""},
        {"url": "https://m.example/2.mp4", "type": "gifv", "alt": "Clapping", "preview_url": "",
         "blurhash": "LEHV6n"},
    ]  # fmt: skip
    assert shaped["card"] == {**card, "description": "", "image": "", "image_alt": "", "site": "",
                              "blurhash": ""}  # fmt: skip
    assert shaped["poll"] == {**poll, "votes": None, "voters": None, "multiple": False,
                              "expires_at": "", "closed": False}  # fmt: skip
    assert shaped["quote"] == {**quote, "id": "", "name": "", "profile_url": ""}
    assert (plain["media"], plain["card"], plain["poll"], plain["quote"]) == ([], None, None, None)
