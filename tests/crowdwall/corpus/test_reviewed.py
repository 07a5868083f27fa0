"""A reviewed sample of the corpus: what each item must become, written by hand from the file.

Each case names one item (a file, ``file:line`` for Jetstream, ``file#entry`` for feeds) and
what a reader of the wall must get from it: text, date, author, media, hashtags — or the
reason it is refused. The expectations come from reading the source file, not from running
the parser. Where today's parser is wrong because of work done in parallel (issue 16 §1–§3),
the case keeps the right expectation and is a strict xfail, so it flips when that lands.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

import pytest

from crowdwall.ingest.normalize import IncomingPost
from tests.crowdwall.corpus import reading
from tests.crowdwall.corpus.reading import CORPUS, TIME_US, Outcome

JETSTREAM = "bluesky/jetstream/expected_v1.jsonl"
GARGRON = "https://mastodon.social/@Gargron"
SORT_CODE = '"I lost my inheritance with one wrong digit on my sort code"'
# The first line of the Status example's text; its link's text follows after a blank line.
STATUS_TEXT = f"{SORT_CODE}\n\nhttps://www.theguardian.com/money/2019/dec/07/"
STATUS_DATE = "2019-12-08T03:48:33.901000+00:00"
CDN = "https://cdn.bsky.app/img/feed_fullsize/plain/{}/{}@jpeg"
THUMB = "https://cdn.bsky.app/img/feed_thumbnail/plain/{}/{}@jpeg"
MASTODON_FILES = "https://files.mastodon.social/media_attachments/files"


@dataclass
class Expected:
    """What one corpus item must give (fields left as ``None`` are not checked)."""

    origin: str
    text: str | None = None  # exact
    text_starts: str | None = None
    created_at: str | None = None  # ISO 8601, UTC
    edited_at: str | None = None
    handle: str | None = None
    name: str | None = None
    author_id: str | None = None
    media: list[dict[str, str]] | None = None  # exact, in order
    hashtags: list[str] | None = None
    language: str | None = None
    url: str | None = None
    reply: bool | None = None
    html_has: list[str] = field(default_factory=list)
    rejected: str | None = None
    deleted: str | None = None  # the external id of a deletion


@cache
def _outcomes(path: str) -> dict[str, Outcome]:
    return {o.origin: o for o in reading.read(CORPUS / path)}


def outcome(origin: str) -> Outcome:
    """The item ``origin`` names: a file, ``file:line`` or ``file#entry``."""
    outcomes = _outcomes(re.split("[:#]", origin)[0])
    assert origin in outcomes, f"no item {origin}; the file gave {sorted(outcomes)}"
    return outcomes[origin]


def check(expected: Expected) -> None:
    got = outcome(expected.origin)
    if expected.rejected is not None:
        assert (got.rejected, got.entry) == (expected.rejected, None), got.detail
        return
    assert not got.rejected, f"refused: {got.rejected} ({got.detail})"
    if expected.deleted is not None:
        assert isinstance(got.entry, IncomingPost)
        assert got.entry.external_id == expected.deleted
        return
    entry = got.post
    post, author = entry.post, entry.post.author
    assert author is not None and post.created_at is not None
    actual: dict[str, Any] = {
        "text": entry.text,
        "created_at": post.created_at.astimezone(UTC).isoformat(),
        "edited_at": post.edited_at.astimezone(UTC).isoformat() if post.edited_at else None,
        "handle": author.handle,
        "name": author.display_name,
        "author_id": author.id,
        "media": entry.media,
        "hashtags": entry.hashtags,
        "language": post.language,
        "url": post.url,
        "reply": post.is_reply,
    }
    wanted = {k: v for k, v in vars(expected).items() if k in actual and v is not None}
    assert {k: actual[k] for k in wanted} == wanted
    if expected.text_starts is not None:
        assert entry.text.startswith(expected.text_starts), entry.text
    for fragment in expected.html_has:
        assert fragment in entry.html, entry.html


def shapes(reason: str) -> pytest.MarkDecorator:
    return pytest.mark.xfail(strict=True, reason=f"issue 16 §3: {reason}")


