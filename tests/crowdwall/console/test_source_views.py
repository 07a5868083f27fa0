"""The console's source pages: add and change sources with each kind's validation, secrets
write-only, pause and resume, and "test this source" against the fake servers — posts shown
with the walls they would reach, errors as messages, nothing stored."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator

import pytest

from crowdwall.console import sample
from crowdwall.models import ModerationLog, Post, Source, Wall
from tests.crowdwall.console.conftest import CONSOLE
from tests.crowdwall.fakes.asgi_server import AsgiServer
from tests.crowdwall.fakes.feeds import FeedServer
from tests.crowdwall.fakes.jetstream import FakeJetstream, post_event, tag_facet
from tests.crowdwall.fakes.mastodon import FakeMastodon

pytestmark = pytest.mark.django_db

NEW = CONSOLE + "walls/djangocon/sources/new/"
SECRET = "s3cret-value-never-shown"


def source_data(**fields: str) -> dict[str, str]:
    data = {"name": "blog", "kind": "rss", "url": "", "config": "", "enabled": "on"}
    data.update(fields)
    return data


@pytest.fixture
def feed() -> Iterator[FeedServer]:
    with FeedServer(format="rss") as server:
        server.add("1", title="Hello", html="<p>Off to #DjangoCon tomorrow</p>", author="Ann")
        server.add("2", title="Lunch", html="<p>Lunch was great</p>", author="Bo")
        yield server


def verdicts(html: str) -> list[str]:
    return re.findall(r'data-verdict="([^"]+)"', html)


def test_adding_an_rss_source_validates_its_url_and_logs(organiser, wall):
    bad = organiser.post(NEW, source_data(url="ftp://example.org/feed"))
    assert bad.status_code == 400
    assert "must be a http/https URL" in bad.content.decode()
    response = organiser.post(NEW, source_data(url="https://example.org/feed.xml"))
    assert response.status_code == 302
    source = Source.objects.get(wall=wall, name="blog")
    assert source.config["url"] == "https://example.org/feed.xml"
    assert ModerationLog.objects.get().detail == {"source": "blog", "created": True}
    again = organiser.post(NEW, source_data(url="https://example.org/other.xml"))
    assert "already has a source with this name" in again.content.decode()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "webhook"}, "needs a secret"),
        ({"kind": "rss", "url": "https://x.example/f", "hashtags": "django"}, "has no hashtags"),
        ({"kind": "mastodon", "url": "https://m.example", "config": "{nope"}, "Not valid JSON"),
        ({"kind": "mastodon", "url": "https://m.example", "config": '{"x": 1}'}, "Unknown config"),
        ({"kind": "bluesky", "accounts": "@ann"}, "list of DIDs"),
        ({"kind": "rss", "url": "https://x.example/f", "config": '{"a": "\\u0000"}'}, "NUL"),
        ({"kind": "webhook", "secret": "x", "scope": "any"}, "feeds its own wall only"),
    ],
)
def test_invalid_sources_are_explained_inline(organiser, wall, fields, message):
    response = organiser.post(NEW, source_data(**fields))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Source.objects.exists()


def test_secrets_are_write_only(organiser, wall):
    response = organiser.post(NEW, source_data(name="hook", kind="webhook", secret=SECRET))
    assert response.status_code == 302
    source = Source.objects.get(name="hook")
    assert source.secret == SECRET
    edit = CONSOLE + f"walls/djangocon/sources/{source.pk}/"
    page = organiser.get(edit).content.decode()
    assert SECRET not in page
    assert 'data-secret-state="set"' in page
    assert f"/hooks/{source.pk}/" in page
    # Saving without typing a secret keeps it; typing one replaces it; the log names fields.
    organiser.post(edit, source_data(name="hook", kind="webhook"))
    source.refresh_from_db()
    assert source.secret == SECRET
    organiser.post(edit, source_data(name="hook", kind="webhook", secret="replaced"))
    source.refresh_from_db()
    assert source.secret == "replaced"
    assert not any(
        SECRET in str(d) or "replaced" in str(d)
        for d in ModerationLog.objects.values_list("detail", flat=True)
    )
    # A test run or a failed save does not echo it either.
    failed = organiser.post(edit, source_data(name="", kind="webhook", secret=SECRET))
    assert failed.status_code == 400 and SECRET not in failed.content.decode()


def test_pausing_and_resuming_a_source(organiser, wall, member):
    source = Source.objects.create(
        wall=wall, name="blog", kind="rss", config={"url": "https://x.example/f"}
    )
    pause = CONSOLE + f"walls/djangocon/sources/{source.pk}/pause/"
    assert member.post(pause, {"enabled": "0"}).status_code == 403
    assert organiser.get(pause).status_code == 405
    response = organiser.post(pause, {"enabled": "0"})
    assert response.status_code == 302
    source.refresh_from_db()
    assert not source.enabled
    assert "paused" in organiser.get(CONSOLE + "walls/djangocon/").content.decode()
    organiser.post(pause, {"enabled": "1"})
    source.refresh_from_db()
    assert source.enabled


def test_testing_an_rss_source_shows_which_walls_its_posts_reach_and_stores_nothing(
    organiser, wall, feed
):
    Wall.objects.create(name="German", slug="german", hashtags=["djangocon"], languages=["de"])
    response = organiser.post(NEW, source_data(url=feed.url, scope="any", test="1"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-test-result="ok"' in html
    assert "2 posts fetched" in html
    found = verdicts(html)
    assert "djangocon:approved" in found  # the #DjangoCon post, on its own wall
    assert "djangocon:none" in found  # the lunch post: no rule of the wall
    assert "#djangocon" in html
    assert not Source.objects.exists() and not Post.objects.exists()


def test_testing_an_include_all_source_shows_every_post_and_bans(organiser, wall, feed):
    wall.banned_words.create(word="lunch")
    response = organiser.post(NEW, source_data(url=feed.url, include_all="on", test="1"))
    html = response.content.decode()
    assert verdicts(html).count("djangocon:approved") == 1
    assert "djangocon:rejected" in verdicts(html)
    assert "banned word: lunch" in html


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda feed: feed.fail(404), "HTTP 404"),
        (lambda feed: setattr(feed, "malformed", "garbage"), "does not serve a usable feed"),
        (lambda feed: feed.drop(), "Could not read the source"),
    ],
)
def test_a_failing_feed_is_a_clear_message(organiser, wall, feed, setup, message):
    setup(feed)
    response = organiser.post(NEW, source_data(url=feed.url, test="1"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-test-result="error"' in html
    assert message in html


def test_a_refused_connection_and_a_timeout_are_clear_messages(organiser, wall, feed, monkeypatch):
    closed = FeedServer().start()
    url = closed.url
    closed.stop()
    refused = organiser.post(NEW, source_data(url=url, test="1")).content.decode()
    assert 'data-test-result="error"' in refused
    assert "ConnectError" in refused
    monkeypatch.setattr(sample, "SAMPLE_TIMEOUT", 0.5)
    gate = feed.hold()
    try:
        slow = organiser.post(NEW, source_data(url=feed.url, test="1")).content.decode()
    finally:
        gate.set()
    assert "No answer within 0.5 seconds" in slow


def test_testing_a_mastodon_source_reads_its_hashtag_timeline(organiser, wall):
    app = FakeMastodon()
    with AsgiServer(app) as server:
        app.url, app.streaming_url = server.url, server.ws_url
        app.post("djangocon", content="<p>Hello #djangocon</p>")
        response = organiser.post(
            NEW, source_data(name="masto", kind="mastodon", url=server.url, test="1")
        )
    html = response.content.decode()
    assert "1 post fetched" in html, re.findall(r'role="alert"[^<]*<', html)
    assert "djangocon:approved" in verdicts(html)


def test_testing_a_webhook_explains_there_is_nothing_to_fetch(organiser, wall):
    response = organiser.post(NEW, source_data(name="hook", kind="webhook", secret="x", test="1"))
    assert "nothing to fetch" in response.content.decode()
    assert not Source.objects.exists()


def test_testing_a_bluesky_source_listens_to_the_live_stream(organiser, wall, monkeypatch):
    monkeypatch.setattr(sample, "SAMPLE_TIMEOUT", 3.0)
    text = "Keynote time #djangocon"
    event = post_event("did:plc:ann", "r1", text, time_us=1, facets=[tag_facet(text, "djangocon")])
    with FakeJetstream() as jetstream:

        def publish() -> None:  # once the console's test is connected: the stream is live only
            jetstream.wait_for_connections(1, timeout=30)
            jetstream.append(event)

        thread = threading.Thread(target=publish)
        thread.start()
        response = organiser.post(
            NEW, source_data(name="sky", kind="bluesky", url=jetstream.url, test="1")
        )
        thread.join()
    html = response.content.decode()
    assert "Listened for 3 seconds" in html
    assert "djangocon:approved" in verdicts(html)
