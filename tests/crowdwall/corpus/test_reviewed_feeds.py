"""Reviewed items of feedparser's test feeds and the JSON Feed 1.1 examples (``reviewing``)."""

from __future__ import annotations

import pytest

from tests.crowdwall.corpus import reading
from tests.crowdwall.corpus.reviewing import Expected, check

CASES = [
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
    ),
]


@pytest.mark.parametrize("expected", CASES)
def test_reviewed_item(expected: Expected) -> None:
    check(expected)
