"""Every staff endpoint against every kind of caller.

anonymous → 401 · a wrong token → 401 · a logged-in non-staff user → 403 · a staff session
without the CSRF token → 403 (writes) · a staff session with it → OK · the staff token → OK.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from crowdwall.models import BannedAuthor, BannedWord, ModerationLog, Source, Wall
from tests.crowdwall.api.conftest import csrf_headers

W = "/api/walls/djangocon"

# (method, path, body, status when allowed); "{source}" and "{post}" are filled in per test.
WRITES = [
    ("post", "/api/walls/", {"name": "New wall", "slug": "new-wall"}, 201),
    ("patch", f"{W}/", {"info_text": "Welcome"}, 200),
    ("post", f"{W}/moderation/", {"action": "pin", "posts": ["{post}"]}, 200),
    ("post", f"{W}/bans/authors/", {"account": "@spammer@example.com"}, 201),
    ("delete", f"{W}/bans/authors/?account=@old@example.com", None, 204),
    ("post", f"{W}/bans/words/", {"word": "spam"}, 201),
    ("delete", f"{W}/bans/words/?word=old", None, 204),
    (
        "post",
        f"{W}/sources/",
        {"name": "feed", "kind": "rss", "config": {"url": "https://example.com/feed"}},
        201,
    ),
    ("patch", f"{W}/sources/{{source}}/", {"enabled": False}, 200),
    ("delete", f"{W}/sources/{{source}}/", None, 204),
]
READS = [
    f"{W}/sources/",
    f"{W}/sources/{{source}}/",
    f"{W}/bans/authors/",
    f"{W}/bans/words/",
    f"{W}/moderation-log/",
    f"{W}/analytics/?range=event",
]
IDS = [f"{m.upper()} {p}" for m, p, _, _ in WRITES]


@pytest.fixture
def targets(wall: Wall, source: Source, posts: list[int]) -> dict[str, Any]:
    BannedAuthor.objects.create(wall=wall, account="@old@example.com")
    BannedWord.objects.create(wall=wall, word="old")
    return {"source": source.pk, "post": posts[-1]}


def _fill(value: Any, targets: dict[str, Any]) -> Any:
    text = json.dumps(value).replace('"{post}"', str(targets["post"]))
    return json.loads(text.replace("{source}", str(targets["source"])))


def call(client: Client, method: str, path: str, body: Any, targets: dict[str, Any], **extra: Any):
    path = path.format(**targets)
    if body is None:
        return getattr(client, method)(path, **extra)
    return getattr(client, method)(
        path, _fill(body, targets), content_type="application/json", **extra
    )


def assert_error(response: Any, status: int, code: str | None = None) -> None:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert set(error) == {"code", "message", "fields"}
    if code:
        assert error["code"] == code


@pytest.mark.parametrize(("method", "path", "body", "ok"), WRITES, ids=IDS)
def test_anonymous_is_asked_to_authenticate(anon, targets, method, path, body, ok):
    response = call(anon, method, path, body, targets)
    assert_error(response, 401, "unauthorized")
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(("method", "path", "body", "ok"), WRITES, ids=IDS)
def test_a_wrong_token_is_refused(staff, targets, method, path, body, ok):
    client = Client(HTTP_AUTHORIZATION="Bearer not-the-token")
    assert_error(call(client, method, path, body, targets), 401, "invalid_token")


@pytest.mark.parametrize(("method", "path", "body", "ok"), WRITES, ids=IDS)
def test_a_user_who_is_not_staff_is_forbidden(member, targets, method, path, body, ok):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    assert_error(call(client, method, path, body, targets, **csrf_headers(client)), 403)


@pytest.mark.parametrize(("method", "path", "body", "ok"), WRITES, ids=IDS)
def test_a_staff_session_without_csrf_is_forbidden(session, targets, method, path, body, ok):
    logged = ModerationLog.objects.count()
    assert_error(call(session, method, path, body, targets), 403, "csrf_failed")
    assert ModerationLog.objects.count() == logged  # nothing happened


@pytest.mark.parametrize(("method", "path", "body", "ok"), WRITES, ids=IDS)
def test_a_staff_session_with_csrf_may_write(session, targets, method, path, body, ok):
    response = call(session, method, path, body, targets, **csrf_headers(session))
    assert response.status_code == ok, response.content
    assert ModerationLog.objects.filter(actor_name="mod").exists()  # audited, by name


@pytest.mark.parametrize(("method", "path", "body", "ok"), WRITES, ids=IDS)
def test_the_staff_token_may_write(bearer, targets, method, path, body, ok):
    response = call(bearer, method, path, body, targets)
    assert response.status_code == ok, response.content
    assert ModerationLog.objects.filter(actor_name="mod").exists()


@pytest.mark.parametrize("path", READS)
def test_staff_reads_are_staff_only(anon, member, bearer, session, targets, path):
    assert_error(call(anon, "get", path, None, targets), 401)
    member_client = Client()
    member_client.force_login(member)
    assert_error(call(member_client, "get", path, None, targets), 403)
    assert call(bearer, "get", path, None, targets).status_code == 200
    assert call(session, "get", path, None, targets).status_code == 200  # GET needs no CSRF


def test_a_token_of_a_user_who_lost_staff_is_refused(bearer, staff, targets):
    staff.is_staff = False
    staff.save()
    assert_error(bearer.get(f"{W}/sources/"), 401, "invalid_token")


def test_a_malformed_authorization_header_is_refused(staff, targets):
    client = Client(HTTP_AUTHORIZATION="Basic bW9kOnB3")
    assert_error(client.get(f"{W}/sources/"), 401, "invalid_token")
    # ... on public reads too: a client that sends credentials learns they are wrong.
    assert_error(client.get("/api/walls/"), 401, "invalid_token")
