"""The post fields issue 16 added — link cards, polls, quoted posts, ``date_estimated`` — and
JSON Feed items, hostile, through the signed webhook, the JSON item path (replay) and the JSON
Feed parser: never a 5xx or a crash, refusals in the documented shape, sane storage, and no
executable URL (``javascript:`` and friends) reaching a stored post or the wall page."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client
from hypothesis import given

from crowdwall.exceptions import InvalidPost
from crowdwall.ingest.items import JSONText
from crowdwall.ingest.normalize import clean_post
from crowdwall.models import Post
from crowdwall.sources.jsonfeed import parse_json_feed
from tests.crowdwall.conftest import make_post
from tests.security.conftest import assert_answered, examples, tried
from tests.security.strategies import hostile_feed_item, hostile_post_fields
from tests.security.test_bodies import _deliver

pytestmark = pytest.mark.slow

EXAMPLES = examples(30)
NOW = datetime(2025, 5, 14, 10, 0, tzinfo=UTC)
URL_KEYS = {"url", "image", "profile_url"}
# An attribute whose value starts (after blanks and entities' worth of junk) with a scheme that runs.
EXECUTABLE = re.compile(
    r"""(?:href|src|action)\s*=\s*["']?\s*(?:javascript|vbscript|data):""", re.I
)


# Extras an attacker would try first: executable links next to harmless fields.
KNOWN_EXTRAS: list[dict[str, Any]] = [
    {"card": {"url": "https://ok.example/card", "title": "javascript:alert(1)",
              "image": "javascript:alert(1)"},
     "quote": {"url": "javascript:alert(1)", "text": "<script>alert(1)</script>"}},
    {"card": {"url": " JavaScript:alert(1)"}, "quote": {"url": "https://ok.example/q",
              "profile_url": "vbscript:msgbox(1)", "handle": "@\x00x"}},
    {"poll": {"options": [{"title": "yes", "votes": -5}, {"title": "no", "votes": 10**30}],
              "votes": "12", "voters": 2**63, "multiple": "yes", "closed": 1}},
    {"date_estimated": "yes"},
    {"card": {"url": "https://ok.example/" + "a" * 5_000}, "poll": {"options": "x"}},
]  # fmt: skip


def _walk(value: Any, key: str = "") -> Any:
    """Every (key, scalar) pair of a JSON value."""
    if isinstance(value, dict):
        for name, item in value.items():
            yield from _walk(item, name)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item, key)
    else:
        yield key, value


def assert_sane_extras(extras: Any) -> None:
    """Stored extras: only the three kinds, bounded, storable, links absolute http(s) only."""
    if not extras:
        return
    assert set(extras) <= {"card", "poll", "quote"}, extras.keys()
    text = json.dumps(extras, ensure_ascii=False)
    assert len(text) < 40_000, len(text)
    assert "\x00" not in text and not any(0xD800 <= ord(c) <= 0xDFFF for c in text)
    for key, value in _walk(extras):
        if key in URL_KEYS:
            assert isinstance(value, str) and value.lower().startswith(("https://", "http://"))
            assert not re.search(r"[\s<>\"']", value), value
        if key in ("votes", "voters"):
            assert value is None or (type(value) is int and 0 <= value < 2**31), value
    poll = extras.get("poll")
    if poll:
        assert 0 < len(poll["options"]) <= 20


def assert_sane_post(url: str, extras: Any) -> None:
    assert url == "" or url.lower().startswith(("https://", "http://")), url
    assert_sane_extras(extras)


def test_hostile_extras_through_the_webhook(anon: Client, site: dict[str, Any]) -> None:
    hook = site["hook"].pk
    before = Post.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    @EXAMPLES
    @given(fields=hostile_post_fields())
    def check(fields: dict[str, Any]) -> None:
        tried("webhook")
        post = {**make_post(html="<p>#DjangoCon extras</p>"), **fields}
        good = make_post()
        response = _deliver(anon, hook, json.dumps({"posts": [post, good]}).encode())
        assert_answered(response, api=True)
        if response.status_code == 200:  # else refused whole (too deep, too big): documented
            assert Post.objects.filter(external_id=good["id"]).exists(), response.content

    check()
    for fields in KNOWN_EXTRAS:  # whatever hypothesis drew
        tried("webhook")
        post = {**make_post(html="<p>#DjangoCon known</p>"), **fields}
        assert_answered(_deliver(anon, hook, json.dumps({"posts": [post]}).encode()), api=True)
    stored = Post.objects.filter(pk__gt=before)
    kept = stored.exclude(extras={}).exclude(extras=None).values_list("extras", flat=True)
    assert {"card", "poll"} <= {kind for extras in kept for kind in extras}
    for url, extras in stored.values_list("url", "extras"):
        assert_sane_post(url, extras)
    page = anon.get("/walls/djangocon/")
    assert page.status_code == 200
    assert not EXECUTABLE.search(page.content.decode()), EXECUTABLE.search(page.content.decode())


def test_hostile_extras_through_the_json_item_path(store: Any, site: dict[str, Any]) -> None:
    """What the replay source hands the pipeline: crowdwall's JSON format as text."""

    @EXAMPLES
    @given(fields=hostile_post_fields())
    def check(fields: dict[str, Any]) -> None:
        tried("replay")
        post = {**make_post(html="<p>#DjangoCon replayed</p>"), **fields}
        result = store(JSONText(json.dumps(post), origin="hostile"), make_post())
        assert result.created + result.updated + len(result.rejected) >= 2, result
        if result.rejected:  # refused with a reason, never half-stored
            assert all(rejected.reason for rejected in result.rejected), result.rejected
            assert not Post.objects.filter(external_id=post["id"], source__name="demo").exists()
        else:
            row = Post.objects.get(external_id=post["id"], source__name="demo")
            assert_sane_post(row.url, row.extras)
            if fields.get("date_estimated") is True:
                assert row.date_estimated is True

    check()


def test_hostile_json_feed_items_never_crash_the_parser(caplog: Any) -> None:
    good = {"id": "good", "url": "https://blog.example/good", "content_text": "fine",
            "date_published": "2025-05-14T09:00:00Z"}  # fmt: skip

    @EXAMPLES
    @given(item=hostile_feed_item())
    def check(item: Any) -> None:
        tried("feed")
        document = {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "Hostile",
            "home_page_url": "https://blog.example/",
            "items": [item, good],
        }
        body = json.dumps(document).encode("utf-8", "surrogatepass")
        caplog.clear()
        with caplog.at_level(logging.ERROR, logger="crowdwall"):
            parsed = parse_json_feed(body, url="https://blog.example/feed.json", now=NOW)
        assert not parsed.problem, parsed.problem
        assert not caplog.records, caplog.records[0].getMessage()  # no item crashed
        assert "good" in {entry.post.external_id for entry in parsed.entries}
        for entry in parsed.entries:
            try:
                post = clean_post(entry.post, now=NOW)
            except InvalidPost:
                continue  # refused with a reason: the feed source counts and skips it
            assert_sane_post(post.url, post.extras)
            assert all(m.url.lower().startswith(("https://", "http://")) for m in post.media)

    check()
