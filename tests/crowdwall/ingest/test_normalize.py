"""Reading crowdwall's JSON format and bounding what adapters produce."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from crowdwall.exceptions import InvalidPost
from crowdwall.ingest.normalize import (
    DELETE,
    IncomingAuthor,
    IncomingMedia,
    IncomingPost,
    clean_post,
    parse_date,
)
from crowdwall.ingest.post_json import from_dict
from tests.crowdwall.conftest import make_post

NOW = datetime(2025, 5, 14, 12, 0, tzinfo=UTC)


def ann(*, indexable: bool | None) -> IncomingAuthor:
    """An author with every field set (consent flags of each kind)."""
    return IncomingAuthor(
        id="a",
        handle="ann",
        display_name="Ann",
        avatar_url="https://a.example/a.png",
        profile_url="https://a.example/@ann",
        is_bot=True,
        noindex=True,
        discoverable=False,
        indexable=indexable,
        no_unauthenticated=True,
    )


def test_from_dict_reads_every_field():
    post = from_dict(
        make_post(
            7,
            spoiler_text="food",
            sensitive=True,
            reply=True,
            boost=False,
            tags=["DjangoCon"],
            media=[{"url": "https://m.example/1.png", "alt": "a cake"}],
            counts={"boosts": 1, "favourites": 2, "replies": 3},
            author={"bot": True},
        )
    )
    assert post.external_id == "7"
    assert post.author.handle == "ann@social.example" and post.author.is_bot
    assert (post.spoiler_text, post.sensitive, post.is_reply, post.is_boost) == (
        "food",
        True,
        True,
        False,
    )
    assert post.media == (IncomingMedia(url="https://m.example/1.png", type="image", alt="a cake"),)
    assert (post.boosts_count, post.favourites_count, post.replies_count) == (1, 2, 3)
    assert post.created_at.tzinfo is not None


def test_from_dict_puts_every_key_in_its_own_field():
    """Every key of our format set (to values no two fields share), read into the field that
    names it: the post is built positionally for speed, this catches a field out of order."""
    data = {
        "id": "1",
        "created_at": "2025-05-14T10:00:00Z",
        "edited_at": "2025-05-14T11:00:00Z",
        "url": "https://a.example/1",
        "author": {
            "id": "a",
            "handle": "ann",
            "display_name": "Ann",
            "avatar_url": "https://a.example/a.png",
            "profile_url": "https://a.example/@ann",
            "bot": True,
            "noindex": True,
            "discoverable": False,
            "indexable": None,
            "no_unauthenticated": True,
        },
        "html": "<p>x</p>",
        "text": "x",
        "spoiler_text": "cw",
        "sensitive": True,
        "reply": False,
        "boost": True,
        "language": "en",
        "tags": ["tag"],
        "media": [
            {
                "url": "https://m.example/1.jpg",
                "type": "video",
                "alt": "alt",
                "preview_url": "https://m.example/p.jpg",
                "blurhash": "LEHV6n",
            }
        ],
        "counts": {"boosts": 1, "favourites": 2, "replies": 3},
        "card": {"url": "https://l.example/", "title": "Link"},
        "boosted_by": {"id": "https://b.example/users/bob", "handle": "bob@b.example"},
        "date_estimated": True,
    }
    assert from_dict(data) == IncomingPost(
        external_id="1",
        author=ann(indexable=None),
        html="<p>x</p>",
        text="x",
        created_at=datetime(2025, 5, 14, 10, tzinfo=UTC),
        edited_at=datetime(2025, 5, 14, 11, tzinfo=UTC),
        url="https://a.example/1",
        spoiler_text="cw",
        sensitive=True,
        is_reply=False,
        is_boost=True,
        language="en",
        hashtags=("tag",),
        media=(
            IncomingMedia(
                url="https://m.example/1.jpg",
                type="video",
                alt="alt",
                preview_url="https://m.example/p.jpg",
                blurhash="LEHV6n",
            ),
        ),
        boosts_count=1,
        favourites_count=2,
        replies_count=3,
        date_estimated=True,
        extras={"card": {"url": "https://l.example/", "title": "Link"}},
        booster_id="https://b.example/users/bob",
        booster_handle="bob@b.example",
    )


def test_from_dict_reads_deletions_with_only_an_id():
    assert from_dict({"id": 5, "action": "delete"}) == IncomingPost("5", action=DELETE)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (None, "not an object"),
        ({"id": "1", "action": "explode"}, "bad action"),
        ({"id": {"nested": 1}}, "wrong type"),
        (make_post(1, tags="djangocon"), "wrong type"),
        (make_post(1, counts=[1, 2]), "wrong type"),
        (make_post(1) | {"author": "ann"}, "missing field"),
        (make_post(1, author={"indexable": "yes"}), "wrong type"),
        (make_post(1, author={"noindex": 0}), "wrong type"),
    ],
)
def test_from_dict_rejects_malformed_input(data, reason):
    with pytest.raises(InvalidPost) as caught:
        from_dict(data)
    assert caught.value.reason == reason


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-05-14T10:00:00Z", datetime(2025, 5, 14, 10, tzinfo=UTC)),
        ("2025-05-14T12:00:00+02:00", datetime(2025, 5, 14, 10, tzinfo=UTC)),
        ("2025-05-14 10:00:00", datetime(2025, 5, 14, 10, tzinfo=UTC)),
        ("Wed, 14 May 2025 10:00:00 GMT", datetime(2025, 5, 14, 10, tzinfo=UTC)),
        ("mer, 14 mai 2025 12:00:00 +0200", datetime(2025, 5, 14, 10, tzinfo=UTC)),
        ("Wed, 14 May 2025 06:00:00 ET", datetime(2025, 5, 14, 10, tzinfo=UTC)),  # not UTC
        (1747216800, datetime(2025, 5, 14, 10, tzinfo=UTC)),
        (datetime(2025, 5, 14, 10), datetime(2025, 5, 14, 10, tzinfo=UTC)),
    ],
)
def test_parse_date_accepts_common_formats_and_returns_utc(value, expected):
    assert parse_date(value) == expected
    assert parse_date(value).tzinfo == UTC


@pytest.mark.parametrize(
    "value",
    [
        "",
        "soon",
        "2025-13-01",
        "99999-01-01",
        "2023-06-05T25:14:55Z",
        float("nan"),
        1e20,
        True,
        [],
        None,
    ],
)
def test_parse_date_rejects_garbage(value):
    with pytest.raises(InvalidPost) as caught:
        parse_date(value)
    assert caught.value.reason == "bad date"


def upsert(**fields) -> IncomingPost:
    values = {
        "external_id": "1",
        "author": IncomingAuthor(id="did:plc:ann", handle="@ann.example"),
        "text": "hello",
        "created_at": NOW - timedelta(minutes=5),
    }
    values.update(fields)
    return IncomingPost(**values)


def test_clean_post_bounds_fields():
    cleaned = clean_post(
        upsert(
            spoiler_text="x" * 900,
            url="javascript:alert(1)",
            media=tuple(IncomingMedia(url=f"https://m.example/{i}.png") for i in range(20)),
            boosts_count=-3,
            favourites_count="12",
            replies_count=7,
        ),
        now=NOW,
    )
    assert cleaned.author.handle == "ann.example"
    assert len(cleaned.spoiler_text) == 500
    assert cleaned.url == ""
    assert len(cleaned.media) == 8
    assert (cleaned.boosts_count, cleaned.favourites_count, cleaned.replies_count) == (
        None,
        None,
        7,
    )


def test_clean_post_clamps_future_dates_and_edits_before_creation():
    cleaned = clean_post(upsert(created_at=NOW + timedelta(days=3)), now=NOW)
    assert cleaned.created_at == NOW
    assert cleaned.date_estimated  # the source's date was wrong: now is a guess
    cleaned = clean_post(upsert(edited_at=NOW - timedelta(days=1)), now=NOW)
    assert cleaned.edited_at == cleaned.created_at
    assert not cleaned.date_estimated


def test_date_estimated_is_read_from_our_json_format():
    assert from_dict(make_post(1, date_estimated=True)).date_estimated
    assert not from_dict(make_post(1)).date_estimated
    with pytest.raises(InvalidPost, match="wrong type"):
        from_dict(make_post(1, date_estimated="yes"))


def test_clean_post_tolerates_small_clock_skew():
    ahead = NOW + timedelta(seconds=30)
    assert clean_post(upsert(created_at=ahead), now=NOW).created_at == ahead


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"external_id": " "}, "missing field"),
        ({"external_id": "x" * 300}, "id too long"),
        ({"author": None}, "missing field"),
        ({"author": IncomingAuthor(id="", handle="ann")}, "missing field"),
        ({"created_at": None}, "missing field"),
        ({"created_at": "nonsense"}, "bad date"),
        ({"text": "é" * 60_000}, "too large"),
        ({"action": "frobnicate"}, "bad action"),
    ],
)
def test_clean_post_rejects(fields, reason):
    with pytest.raises(InvalidPost) as caught:
        clean_post(upsert(**fields), now=NOW)
    assert caught.value.reason == reason


def test_clean_post_carries_every_field_of_a_clean_post():
    """clean_post builds its result field by field: a field it forgets would be lost."""
    full = IncomingPost(
        external_id="1",
        author=ann(indexable=False),
        html="<p>x</p>",
        text="x",
        created_at=NOW - timedelta(hours=1),
        edited_at=NOW - timedelta(minutes=30),
        url="https://a.example/1",
        spoiler_text="cw",
        sensitive=True,
        is_reply=True,
        is_boost=True,
        language="en",
        hashtags=("tag",),
        media=(
            IncomingMedia(
                "https://m.example/1.jpg", "video", "alt", "https://m.example/p.jpg", "LEHV6n"
            ),
        ),
        boosts_count=1,
        favourites_count=2,
        replies_count=3,
        date_estimated=True,
        extras={"card": {"url": "https://l.example/", "title": "Link"}},
        opted_out=True,
        booster_id="https://b.example/users/bob",
        booster_handle="bob@b.example",
    )
    blank = IncomingPost(external_id="", action="")
    for field in dataclasses.fields(IncomingPost):
        if field.name != "action":  # every field set to something else than its default
            assert getattr(full, field.name) != getattr(blank, field.name), field.name
    for field in dataclasses.fields(IncomingAuthor):
        assert getattr(full.author, field.name) != getattr(IncomingAuthor("", ""), field.name)
    assert clean_post(full, now=NOW) == full
