"""``/walls/<slug>/about/``: what the wall collects, from where, how long, how to opt out."""

from __future__ import annotations

import pytest
from django.test import Client

from crowdwall.models import Source, Wall

pytestmark = pytest.mark.django_db


def page(slug: str = "djangocon") -> str:
    response = Client().get(f"/walls/{slug}/about/")
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_it_says_what_the_wall_collects_and_from_where(wall):
    wall.keywords = ['"django girls"']
    wall.accounts = ["https://social.example/users/ann"]
    wall.languages = ["en", "de"]
    wall.save()
    Source.objects.create(
        wall=wall, name="m", kind="mastodon", config={"instance": "https://fosstodon.org"}
    )
    Source.objects.create(wall=wall, name="hook", kind="webhook", secret="s3cret")
    other = Wall.objects.create(name="Other", slug="other")
    Source.objects.create(wall=other, name="b", kind="bluesky", config={}, scope="any")
    Source.objects.create(
        wall=other, name="feed", kind="rss", config={"url": "https://b.example/f"}
    )
    html = page()
    assert "<strong>#djangocon</strong>" in html
    assert "<strong>&quot;django girls&quot;</strong>" in html
    assert "1 account the organisers chose to follow" in html
    assert "en, de" in html
    assert "Mastodon instance fosstodon.org" in html
    assert "Bluesky" in html  # another wall's source that may reach this one
    assert "b.example" not in html  # another wall's feed feeds only that wall
    assert "s3cret" not in html


def test_it_explains_the_opt_outs_and_names_the_contact(wall, settings):
    settings.CROWDWALL = {"CONTACT_URL": "mailto:wall@events.example"}
    html = page()
    for words in ("discoverable", "indexable", "noindex", "!no-unauthenticated", "never-show"):
        assert words in html
    assert 'href="mailto:wall@events.example"' in html
    assert "How long it keeps them" in html


def test_without_a_contact_it_says_whom_to_ask(wall, settings):
    settings.CROWDWALL = {}
    assert "Ask the organisers of the event" in page()


def test_a_wall_showing_followed_accounts_anyway_says_so(wall):
    assert "even when those accounts opted out" not in page()
    wall.followed_accounts_opt_in = True
    wall.save()
    from crowdwall.caching import purge_walls

    purge_walls([wall.slug])
    assert "even when those accounts opted out" in page()


def test_an_unknown_or_inactive_wall_is_404(wall):
    assert Client().get("/walls/nope/about/").status_code == 404
    wall.is_active = False
    wall.save()
    assert Client().get("/walls/djangocon/about/").status_code == 404


def test_the_wall_page_and_the_screen_link_to_it(wall):
    assert 'href="/walls/djangocon/about/"' in Client().get("/walls/djangocon/").content.decode()
    screen = Client().get("/walls/djangocon/screen/").content.decode()
    assert "testserver/walls/djangocon/about/" in screen
