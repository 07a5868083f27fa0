"""Hostile webhook bodies under the size limit: huge integers, deep nesting and non-finite numbers,
at the top level or inside a post's fields, are refused with a 400 in the webhook's error shape and store nothing
(never a 500); a declared ``Content-Length`` over the limit is refused before reading."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from crowdwall.jsonlimits import MAX_DEPTH
from crowdwall.models import Post
from crowdwall.sources.webhook import signature_headers
from tests.crowdwall import test_webhooks
from tests.crowdwall.conftest import make_post

hook = test_webhooks.hook
deliver = test_webhooks.deliver
LIMIT = 262_144  # the default WEBHOOK_MAX_BYTES

HUGE_INT = "9" * 5_000  # past Python's 4,300-digit int-string limit


def deep_array(levels: int, inner: str = "1") -> str:
    return "[" * levels + inner + "]" * levels


def deep_object(levels: int, inner: str = "1") -> str:
    return '{"a":' * levels + inner + "}" * levels


def post_with(field: str, raw_value: str) -> bytes:
    """One valid post with ``field`` set to ``raw_value`` (JSON text, inserted as is)."""
    text = json.dumps({**make_post(1), field: "PLACEHOLDER"})
    return text.replace('"PLACEHOLDER"', raw_value).encode()


HOSTILE = {
    "huge int": (HUGE_INT.encode(), "bad_json"),
    "huge int as the id": (post_with("id", HUGE_INT), "bad_json"),
    "huge int in a batch": (
        b'{"posts": [' + post_with("reply_count", HUGE_INT) + b"]}",
        "bad_json",
    ),
    "100,000-deep array": (deep_array(100_000).encode(), "too_deep"),
    "40,000-deep object": (deep_object(40_000).encode(), "too_deep"),
    "deep array as the html": (post_with("html", deep_array(50_000, '"x"')), "too_deep"),
    "deep object in a batch": (
        b'{"posts": [' + post_with("author", deep_object(30_000)) + b"]}",
        "too_deep",
    ),
    "one level too deep": (post_with("extra", deep_array(MAX_DEPTH)), "too_deep"),
    "NaN as the id": (post_with("id", "NaN"), "bad_json"),
    "an infinite number in a batch": (
        b'{"posts": [' + post_with("like_count", "1e999") + b"]}",
        "bad_json",
    ),
}


@pytest.mark.parametrize(("body", "code"), HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_bodies_under_the_size_limit_are_400_and_store_nothing(
    deliver, body, code, published
):
    assert len(body) <= LIMIT
    response = deliver(body=body)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == code and error["message"]
    assert not Post.objects.exists()
    assert published.events == []


def test_nesting_up_to_the_limit_is_read(deliver, hook):
    # The post object is one level; its extra field adds MAX_DEPTH - 1: exactly the limit.
    body = post_with("extra", deep_array(MAX_DEPTH - 1))
    response = deliver(body=body)
    assert response.status_code == 200, response.json()
    assert response.json()["created"] == 1
    assert Post.objects.filter(source=hook).count() == 1


def test_brackets_inside_strings_are_not_nesting(deliver, hook):
    response = deliver(make_post(1, html='<p>#DjangoCon "[[[[{{{{"' + "[" * 5_000 + "</p>"))
    assert response.status_code == 200, response.json()
    assert response.json()["created"] == 1


def test_a_declared_length_over_the_limit_is_413_without_reading(client, hook):
    body = json.dumps(make_post(1)).encode()
    url = reverse("crowdwall:crowdwall-webhook", args=[hook.pk])
    response = client.post(
        url,
        data=body,
        content_type="application/json",
        CONTENT_LENGTH="99999999999",
        **{
            f"HTTP_{name.upper().replace('-', '_')}": value
            for name, value in signature_headers(test_webhooks.SECRET, body).items()
        },
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert not Post.objects.exists()
