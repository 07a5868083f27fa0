"""The webhook endpoint: signed deliveries stored through the pipeline, everything else refused
with a JSON error and nothing stored; re-delivery idempotent; hostile HTML sanitized."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from crowdwall import webhooks
from crowdwall.models import Post, PostWall, QuarantinedPost, Source, Wall
from crowdwall.sources.webhook import sign, signature_headers
from tests.crowdwall.conftest import make_post

SECRET = "webhook-s3cret"


@pytest.fixture
def hook(wall: Wall) -> Source:
    return Source.objects.create(wall=wall, name="hook", kind="webhook", secret=SECRET)


@pytest.fixture
def deliver(client: Client, hook: Source, django_capture_on_commit_callbacks):
    """``deliver(payload, source=hook, secret=SECRET, signature=None, timestamp=None,
    body=None)``: POST it signed and timestamped now (unless told otherwise: ``timestamp=""``
    sends none, ``signature=""`` no signature), running on-commit callbacks as a real commit
    would."""

    def post(
        payload: Any = None,
        *,
        source: Source | int | None = None,
        secret: str = SECRET,
        signature: str | None = None,
        timestamp: str | None = None,
        body: bytes | None = None,
        **headers: str,
    ):
        raw = body if body is not None else json.dumps(payload).encode()
        if timestamp is None:
            timestamp = str(int(time.time()))
        if signature is None:
            signature = sign(secret, raw, timestamp or None)
        if signature:
            headers["HTTP_X_CROWDWALL_SIGNATURE"] = signature
        if timestamp:
            headers["HTTP_X_CROWDWALL_TIMESTAMP"] = timestamp
        target = source if source is not None else hook
        url = reverse("crowdwall:crowdwall-webhook", args=[getattr(target, "pk", target)])
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data=raw, content_type="application/json", **headers)

    return post


def error_code(response) -> str:
    assert response["Content-Type"] == "application/json"
    return response.json()["error"]["code"]


def test_a_signed_post_is_stored(deliver, hook, published):
    response = deliver(make_post(1))
    assert response.status_code == 200
    assert response.json() == {
        "received": 1,
        "created": 1,
        "updated": 0,
        "deleted": 0,
        "duplicates": 0,
        "unmatched": 0,
        "quarantined": 0,
        "rejected": [],
    }
    post = Post.objects.get(source=hook)
    assert post.external_id == "1"
    assert PostWall.objects.get(post=post).wall.slug == "djangocon"
    assert published.kinds() == [("post.new", post.pk)]


def test_a_batch_is_stored(deliver, hook):
    response = deliver({"posts": [make_post(1), make_post(2), make_post(3)]})
    assert response.json()["created"] == 3
    assert Post.objects.filter(source=hook).count() == 3


def test_csrf_does_not_apply(deliver, hook, client):
    client.handler.enforce_csrf_checks = True
    assert deliver(make_post(1)).status_code == 200


@pytest.mark.parametrize(
    ("signature", "status", "code"),
    [
        ("", 401, "missing_signature"),
        ("sha256=" + "0" * 64, 401, "bad_signature"),
        ("sha256=nothex", 401, "bad_signature"),
        ("token s3cret", 401, "bad_signature"),
    ],
)
def test_missing_or_bad_signatures_store_nothing(deliver, signature, status, code, published):
    response = deliver(make_post(1), signature=signature)
    assert response.status_code == status
    assert error_code(response) == code
    assert response["WWW-Authenticate"].startswith("X-Crowdwall-Signature")
    assert not Post.objects.exists()
    assert published.events == []


def test_a_signature_with_another_secret_is_refused(deliver):
    response = deliver(make_post(1), secret="guessed")
    assert response.status_code == 401
    assert error_code(response) == "bad_signature"
    assert not Post.objects.exists()


def test_a_signature_of_another_body_is_refused(deliver):
    stamp = str(int(time.time()))
    signature = sign(SECRET, json.dumps(make_post(1)).encode(), stamp)
    response = deliver(
        make_post(1, html="<p>changed #DjangoCon</p>"), signature=signature, timestamp=stamp
    )
    assert response.status_code == 401
    assert not Post.objects.exists()


# Replay protection: the timestamp is signed with the body and must be recent.


def test_the_sender_helper_makes_a_valid_delivery(client, hook):
    body = json.dumps(make_post(1)).encode()
    headers = {
        "HTTP_" + name.upper().replace("-", "_"): value
        for name, value in signature_headers(SECRET, body).items()
    }
    url = reverse("crowdwall:crowdwall-webhook", args=[hook.pk])
    response = client.post(url, data=body, content_type="application/json", **headers)
    assert response.status_code == 200
    assert response.json()["created"] == 1


def test_a_body_only_signature_is_refused_by_default(deliver):
    body = json.dumps(make_post(1)).encode()
    response = deliver(body=body, signature=sign(SECRET, body), timestamp="")
    assert response.status_code == 401
    assert error_code(response) == "missing_timestamp"
    assert "X-Crowdwall-Timestamp" in response.json()["error"]["message"]
    assert not Post.objects.exists()


def test_body_only_signatures_are_accepted_when_allowed(deliver, settings):
    settings.CROWDWALL = {"WEBHOOK_ALLOW_BODY_ONLY_SIGNATURES": True}
    body = json.dumps(make_post(1)).encode()
    assert deliver(body=body, signature=sign(SECRET, body), timestamp="").status_code == 200
    forged = deliver(body=body, signature=sign("guessed", body), timestamp="")
    assert (forged.status_code, error_code(forged)) == (401, "bad_signature")
    assert deliver(make_post(2)).status_code == 200  # timestamped deliveries work as ever


def test_a_body_only_signature_does_not_pass_with_a_timestamp_added(deliver, settings):
    settings.CROWDWALL = {"WEBHOOK_ALLOW_BODY_ONLY_SIGNATURES": True}
    body = json.dumps(make_post(1)).encode()
    response = deliver(body=body, signature=sign(SECRET, body), timestamp=str(int(time.time())))
    assert (response.status_code, error_code(response)) == (401, "bad_signature")


def test_a_captured_delivery_replayed_later_is_refused(deliver, hook, published):
    """A request signed 301 s ago (the default tolerance is 300 s) is refused, nothing stored,
    nothing published: an old edit or deletion cannot be sent again."""
    deliver(make_post(1))
    old = str(int(time.time()) - 301)
    edit = make_post(1, html="<p>Old edit #DjangoCon</p>", edited_at="2025-05-14T10:00:00Z")
    response = deliver(edit, timestamp=old)
    assert response.status_code == 400
    assert error_code(response) == "stale_timestamp"
    response = deliver({"id": "1", "action": "delete"}, timestamp=old)
    assert (response.status_code, error_code(response)) == (400, "stale_timestamp")
    post = Post.objects.get(source=hook)
    assert post.edited_at is None and post.deleted_at is None
    assert [kind for kind, _ in published.kinds()] == ["post.new"]


def test_a_timestamp_within_the_tolerance_is_accepted(deliver):
    assert deliver(make_post(1), timestamp=str(int(time.time()) - 250)).status_code == 200
    assert deliver(make_post(2), timestamp=str(int(time.time()) + 250)).status_code == 200


def test_a_timestamp_from_the_future_is_refused(deliver):
    milliseconds = str(int(time.time() * 1000))  # a common sender bug
    response = deliver(make_post(1), timestamp=milliseconds)
    assert response.status_code == 400
    assert error_code(response) == "future_timestamp"
    assert "milliseconds" in response.json()["error"]["message"]
    assert not Post.objects.exists()


def test_the_tolerance_is_a_setting(deliver, settings):
    settings.CROWDWALL = {"WEBHOOK_TOLERANCE_SECONDS": 10}
    response = deliver(make_post(1), timestamp=str(int(time.time()) - 60))
    assert (response.status_code, error_code(response)) == (400, "stale_timestamp")
    assert deliver(make_post(1)).status_code == 200


@pytest.mark.parametrize("timestamp", ["2025-05-14T10:00:00Z", "1747213200.5", "-5", "0x1f"])
def test_a_malformed_timestamp_is_400(deliver, timestamp):
    response = deliver(make_post(1), timestamp=timestamp)
    assert response.status_code == 400
    assert error_code(response) == "bad_timestamp"
    assert not Post.objects.exists()


def test_a_stale_timestamp_with_a_bad_signature_is_401(deliver):
    """The signature is checked first: a forger learns nothing about our clock."""
    response = deliver(
        make_post(1), timestamp=str(int(time.time()) - 3600), signature="sha256=" + "0" * 64
    )
    assert (response.status_code, error_code(response)) == (401, "bad_signature")


def test_unknown_other_kind_disabled_and_secretless_sources_are_404(deliver, wall, source):
    disabled = Source.objects.create(
        wall=wall, name="off", kind="webhook", secret=SECRET, enabled=False
    )
    secretless = Source.objects.create(wall=wall, name="open", kind="webhook", secret="")
    for target in (987654, source, disabled, secretless):  # ``source`` is a replay source
        response = deliver(make_post(1), source=target)
        assert response.status_code == 404
        assert error_code(response) == "unknown_source"
    assert not Post.objects.exists()


def test_get_is_405_with_allow(client, hook):
    response = client.get(reverse("crowdwall:crowdwall-webhook", args=[hook.pk]))
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert error_code(response) == "method_not_allowed"


def test_an_oversized_body_is_413_before_anything_else(deliver, settings):
    settings.CROWDWALL = {"WEBHOOK_MAX_BYTES": 2_000}
    big = make_post(1, html="<p>" + "x" * 3_000 + " #DjangoCon</p>")
    response = deliver(big)
    assert response.status_code == 413
    assert error_code(response) == "too_large"
    response = deliver(big, signature="", timestamp="")  # the size is checked first
    assert response.status_code == 413
    assert not Post.objects.exists()
    assert deliver(make_post(2)).status_code == 200  # small ones still pass


def test_the_default_limit_is_256_kb(deliver):
    body = json.dumps({"posts": [make_post(1)], "padding": "x" * 262_144}).encode()
    assert deliver(body=body).status_code == 413


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{not json", "bad_json"),
        (b"\xff\xfe\x00", "bad_json"),
        (b"[]", "invalid_payload"),
        (b'{"posts": "all of them"}', "invalid_payload"),
        (json.dumps({"id": "1", "html": "<p>no author</p>"}).encode(), "invalid_post"),
        (json.dumps({"posts": [{"id": "1"}, 42]}).encode(), "invalid_post"),
    ],
)
def test_bad_bodies_are_400_and_store_nothing(deliver, body, code):
    response = deliver(body=body)
    assert response.status_code == 400
    assert error_code(response) == code
    assert not Post.objects.exists()


def test_a_single_invalid_post_says_why(deliver):
    response = deliver({"id": "1", "created_at": "2025-05-14T09:00:00Z", "text": "hi"})
    assert response.status_code == 400
    assert "author" in response.json()["error"]["message"]
    assert response.json()["rejected"][0]["reason"] == "missing_field"


def test_redelivery_is_idempotent(deliver, hook, published):
    first = deliver({"posts": [make_post(1), make_post(2)]})
    again = deliver({"posts": [make_post(1), make_post(2)]})
    assert first.json()["created"] == 2
    assert again.status_code == 200
    assert again.json()["created"] == 0 and again.json()["duplicates"] == 2
    assert Post.objects.filter(source=hook).count() == 2
    assert [kind for kind, _ in published.kinds()] == ["post.new", "post.new"]  # once each


def test_edits_and_deletions_arrive_by_webhook_too(deliver, hook, published):
    deliver(make_post(1))
    edited = deliver(
        make_post(1, html="<p>Edited #DjangoCon</p>", edited_at="2025-05-14T10:00:00Z")
    )
    assert edited.json()["updated"] == 1
    gone = deliver({"id": "1", "action": "delete"})
    assert gone.json()["deleted"] == 1
    assert Post.objects.get(source=hook).deleted_at is not None
    assert [kind for kind, _ in published.kinds()] == ["post.new", "post.update", "post.delete"]


def test_a_mixed_batch_stores_the_valid_posts_and_reports_the_rest(deliver, hook, caplog):
    no_author = make_post(2)
    del no_author["author"]
    response = deliver(
        {"posts": [make_post(1), no_author, "not a post", make_post(3, created_at="whenever")]}
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["received"], body["created"]) == (4, 1)
    assert [(r["id"], r["reason"]) for r in body["rejected"]] == [
        ("2", "missing_field"),
        ("", "not_an_object"),
        ("3", "bad_date"),
    ]
    assert list(Post.objects.filter(source=hook).values_list("external_id", flat=True)) == ["1"]
    assert "Rejected post '2'" in caplog.text


def test_nul_and_lone_surrogates_are_cleaned_not_a_500(deliver, hook):
    """The issue's 500s: a NUL in each field it listed, and "\\ud800" escapes in the body."""
    nul = make_post(
        1,
        id="w\x001",
        html="<p>Hello\x00 #DjangoCon</p>",
        spoiler_text="cw\x00",
        language="e\x00n",
        tags=["django\x00con"],
        media=[{"url": "https://m.example/1.png", "alt": "alt\x00"}],
        author={"id": "a\x00", "handle": "ann\x00", "display_name": "Ann\x00"},
    )
    surrogates = make_post(2, html="<p>\ud800 #DjangoCon \udc00</p>", author={"handle": "b\udfff"})
    body = json.dumps({"posts": [nul, surrogates]}).encode()
    assert b"\\u0000" in body and b"\\ud800" in body
    response = deliver(body=body)
    assert response.status_code == 200
    assert (response.json()["created"], response.json()["rejected"]) == (2, [])
    first = Post.objects.select_related("author").get(source=hook, external_id="w1")
    assert (first.author.handle, first.author.display_name, first.language) == ("ann", "Ann", "en")
    assert (first.spoiler_text, first.media[0]["alt"]) == ("cw", "alt")
    second = Post.objects.select_related("author").get(source=hook, external_id="2")
    assert second.text == "\ufffd #DjangoCon \ufffd" and second.author.handle == "b\ufffd"


