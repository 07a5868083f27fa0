"""The never-show list through the API: staff only, retroactive and live, global or per wall."""

from __future__ import annotations

from crowdwall.models import ModerationLog, NeverShow, PostWall, Wall
from tests.crowdwall.conftest import make_post

G = "/api/never-show/"
W = "/api/walls/djangocon/never-show/"
ANN = "https://social.example/users/ann"


def post(client, url, body):
    return client.post(url, body, content_type="application/json")


def test_staff_only(anon, member, wall):
    from django.test import Client

    logged_in = Client()
    logged_in.force_login(member)
    for client in (anon, logged_in):
        assert client.get(G).status_code in (401, 403)
        assert post(client, W, {"account": ANN}).status_code in (401, 403)
    assert not NeverShow.objects.exists()


def test_adding_an_account_takes_its_posts_off_every_wall_live(
    bearer, posts, published, django_capture_on_commit_callbacks
):
    published.events.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = post(bearer, G, {"account": ANN, "note": "asked by mail, 6 Dec"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["account"], body["withdrawn"]) == (ANN, 5)
    assert set(PostWall.objects.values_list("state", "reason")) == {("rejected", "never show")}
    assert [e.kind for e in published.events] == ["post.moderation"] * 5
    assert [e["account"] for e in bearer.get(G).json()["objects"]] == [ANN]
    log = ModerationLog.objects.get()
    assert (log.action, log.count, log.actor_name) == ("never_show", 5, "mod")


def test_new_posts_of_a_listed_account_are_not_stored(bearer, wall, store):
    post(bearer, G, {"account": "@ANN@social.example"})
    assert store(make_post(1)).created == 0


def test_a_wall_list_concerns_that_wall_only(bearer, wall, posts, store):
    other = Wall.objects.create(name="Other", slug="other", hashtags=["djangocon"])
    response = post(bearer, W, {"account": "@ann@social.example"})
    assert response.status_code == 201 and response.json()["withdrawn"] == 5
    store(make_post(9))
    assert list(
        PostWall.objects.filter(wall=other).values_list("post__external_id", flat=True)
    ) == ["9"]
    assert not PostWall.objects.filter(wall=wall, state="approved").exists()
    assert bearer.get(G).json()["objects"] == []
    assert [e["account"] for e in bearer.get(W).json()["objects"]] == ["@ann@social.example"]


def test_removing_lets_new_posts_in_and_unknown_entries_are_404(bearer, wall, store):
    post(bearer, G, {"account": ANN})
    assert bearer.delete(f"{G}?account={ANN}").status_code == 204
    assert bearer.delete(f"{G}?account={ANN}").status_code == 404
    assert store(make_post(1)).created == 1
    assert bearer.delete(f"{W}?account={ANN}").status_code == 404


def test_bad_input_is_a_422_with_the_field_named(bearer, wall):
    for body in ({}, {"account": ""}, {"account": "@"}, {"account": 3}, {"account": "x", "y": 1}):
        response = post(bearer, G, body)
        assert response.status_code == 422, body
        assert response.json()["error"]["code"]
    assert bearer.get("/api/walls/nope/never-show/").status_code == 404


def test_adding_twice_keeps_one_entry(bearer, wall):
    assert post(bearer, G, {"account": ANN}).status_code == 201
    assert post(bearer, G, {"account": ANN}).status_code == 201
    assert NeverShow.objects.count() == 1


def test_a_wall_may_opt_in_the_accounts_it_follows_through_the_api(bearer, wall):
    assert bearer.get("/api/walls/djangocon/").json()["followed_accounts_opt_in"] is False
    response = bearer.patch(
        "/api/walls/djangocon/", {"followed_accounts_opt_in": True}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["followed_accounts_opt_in"] is True
    wall.refresh_from_db()
    assert wall.followed_accounts_opt_in is True
