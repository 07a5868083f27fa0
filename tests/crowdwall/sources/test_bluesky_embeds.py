"""Bluesky embeds as media, link cards and quotes, from records shaped as the app.bsky.embed.*
lexicons define them (blob refs as Jetstream sends them), through the pipeline's checks."""

from __future__ import annotations

from datetime import UTC, datetime

from crowdwall.ingest.normalize import clean_post
from crowdwall.ingest.prepare import prepare
from crowdwall.sources.bluesky_embeds import record_extras, record_media
from crowdwall.sources.bluesky_records import post_from_record

DID = "did:plc:z72i7hdynmk6r22z27h6tvur"
QUOTED_DID = "did:plc:ewvi7nxzyoun6zhxrhs64oiz"
CIDS = [
    "bafkreibjfgx2gprinfvicegelk5kosd6y2frmqpqzwqkg7usac74l3t2v4",
    "bafkreiecxlyvqvsyxz2gjz2vvkkoiyrklb2oxoc2whqm6mtpmsuvygs4qa",
    "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku",
]
NOW = datetime(2025, 5, 15, tzinfo=UTC)
TIME_US = 1_747_213_200_123_456


def blob(cid: str, mime: str = "image/jpeg", size: int = 345_678) -> dict:
    return {"$type": "blob", "ref": {"$link": cid}, "mimeType": mime, "size": size}


def image_url(cid: str, preset: str = "feed_fullsize", did: str = DID) -> str:
    return f"https://cdn.bsky.app/img/{preset}/plain/{did}/{cid}@jpeg"


GALLERY = {
    "$type": "app.bsky.embed.gallery",
    "items": [
        {
            "$type": "app.bsky.embed.gallery#image",
            "image": blob(cid),
            "alt": f"Slide {n}",
            "aspectRatio": {"width": 1600, "height": 900},
        }
        for n, cid in enumerate(CIDS, 1)
    ],
}
QUOTE_REF = {
    "$type": "com.atproto.repo.strongRef",
    "uri": f"at://{QUOTED_DID}/app.bsky.feed.post/3lbnfmsq3ak2x",
    "cid": "bafyreihmj2ycyvwpyrrsidbahqj5ttbkeh6f4fqadxidb5a6qvbyjslgfe",
}


def test_images_keep_their_alt_texts_and_cdn_thumbnails():
    embed = {
        "$type": "app.bsky.embed.images",
        "images": [
            {"alt": "The stage", "image": blob(CIDS[0]), "aspectRatio": {"width": 4, "height": 3}},
            {"alt": "", "image": blob(CIDS[1], "image/png")},
        ],
    }
    media = record_media(DID, embed)
    assert [(m.url, m.preview_url, m.alt, m.type) for m in media] == [
        (image_url(CIDS[0]), image_url(CIDS[0], "feed_thumbnail"), "The stage", "image"),
        (image_url(CIDS[1]), image_url(CIDS[1], "feed_thumbnail"), "", "image"),
    ]
    assert record_extras(DID, embed) is None


def test_a_gallery_alone_and_inside_record_with_media():
    assert [(m.url, m.alt) for m in record_media(DID, GALLERY)] == [
        (image_url(cid), f"Slide {n}") for n, cid in enumerate(CIDS, 1)
    ]
    both = {
        "$type": "app.bsky.embed.recordWithMedia",
        "record": {"$type": "app.bsky.embed.record", "record": QUOTE_REF},
        "media": GALLERY,
    }
    assert [m.alt for m in record_media(DID, both)] == ["Slide 1", "Slide 2", "Slide 3"]
    assert record_extras(DID, both) == {
        "quote": {
            "url": f"https://bsky.app/profile/{QUOTED_DID}/post/3lbnfmsq3ak2x",
            "id": QUOTE_REF["uri"],
            "handle": QUOTED_DID,
            "profile_url": f"https://bsky.app/profile/{QUOTED_DID}",
        }
    }


