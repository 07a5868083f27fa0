"""The walls' rules as ingest loads them for every chunk: each wall gets its own bans, banned
words, never-show and trusted accounts (and the global never-show list), read in one query."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crowdwall.ingest.match import AccountSet
from crowdwall.ingest.walls import load_wall_rules
from crowdwall.models import BannedAuthor, BannedWord, NeverShow, TrustedAccount, Wall

pytestmark = pytest.mark.django_db


def test_each_wall_gets_its_own_lists_and_the_global_never_show_list(wall):
    other = Wall.objects.create(name="Python", slug="python", hashtags=["python"])
    Wall.objects.create(name="Off", slug="off", hashtags=["off"], is_active=False)
    off = Wall.objects.get(slug="off")
    BannedAuthor.objects.create(wall=wall, account="@spammer@bad.example")
    BannedAuthor.objects.create(wall=off, account="@elsewhere@x.example")
    BannedWord.objects.create(wall=wall, word="crypto")
    BannedWord.objects.create(wall=wall, word="airdrop")
    BannedWord.objects.create(wall=other, word="snake oil")
    NeverShow.objects.create(account="@everywhere@x.example")  # every wall
    NeverShow.objects.create(wall=other, account="https://x.example/users/shy")
    TrustedAccount.objects.create(wall=other, account="@speaker@x.example")

    with CaptureQueriesContext(connection) as queries:
        rules = {r.slug: r for r in load_wall_rules()}
    assert set(rules) == {"djangocon", "python"}  # active walls only
    mine, theirs = rules["djangocon"], rules["python"]
    assert mine.banned_authors == AccountSet.of(["@spammer@bad.example"])
    assert theirs.banned_authors == AccountSet.of([])
    assert list(mine.banned_words.entries) == ["airdrop", "crypto"]
    assert list(theirs.banned_words.entries) == ["snake oil"]
    assert mine.never_show == AccountSet.of(["@everywhere@x.example"])
    assert theirs.never_show == AccountSet.of(
        ["@everywhere@x.example", "https://x.example/users/shy"]
    )
    assert theirs.trusted == AccountSet.of(["@speaker@x.example"]) and not mine.trusted
    # Walls, sources, then the four lists together (talks are cached for a minute).
    lists = [q["sql"] for q in queries if "UNION ALL" in q["sql"]]
    assert len(lists) == 1 and len(queries) <= 4


def test_a_list_changed_between_two_loads_is_in_the_next(wall):
    assert not load_wall_rules()[0].trusted
    TrustedAccount.objects.create(wall=wall, account="@new@x.example")
    BannedWord.objects.create(wall=wall, word="spam")
    rules = load_wall_rules()[0]
    assert rules.trusted == AccountSet.of(["@new@x.example"])
    assert list(rules.banned_words.entries) == ["spam"]
