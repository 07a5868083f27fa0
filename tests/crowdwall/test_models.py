"""Model validation: walls normalise their lists, sources validate per kind, bans parse."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from crowdwall.models import Author, BannedAuthor, BannedWord, Post, PostWall, Source, Wall

pytestmark = pytest.mark.django_db


def test_wall_clean_normalises_lists():
    wall = Wall(
        name="W",
        slug="w",
        hashtags=["#DjangoCon", "djangocon", "#ＰＹＴＨＯＮ"],
        keywords=[" python* ", "python*"],
        accounts=["@Ann@Social.Example", "did:plc:abc"],
        languages=["EN-gb", "de"],
    )
    wall.full_clean()
    assert wall.hashtags == ["djangocon", "python"]
    assert wall.keywords == ["python*"]
    assert wall.accounts == ["@ann@social.example", "did:plc:abc"]
    assert wall.languages == ["en", "de"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("hashtags", ["two words"]),
        ("hashtags", "djangocon"),
        ("keywords", ['"open']),
        ("languages", ["english"]),
        ("accounts", [1, 2]),
        ("slug", "console"),  # /walls/console/ is the organiser's console
    ],
)
def test_wall_clean_rejects_bad_lists(field, value):
    wall = Wall(**{"name": "W", "slug": "w", field: value})
    with pytest.raises(ValidationError) as caught:
        wall.full_clean()
    assert field in caught.value.message_dict


def test_source_clean_validates_and_fills_the_config():
    wall = Wall.objects.create(name="W", slug="w")
    source = Source(wall=wall, name="r", kind="replay", config={"rate": 3})
    source.full_clean()
    assert source.config["rate"] == 3.0 and source.config["loop"] is False
    with pytest.raises(ValidationError) as caught:
        Source(wall=wall, name="m", kind="mastodon", config={}).full_clean()
    assert "config" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        Source(wall=wall, name="h", kind="webhook").full_clean()
    assert "secret" in caught.value.message_dict


def test_bans_are_validated():
    wall = Wall.objects.create(name="W", slug="w")
    ban = BannedAuthor(wall=wall, account=" @Troll@Example.com ")
    ban.full_clean()
    assert ban.account == "@troll@example.com"
    with pytest.raises(ValidationError):
        BannedWord(wall=wall, word='"half').full_clean()


def test_external_ids_are_unique_per_source(store, source):
    from tests.crowdwall.conftest import make_post

    store(make_post(1))
    post = Post.objects.get()
    post.pk = None
    with pytest.raises(IntegrityError):
        post.save()


def test_a_wall_entry_carries_its_posts_author_and_goes_with_them(store, source):
    """``PostWall.author`` is a copy of the post's author (no constraint of its own): every
    entry stored agrees with its post, and deleting the author removes posts and entries."""
    from tests.crowdwall.conftest import make_post

    store(make_post(1), make_post(2))
    entries = PostWall.objects.select_related("post")
    assert entries.count() == 2
    assert all(entry.author_id == entry.post.author_id for entry in entries)
    Author.objects.all().delete()
    assert not Post.objects.exists() and not PostWall.objects.exists()
