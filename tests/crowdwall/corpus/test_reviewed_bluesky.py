"""Reviewed items of real Jetstream frames and Bluesky post records (rules: ``reviewing``)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.crowdwall.corpus.reading import TIME_US
from tests.crowdwall.corpus.reviewing import Expected, check

JETSTREAM = "bluesky/jetstream/expected_v1.jsonl"
CDN = "https://cdn.bsky.app/img/feed_fullsize/plain/{}/{}@jpeg"
THUMB = "https://cdn.bsky.app/img/feed_thumbnail/plain/{}/{}@jpeg"
# When Jetstream saw a record read without its frame: what an unusable createdAt becomes.
FRAME_TIME = datetime.fromtimestamp(TIME_US / 1e6, tz=UTC).isoformat()

CASES = [
    pytest.param(
        Expected(
            f"{JETSTREAM}:4",
            text="待って天幕のジャードゥーガル観ようと思ってたのに今日だったの知らなかった……"
            "ネトフリでも観られるっぽいよかった💦",
            created_at="2026-07-04T14:38:08.420000+00:00",
            handle="did:plc:amnbije7mr5g3pgxuun7q44o",  # until an identity event names it
            author_id="did:plc:amnbije7mr5g3pgxuun7q44o",
            media=[],
            hashtags=[],
            language="ja",
            url="https://bsky.app/profile/did:plc:amnbije7mr5g3pgxuun7q44o/post/3mptbyqhi7s2f",
        ),
        id="bluesky-japanese",
    ),
    pytest.param(
        Expected(
            f"{JETSTREAM}:46",
            text_starts="#HowToTellAiToShutUp!\n\nThese days I was googling something",
            created_at="2026-07-04T14:38:07.323000+00:00",
            hashtags=["howtotellaitoshutup", "indierebellion"],
            language="de",
            media=[],
        ),
        id="bluesky-hashtags-in-text",
    ),
    pytest.param(
        Expected(
            f"{JETSTREAM}:144",
            text="Вечерок с Аватаром, дошли и в мульте до Тоф 😍🔥\n\nТакая крутышка, я не могу :",
            created_at="2026-07-04T14:37:36.557000+00:00",
            language="ru",
            media=[
                {
                    "url": CDN.format(
                        "did:plc:6aw7u7xjbaiznddugigmdhvc",
                        "bafkreicwsq23gkygrgpijv7ocssxdyjokfv3quss3f2dg4csds3jpeqkwe",
                    ),
                    "type": "image",
                    "preview_url": THUMB.format(
                        "did:plc:6aw7u7xjbaiznddugigmdhvc",
                        "bafkreicwsq23gkygrgpijv7ocssxdyjokfv3quss3f2dg4csds3jpeqkwe",
                    ),
                }
            ],
        ),
        id="bluesky-image",
    ),
    pytest.param(
        Expected(
            f"{JETSTREAM}:148",
            text_starts="\"Behind them, Timmi and Wanky'u follow silently",
            hashtags=["talesatwonderworld", "balanwonderworldoc"],
            language="es",
        ),
        id="bluesky-image-and-tags",
    ),
    pytest.param(
        Expected(
            f"{JETSTREAM}:2",
            text="www.youtube.com/watch?v=V5lD...",
            language="en",
            html_has=['href="https://www.youtube.com/watch?v=V5lDo-jw8mA"'],
        ),
        id="bluesky-link-facet",
    ),
    pytest.param(
        Expected(
            f"{JETSTREAM}:145",
            deleted="at://did:plc:4smmjsqf6l5jkzczvw6vsrqc/app.bsky.feed.post/3mpt73z3ejc2p",
        ),
        id="bluesky-deletion",
    ),
    pytest.param(Expected(f"{JETSTREAM}:1", rejected="not a post"), id="bluesky-like-ignored"),
    pytest.param(
        # A reply that is only a GIF (an external embed with a thumbnail) and no text.
        Expected(f"{JETSTREAM}:131", text="", reply=True, language="en"),
        id="bluesky-gif-reply-without-text",
    ),
    pytest.param(
        Expected(
            "bluesky/records/bsky-docs-posts-3.json",
            text="✨ example mentioning @atproto.com to share the URL 👨\u200d❤️\u200d👨 "
            "https://en.wikipedia.org/wiki/CBOR.",
            created_at="2023-08-08T01:03:41.157302+00:00",
            html_has=[
                'href="https://en.wikipedia.org/wiki/CBOR"',
                'href="https://bsky.app/profile/did:plc:ewvi7nxzyoun6zhxrhs64oiz"',
            ],
        ),
        id="bluesky-mention-and-link-facets",
    ),
    pytest.param(
        Expected(
            "bluesky/records/bsky-docs-posts-7.json",
            text="example post with multiple images attached",
            created_at="2023-08-07T05:49:35.422015+00:00",
            media=[
                {
                    "url": CDN.format(
                        "did:plc:corpus",
                        "bafkreibabalobzn6cd366ukcsjycp4yymjymgfxcv6xczmlgpemzkz3cfa",
                    ),
                    "type": "image",
                    "alt": "brief alt text description of the first image",
                    "preview_url": THUMB.format(
                        "did:plc:corpus",
                        "bafkreibabalobzn6cd366ukcsjycp4yymjymgfxcv6xczmlgpemzkz3cfa",
                    ),
                },
                {
                    "url": CDN.format(
                        "did:plc:corpus",
                        "bafkreif3fouono2i3fmm5moqypwskh3yjtp7snd5hfq5pr453oggygyrte",
                    ),
                    "type": "image",
                    "alt": "brief alt text description of the second image",
                    "preview_url": THUMB.format(
                        "did:plc:corpus",
                        "bafkreif3fouono2i3fmm5moqypwskh3yjtp7snd5hfq5pr453oggygyrte",
                    ),
                },
            ],
        ),
        id="bluesky-images-with-alt",
    ),
    pytest.param(
        Expected("bluesky/records/bsky-docs-posts-2.json", language="th"),
        id="bluesky-thai-language",
    ),
    pytest.param(
        Expected(
            "bluesky/records/bsky-docs-posts-5.json",
            text_starts="example of a quote-post",
            quote_url="https://bsky.app/profile/did:plc:u5cwb2mwiv2bfq53cjufe6yn/post/3k44deefqdk2g",
        ),
        id="bluesky-quote-post",
    ),
    pytest.param(
        # atproto's own test data zeroes createdAt to 1970: the pipeline refuses a date that
        # old, so the time Jetstream saw the post stands in (and the post is not lost).
        Expected(
            "bluesky/records/atproto-posts-4.json",
            text="hey there",
            created_at=FRAME_TIME,
        ),
        id="bluesky-1970-date-falls-back-to-the-frame-time",
    ),
    pytest.param(
        Expected(
            "bluesky/atproto/datetime_syntax_valid.txt:3",  # 2000-01-01T00:00:00.000Z
            created_at="2000-01-01T00:00:00+00:00",
        ),
        id="bluesky-date-2000",
    ),
    pytest.param(
        Expected(
            "bluesky/atproto/datetime_syntax_valid.txt:1",  # 1985-04-12T23:20:50.123Z
            created_at=FRAME_TIME,
        ),
        id="bluesky-date-1985-falls-back",
    ),
]


@pytest.mark.parametrize("expected", CASES)
def test_reviewed_item(expected: Expected) -> None:
    check(expected)
