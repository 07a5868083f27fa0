"""Mastodon statuses with every shape the API documents (entities Status, MediaAttachment,
Poll, PreviewCard, CustomEmoji, Quote): parsed, checked, stored and read back."""

from __future__ import annotations

import copy

import pytest

from crowdwall.ingest.sanitize import sanitize_html
from crowdwall.ingest.write import ingest
from crowdwall.models import Post
from crowdwall.sources.mastodon.shapes import with_emoji
from crowdwall.sources.mastodon.statuses import to_post

HOST = "mastodon.social"
FILES = "https://files.mastodon.social"
ACCOUNT = {
    "id": "1",
    "username": "Gargron",
    "acct": "Gargron",
    "display_name": "Eugen",
    "url": "https://mastodon.social/@Gargron",
    "uri": "https://mastodon.social/users/Gargron",
    "avatar": f"{FILES}/accounts/avatars/000/000/001/original/d96d39a0abb45b92.jpg",
    "bot": False,
}
BLOBCAT = {
    "shortcode": "blobaww",
    "url": f"{FILES}/custom_emojis/images/000/011/739/original/blobaww.png",
    "static_url": f"{FILES}/custom_emojis/images/000/011/739/static/blobaww.png",
    "visible_in_picker": True,
}


def attachment(kind: str, n: int, **extra: object) -> dict:
    ext = {"image": "jpeg", "gifv": "mp4", "video": "mp4", "audio": "mp3"}[kind]
    return {
        "id": f"2296{n}",
        "type": kind,
        "url": f"{FILES}/media_attachments/files/022/{n}/original/clip.{ext}",
        "preview_url": f"{FILES}/media_attachments/files/022/{n}/small/clip.png",
        "remote_url": None,
        "description": f"A {kind} of the keynote",
        "blurhash": "UFBWY:8_0Jxv4mx]t8t64.%M-:IUWGWAt6M}",
        **extra,
    }


STATUS = {
    "id": "103270115826048975",
    "created_at": "2019-12-08T03:48:33.901Z",
    "in_reply_to_id": None,
    "sensitive": False,
    "spoiler_text": "",
    "visibility": "public",
    "language": "en",
    "uri": "https://mastodon.social/users/Gargron/statuses/103270115826048975",
    "url": "https://mastodon.social/@Gargron/103270115826048975",
    "replies_count": 5,
    "reblogs_count": 6,
    "favourites_count": 11,
    "content": '<p>Which day of <a href="https://mastodon.social/tags/djangocon" class="mention '
    'hashtag" rel="tag">#<span>DjangoCon</span></a> was best? :blobaww: :unknown:</p>',
    "reblog": None,
    "account": ACCOUNT,
    "media_attachments": [
        attachment("image", 1, meta={"original": {"width": 640, "height": 480}}),
        attachment("gifv", 2),
        attachment("video", 3),
        attachment("audio", 4, preview_url=None, blurhash=None),
    ],
    "mentions": [],
    "tags": [{"name": "djangocon", "url": "https://mastodon.social/tags/djangocon"}],
    "emojis": [BLOBCAT],
    "card": {
        "url": "https://www.theguardian.com/money/2019/dec/07/i-lost-my-inheritance",
        "title": "‘I lost my £193,000 inheritance – with one wrong digit on my sort code’",
        "description": "When Peter Teich’s money went to another Barclays customer...",
        "type": "link",
        "author_name": "",
        "provider_name": "the Guardian",
        "html": "",
        "width": 460,
        "height": 240,
        "image": f"{FILES}/preview_cards/images/014/179/145/original/9cf4b7cf5567b569.jpeg",
        "image_description": "A bank card",
        "embed_url": "",
        "blurhash": "UFE:9q~qM{of~q%MRjof%Mj[ofj[",
    },
    "poll": {
        "id": "34830",
        "expires_at": "2019-12-05T04:05:08.302Z",
        "expired": True,
        "multiple": False,
        "votes_count": 10,
        "voters_count": None,
        "options": [{"title": "Tutorials", "votes_count": 6}, {"title": "Talks", "votes_count": 4}],
        "emojis": [],
    },
    "quote": {
        "state": "accepted",
        "quoted_status": {
            "id": "103270115826040000",
            "created_at": "2019-12-08T03:40:00.000Z",
            "uri": "https://chaos.social/users/ann/statuses/103270115826040000",
            "url": "https://chaos.social/@ann/103270115826040000",
            "content": "<p>Sprints &amp; tutorials,<br>then talks</p>",
            "account": {
                "id": "9",
                "acct": "ann@chaos.social",
                "display_name": "Ann",
                "url": "https://chaos.social/@ann",
            },
        },
    },
}


def test_every_media_type_keeps_description_blurhash_and_preview():
    post = to_post(STATUS, host=HOST)
    assert [(m.type, m.alt, bool(m.blurhash), bool(m.preview_url)) for m in post.media] == [
        ("image", "A image of the keynote", True, True),
        ("gifv", "A gifv of the keynote", True, True),
        ("video", "A video of the keynote", True, True),
        ("audio", "A audio of the keynote", False, False),
    ]
    assert post.media[1].url.endswith("/original/clip.mp4")


