"""Reviewed items of Mastodon's documentation examples (see ``reviewing`` for the rules)."""

from __future__ import annotations

import pytest

from tests.crowdwall.corpus.reading import CORPUS, read
from tests.crowdwall.corpus.reviewing import Expected, check

GARGRON = "https://mastodon.social/@Gargron"
SORT_CODE = '"I lost my inheritance with one wrong digit on my sort code"'
# The first line of the Status example's text; its link's text follows after a blank line.
STATUS_TEXT = f"{SORT_CODE}\n\nhttps://www.theguardian.com/money/2019/dec/07/"
STATUS_DATE = "2019-12-08T03:48:33.901000+00:00"
MASTODON_FILES = "https://files.mastodon.social/media_attachments/files"

CASES = [
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
                    "blurhash": "UFBWY:8_0Jxv4mx]t8t64.%M-:IUWGWAt6M}",
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
                    "blurhash": "U58E0g8_0M.94T?bIr00?bD%NGoM?bD%oLt7",
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
                    "blurhash": "URHT%Jm,2a1d%MRO%LozkrNH$*n*oMn$Rjt7",
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
    ),
    pytest.param(
        Expected(
            "mastodon/emoji/CustomEmoji-0.json",
            text="Hello :blobaww:",
            html_has=["<img", 'alt=":blobaww:"'],
        ),
        id="mastodon-custom-emoji",
    ),
]


@pytest.mark.parametrize("expected", CASES)
def test_reviewed_item(expected: Expected) -> None:
    check(expected)


def test_account_example() -> None:
    (got,) = read(CORPUS / "mastodon/accounts/Account-0-0.json")
    assert got.author is not None
    assert (got.author.id, got.author.handle, got.author.display_name, got.author.is_bot) == (
        "https://awoo.space/@noiob",
        "noiob@awoo.space",
        "ikea shark fan account",
        False,
    )
    assert got.author.avatar_url.endswith("/000/023/634/original/6ca8804dc46800ad.png")
