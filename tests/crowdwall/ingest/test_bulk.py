"""The raw-SQL bulk helpers (``crowdwall.ingest.bulk``) against the real database (SQLite, or
PostgreSQL's ``COPY`` with ``--db=postgres``): values read back exactly as the ORM stored them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crowdwall.ingest.bulk import insert_rows, select_in, upsert_rows, utc_text
from crowdwall.models import Author, Post, Source

T0 = datetime(2025, 5, 14, 9, 0, tzinfo=UTC)
# Lists that look alike to a cache keyed carelessly (``(1,) == (True,)``), repeated lists of
# tags, no media, media objects: each must be stored as its own JSON.
JSON_VALUES = [
    (["djangocon", "python"], []),
    (["djangocon", "python"], [{"url": "https://m.example/1.png", "type": "image"}]),
    ([], []),
    ([1], [True]),
    ([True], [1]),
    (["1"], [None]),
    (["é", "ü"], [{"alt": "naïve"}]),
    (["djangocon", "python"], []),
]


@pytest.fixture
def author(db) -> Author:
    return Author.objects.create(key="k", handle="ann", updated_at=T0)


def test_insert_rows_stores_json_columns_exactly(source: Source, author: Author):
    fields = ["source", "external_id", "author", "url", "content_html", "text", "spoiler_text"]
    fields += ["sensitive", "is_reply", "is_boost", "language", "hashtags", "media"]
    fields += ["fingerprint", "created_at", "ingested_at"]
    blank = ("", "", "", "", False, False, False, "")  # url ... language
    rows = [
        (source.pk, str(n), author.pk, *blank, tags, media, "f" * 32, T0, T0)
        for n, (tags, media) in enumerate(JSON_VALUES)
    ]
    assert insert_rows(Post, fields, rows) == len(rows)
    stored = {
        p.external_id: (p.hashtags, p.media, p.created_at)
        for p in Post.objects.filter(source=source)
    }
    assert stored == {str(n): (t, m, T0) for n, (t, m) in enumerate(JSON_VALUES)}


def test_select_in_and_upsert_rows(source: Source):
    fields = ["key", "handle", "display_name", "avatar_url", "profile_url", "is_bot"]
    fields += ["updated_at"]

    def row(key: str, handle: str) -> tuple:
        return (key, handle, "", "", "", False, T0)

    found = upsert_rows(
        Author,
        fields,
        [row("a", "ann"), row("b", "bob"), row("a", "ann2")],  # the last "a" wins
        unique="key",
        update=["handle", "updated_at"],
    )
    assert set(found) == {"a", "b"}
    assert Author.objects.get(pk=found["a"]).handle == "ann2"
    again = upsert_rows(
        Author, fields, [row("a", "ann3")], unique="key", update=["handle", "updated_at"]
    )
    assert again == {"a": found["a"]}
    rows = select_in(Author, ["key", "handle", "updated_at"], "key", ["a", "b", "zz"])
    assert sorted(rows) == [("a", "ann3", T0), ("b", "bob", T0)]


@pytest.mark.parametrize(
    "value",
    [
        datetime(2025, 5, 14, 8, 0, 24, tzinfo=UTC),
        datetime(2025, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
        datetime(2000, 1, 1, tzinfo=UTC),
        datetime(999, 2, 3, 4, 5, 6, 7, tzinfo=UTC),
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 10, tzinfo=UTC),
    ],
)
def test_utc_text_is_isoformat_without_the_offset(value: datetime):
    assert utc_text(value) == str(value)[:-6] == value.isoformat(" ")[:-6]
    assert utc_text(value, "T") + "+00:00" == value.isoformat()
