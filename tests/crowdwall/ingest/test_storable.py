"""Text every database stores alike: C0 controls and lone surrogates never reach a column, so a
post carrying them is stored (cleaned) instead of failing its whole chunk, from every source."""

from __future__ import annotations

import asyncio
import itertools
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crowdwall.ingest.items import JSONText
from crowdwall.ingest.normalize import IncomingAuthor, IncomingMedia, IncomingPost, clean_post
from crowdwall.ingest.storable import storable, storable_post
from crowdwall.models import Author, Post, QuarantinedPost
from crowdwall.sources.base import Cursor
from crowdwall.sources.bluesky import BlueskySource
from crowdwall.sources.feeds import parse_feed
from crowdwall.sources.mastodon.statuses import to_post
from tests.crowdwall.conftest import T0, make_post
from tests.crowdwall.fakes.jetstream import (
    FakeJetstream,
    MemoryLabels,
    encode,
    identity_event,
    post_event,
)

C0 = "".join(map(chr, range(32)))
MULTILINE_KEPT = "\t\n\r"
# Any text, with the hostile characters made likely: controls and surrogate halves.
HOSTILE = st.text(
    alphabet=st.one_of(
        st.characters(codec=None),
        st.sampled_from([*C0, "\ud800", "\udbff", "\udc00", "\udfff", "\ufffd", "\x7f"]),
    ),
    max_size=60,
)


@pytest.mark.parametrize(
    ("value", "line", "text"),
    [
        ("plain", "plain", "plain"),
        ("a\x00b", "ab", "ab"),
        ("a\tb\nc\r\x1fd", "abcd", "a\tb\nc\rd"),
        ("x\ud800y", "x\ufffdy", "x\ufffdy"),  # a lone high half
        ("x\udc00", "x\ufffd", "x\ufffd"),  # a lone low half
        ("\ud83d\ude00", "\U0001f600", "\U0001f600"),  # a pair written as halves: its character
        ("caf\u00e9 \U0001f600 \x7f", "caf\u00e9 \U0001f600 \x7f", "caf\u00e9 \U0001f600 \x7f"),
    ],
)
def test_controls_go_and_surrogates_become_replacement_characters(value, line, text):
    assert storable(value) == line
    assert storable(value, multiline=True) == text


@settings(max_examples=500, deadline=None)
@given(HOSTILE, st.booleans())
def test_any_text_comes_out_encodable_without_controls_and_stable(value, multiline):
    out = storable(value, multiline=multiline)
    out.encode("utf-8")  # no surrogate left: both databases can take it
    allowed = MULTILINE_KEPT if multiline else ""
    assert not any(c in C0 and c not in allowed for c in out)
    assert storable(out, multiline=multiline) == out
    if value.isprintable():
        assert out == value  # what needs nothing is left alone


def test_a_clean_post_is_returned_as_it_is():
    post = clean_post(
        IncomingPost("1", author=IncomingAuthor("a", "ann"), text="x\ny", created_at=T0), now=T0
    )
    assert storable_post(post) is post


def test_clean_post_cleans_every_field_by_its_kind():
    dirty = "d\x00i\trt\ud800"
    post = clean_post(
        IncomingPost(
            f"id{dirty}",
            author=IncomingAuthor(f"a{dirty}", f"ann{dirty}", display_name=f"Ann{dirty}"),
            html=f"<p>{dirty}</p>",
            spoiler_text=f"cw{dirty}",
            language=f"en{dirty}",
            hashtags=(f"tag{dirty}",),
            media=(IncomingMedia("https://m.example/1.png", alt=f"alt{dirty}"),),
            created_at=T0,
        ),
        now=T0,
    )
    line, text = "dirt\ufffd", "di\trt\ufffd"
    assert (post.external_id, post.author.id, post.author.handle) == (
        f"id{line}",
        f"a{line}",
        f"ann{line}",
    )
    assert (post.author.display_name, post.language, post.hashtags) == (
        f"Ann{line}",
        f"en{line}",
        (f"tag{line}",),
    )
    assert (post.html, post.spoiler_text, post.media[0].alt) == (
        f"<p>{text}</p>",
        f"cw{text}",
        f"alt{text}",
    )


# Stored on both databases -----------------------------------------------------------------

_numbers = itertools.count(1)


@pytest.mark.django_db
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(HOSTILE)
def test_any_text_in_any_field_is_storable(store, source, value):
    n = next(_numbers)
    post = make_post(
        n,
        id=f"{n}-{value[:20]}",
        html=f"<p>#DjangoCon {value}</p>",
        spoiler_text=value,
        language=value[:8],
        tags=[value, "djangocon"],
        media=[{"url": "https://m.example/1.png", "alt": value}],
        author={"id": f"a{value}", "handle": f"h{value}", "display_name": value},
    )
    result = store(post)
    assert (result.created + result.updated + result.duplicates, result.rejected) == (1, [])
    assert not QuarantinedPost.objects.exists()


def _dirty(value: str) -> str:
    return value.replace("X", "\x00")


def _assert_clean_everywhere() -> None:
    for row in Post.objects.values("external_id", "text", "spoiler_text", "language", "hashtags"):
        assert "\x00" not in json.dumps(row, ensure_ascii=False), row
    for row in Author.objects.values("key", "handle", "display_name"):
        assert "\x00" not in "".join(row.values()), row


