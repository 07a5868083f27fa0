"""``/api/walls/<slug>/trusted/``: list, add (idempotent, normalised, audited), remove; bad input
as 422/404 in the API's error shape. Who may: ``test_roles``."""

from __future__ import annotations

import pytest

from crowdwall.models import ModerationLog, ModerationMode, PostWall, TrustedAccount
from tests.crowdwall.api.test_permissions import assert_error
from tests.crowdwall.conftest import make_post

pytestmark = pytest.mark.django_db

URL = "/api/walls/djangocon/trusted/"


def test_add_list_and_remove(bearer, wall):
    added = bearer.post(URL, {"account": "@Ann@Social.Example", "note": "host"}, "application/json")
    assert added.status_code == 201, added.content
    assert added.json()["account"] == "@ann@social.example"
    again = bearer.post(URL, {"account": "@ann@social.example"}, "application/json")
    assert again.status_code == 201 and again.json()["note"] == "host"  # unchanged
    listed = bearer.get(URL).json()
    assert [row["account"] for row in listed["objects"]] == ["@ann@social.example"]
    assert listed["meta"]["total_count"] == 1
    assert bearer.delete(URL + "?account=@ANN@social.example").status_code == 204
    assert not TrustedAccount.objects.exists()
    actions = ModerationLog.objects.filter(wall=wall).values_list("actor_name", "detail")
    assert list(actions) == [
        ("mod", {"untrusted": "@ann@social.example"}),
        ("mod", {"trusted": "@ann@social.example"}),
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [({"account": "@"}, "account"), ({"account": ""}, "account"), ({"account": "x" * 256}, "account"),
     ({"account": "@a@b.example", "extra": 1}, "extra")],
)  # fmt: skip
def test_bad_input_is_422_with_the_field(bearer, wall, body, field):
    response = bearer.post(URL, body, "application/json")
    assert_error(response, 422, "invalid")
    assert field in response.json()["error"]["fields"]
    assert not TrustedAccount.objects.exists()


def test_removing_an_account_not_trusted_is_404(bearer, wall):
    assert_error(bearer.delete(URL + "?account=@nobody@example.com"), 404, "not_found")


def test_an_unknown_wall_is_404(bearer, db):
    assert_error(bearer.get("/api/walls/nowhere/trusted/"), 404, "not_found")


TRUSTED_ANN = "auto-approved because @ann@social.example is trusted"


def test_trusting_approves_the_accounts_waiting_posts(wall, store, bearer):
    wall.moderation = ModerationMode.PRE_APPROVE
    wall.save()
    post_id = store(make_post(1)).events[0].post_id
    response = bearer.post(
        "/api/walls/djangocon/trusted/", {"account": "@ann@social.example"}, "application/json"
    )
    assert response.status_code == 201, response.content
    entry = PostWall.objects.get(post_id=post_id)
    assert (entry.state, entry.reason) == ("approved", TRUSTED_ANN)
    assert ModerationLog.objects.get(action="approve").actor_name == "mod"