def test_a_remote_attachment_not_yet_fetched_links_its_original():
    status = copy.deepcopy(STATUS)
    status["media_attachments"] = [
        attachment("image", 5, url=None, remote_url="https://o.example/i.png")
    ]
    [image] = to_post(status, host=HOST).media
    assert image.url == "https://o.example/i.png"


def test_poll_card_and_accepted_quote_are_extras():
    extras = to_post(STATUS, host=HOST).extras
    assert extras == {
        "card": {
            "url": "https://www.theguardian.com/money/2019/dec/07/i-lost-my-inheritance",
            "title": "‘I lost my £193,000 inheritance – with one wrong digit on my sort code’",
            "description": "When Peter Teich’s money went to another Barclays customer...",
            "image": STATUS["card"]["image"],
            "image_alt": "A bank card",
            "site": "the Guardian",
            "blurhash": "UFE:9q~qM{of~q%MRjof%Mj[ofj[",
        },
        "poll": {
            "options": [{"title": "Tutorials", "votes": 6}, {"title": "Talks", "votes": 4}],
            "votes": 10,
            "expires_at": "2019-12-05T04:05:08.302Z",
            "closed": True,
        },
        "quote": {
            "url": "https://chaos.social/@ann/103270115826040000",
            "id": "https://chaos.social/users/ann/statuses/103270115826040000",
            "handle": "ann@chaos.social",
            "name": "Ann",
            "profile_url": "https://chaos.social/@ann",
            "text": "Sprints & tutorials,\nthen talks",
        },
    }


@pytest.mark.parametrize(
    "value",
    [
        {"state": "pending", "quoted_status": None},
        {"state": "revoked", "quoted_status": {"url": "https://x.example/1"}},
        {"state": "accepted", "quoted_status_id": "1"},  # a ShallowQuote: nothing to show
        "junk",
    ],
)
def test_quotes_not_accepted_by_their_author_are_not_shown(value):
    status = {**STATUS, "quote": value, "card": None, "poll": None}
    assert to_post(status, host=HOST).extras is None


def test_an_akkoma_quote_is_the_quoted_status_itself():
    quoted = {**STATUS["quote"]["quoted_status"]}
    quoted["account"] = {"acct": "bo", "url": "https://akkoma.example/users/bo"}
    extras = to_post({**STATUS, "quote": quoted}, host="akkoma.example").extras
    assert extras is not None and extras["quote"]["handle"] == "bo@akkoma.example"


def test_custom_emoji_become_images_only_in_text_and_survive_the_sanitizer():
    html = sanitize_html(to_post(STATUS, host=HOST).html)
    assert (
        f'best? <img class="emoji" src="{BLOBCAT["static_url"]}" alt=":blobaww:" '
        'title=":blobaww:"> :unknown:</p>'
    ) in html
    # Not inside a tag; not for an emoji the status does not list; not with a bad URL.
    tricky = '<a href="https://x.example/:blobaww:">:blobaww:</a>'
    assert with_emoji(tricky, [BLOBCAT]).startswith('<a href="https://x.example/:blobaww:">')
    bad = [
        {"shortcode": "x", "url": "javascript:alert(1)"},
        {"shortcode": 'a"b', "url": "https://e/"},
    ]
    assert with_emoji(':x: :a"b:', bad) == ':x: :a"b:'


@pytest.mark.parametrize(
    "html",
    [
        '<img src="https://tracker.example/pixel.gif">',
        '<img class="emoji" src="javascript:alert(1)" alt=":x:">',
        '<img class="emoji" src="data:image/png;base64,AAAA" alt=":x:">',
        '<img class="emoji" src="https://e.example/x.png" onerror="alert(1)" alt=":x:">',
        '<IMG CLASS=EMOJI SRC=https://e.example/x.png style="width:5000px">',
    ],
)
def test_the_sanitizer_lets_through_only_plain_emoji_images(html):
    cleaned = sanitize_html(f"<p>a {html} b</p>")
    assert "onerror" not in cleaned and "style" not in cleaned and "javascript" not in cleaned
    assert "<img" not in cleaned or cleaned == (
        '<p>a <img class="emoji" src="https://e.example/x.png" alt=":x:"> b</p>'
    )


@pytest.mark.django_db
def test_a_full_status_is_stored_with_media_extras_and_emoji(source, wall):
    result = ingest(source, [to_post(STATUS, host=HOST)])
    assert result.created == 1, result.rejected
    post = Post.objects.get()
    assert [m["type"] for m in post.media] == ["image", "gifv", "video", "audio"]
    assert post.media[0]["blurhash"].startswith("UFBWY")
    assert set(post.extras) == {"card", "poll", "quote"}
    assert 'class="emoji"' in post.content_html
    assert ":blobaww:" in post.text