@pytest.mark.usefixtures("poisoned")
def test_a_post_the_database_refuses_is_quarantined_not_a_500(deliver, hook):
    response = deliver({"posts": [make_post(1), make_post(2, id="poison-2")]})
    assert response.status_code == 200
    assert (response.json()["created"], response.json()["quarantined"]) == (1, 1)
    assert QuarantinedPost.objects.get().external_id == "poison-2"


def test_posts_matching_no_wall_are_counted_not_stored(deliver):
    response = deliver(make_post(1, html="<p>about something else</p>"))
    assert response.status_code == 200
    assert response.json()["unmatched"] == 1
    assert not Post.objects.exists()


HOSTILE = (
    '<p onclick="steal()">Hello #DjangoCon <script>alert(1)</script>'
    '<img src="x" onerror="alert(2)">'
    '<a href="javascript:alert(3)">click</a>'
    '<a href="jav&#x09;ascript:alert(4)">tab</a>'
    '<a href="https://ok.example/" onmouseover="alert(5)">fine</a>'
    '<iframe src="https://evil.example/"></iframe>'
    '<svg onload="alert(6)"><script>alert(7)</script></svg>'
    "<style>body{display:none}</style></p>"
)


def test_hostile_html_is_sanitized_before_it_is_stored_or_published(deliver, hook, published):
    response = deliver(make_post(1, html=HOSTILE))
    assert response.json()["created"] == 1, response.json()
    stored = Post.objects.get(source=hook).content_html
    for text in (stored, published.events[0].post["html"]):
        assert "<script" not in text.lower()
        assert "javascript:" not in text.lower()
        assert not re.search(r"\son\w+\s*=", text, re.IGNORECASE)
        assert "<iframe" not in text and "<svg" not in text and "<style" not in text
    assert 'href="https://ok.example/"' in stored
    assert "Hello #DjangoCon" in stored