CASES = [
    # --- Mastodon: the documentation's entity and method examples -------------------------
    pytest.param(
        Expected(
            "mastodon/statuses/Status-0-0.json",
            text_starts=STATUS_TEXT,
            created_at=STATUS_DATE,
            handle="Gargron@mastodon.social",
            name="Eugen",
            author_id=GARGRON,  # no account.uri in the example: the profile URL keys it
            media=[],
            hashtags=[],
            language="en",
            url=f"{GARGRON}/103270115826048975",
            reply=False,
            html_has=['href="https://www.theguardian.com/money/2019/dec/07/i-lost-my-193000'],
        ),
        id="mastodon-status",
    ),
    pytest.param(
        Expected(
            "mastodon/statuses/statuses-4-0.json",
            text="Hello world",
            created_at="2016-03-16T14:44:31.580000+00:00",
            handle="Gargron@mastodon.social",
            media=[],
            hashtags=[],
            url=f"{GARGRON}/1",
        ),
        id="mastodon-first-status",
    ),
    pytest.param(
        Expected(
            "mastodon/statuses/webhooks-0-108.json",
            text="Here is some content",
            created_at="2023-10-26T11:29:13+00:00",
            handle="cheeseperson@someothermastodonsite.com",
            name="cheeseperson",
            author_id="https://someothermastodonsite.com/users/cheeseperson",
            language="de",
            reply=True,
        ),
        id="mastodon-webhook-status",
    ),
    pytest.param(
        Expected(
            "mastodon/streaming/streaming-297-status.update.txt",
            text_starts="#musicTuesday\n\nHere's a solo #piano track of mine called Gravity "
            "Assist\n\n#neoclassical (#jazz ish)\n\nhttps://cstudios.bandcamp.com/track/",
            created_at="2022-11-15T16:08:30+00:00",
            edited_at="2022-11-15T16:10:43+00:00",
            handle="chrismo@ruby.social",
            author_id="https://ruby.social/@chrismo",
            hashtags=["musictuesday", "piano", "neoclassical", "jazz"],
            media=[],
            language="en",
            url="https://ruby.social/@chrismo/109348684454557541",
            html_has=['href="https://ruby.social/tags/piano"'],
        ),
        id="mastodon-streaming-edit-with-tags",
    ),
    pytest.param(
        Expected(
            "mastodon/streaming/streaming-173-update.txt",
            text="@disarray glad i was able to help",
            created_at="2022-08-30T23:05:46.839000+00:00",
            handle="freon@letsalllovela.in",
            language="",  # a Pleroma post: language null
            reply=True,
            html_has=['href="https://pl.nulled.red/users/disarray"'],
        ),
        id="mastodon-streaming-pleroma-reply",
    ),
    pytest.param(
        Expected("mastodon/streaming/streaming-290-delete.txt", deleted="107214471804101576"),
        id="mastodon-streaming-delete",
    ),
    pytest.param(
        Expected("mastodon/streaming/streaming-180-notification.txt", rejected="not a post"),
        id="mastodon-streaming-notification-ignored",
    ),
    pytest.param(
        Expected("mastodon/statuses/timelines-abridged-2-1.json", rejected="missing field"),
        id="mastodon-abridged-status-refused",
    ),
    pytest.param(
        Expected(
            "mastodon/media/MediaAttachment-0.json",
            text_starts=SORT_CODE,
            media=[
                {
                    "url": f"{MASTODON_FILES}/022/345/792/original/57859aede991da25.jpeg",
                    "type": "image",
                    "alt": "test media description",
                    "preview_url": f"{MASTODON_FILES}/022/345/792/small/57859aede991da25.jpeg",
                }
            ],
        ),
        id="mastodon-image",
    ),
    pytest.param(
        Expected(
            "mastodon/media/MediaAttachment-1.json",
            media=[
                {
                    "url": f"{MASTODON_FILES}/022/546/306/original/dab9a597f68b9745.mp4",
                    "type": "video",
                    "preview_url": f"{MASTODON_FILES}/022/546/306/small/dab9a597f68b9745.png",
                }
            ],
        ),
        id="mastodon-video",
    ),
    pytest.param(
        Expected(
            "mastodon/media/MediaAttachment-2.json",
            media=[
                {
                    "url": f"{MASTODON_FILES}/021/130/559/original/bc84838f77991326.mp4",
                    "type": "gifv",
                    "preview_url": f"{MASTODON_FILES}/021/130/559/small/bc84838f77991326.png",
                }
            ],
        ),
        id="mastodon-gifv",
    ),
    pytest.param(
        # The example's preview_url of an audio file is an .mp3: not an image to show.
        Expected(
            "mastodon/media/MediaAttachment-3.json",
            media=[
                {
                    "url": f"{MASTODON_FILES}/021/165/404/original/a31a4a46cd713cd2.mp3",
                    "type": "audio",
                }
            ],
        ),
        id="mastodon-audio",
        marks=shapes("audio media keep no preview that is itself audio"),
    ),
    pytest.param(
        Expected(
            "mastodon/emoji/CustomEmoji-0.json",
            text="Hello :blobaww:",
            html_has=["<img", 'alt=":blobaww:"'],
        ),
        id="mastodon-custom-emoji",
        marks=shapes("custom emoji become images with their shortcode as alt"),
    ),
    # --- Bluesky: real Jetstream frames (production Jetstream v1, captured by the Jetstream
    # project) and post records from Bluesky's documentation -----------------------------
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
        marks=shapes("a GIF reply whose text is empty is a post, not 'empty'"),
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
            html_has=[
                "https://bsky.app/profile/did:plc:u5cwb2mwiv2bfq53cjufe6yn/post/3k44deefqdk2g"
            ],
        ),
        id="bluesky-quote-post",
        marks=shapes("a quote post shows the quoted post's link"),
    ),
    pytest.param(
        # atproto's own test data zeroes createdAt to 1970: the pipeline refuses a date that
        # old, so the time Jetstream saw the post stands in (and the post is not lost).
        Expected(
            "bluesky/records/atproto-posts-4.json",
            text="hey there",
            created_at=datetime.fromtimestamp(TIME_US / 1e6, tz=UTC).isoformat(),
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
            created_at=datetime.fromtimestamp(TIME_US / 1e6, tz=UTC).isoformat(),
        ),
        id="bluesky-date-1985-falls-back",
    ),
    # --- Feeds: feedparser's test suite and the JSON Feed 1.1 examples ---------------------
    pytest.param(
        Expected(
            "feeds/feedparser/wellformed/rss/item_description_br.xml#0",
            text="article title\n\narticle byline\n\ntext of article",
            created_at=reading.NOW.isoformat(),  # no date in the item: first seen
            handle="feeds.example",
            media=[],
            hashtags=[],
        ),
        id="rss-description-with-breaks",
    ),
    pytest.param(
        Expected(
            "feeds/feedparser/wellformed/rss/item_enclosure_multiple.xml#0",
            text="",
            url="http://example.com/",
            media=[
                {"url": "http://example.com/1", "type": "image"},
                {"url": "http://example.com/2", "type": "image"},
            ],
        ),
        id="rss-two-enclosures",
    ),
    pytest.param(
        Expected(
            "feeds/feedparser/wellformed/lang/item_fullitem_xml_lang.xml#0",
            text="Example content",
            language="en",
        ),
        id="rss-language",
    ),
    pytest.param(
        Expected(
            "feeds/feedparser/wellformed/rdf/rss090_item_title.xml#0",
            text="Item title",
            name="Example title",  # no author: the feed's title stands for it
        ),
        id="rss-0.90",
    ),
    pytest.param(
        Expected("feeds/feedparser/illformed/aaa_illformed.xml", rejected="feed refused"),
        id="feed-malformed-xml-refused",
    ),
    pytest.param(
        Expected(
            "feeds/jsonfeed/microblog.json#0",
            text="Cats are neat.\n\nhttps://example.org/cats",
            created_at="2016-02-09T21:22:00+00:00",
            name="Brent Simmons",
            url="https://example.org/2347259",
        ),
        id="json-feed-microblog",
        marks=shapes("JSON Feed 1.1 is read as a feed format"),
    ),
    pytest.param(
        Expected(
            "feeds/jsonfeed/podcast.json#0",
            created_at="2014-05-09T21:04:00+00:00",
            media=[
                {
                    "url": "http://therecord.co/downloads/The-Record-sp1e1-ChrisParrish.m4a",
                    "type": "audio",
                }
            ],
        ),
        id="json-feed-podcast",
        marks=shapes("JSON Feed 1.1 is read as a feed format, attachments as media"),
    ),
]


@pytest.mark.parametrize("expected", CASES)
def test_reviewed_item(expected: Expected) -> None:
    check(expected)


def test_account_example() -> None:
    (got,) = reading.read(CORPUS / "mastodon/accounts/Account-0-0.json")
    assert got.author is not None
    assert (got.author.id, got.author.handle, got.author.display_name, got.author.is_bot) == (
        "https://awoo.space/@noiob",
        "noiob@awoo.space",
        "ikea shark fan account",
        False,
    )
    assert got.author.avatar_url.endswith("/000/023/634/original/6ca8804dc46800ad.png")
