"""Sources through the API: validated by Source.clean, secrets write-only, changes audited."""

from __future__ import annotations

import pytest

from crowdwall.models import ModerationLog, Source

S = "/api/walls/djangocon/sources/"


def test_a_webhook_source_never_shows_its_secret(bearer, wall):
    response = bearer.post(
        S,
        {"name": "hook", "kind": "webhook", "secret": "t0p-s3cret"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["has_secret"] is True and "secret" not in body
    assert body["webhook_url"] == f"http://testserver/hooks/{body['id']}/"
    assert Source.objects.get(pk=body["id"]).secret == "t0p-s3cret"
    listed = bearer.get(S)
    assert b"t0p-s3cret" not in listed.content
    changed = bearer.patch(f"{S}{body['id']}/", {"secret": "n3w"}, content_type="application/json")
    assert changed.status_code == 200 and b"n3w" not in changed.content
    detail = ModerationLog.objects.order_by("id").last().detail
    assert detail == {"source": "hook", "changed": ["secret"]}  # the name of the field only


def test_invalid_sources_are_422_with_fields(bearer, wall):
    no_secret = bearer.post(S, {"name": "hook", "kind": "webhook"}, content_type="application/json")
    assert no_secret.status_code == 422
    assert "secret" in no_secret.json()["error"]["fields"]
    bad_config = bearer.post(
        S,
        {"name": "feed", "kind": "rss", "config": {"url": "ftp://x"}},
        content_type="application/json",
    )
    assert "config" in bad_config.json()["error"]["fields"]
    unknown_kind = bearer.post(S, {"name": "x", "kind": "myspace"}, content_type="application/json")
    assert "kind" in unknown_kind.json()["error"]["fields"]


def test_a_duplicate_name_is_422(bearer, source):
    response = bearer.post(
        S,
        {"name": source.name, "kind": "replay", "config": {"rate": 0}},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "name" in response.json()["error"]["fields"]


def test_update_and_delete(bearer, source, posts):
    response = bearer.patch(f"{S}{source.pk}/", {"enabled": False}, content_type="application/json")
    assert response.json()["enabled"] is False
    assert bearer.delete(f"{S}{source.pk}/").status_code == 204
    assert not Source.objects.exists()
    assert bearer.get(f"{S}{source.pk}/").status_code == 404
    assert bearer.get("/api/walls/djangocon/posts/").json()["objects"] == []


def test_a_source_of_another_wall_is_not_found(bearer, source):
    from crowdwall.models import Wall

    Wall.objects.create(name="Other", slug="other")
    assert bearer.get(f"/api/walls/other/sources/{source.pk}/").status_code == 404


def test_the_scope_is_shown_defaulted_per_kind_and_changeable(bearer, wall):
    hook = bearer.post(
        S, {"name": "hook", "kind": "webhook", "secret": "x"}, content_type="application/json"
    )
    assert hook.status_code == 201 and hook.json()["scope"] == "own"
    feed = bearer.post(
        S,
        {"name": "m", "kind": "mastodon", "config": {"instance": "https://social.example"}},
        content_type="application/json",
    )
    assert feed.json()["scope"] == "any"
    narrowed = bearer.patch(
        f"{S}{feed.json()['id']}/", {"scope": "own"}, content_type="application/json"
    )
    assert narrowed.status_code == 200 and narrowed.json()["scope"] == "own"
    assert Source.objects.get(pk=feed.json()["id"]).scope == "own"


def test_a_webhook_cannot_reach_other_walls_through_the_api(bearer, wall):
    created = bearer.post(
        S,
        {"name": "hook", "kind": "webhook", "secret": "x", "scope": "any"},
        content_type="application/json",
    )
    assert created.status_code == 422
    assert "own wall only" in created.json()["error"]["fields"]["scope"][0]
    hook = Source.objects.create(wall=wall, name="hook", kind="webhook", secret="x")
    widened = bearer.patch(f"{S}{hook.pk}/", {"scope": "any"}, content_type="application/json")
    assert widened.status_code == 422 and "scope" in widened.json()["error"]["fields"]
    assert Source.objects.get(pk=hook.pk).scope == "own"
    unknown = bearer.patch(f"{S}{hook.pk}/", {"scope": "all"}, content_type="application/json")
    assert unknown.status_code == 422


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_numbers_that_are_not_finite_are_422_naming_the_key(bearer, wall, value):
    body = f'{{"name": "r", "kind": "replay", "config": {{"rate": {value}}}}}'
    response = bearer.post(S, body, content_type="application/json")
    assert response.status_code == 422
    fields = response.json()["error"]["fields"]
    assert list(fields) == ["config"] and "'rate' must be a number" in fields["config"][0]
    assert not Source.objects.exists()


def test_a_change_to_a_number_out_of_range_is_422(bearer, source):
    body = '{"config": {"rate": NaN}}'
    response = bearer.patch(f"{S}{source.pk}/", body, content_type="application/json")
    assert response.status_code == 422
    assert "'rate'" in response.json()["error"]["fields"]["config"][0]
    source.refresh_from_db()
    assert source.config == {"rate": 0}


def replay_with_path(bearer, path: str):
    body = {"name": "r", "kind": "replay", "config": {"path": path}}
    return bearer.post(S, body, content_type="application/json")


def test_a_replay_path_outside_the_allowed_directories_is_422_telling_nothing(
    bearer, wall, tmp_path, settings
):
    allowed = tmp_path / "replays"
    allowed.mkdir()
    (allowed / "posts.jsonl").write_text("{}\n")
    (allowed / "link.jsonl").symlink_to("/etc/passwd")
    settings.CROWDWALL = {**getattr(settings, "CROWDWALL", {}), "REPLAY_DIRS": [str(allowed)]}
    answers = [
        replay_with_path(bearer, path)
        for path in (
            "/etc/passwd",  # exists
            "/etc/no-such-file",  # does not
            str(allowed / ".." / ".." / "etc" / "passwd"),
            str(allowed / "link.jsonl"),
            str(allowed / "missing.jsonl"),
        )
    ]
    assert {a.status_code for a in answers} == {422}
    assert len({a.content for a in answers}) == 1  # word for word the same answer
    message = answers[0].json()["error"]["fields"]["config"][0]
    assert "passwd" not in message and "exist" not in message
    assert not Source.objects.exists()
    ok = replay_with_path(bearer, "posts.jsonl")
    assert ok.status_code == 201 and ok.json()["config"]["path"] == str(allowed / "posts.jsonl")
    moved = bearer.patch(
        f"{S}{ok.json()['id']}/",
        {"config": {"path": "/etc/passwd"}},
        content_type="application/json",
    )
    assert moved.status_code == 422 and moved.content == answers[0].content