def test_a_source_deleted_during_the_delivery_is_404_and_stores_nothing(deliver, hook, monkeypatch):
    real = webhooks.ingest

    def deleted_first(source, items):
        Source.objects.filter(pk=source.pk).delete()
        return real(source, items)

    monkeypatch.setattr(webhooks, "ingest", deleted_first)
    response = deliver(make_post())
    assert response.status_code == 404
    assert error_code(response) == "unknown_source"
    assert not Post.objects.exists()


def test_a_webhook_feeds_its_own_wall_only_under_its_moderation(deliver, wall, hook):
    """The outside probe's case: the secret of a pre-approve wall's webhook delivered a post
    with another (open) wall's hashtag, and it appeared approved there."""
    wall.moderation = "pre_approve"
    wall.save()
    Wall.objects.create(name="Open", slug="open", hashtags=["elsewhere"])
    both = make_post(1, html="<p>#DjangoCon #elsewhere</p>")
    elsewhere_only = make_post(2, html="<p>only #elsewhere</p>")
    response = deliver({"posts": [both, elsewhere_only]})
    assert response.status_code == 200
    assert response.json()["created"] == 1 and response.json()["unmatched"] == 1
    assert list(PostWall.objects.values_list("wall__slug", "state")) == [("djangocon", "pending")]


