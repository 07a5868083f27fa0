"""The catch-up endpoint and nchan's authorize view, in process (the e2e tests go through
nginx): JSON frames as the WebSocket sends them, 400/404 for bad requests, never cached."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model

from crowdwall.models import PostWall
from crowdwall.moderation.actions import set_state
from tests.crowdwall.conftest import make_post


def test_missed_sends_new_posts_and_changes(client, wall, store):
    ids = [event.post_id for event in store(make_post(), make_post(), make_post()).events]
    response = client.get(f"/walls/{wall.slug}/live/missed/", {"since": ids[0]})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    body = json.loads(response.content)
    *frames, figures, state = body["frames"]  # the wall's figures, then the screens' state
    assert [(f["type"], f["id"]) for f in frames] == [("post.new", i) for i in ids[1:]]
    assert (figures["type"], figures["count"], figures["at"]) == (
        "wall.figures",
        3,
        body["done"]["at"],
    )
    assert state["type"] == "screen.state"
    done = body["done"]
    assert (done["type"], done["count"], done["truncated"], done["last_id"]) == (
        "catchup.done",
        2,
        False,
        ids[2],
    )
    set_state(PostWall.objects.filter(post_id=ids[0]), "rejected")
    again = client.get(
        f"/walls/{wall.slug}/live/missed/", {"since": ids[2], "changes": done["at"]}
    ).json()
    assert [(f["type"], f.get("id")) for f in again["frames"]] == [
        ("post.delete", ids[0]),
        ("wall.figures", None),
        ("screen.state", None),
    ]


@pytest.mark.parametrize(
    "query",
    [
        "", "?since=", "?since=-1", "?since=1.5", "?since=%EF%BC%91", "?since=1&changes=no",
        "?since=%C2%B2", f"?since={2**63}", f"?since={'9' * 5000}",
        f"?since=1&changes={10**30}", f"?since=1&changes={'9' * 5000}",
    ],
)  # fmt: skip
def test_missed_refuses_bad_parameters(client, wall, query):
    response = client.get(f"/walls/{wall.slug}/live/missed/{query}")
    assert response.status_code == 400
    assert "error" in response.json()


def test_missed_unknown_or_inactive_wall(client, wall):
    assert client.get("/walls/nope/live/missed/?since=0").status_code == 404
    wall.is_active = False
    wall.save()
    assert client.get(f"/walls/{wall.slug}/live/missed/?since=0").status_code == 404
    assert client.post(f"/walls/{wall.slug}/live/missed/?since=0").status_code == 405


def test_authorize_staff_only(client, wall):
    url = f"/walls/{wall.slug}/live/authorize/"
    assert client.get(url).status_code == 403
    user = get_user_model().objects.create_user("visitor")
    client.force_login(user)
    assert client.get(url).status_code == 403
    user.is_staff = True
    user.save()
    response = client.get(url)
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert client.get("/walls/nope/live/authorize/").status_code == 404
    user.is_active = False
    user.save()
    assert client.get(url).status_code == 403