@pytest.mark.django_db
def test_a_post_in_our_json_format_with_nul_in_every_field_is_stored(store):
    """The fields the issue listed, each with a NUL (the webhook test sends it over HTTP)."""
    post = make_post(
        1,
        id=_dirty("wX1"),
        html=_dirty("<p>HelloX #DjangoCon</p>"),
        spoiler_text=_dirty("cwX"),
        language=_dirty("eXn"),
        tags=[_dirty("djangoXcon")],
        media=[{"url": "https://m.example/1.png", "alt": _dirty("altX")}],
        author={"id": _dirty("aX"), "handle": _dirty("annX"), "display_name": _dirty("AnnX")},
    )
    assert store(post).created == 1
    stored = Post.objects.select_related("author").get()
    assert (stored.external_id, stored.language, stored.spoiler_text) == ("w1", "en", "cw")
    assert (stored.author.handle, stored.author.display_name) == ("ann", "Ann")
    assert stored.media[0]["alt"] == "alt" and "djangocon" in stored.hashtags
    _assert_clean_everywhere()


@pytest.mark.django_db
def test_a_replay_line_with_escaped_nul_and_lone_surrogates_is_stored(store):
    """orjson refuses "\\ud800"; the line is read anyway and cleaned."""
    line = json.dumps(make_post(1, html="<p>\x00 \ud800 #DjangoCon</p>", tags=["x\udc00"]))
    assert "\\ud800" in line and "\\u0000" in line
    result = store(JSONText(line, "a.jsonl line 1"))
    assert (result.created, result.rejected) == (1, [])
    assert "x\ufffd" in Post.objects.get().hashtags
    _assert_clean_everywhere()


@pytest.mark.django_db
def test_a_mastodon_status_with_nul_in_every_field_is_stored(store):
    account = {
        "id": "7",
        "username": _dirty("annX"),
        "acct": _dirty("annX"),
        "display_name": _dirty("AnnX"),
        "url": "https://social.example/@ann",
        "uri": "https://social.example/users/ann",
        "avatar": "https://social.example/a.png",
        "bot": False,
    }
    status = {
        "id": "1001",
        "created_at": "2025-05-14T09:00:00.000Z",
        "content": _dirty("<p>HiX #DjangoCon</p>"),
        "spoiler_text": _dirty("cwX"),
        "language": _dirty("eXn"),
        "url": "https://social.example/@ann/1001",
        "account": account,
        "tags": [{"name": _dirty("djangoXcon"), "url": "https://social.example/tags/djangocon"}],
        "media_attachments": [
            {"id": "1", "type": "image", "url": "https://m.example/1.png", "description": "aX"}
        ],
    }
    status["media_attachments"][0]["description"] = _dirty("altX")
    result = store(to_post(status, host="social.example"))
    assert (result.created, result.rejected) == (1, [])
    assert Post.objects.get().media[0]["alt"] == "alt"
    _assert_clean_everywhere()


@pytest.mark.django_db
def test_an_rss_entry_with_nul_in_every_field_is_stored(store, source):
    body = _dirty(
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>F</title>'
        "<link>https://f.example/</link><language>eXn</language><item><guid>id-X1</guid>"
        "<title>TXitle #djangocon</title><link>https://f.example/1</link>"
        "<author>annX@f.example (AnnX)</author><category>djangXocon</category>"
        "<pubDate>Wed, 14 May 2025 09:00:00 GMT</pubDate></item></channel></rss>"
    ).encode()
    entries = parse_feed(body, url="https://f.example/feed").entries
    assert "\x00" in entries[0].post.external_id  # the adapter passes it on
    result = store(*(e.post for e in entries))
    assert (result.created, result.rejected) == (1, [])
    _assert_clean_everywhere()


@pytest.mark.django_db
def test_a_jetstream_frame_with_nul_in_every_field_is_stored(store, source):
    """The issue's halted Bluesky source: 0 of 3 posts stored, the batch retried forever (and
    a frame with a lone surrogate escape, which orjson refuses)."""
    did, t0 = "did:plc:ann2345ann2345ann2345an", 1_747_213_200_000_000
    image = {"$type": "blob", "ref": {"$link": "bafkreiabcdefghijklmnop"}, "mimeType": "image/jpeg"}
    embed = {
        "$type": "app.bsky.embed.images",
        "images": [{"alt": _dirty("altX"), "image": image}],
    }
    with FakeJetstream() as fake:
        fake.append(
            identity_event(did, _dirty("annX.bsky.social"), time_us=t0),
            post_event(did, "p1", "first #djangocon", time_us=t0 + 1),
            post_event(
                did,
                "p2",
                _dirty("secXond #djangocon"),
                time_us=t0 + 2,
                langs=[_dirty("eXn")],
                tags=[_dirty("djangXocon")],
                embed=embed,
            ),
        )
        # A lone surrogate escape, which orjson refuses: the frame is read with json instead.
        third = encode(post_event(did, "p3", "third SURROGATE #djangocon", time_us=t0 + 3))
        fake.append_raw(third.replace("SURROGATE", "\\ud800"), time_us=t0 + 3)
        adapter = BlueskySource(
            name="bsky",
            config={
                "endpoint": fake.url,
                "progress_interval": 0,
                "overlap": 0,
                "profile_lookup": False,
            },
            wall_hashtags=["djangocon"],
            limit=3,
            labels=MemoryLabels(),
        )

        async def read() -> list:
            items = []
            try:
                async for batch in adapter.stream(Cursor(str(t0 - 1))):
                    items += batch.posts
                    if len(items) >= 3:
                        break
            finally:
                await adapter.aclose()
            return items

        items = asyncio.run(asyncio.wait_for(read(), 10))
    result = store(*items)
    assert (result.created, result.rejected) == (3, [])
    assert Post.objects.get(external_id__endswith="/p3").text == "third \ufffd #djangocon"
    _assert_clean_everywhere()