def test_senders_get_codes_and_messages_never_internal_detail(deliver, monkeypatch, caplog):
    """What went wrong inside (exception text, paths, the sender's own bad values echoed) is
    logged; the sender is told a stable code and a message written for it."""
    from crowdwall.ingest import prepare as preparing
    from crowdwall.sources.webhook import OTHER_REJECTION, REJECTIONS

    real = preparing.prepare

    def explode(post, source_id, limits=None):
        if post.external_id == "boom":
            raise RuntimeError("psycopg: relation crowdwall_post at /srv/app/secret.py")
        return real(post, source_id, limits)

    monkeypatch.setattr(preparing, "prepare", explode)
    response = deliver(
        {
            "posts": [
                make_post(1),
                make_post(2, created_at="<script>whenever</script>"),
                make_post(3, id="boom"),
                make_post(4, action="explode"),
                {**make_post(5), "id": "x" * 300},
            ]
        }
    )
    assert response.status_code == 200
    rejected = response.json()["rejected"]
    assert [(r["id"], r["reason"]) for r in rejected] == [
        ("2", "bad_date"),
        ("boom", "invalid_post"),
        ("4", "bad_action"),
        ("", "id_too_long"),
    ]
    messages = {code: message for code, message in [*REJECTIONS.values(), OTHER_REJECTION]}
    assert all(r["detail"] == messages[r["reason"]] for r in rejected)
    body = response.content.decode()
    for internal in ("psycopg", "/srv/app", "RuntimeError", "whenever", "explode", "300"):
        assert internal not in body
    assert "psycopg: relation crowdwall_post" in caplog.text  # the log has the detail
    assert "Traceback" in caplog.text


def test_when_every_post_is_rejected_the_error_message_is_for_senders(deliver):
    response = deliver(make_post(1, created_at="not-a-date-at-all"))
    assert response.status_code == 400
    message = response.json()["error"]["message"]
    assert "not-a-date" not in message and "ISO 8601" in message
