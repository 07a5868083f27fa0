"""Link cards, polls and quoted posts: checked at ingest, stored with the post, carried by events."""

from __future__ import annotations

import pytest

from crowdwall.ingest.extras import card, clean_extras, extras_json, poll, quote
from crowdwall.live.frames import post_payload
from crowdwall.models import Post
from tests.crowdwall.conftest import make_post

CARD = card(
    "https://www.djangoproject.com/weblog/2025/may/01/djangocon/",
    title="DjangoCon Europe 2025",
    description="Dublin, 23-27 April",
    image="https://static.djangoproject.com/img/card.png",
    image_alt="The Django pony on a stage",
    site="djangoproject.com",
)
POLL = poll([("Tutorials", 12), ("Talks", 30), ("Sprints", None)], votes=42, voters=40)
QUOTE = quote(
    "https://mastodon.social/@Gargron/103270115826048975",
    handle="Gargron@mastodon.social",
    name="Eugen",
    text="I lost my inheritance with one wrong digit on my sort code",
)


def test_constructors_leave_out_what_is_empty():
    assert card("https://l.example/") == {"url": "https://l.example/"}
    assert poll([("a", None)]) == {"options": [{"title": "a", "votes": None}], "closed": False}
    assert quote("https://q.example/1", handle="ann") == {
        "url": "https://q.example/1",
        "handle": "ann",
    }


def test_clean_extras_keeps_good_items_and_drops_broken_ones_whole():
    assert clean_extras({"card": CARD, "poll": POLL, "quote": QUOTE}) == {
        "card": CARD,
        "poll": POLL,
        "quote": QUOTE,
    }
    dirty = {
        "card": {"url": "javascript:alert(1)", "title": "x"},  # no usable URL: no card
        "poll": {"options": [{"title": ""}, {"title": "ok", "votes": -1}, "junk"], "closed": 1},
        "quote": {"url": "https://q.example/1", "image": "https://x/", "text": "a\x00b" * 1000},
        "video": {"url": "https://v.example/"},  # not a kind we know
    }
    assert clean_extras(dirty) == {
        "poll": {"options": [{"title": "ok", "votes": None}], "closed": False},
        "quote": {"url": "https://q.example/1", "text": ("ab" * 750)},
    }
    assert clean_extras({"card": {"url": "https://l.example/", "image": "data:image/png,x"}}) == {
        "card": {"url": "https://l.example/"}
    }
    assert clean_extras([1, 2]) == clean_extras(None) == clean_extras({"poll": "x"}) == {}


def test_extras_json_names_every_kind():
    assert extras_json(None) == {"card": None, "poll": None, "quote": None}
    assert extras_json({"card": CARD}) == {"card": CARD, "poll": None, "quote": None}


@pytest.mark.django_db
def test_extras_are_stored_published_and_read_back_alike(store, wall, published):
    result = store(make_post(1, card=CARD, poll=POLL, quote=QUOTE), make_post(2))
    assert result.created == 2
    stored = Post.objects.select_related("author").get(external_id="1")
    assert stored.extras == {"card": CARD, "poll": POLL, "quote": QUOTE}
    assert Post.objects.get(external_id="2").extras == {}
    event = published.events[0].post
    assert (event["card"], event["poll"], event["quote"]) == (CARD, POLL, QUOTE)
    assert published.events[1].post["card"] is None
    from_db = post_payload(stored)
    assert {k: from_db[k] for k in ("card", "poll", "quote")} == {
        k: event[k] for k in ("card", "poll", "quote")
    }


@pytest.mark.django_db
def test_new_poll_counts_are_an_update_and_an_unchanged_card_a_duplicate(store, wall, published):
    store(make_post(1, poll=POLL, card=CARD))
    assert store(make_post(1, poll=POLL, card=CARD)).duplicates == 1
    later = poll([("Tutorials", 13), ("Talks", 30), ("Sprints", None)], votes=43, voters=41)
    assert store(make_post(1, poll=later, card=CARD)).updated == 1
    assert Post.objects.get(external_id="1").extras["poll"]["votes"] == 43
    assert published.events[-1].kind == "post.update"


@pytest.mark.django_db
def test_a_post_with_only_a_card_or_a_quote_is_not_empty(store, wall):
    """A GIF reply or a bare link is a post, though its text is empty."""
    tags = ["djangocon"]
    result = store(
        make_post(1, html="", tags=tags, card=CARD),
        make_post(2, html="", tags=tags, quote=QUOTE),
        make_post(3, html="", tags=tags, card={"url": "not a url"}),
    )
    assert [(r.external_id, r.reason) for r in result.rejected] == [("3", "empty")]
    assert result.created == 2


@pytest.mark.django_db
def test_a_quote_of_a_post_we_have_gets_its_text_and_author(store, wall, published):
    """As Bluesky quotes arrive: a bare reference, completed from the stored post."""
    quoted = make_post(1, html="<p>The #DjangoCon keynote was great</p>",
                       author={"id": "did:plc:bo", "handle": "bo.example", "display_name": "Bo"})  # fmt: skip
    ref = {"url": "https://bsky.example/bo/1", "id": "1", "handle": "did:plc:bo"}
    store(quoted)
    store(make_post(2, quote=ref), make_post(3, quote={**ref, "id": "unknown"}))
    filled = Post.objects.get(external_id="2").extras["quote"]
    assert filled == {**ref, "handle": "bo.example", "name": "Bo",
                      "text": "The #DjangoCon keynote was great"}  # fmt: skip
    assert published.events[-2].post["quote"] == filled
    assert Post.objects.get(external_id="3").extras["quote"] == {**ref, "id": "unknown"}
