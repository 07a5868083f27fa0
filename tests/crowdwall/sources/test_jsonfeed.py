"""JSON Feed 1.0/1.1 documents (shaped as jsonfeed.org's specification and its examples) read
like RSS and Atom: ids, bodies, dates, authors, attachments, link cards and tags."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from crowdwall.sources.feeds import parse_feed, tags_of

NOW = datetime(2025, 5, 15, tzinfo=UTC)
URL = "https://daringfireball.example/feeds/json"
FEED = {
    "version": "https://jsonfeed.org/version/1.1",
    "title": "Daring Fireball",
    "home_page_url": "https://daringfireball.example/",
    "feed_url": URL,
    "icon": "https://daringfireball.example/graphics/apple-touch-icon.png",
    "authors": [{"name": "John Gruber", "url": "https://twitter.example/gruber"}],
    "language": "en-US",
    "items": [
        {
            "id": "https://daringfireball.example/linked/2025/05/14/djangocon",
            "url": "https://daringfireball.example/linked/2025/05/14/djangocon",
            "external_url": "https://2025.djangocon.example/",
            "title": "DjangoCon 2025",
            "content_html": "<p>The schedule is up. #DjangoCon</p>",
            "date_published": "2025-05-14T10:00:00-04:00",
            "date_modified": "2025-05-14T12:00:00-04:00",
            "tags": ["Conferences", "News / Q. & A.", "2025", "Python-Web"],
        },
        {
            "id": 42,  # a number: some generators write them so
            "content_text": "Episode 42: plain text & no markup",
            "date_published": "2025-05-13T08:00:00Z",
            "author": {"name": "The Talk Show", "avatar": "https://podcast.example/a.png"},
            "image": "https://podcast.example/42.jpg",
            "attachments": [
                {
                    "url": "https://podcast.example/42.mp3",
                    "mime_type": "audio/mpeg",
                    "title": "Episode 42",
                    "size_in_bytes": 89970236,
                    "duration_in_seconds": 6629,
                },
                {"url": "/42/video", "mime_type": "video/mp4"},  # relative: resolved
            ],
        },
        {"url": "https://daringfireball.example/3", "summary": "Only a summary"},
        "not an item",
    ],
}


def parse(document: object, content_type: str = "application/feed+json"):
    body = json.dumps(document).encode()
    return parse_feed(body, url=URL, headers={"Content-Type": content_type}, now=NOW)


def test_items_become_posts_like_rss_entries():
    parsed = parse(FEED)
    assert (parsed.problem, parsed.version) == ("", "json11")
    first, second, third = (e.post for e in parsed.entries)
    assert first.external_id == "https://daringfireball.example/linked/2025/05/14/djangocon"
    assert first.html.startswith("<p><strong>DjangoCon 2025</strong></p><p>The schedule")
    assert first.created_at == datetime(2025, 5, 14, 14, 0, tzinfo=UTC)
    assert first.edited_at == datetime(2025, 5, 14, 16, 0, tzinfo=UTC)
    assert first.author is not None and first.author.display_name == "John Gruber"
    assert first.author.handle == "daringfireball.example"
    assert first.hashtags == ("Conferences", "NewsQA", "PythonWeb")
    assert first.extras == {
        "card": {"url": "https://2025.djangocon.example/", "title": "DjangoCon 2025"}
    }
    assert first.language == "en-US"
    assert second.external_id == "42" and second.html == ""
    assert second.text == "Episode 42: plain text & no markup"
    assert second.author is not None and second.author.display_name == "The Talk Show"
    assert second.author.avatar_url == "https://podcast.example/a.png"
    assert [(m.url, m.type, m.alt) for m in second.media] == [
        ("https://podcast.example/42.mp3", "audio", "Episode 42"),
        ("https://daringfireball.example/42/video", "video", ""),
        ("https://podcast.example/42.jpg", "image", ""),
    ]
    assert third.external_id == "https://daringfireball.example/3"
    # No date: dated as the oldest dated item of the document (a backlog, not news), flagged.
    assert third.text == "Only a summary" and third.created_at == datetime(
        2025, 5, 13, 8, 0, tzinfo=UTC
    )
    assert third.date_estimated


def test_a_json_feed_is_found_by_its_content_or_its_type():
    assert (
        parse({**FEED, "version": "https://jsonfeed.org/version/1"}, "text/plain").version
        == "json1"
    )
    assert parse(FEED, "application/json").entries


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ({"version": "1.1", "items": []}, "not a JSON Feed (no jsonfeed.org version)"),
        ([1, 2], "not a JSON Feed (no jsonfeed.org version)"),
        (
            {"version": "https://jsonfeed.org/version/1.1", "items": {}},
            "not a JSON Feed (no items list)",
        ),
    ],
)
def test_documents_that_are_no_json_feed_say_why(document, problem):
    assert parse(document).problem == problem


def test_broken_json_is_a_problem_not_a_crash():
    parsed = parse_feed(b'{"version": "https://jsonfeed.org/version/1.1", "ite', url=URL, now=NOW)
    assert parsed.problem.startswith("malformed JSON")


def test_an_edited_card_is_a_new_version_of_the_item():
    edited = json.loads(json.dumps(FEED))
    edited["items"][0]["external_url"] = "https://2025.djangocon.example/schedule/"
    assert parse(FEED).entries[0].version != parse(edited).entries[0].version
    assert parse(FEED).entries[1].version == parse(edited).entries[1].version


@pytest.mark.parametrize(
    ("terms", "tags"),
    [
        (["News / Q. & A."], ("NewsQA",)),
        (["Web Development", "web-development"], ("WebDevelopment", "webdevelopment")),
        (["C++", "Node.js", "R&D"], ("C", "Nodejs", "RD")),
        (["2025", "---", "", "#python"], ("python",)),
        (["Ünïcode Straße"], ("ÜnïcodeStraße",)),
    ],
)
def test_categories_with_punctuation_become_hashtags_of_their_words(terms, tags):
    assert tags_of(terms) == tags
