"""Fixtures for crowdwall: walls, sources, post factories, a recording publisher."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.cache import caches
from django.db import connection

from crowdwall.ingest import announce, publisher
from crowdwall.ingest.prepare import BatchResult
from crowdwall.ingest.publisher import Event, InProcessPublisher
from crowdwall.ingest.write import ingest
from crowdwall.models import Source, Wall

T0 = datetime(2025, 5, 14, 9, 0, tzinfo=UTC)
_ids = itertools.count(1)


class Recorder(InProcessPublisher):
    """The in-process publisher, remembering every event it delivered."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[Event] = []
        self.subscribe(self.events.append)

    def kinds(self) -> list[tuple[str, int]]:
        return [(str(e.kind), e.post_id) for e in self.events]


@pytest.fixture(autouse=True)
def published() -> Iterator[Recorder]:
    """Every test gets a fresh recording publisher and an empty cache."""
    recorder = Recorder()
    previous = publisher.set_publisher(recorder)
    # Figures refreshed after every change, in the test's thread (pacing has its own tests).
    paced = announce.set_pacer(announce.FiguresPacer(announce.refresh, lambda: 0.0))
    caches["default"].clear()
    yield recorder
    publisher.set_publisher(previous)
    announce.set_pacer(paced)
    caches["default"].clear()


def make_post(number: int | None = None, **fields: Any) -> dict[str, Any]:
    """A post in crowdwall's JSON format; ``fields`` override (``author=`` merges)."""
    number = next(_ids) if number is None else number
    author = {
        "id": "https://social.example/users/ann",
        "handle": "ann@social.example",
        "display_name": "Ann",
        "avatar_url": "https://social.example/a/ann.png",
        "profile_url": "https://social.example/@ann",
    }
    author.update(fields.pop("author", {}))
    post = {
        "id": str(number),
        "created_at": (T0 + timedelta(minutes=number)).isoformat(),
        "author": author,
        "html": f"<p>Post {number} about #DjangoCon</p>",
        "language": "en",
        "url": f"https://social.example/@ann/{number}",
    }
    post.update(fields)
    return post


@pytest.fixture
def wall(db) -> Wall:
    wall = Wall(name="DjangoCon", slug="djangocon", hashtags=["djangocon"])
    wall.full_clean()
    wall.save()
    return wall


@pytest.fixture
def source(wall: Wall) -> Source:
    # Matching tests feed several walls from one source: it may reach any wall (a replay's
    # default is its own wall only; tests/crowdwall/ingest/test_lanes.py covers that).
    return Source.objects.create(
        wall=wall, name="demo", kind="replay", config={"rate": 0}, scope="any"
    )


@pytest.fixture
def store(source: Source, django_capture_on_commit_callbacks) -> Callable[..., BatchResult]:
    """``store(*posts, cursor=None, src=None)``: ingest and run the on-commit callbacks, as a
    committed transaction would."""

    def run(*items: Any, cursor: str | None = None, src: Source | None = None) -> BatchResult:
        with django_capture_on_commit_callbacks(execute=True):
            return ingest(src or source, list(items), cursor=cursor)

    return run


# Rows pointing at nothing (the keys ingest writes have no database constraint).
ORPHANS = {
    "posts without source": "SELECT count(*) FROM crowdwall_post p WHERE NOT EXISTS "
    "(SELECT 1 FROM crowdwall_source s WHERE s.id = p.source_id)",
    "posts without author": "SELECT count(*) FROM crowdwall_post p WHERE NOT EXISTS "
    "(SELECT 1 FROM crowdwall_author a WHERE a.id = p.author_id)",
    "entries without post": "SELECT count(*) FROM crowdwall_postwall e WHERE NOT EXISTS "
    "(SELECT 1 FROM crowdwall_post p WHERE p.id = e.post_id)",
    "entries without wall": "SELECT count(*) FROM crowdwall_postwall e WHERE NOT EXISTS "
    "(SELECT 1 FROM crowdwall_wall w WHERE w.id = e.wall_id)",
}


def orphans() -> dict[str, int]:
    """Rows whose reference points at nothing, by kind (only kinds with any)."""
    found = {}
    with connection.cursor() as cursor:
        for name, sql in ORPHANS.items():
            cursor.execute(sql)
            if count := cursor.fetchone()[0]:
                found[name] = count
    return found


POISON = "poison"  # posts whose external id starts with it fail in the database (``poisoned``)


@pytest.fixture
def poisoned(db) -> Iterator[None]:
    """A failure nobody foresaw, in the database itself: a trigger refuses to insert any post
    whose external id starts with ``POISON`` (SQLite: ``RAISE(ABORT)``, an IntegrityError;
    PostgreSQL: a PL/pgSQL exception, a ProgrammingError). Dropped afterwards (``drop_poison``)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "CREATE TRIGGER crowdwall_test_poison BEFORE INSERT ON crowdwall_post "
                f"WHEN NEW.external_id LIKE '{POISON}%' "
                "BEGIN SELECT RAISE(ABORT, 'poisoned row'); END"
            )
        else:
            cursor.execute(
                "CREATE FUNCTION crowdwall_test_poison() RETURNS trigger LANGUAGE plpgsql AS $$ "
                f"BEGIN IF NEW.external_id LIKE '{POISON}%' THEN "
                "RAISE EXCEPTION 'poisoned row'; END IF; RETURN NEW; END $$"
            )
            cursor.execute(
                "CREATE TRIGGER crowdwall_test_poison BEFORE INSERT ON crowdwall_post "
                "FOR EACH ROW EXECUTE FUNCTION crowdwall_test_poison()"
            )
    yield
    drop_poison()


def drop_poison() -> None:
    """Remove the ``poisoned`` trigger (the fix, before a replay)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER IF EXISTS crowdwall_test_poison")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS crowdwall_test_poison ON crowdwall_post")
            cursor.execute("DROP FUNCTION IF EXISTS crowdwall_test_poison()")


@pytest.fixture
def two_at_most(monkeypatch) -> None:
    """Ban limits of two per wall (the real ones, in crowdwall.rule_limits, are thousands)."""
    from crowdwall.rule_limits import LIMITS, RuleLimit

    monkeypatch.setitem(LIMITS, "banned_words", RuleLimit("banned words", 2, 200))
    monkeypatch.setitem(LIMITS, "banned_authors", RuleLimit("banned authors", 2, 255))
