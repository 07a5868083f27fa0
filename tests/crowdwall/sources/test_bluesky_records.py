"""Bluesky post records as IncomingPost: HTML from facets (byte offsets), media on the CDN,
dates, replies, languages, self-labels; and the result passes the pipeline's validation."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crowdwall.exceptions import InvalidPost
from crowdwall.ingest.normalize import clean_post
from crowdwall.sources.bluesky_records import post_from_record, record_html, record_media
from tests.crowdwall.fakes.jetstream import tag_facet

DID = "did:plc:ann2345ann2345ann2345an"
CID = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"
TIME_US = 1_747_213_200_123_456


def facet(text: str, label: str, feature: dict) -> dict:
    start = text.encode().index(label.encode())
    return {
        "index": {"byteStart": start, "byteEnd": start + len(label.encode())},
        "features": [feature],
    }


def test_plain_text_without_facets_has_no_html():
    assert record_html("just text https://x.example", {}) == ""


def test_facets_become_links_with_everything_else_escaped():
    text = "🎉 Ünïcode first! <b>bold?</b> @ann.example.com reads example.com/a… #DjangoCon\n\nbye"
    facets = [
        facet(text, "@ann.example.com", {"$type": "app.bsky.richtext.facet#mention", "did": DID}),
        facet(text, "example.com/a…", {"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com/a?b=1&c=2"}),
        tag_facet(text, "DjangoCon"),
    ]  # fmt: skip
    html = record_html(text, {"facets": facets})
    assert html == (
        "<p>🎉 Ünïcode first! &lt;b&gt;bold?&lt;/b&gt; "
        f'<a href="https://bsky.app/profile/{DID}">@ann.example.com</a> reads '
        '<a href="https://example.com/a?b=1&amp;c=2">example.com/a…</a> '
        '<a href="https://bsky.app/hashtag/DjangoCon">#DjangoCon</a></p><p>bye</p>'
    )


@pytest.mark.parametrize(
    "index",
    [
        {"byteStart": 1, "byteEnd": 3},  # cuts the emoji in half
        {"byteStart": 5, "byteEnd": 400},  # past the end
        {"byteStart": 6, "byteEnd": 6},  # empty
        {"byteStart": "0", "byteEnd": 4},  # not a number
    ],
)
def test_broken_facets_are_skipped(index):
    link = {"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com"}
    html = record_html("🎉 text here", {"facets": [{"index": index, "features": [link]}]})
    assert "<a" not in html


def test_unsafe_link_targets_and_overlaps_are_dropped():
    text = "click me and me"
    bad = {"$type": "app.bsky.richtext.facet#link", "uri": "javascript:alert(1)"}
    good = {"$type": "app.bsky.richtext.facet#link", "uri": "https://ok.example"}
    facets = [
        {"index": {"byteStart": 0, "byteEnd": 8}, "features": [bad]},
        {"index": {"byteStart": 0, "byteEnd": 5}, "features": [good]},
        {"index": {"byteStart": 2, "byteEnd": 8}, "features": [good]},  # overlaps the one before
    ]
    assert record_html(text, {"facets": facets}) == (
        '<p><a href="https://ok.example">click</a> me and me</p>'
    )


def test_images_videos_and_quote_media_link_the_cdn_with_alt_text():
    image = {"$type": "blob", "ref": {"$link": CID}, "mimeType": "image/jpeg", "size": 1}
    legacy = {"cid": CID, "mimeType": "image/png"}
    images = {
        "$type": "app.bsky.embed.images",
        "images": [{"alt": "A cat", "image": image}, {"alt": "", "image": legacy},
                   {"alt": "no blob"}, {"image": {"ref": {"$link": "../../etc"}}}],
    }  # fmt: skip
    media = record_media(DID, images)
    assert [(m.url, m.alt, m.type) for m in media] == [
        (f"https://cdn.bsky.app/img/feed_fullsize/plain/{DID}/{CID}@jpeg", "A cat", "image"),
        (f"https://cdn.bsky.app/img/feed_fullsize/plain/{DID}/{CID}@jpeg", "", "image"),
    ]
    assert media[0].preview_url == f"https://cdn.bsky.app/img/feed_thumbnail/plain/{DID}/{CID}@jpeg"
    video = {"$type": "app.bsky.embed.video", "video": image, "alt": "A talk"}
    quote = {"$type": "app.bsky.embed.recordWithMedia", "record": {}, "media": video}
    [clip] = record_media(DID, quote)
    assert clip.type == "video" and clip.alt == "A talk"
    assert clip.url == f"https://video.bsky.app/watch/{DID}/{CID}/playlist.m3u8"
    assert record_media(DID, {"$type": "app.bsky.embed.external", "external": {}}) == []
    assert record_media(DID, "nonsense") == []


@pytest.mark.parametrize(
    ("created_at", "expected"),
    [
        ("2024-09-09T19:46:02.102Z", datetime(2024, 9, 9, 19, 46, 2, 102000, tzinfo=UTC)),
        ("2024-09-09T21:46:02+02:00", datetime(2024, 9, 9, 19, 46, 2, tzinfo=UTC)),
        ("2024-09-09T19:46:02", datetime(2024, 9, 9, 19, 46, 2, tzinfo=UTC)),  # naive: UTC
        ("Mon, 09 Sep 2024 19:46:02 GMT", datetime(2024, 9, 9, 19, 46, 2, tzinfo=UTC)),
        ("not a date", datetime.fromtimestamp(TIME_US / 1e6, UTC)),  # Jetstream's time instead
        (None, datetime.fromtimestamp(TIME_US / 1e6, UTC)),
    ],
)
def test_created_at_is_parsed_leniently_to_utc(created_at, expected):
    record = {"text": "hi", "createdAt": created_at}
    post = post_from_record(DID, "3k", record, time_us=TIME_US)
    assert post.created_at == expected
    assert post.date_estimated is (created_at in ("not a date", None))  # Jetstream's time


def test_a_full_record_maps_every_field_and_passes_validation():
    record = {
        "$type": "app.bsky.feed.post",
        "text": "Replying in Portuguese #DjangoCon",
        "createdAt": "2025-05-14T09:00:00.000Z",
        "langs": ["pt-BR", "en"],
        "reply": {"parent": {"uri": "at://x/app.bsky.feed.post/1", "cid": CID}, "root": {}},
        "labels": {"$type": "com.atproto.label.defs#selfLabels", "values": [{"val": "nudity"}]},
        "tags": ["Extra"],
    }
    post = post_from_record(DID, "3kabc", record, time_us=TIME_US, handle="ann.example.com")
    assert post.external_id == f"at://{DID}/app.bsky.feed.post/3kabc"
    assert post.url == f"https://bsky.app/profile/{DID}/post/3kabc"
    assert post.author is not None and post.author.id == DID
    assert post.author.handle == "ann.example.com"
    assert post.is_reply and post.sensitive and post.language == "pt-BR"
    assert post.hashtags == ("extra",)
    assert post.edited_at is None
    cleaned = clean_post(post, now=datetime(2025, 5, 15, tzinfo=UTC))
    assert cleaned.author is not None and cleaned.author.handle == "ann.example.com"
    edited = post_from_record(DID, "3kabc", record, time_us=TIME_US, update=True)
    assert edited.edited_at == datetime.fromtimestamp(TIME_US / 1e6, UTC)
    assert edited.author is not None and edited.author.handle == DID  # handle unknown: the DID


def test_a_record_whose_text_is_not_a_string_is_invalid():
    with pytest.raises(InvalidPost, match="'text'"):
        post_from_record(DID, "3k", {"text": ["no"]}, time_us=TIME_US)