def test_a_video_links_its_hls_playlist_and_poster_as_the_appview_does():
    embed = {
        "$type": "app.bsky.embed.video",
        "video": blob(CIDS[2], "video/mp4", 5_000_000),
        "alt": "Keynote opening",
        "aspectRatio": {"width": 1920, "height": 1080},
    }
    [video] = record_media(DID, embed)
    assert (video.type, video.alt) == ("video", "Keynote opening")
    assert video.url == f"https://video.bsky.app/watch/{DID}/{CIDS[2]}/playlist.m3u8"
    assert video.preview_url == f"https://video.cdn.bsky.app/hls/{DID}/{CIDS[2]}/thumbnail.jpg"


def test_an_external_embed_is_a_link_card_with_its_thumbnail():
    embed = {
        "$type": "app.bsky.embed.external",
        "external": {
            "uri": "https://www.djangoproject.com/weblog/2025/apr/02/django-52-released/",
            "title": "Django 5.2 released",
            "description": "The Django team is happy to announce the release of Django 5.2.",
            "thumb": blob(CIDS[0]),
        },
    }
    assert record_media(DID, embed) == []
    assert record_extras(DID, embed) == {
        "card": {
            "url": "https://www.djangoproject.com/weblog/2025/apr/02/django-52-released/",
            "title": "Django 5.2 released",
            "description": "The Django team is happy to announce the release of Django 5.2.",
            "image": image_url(CIDS[0], "feed_thumbnail"),
            "site": "www.djangoproject.com",
        }
    }


def test_a_gif_reply_without_text_is_a_post_showing_its_gif():
    record = {
        "$type": "app.bsky.feed.post",
        "text": "",
        "createdAt": "2025-05-14T09:00:00.000Z",
        "langs": ["en"],
        "reply": {"root": QUOTE_REF, "parent": QUOTE_REF},
        "embed": {
            "$type": "app.bsky.embed.external",
            "external": {
                "uri": "https://media.tenor.com/DsJ8-wxWQXoAAAAC/clapping-applause.gif?hh=280&ww=498",
                "title": "a clapping audience",
                "description": "Alt: a clapping audience",
                "thumb": blob(CIDS[1]),
            },
        },
    }
    post = clean_post(post_from_record(DID, "3kgif", record, time_us=TIME_US), now=NOW)
    [gif] = post.media
    assert (gif.type, gif.alt) == ("image", "a clapping audience")
    assert gif.url.startswith("https://media.tenor.com/DsJ8-wxWQXoAAAAC/")
    assert post.extras is None  # the GIF, not also a card
    prepared = prepare(post, source_id=1)  # not rejected as "empty"
    assert prepared.text == "" and prepared.media[0]["alt"] == "a clapping audience"


def test_a_quote_post_links_the_quoted_post_and_its_author():
    record = {
        "$type": "app.bsky.feed.post",
        "text": "This is the way #DjangoCon",
        "createdAt": "2025-05-14T09:00:00.000Z",
        "embed": {"$type": "app.bsky.embed.record", "record": QUOTE_REF},
    }
    post = clean_post(post_from_record(DID, "3kq", record, time_us=TIME_US), now=NOW)
    assert post.extras is not None
    assert (
        post.extras["quote"]["url"] == f"https://bsky.app/profile/{QUOTED_DID}/post/3lbnfmsq3ak2x"
    )
    assert post.media == ()


def test_embedded_feeds_and_lists_are_cards_and_junk_is_nothing():
    feed = {"uri": f"at://{QUOTED_DID}/app.bsky.feed.generator/whats-hot", "cid": CIDS[0]}
    extras = record_extras(DID, {"$type": "app.bsky.embed.record", "record": feed})
    assert extras == {
        "card": {
            "url": f"https://bsky.app/profile/{QUOTED_DID}/feed/whats-hot",
            "title": "Bluesky feed",
            "site": "bsky.app",
        }
    }
    for junk in [
        {"$type": "app.bsky.embed.record", "record": {"uri": "https://x.example/"}},
        {"$type": "app.bsky.embed.record", "record": {"uri": f"at://{DID}/com.example.x/1"}},
        {"$type": "app.bsky.embed.external", "external": {"title": "no uri"}},
        {"$type": "app.bsky.embed.recordWithMedia", "record": "x", "media": None},
        {"$type": "app.bsky.embed.unknown"},
        "nonsense",
    ]:
        assert record_extras(DID, junk) is None, junk
        assert record_media(DID, junk) == [], junk
