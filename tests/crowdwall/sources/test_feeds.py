"""Feed documents to posts (``crowdwall.sources.feeds``): RSS and Atom fields, media and alt
texts, ids, dates, and documents that are not (whole) feeds. No network here: bytes in."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from crowdwall.sources.feeds import media_alts, parse_feed
from tests.crowdwall.fakes.feeds import FeedServer, atom_id

URL = "https://blog.example/feed.xml"
NOW = datetime(2025, 5, 14, 9, 0, tzinfo=UTC)


def rss(
    items: str, channel: str = "<title>Blog</title><link>https://blog.example/</link>"
) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<channel>{channel}{items}</channel></rss>\n"
    ).encode()


def parse(body: bytes, **kwargs):
    parsed = parse_feed(body, url=URL, headers={"Content-Type": "application/rss+xml"}, now=NOW)
    assert not parsed.problem, parsed.problem
    return [e.post for e in parsed.entries]


def test_an_rss_item_becomes_a_post():
    (post,) = parse(
        rss(
            """<item><title>Hello &amp; welcome</title><link>https://blog.example/1</link>
            <guid isPermaLink="false">post-1</guid>
            <description>&lt;p&gt;Short&lt;/p&gt;</description>
            <content:encoded><![CDATA[<p>Full <b>text</b> about #DjangoCon</p>]]></content:encoded>
            <dc:creator>Ann Author</dc:creator>
            <category>Web Development</category><category>python</category><category>2023</category>
            <pubDate>Mon, 05 Jun 2023 16:23:00 CEST</pubDate>
            <enclosure url="https://blog.example/ep1.mp3" type="audio/mpeg" length="1"/>
            </item>""",
            "<title>Blog</title><link>https://blog.example/</link><language>en-gb</language>"
            "<image><url>https://blog.example/logo.png</url></image>",
        )
    )
    assert post.external_id == "post-1"
    assert post.url == "https://blog.example/1"
    assert (
        post.html
        == "<p><strong>Hello &amp; welcome</strong></p><p>Full <b>text</b> about #DjangoCon</p>"
    )
    assert post.created_at == datetime(2023, 6, 5, 14, 23, tzinfo=UTC)  # CEST is +2
    assert post.edited_at is None
    assert post.author.display_name == "Ann Author"
    assert post.author.handle == "blog.example"
    assert post.author.id == f"{URL}#Ann Author"
    assert post.author.avatar_url == "https://blog.example/logo.png"
    assert post.hashtags == ("WebDevelopment", "python")  # "2023" is a number, not a tag
    assert post.language == "en-gb"
    assert [(m.url, m.type) for m in post.media] == [("https://blog.example/ep1.mp3", "audio")]


def test_an_atom_entry_becomes_a_post():
    body = b"""<?xml version="1.0" encoding="utf-8"?>
    <feed xmlns="http://www.w3.org/2005/Atom"><title>Atom</title><id>urn:x</id>
    <updated>2023-06-05T15:00:00Z</updated><link href="https://atom.example/"/>
    <author><name>Feed Owner</name></author>
    <entry><id>tag:atom.example,2023:1</id><title type="html">A &lt;b&gt;bold&lt;/b&gt; title</title>
    <link rel="alternate" href="https://atom.example/1"/>
    <link rel="enclosure" href="https://atom.example/v.mp4" type="video/mp4"/>
    <published>2023-06-05T16:23:00+0200</published><updated>2023-06-05T15:00:00Z</updated>
    <author><name>Bob</name><uri>https://atom.example/bob</uri></author>
    <content type="text">plain &lt;not a tag&gt; text</content><category term="news"/></entry>
    </feed>"""
    (post,) = parse(body)
    assert post.external_id == "tag:atom.example,2023:1"
    assert post.html == ""
    assert post.text == "A bold title\n\nplain <not a tag> text"  # text stays text
    assert post.created_at == datetime(2023, 6, 5, 14, 23, tzinfo=UTC)
    assert post.edited_at == datetime(2023, 6, 5, 15, 0, tzinfo=UTC)
    assert post.author.id == "https://atom.example/bob"
    assert post.author.profile_url == "https://atom.example/bob"
    assert post.author.display_name == "Bob"
    assert post.hashtags == ("news",)
    assert [(m.url, m.type) for m in post.media] == [("https://atom.example/v.mp4", "video")]


def test_mastodon_alt_texts_go_on_the_images_not_into_the_text():
    # feedparser files media:description as the entry's content or summary.
    body = rss(
        """<item><guid isPermaLink="true">https://social.example/@ann/1</guid>
        <link>https://social.example/@ann/1</link>
        <pubDate>Mon, 05 Jun 2023 14:23:00 +0000</pubDate>
        <description>&lt;p&gt;Look at my cat #caturday&lt;/p&gt;</description>
        <media:content url="https://files.example/cat.jpg" type="image/jpeg" medium="image">
          <media:rating scheme="urn:simple">adult</media:rating>
          <media:description type="plain">A grey cat asleep</media:description>
        </media:content>
        <media:group><media:description>Shared alt</media:description>
          <media:content url="https://files.example/dog.webp"/></media:group>
        </item>
        <item><guid>2</guid><pubDate>Mon, 05 Jun 2023 14:23:00 +0000</pubDate>
        <media:content url="https://files.example/x.png" medium="image">
        <media:description>only an alt text</media:description></media:content></item>""",
        "<title>Ann</title><link>https://social.example/@ann</link>",
    )
    first, second = parse(body)
    assert first.html == "<p>Look at my cat #caturday</p>"
    assert [(m.url, m.type, m.alt) for m in first.media] == [
        ("https://files.example/cat.jpg", "image", "A grey cat asleep"),
        ("https://files.example/dog.webp", "image", "Shared alt"),
    ]
    assert first.sensitive
    assert first.author.display_name == "Ann"  # no item author: the feed's title
    assert second.html == second.text == ""  # a post of one image, described by its alt
    assert [(m.url, m.alt) for m in second.media] == [
        ("https://files.example/x.png", "only an alt text")
    ]


def test_media_alts_pairs_with_entries_in_document_order():
    body = rss(
        '<item><guid>a</guid></item><item><guid>b</guid><media:content url="https://x.example/1.jpg">'
        "<media:description>one</media:description></media:content></item>"
    )
    assert media_alts(body) == [{}, {"https://x.example/1.jpg": "one"}]
    assert media_alts(b'<rss xmlns:media="http://search.yahoo.com/mrss/"><oops') is None
    assert media_alts(b"<rss><channel><item/></channel></rss>") is None  # no Media RSS


def test_relative_media_urls_keep_their_alt_texts():
    (post,) = parse(
        rss(
            '<item><guid>1</guid><description>x</description><media:content url="/img/1.jpg">'
            "<media:description>a relative image</media:description></media:content></item>"
        )
    )
    assert [(m.url, m.alt) for m in post.media] == [
        ("https://blog.example/img/1.jpg", "a relative image")
    ]


def test_ids_fall_back_to_the_link_then_a_stable_hash():
    items = """<item><title>Linked</title><link>https://blog.example/l</link>
        <pubDate>Mon, 05 Jun 2023 14:23:00 GMT</pubDate></item>
        <item><title>Neither id nor link</title><pubDate>Mon, 05 Jun 2023 14:24:00 GMT</pubDate></item>"""
    linked, bare = parse(rss(items))
    assert linked.external_id == "https://blog.example/l"
    assert bare.external_id.startswith("hash:")
    assert parse(rss(items))[1].external_id == bare.external_id  # the same next time
    long_id = "x" * 300
    (post,) = parse(rss(f"<item><guid isPermaLink='false'>{long_id}</guid><title>t</title></item>"))
    assert post.external_id.startswith("hash:") and len(post.external_id) <= 255


def test_a_title_that_starts_the_text_is_not_repeated():
    (post,) = parse(
        rss(
            "<item><guid>1</guid><title>Just landed in Vigo, see you…</title>"
            "<description>&lt;p&gt;Just landed in Vigo, see you all at #DjangoCon!&lt;/p&gt;"
            "</description></item>"
        )
    )
    assert post.html == "<p>Just landed in Vigo, see you all at #DjangoCon!</p>"


def test_relative_links_are_made_absolute_so_sanitizing_keeps_them():
    (post,) = parse(
        rss(
            '<item><guid>1</guid><description>&lt;a href="/about"&gt;about&lt;/a&gt;'
            '&lt;img src="pic.png"&gt;</description></item>'
        )
    )
    assert 'href="https://blog.example/about"' in post.html
    assert 'src="https://blog.example/pic.png"' in post.html


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Mon, 05 Jun 2023 07:23:00 PDT", datetime(2023, 6, 5, 14, 23, tzinfo=UTC)),
        ("Mon, 05 Jun 23 14:23 GMT", datetime(2023, 6, 5, 14, 23, tzinfo=UTC)),
        ("2023/06/05 14:23:00", datetime(2023, 6, 5, 14, 23, tzinfo=UTC)),  # feedparser: November
        ("June 5, 2023 2:23 PM", datetime(2023, 6, 5, 14, 23, tzinfo=UTC)),  # feedparser: none
        ("1685974980", datetime(2023, 6, 5, 14, 23, tzinfo=UTC)),  # feedparser: year 1685
        # Only feedparser reads Greek dates: its tuple is the fallback.
        ("Τετ, 05 Ιούν 2023 14:23:00 GMT", datetime(2023, 6, 5, 14, 23, tzinfo=UTC)),
    ],
)
def test_dates_are_read_robustly_and_stored_in_utc(raw, expected):
    (post,) = parse(rss(f"<item><guid>1</guid><title>t</title><pubDate>{raw}</pubDate></item>"))
    assert post.created_at == expected


def test_localized_dates_in_a_feed():
    (post,) = parse(
        rss(
            "<item><guid>1</guid><title>t</title><pubDate>mer, 16 nov 2022 00:38:15 +0100</pubDate></item>"
        )
    )
    assert post.created_at == datetime(2022, 11, 15, 23, 38, 15, tzinfo=UTC)
    assert not post.date_estimated


def test_an_undated_or_garbage_dated_entry_gets_the_time_it_was_seen_and_is_flagged():
    undated, garbage = parse(
        rss(
            "<item><guid>1</guid><title>t</title></item>"
            "<item><guid>2</guid><title>t</title><pubDate>soon-ish</pubDate></item>"
        )
    )
    assert undated.created_at == garbage.created_at == NOW  # nothing better in the document
    assert undated.date_estimated and garbage.date_estimated


def test_an_impossible_date_is_not_rolled_over_by_feedparser():
    dated, broken = parse(
        rss(
            "<item><guid>1</guid><title>t</title><pubDate>2023-06-04T10:00:00Z</pubDate></item>"
            "<item><guid>2</guid><title>t</title><pubDate>2023-06-05T25:14:55Z</pubDate></item>"
        )
    )
    assert not dated.date_estimated
    assert broken.date_estimated  # feedparser alone would say 2023-06-06T01:14:55
    assert broken.created_at == dated.created_at


def test_undated_entries_of_a_backlog_are_dated_as_its_oldest_entry_not_as_new():
    posts = parse(
        rss(
            "<item><guid>new</guid><title>t</title><pubDate>Mon, 05 Jun 2023 14:23:00 GMT</pubDate></item>"
            "<item><guid>undated</guid><title>t</title></item>"
            "<item><guid>old</guid><title>t</title><pubDate>Sat, 03 Jun 2023 08:00:00 GMT</pubDate></item>"
        )
    )
    new, undated, old = posts
    assert undated.date_estimated
    assert undated.created_at == datetime(2023, 6, 3, 8, 0, tzinfo=UTC)
    assert not new.date_estimated and not old.date_estimated


@pytest.mark.parametrize(
    ("channel", "headers", "expected"),
    [
        (
            "<lastBuildDate>Sat, 03 Jun 2023 08:00:00 GMT</lastBuildDate>",
            {},
            datetime(2023, 6, 3, 8, tzinfo=UTC),
        ),
        (
            "",
            {"Last-Modified": "Sun, 04 Jun 2023 08:00:00 GMT"},
            datetime(2023, 6, 4, 8, tzinfo=UTC),
        ),
    ],
)
def test_without_any_dated_entry_the_feeds_own_date_is_used(channel, headers, expected):
    body = rss("<item><guid>1</guid><title>t</title></item>", f"<title>Blog</title>{channel}")
    parsed = parse_feed(body, url=URL, headers=headers, now=NOW)
    (entry,) = parsed.entries
    assert entry.post.created_at == expected
    assert entry.post.date_estimated


def test_duplicate_entries_in_one_document_count_once():
    posts = parse(
        rss(
            "<item><guid>1</guid><title>new</title></item><item><guid>1</guid><title>old</title></item>"
        )
    )
    assert [p.text for p in posts] == ["new"]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"", "not an RSS or Atom feed"),
        (b"<<<this is not a feed>>>", "not an RSS or Atom feed"),
        (b"<html><body><h1>502 Bad Gateway</h1></body></html>", "not an RSS or Atom feed"),
        (rss("<item><guid>1</guid><title>cut</title></item>")[:-40], "malformed XML"),
        (b"/etc/passwd", "not an RSS or Atom feed"),  # never opened as a file
    ],
)
def test_documents_that_are_not_whole_feeds_are_refused_with_a_reason(body, problem):
    parsed = parse_feed(body, url=URL, now=NOW)
    assert problem in parsed.problem
    assert parsed.entries == []


def test_recoverable_xml_errors_are_logged_and_the_entries_kept(caplog):
    caplog.set_level(logging.WARNING, logger="crowdwall.sources.rss")
    body = rss("<item><guid>1</guid><title>a&nbsp;b</title></item>")  # &nbsp; is not XML
    parsed = parse_feed(body, url=URL, now=NOW)
    assert not parsed.problem
    assert [e.post.text for e in parsed.entries] == ["a\xa0b"]
    assert "undefined entity" in caplog.text


@pytest.mark.parametrize("format", ["rss", "atom"])
def test_the_fake_servers_documents_parse(format):
    feed = FeedServer(format=format)
    with feed:
        feed.add("1", title="One", html="<p>one</p>", published="2023-06-05T14:23:00Z")
        feed.add("2", title="Two", text="two", published="Tue, 06 Jun 2023 10:00:00 GMT")
        parsed = parse_feed(feed.document(), url=feed.url, now=NOW)
    expected = [atom_id("2"), atom_id("1")] if format == "atom" else ["2", "1"]
    assert [e.post.external_id for e in parsed.entries] == expected  # newest first
    assert [e.post.created_at.day for e in parsed.entries] == [6, 5]
    assert parsed.version.startswith(format)
