"""Bans through the API: retroactive, by account or by a post's author, listed, lifted."""

from __future__ import annotations

from crowdwall.models import BannedAuthor, BannedWord, ModerationState, PostWall

B = "/api/walls/djangocon/bans"


def test_ban_an_author_by_one_of_their_posts(bearer, posts):
    response = bearer.post(
        f"{B}/authors/", {"post": posts[0], "note": "spam"}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["account"] == "https://social.example/users/ann" and body["rejected"] == 5
    assert not PostWall.objects.filter(state=ModerationState.APPROVED).exists()
    listed = bearer.get(f"{B}/authors/").json()
    assert [b["account"] for b in listed["objects"]] == [body["account"]]


def test_account_or_post_but_not_both(bearer, posts):
    both = bearer.post(
        f"{B}/authors/", {"post": posts[0], "account": "@x"}, content_type="application/json"
    )
    neither = bearer.post(f"{B}/authors/", {}, content_type="application/json")
    assert both.status_code == neither.status_code == 422
    missing = bearer.post(
        f"{B}/authors/", {"post": posts[-1] + 99}, content_type="application/json"
    )
    assert missing.status_code == 422 and "post" in missing.json()["error"]["fields"]


def test_unban_by_handle_in_any_case(bearer, wall):
    bearer.post(
        f"{B}/authors/", {"account": "@Spammer@Example.com"}, content_type="application/json"
    )
    assert BannedAuthor.objects.get().account == "@spammer@example.com"
    assert bearer.delete(f"{B}/authors/?account=@SPAMMER@example.com").status_code == 204
    assert bearer.delete(f"{B}/authors/?account=@spammer@example.com").status_code == 404


def test_ban_and_unban_a_word(bearer, posts):
    response = bearer.post(f"{B}/words/", {"word": '"Post 3"'}, content_type="application/json")
    assert response.status_code == 201 and response.json()["rejected"] == 1
    assert [w["word"] for w in bearer.get(f"{B}/words/").json()["objects"]] == ['"Post 3"']
    bad = bearer.post(f"{B}/words/", {"word": '"open'}, content_type="application/json")
    assert bad.status_code == 422 and "word" in bad.json()["error"]["fields"]
    assert bearer.delete(f'{B}/words/?word="Post 3"').status_code == 204


def test_bans_beyond_the_walls_limit_are_422(bearer, wall, two_at_most):
    for word in ("one", "two", "three"):
        answer = bearer.post(f"{B}/words/", {"word": word}, content_type="application/json")
    assert answer.status_code == 422
    assert "at most 2 banned words" in answer.json()["error"]["fields"]["word"][0]
    for account in ("@one", "@two", "@three"):
        answer = bearer.post(f"{B}/authors/", {"account": account}, content_type="application/json")
    assert answer.status_code == 422
    assert "at most 2 banned authors" in answer.json()["error"]["fields"]["account"][0]
    assert BannedAuthor.objects.count() == BannedWord.objects.count() == 2
    long = bearer.post(f"{B}/words/", {"word": "w" * 201}, content_type="application/json")
    assert long.status_code == 422
