"""NUL in any API input (issue 14): a 422 (404 in a path) in the error shape on both databases,
never a 500 from PostgreSQL, and nothing stored."""

from __future__ import annotations

import pytest

from crowdwall.api.inputs import holds_nul
from crowdwall.models import BannedWord, Source, Wall
from tests.crowdwall.api.test_errors import error_of

W = "/api/walls/djangocon"


@pytest.mark.parametrize(
    "query",
    [
        "author=%00",
        "author=ann%00",
        "before=2025-05-14%00",
        "state=approved%00",
        "cursor=%00",
        "limit=2%00",
        "since=%001",
        "limit=2&utm=%00",
        "author=ok&author=%00",
        "x%00y=1",
    ],
)
def test_nul_in_a_query_value_is_a_422(anon, posts, query):
    fields = error_of(anon.get(f"{W}/posts/?{query}"), 422)["fields"]
    assert all(
        messages == ["Must not contain NUL characters (\\u0000)."] for messages in fields.values()
    )


def test_nul_in_a_staff_query_is_a_422_and_bans_nothing(bearer, wall):
    BannedWord.objects.create(wall=wall, word="spam")
    error_of(bearer.delete(f"{W}/bans/words/?word=spam%00"), 422)
    assert BannedWord.objects.filter(wall=wall).count() == 1


@pytest.mark.parametrize("path", [f"{W}%00/", f"{W}%00/posts/", "/api/walls/%00/posts/1/"])
def test_nul_in_a_path_is_a_404(anon, wall, path):
    error_of(anon.get(path), 404)


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("post", "/api/walls/", {"name": "N\x00", "slug": "nul"}, "name"),
        ("patch", f"{W}/", {"name": "Dj\x00ngo"}, "name"),
        ("patch", f"{W}/", {"hashtags": ["ok", "bad\x00"]}, "hashtags"),
        ("patch", f"{W}/", {"info_text": "\x00"}, "info_text"),
        ("post", f"{W}/bans/words/", {"word": "sp\x00m"}, "word"),
        ("post", f"{W}/bans/authors/", {"account": "@a\x00b"}, "account"),
        ("post", f"{W}/bans/authors/", {"account": "@ann", "note": "\x00"}, "note"),
        ("post", f"{W}/sources/", {"name": "s\x00", "kind": "replay"}, "name"),
        ("post", f"{W}/sources/", {"name": "s", "kind": "rss", "config": {"url\x00": 1}}, "config"),
        (
            "post",
            f"{W}/sources/",
            {"name": "s", "kind": "rss", "config": {"a": [{"b": "\x00"}]}},
            "config",
        ),
    ],
)
def test_nul_in_a_body_field_is_a_422_naming_it(bearer, wall, method, path, body, field):
    walls, sources = Wall.objects.count(), Source.objects.count()
    response = getattr(bearer, method)(path, body, content_type="application/json")
    assert field in error_of(response, 422)["fields"]
    assert (Wall.objects.count(), Source.objects.count()) == (walls, sources)
    assert not BannedWord.objects.exists()
    assert Wall.objects.get(slug="djangocon").name == "DjangoCon"


def test_holds_nul_looks_everywhere_without_recursion():
    deep: object = "\x00"
    for _ in range(50_000):
        deep = [deep]
    assert holds_nul(deep)
    assert holds_nul({"k\x00": 1})
    assert not holds_nul({"k": ["v", 1, None, {"x": 2.0}]})
