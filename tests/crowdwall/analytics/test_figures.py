"""The figures read from day, hour and minute rollups equal the same figures computed from the
raw entries, for ranges that cut through hours, cover whole hours or whole UTC days (authors'
day rows), or sit inside one hour."""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from crowdwall.analytics import authors
from crowdwall.analytics.figures import TOP, analytics, chart_step, median_wait
from crowdwall.analytics.grains import minute_of, minute_start
from crowdwall.analytics.ranges import Range
from crowdwall.analytics.recompute import wait_bucket
from crowdwall.analytics.rollup import refresh
from crowdwall.ingest.write import ingest
from crowdwall.models import ModerationState, PostWall, Source, Wall
from crowdwall.moderation.actions import set_state
from tests.crowdwall.conftest import T0, make_post

pytestmark = pytest.mark.django_db

HOURS = 3  # posts spread over T0's first three hours and a bit
START = minute_of(T0)


def by(number: int) -> dict[str, str]:
    name = f"user{number}"
    return {"id": f"https://social.example/users/{name}", "handle": f"{name}@social.example"}


@pytest.fixture
def busy(wall: Wall, source: Source) -> Wall:
    """~240 posts over three hours by 40 authors (skewed: some post once), two sources, every state, some
    approved by a moderator after a wait."""
    return _fill(wall, source, T0)


# Posts from 23:00 UTC on: the three hours cross midnight, so ranges can hold whole days.
LATE = T0.replace(hour=23)
MIDNIGHT = minute_of(LATE) + 60


@pytest.fixture
def overnight(wall: Wall, source: Source) -> Wall:
    """``busy``'s posts, an hour before midnight to two hours after."""
    return _fill(wall, source, LATE)


def _fill(wall: Wall, source: Source, start: Any) -> Wall:
    Wall.objects.filter(pk=wall.pk).update(moderation="pre_approve")
    other = Source.objects.create(wall=wall, name="other", kind="rss", config={}, scope="any")
    rng = random.Random(19)
    posts: dict[Source, list[dict[str, Any]]] = {source: [], other: []}
    for number in range(1, 241):
        minute = rng.randrange(HOURS * 60 + 10)
        tags = rng.sample(["Python", "wagtail", "htmx", "orm"], rng.randrange(3))
        text = " ".join(f"#{tag}" for tag in ["djangocon", *tags])
        posts[rng.choice([source, other])].append(
            make_post(
                number,
                author=by(int(40 * rng.random() ** 2)),
                html=f"<p>{number} {text}</p>",
                created_at=(start + timedelta(minutes=minute, seconds=number % 60)).isoformat(),
            )
        )
    for src, items in posts.items():
        ingest(src, items)
    ids = list(PostWall.objects.filter(wall=wall).values_list("pk", flat=True))
    rng.shuffle(ids)
    set_state(PostWall.objects.filter(pk__in=ids[:150]), ModerationState.APPROVED)
    set_state(PostWall.objects.filter(pk__in=ids[150:170]), ModerationState.REJECTED)
    # Deleted at the source, as ingest marks them (crowdwall.ingest.store).
    PostWall.objects.filter(pk__in=ids[170:175]).update(
        state=ModerationState.DELETED, changed_at=timezone.now()
    )
    refresh(wall.pk, wait=True)
    return wall


def brute(wall: Wall, first: int, end: int) -> dict[str, Any]:
    """The figures of ``[first, end)`` straight from the entries."""
    entries = PostWall.objects.filter(
        wall=wall, created_at__gte=minute_start(first), created_at__lt=minute_start(end)
    ).select_related("post", "author")
    totals: Counter[str] = Counter()
    sources: Counter[tuple[int, str]] = Counter()
    authors: Counter[tuple[int, str]] = Counter()
    posters: Counter[str] = Counter()
    tags: Counter[str] = Counter()
    waits: Counter[int] = Counter()
    step = chart_step(end - first)
    series: Counter[tuple[int, str]] = Counter()
    for entry in entries:
        approved = entry.state == ModerationState.APPROVED
        for name in ("posts", entry.state):
            totals[name] += 1
            sources[(entry.post.source_id, name)] += 1
        posters[entry.author.handle] += 1
        series[(minute_of(entry.created_at) // step, "posts")] += 1
        if approved:
            series[(minute_of(entry.created_at) // step, "approved")] += 1
            authors[(entry.author_id, entry.author.handle)] += 1
            tags.update({tag.casefold() for tag in entry.post.hashtags})
            if entry.moderated_at:
                wait = (entry.moderated_at - entry.post.ingested_at).total_seconds()
                waits[wait_bucket(wait)] += 1
    # Top authors as the page orders them: most approved first, then by author id.
    top = sorted(authors.items(), key=lambda item: (-item[1], item[0][0]))[:TOP]
    return {
        "totals": +totals,
        "sources": +sources,
        "unique": len(posters),
        "authors": [(handle, n, posters[handle]) for (_, handle), n in top],
        "tags": sorted(tags.items(), key=lambda item: (-item[1], item[0]))[:TOP],
        "median": median_wait(dict(waits)),
        "series": +series,
    }


def read(wall: Wall, first: int, end: int) -> dict[str, Any]:
    """The same figures as ``analytics`` reads them from the rollups."""
    found = analytics(wall, Range("custom", first, end))
    sources: Counter[tuple[int, str]] = Counter()
    for row in found.sources:
        for name in ("posts", *ModerationState.values):
            sources[(row["source_id"], name)] += row[name]
    series: Counter[tuple[int, str]] = Counter()
    for point in found.series:
        for name in ("posts", "approved"):
            series[(minute_of(point["at"]) // found.step, name)] += point[name]
    return {
        "totals": +Counter(found.totals),
        "sources": +sources,
        "unique": found.unique_posters,
        "authors": [(r["handle"], r["approved"], r["posts"]) for r in found.top_authors],
        "tags": [(row["tag"], row["posts"]) for row in found.top_hashtags],
        "median": found.median_wait_seconds,
        "series": +series,
    }


def check(wall: Wall, first: int, end: int) -> None:
    assert read(wall, first, end) == brute(wall, first, end)


RANGES = [
    (17, 143),  # cuts through the first and the third hour: hours and edge minutes
    (0, 180),  # exactly three full hours: hour rows only
    (60, 120),  # one full hour
    (75, 105),  # inside one hour: minute rows only
    (59, 61),  # two minutes across an hour boundary
    (-30, 250),  # wider than the posts on both sides
    (100, 250),  # to past the newest entry: distinct posters from each one's newest minute
    (150, 191),  # up to the newest minute exactly (posts reach minute 189)
    (-617, 15000),  # ten days: two-hour chart points, so the chart reads hour rows too
]


@pytest.mark.parametrize(("first", "end"), RANGES)
def test_figures_over_a_range_equal_a_count_of_the_entries(busy: Wall, first: int, end: int):
    check(busy, START + first, START + end)


def test_many_random_ranges_and_after_moderation(busy: Wall):
    rng = random.Random(7)
    pairs = [sorted(rng.sample(range(-10, HOURS * 60 + 20), 2)) for _ in range(12)]
    for first, end in pairs:
        check(busy, START + first, START + end)
    # Moderation moves minutes, hours and totals alike: the same ranges still agree.
    ids = list(PostWall.objects.filter(wall=busy).order_by("pk").values_list("pk", flat=True))
    set_state(PostWall.objects.filter(pk__in=ids[::7]), ModerationState.REJECTED)
    set_state(PostWall.objects.filter(pk__in=ids[3::11]), ModerationState.APPROVED)
    refresh(busy.pk, wait=True)
    for first, end in pairs:
        check(busy, START + first, START + end)


DAY = 24 * 60
DAYS = [  # around MIDNIGHT, where the overnight posts cross from one day into the next
    (0, DAY),  # the day after midnight exactly: day rows only
    (-DAY, DAY),  # two whole days
    (-DAY, 0),  # the day before, ending at midnight
    (-61, DAY + 7),  # a day with an hour and a minute before it, minutes after it
    (-30, DAY - 1),  # not quite a day: hours and minutes only
    (-2 * DAY - 5, 3 * DAY + 5),  # five days and edge minutes
]


@pytest.mark.parametrize(("first", "end"), DAYS)
def test_figures_over_whole_days_equal_a_count_of_the_entries(overnight: Wall, first, end):
    check(overnight, MIDNIGHT + first, MIDNIGHT + end)


def test_a_past_days_distinct_posters_are_counted_over_its_day_rows(overnight: Wall, monkeypatch):
    # Something newer than the range (the next day), so distinct posters are counted over rows.
    ingest(
        Source.objects.get(name="other"),
        [make_post(999, created_at=(LATE + timedelta(days=2)).isoformat())],
    )
    refresh(overnight.pk, wait=True)
    seen: list[str] = []
    real = authors.fetch

    def spy(sql: str, params: list[Any]) -> Any:
        seen.append(sql)
        return real(sql, params)

    monkeypatch.setattr(authors, "fetch", spy)
    check(overnight, MIDNIGHT, MIDNIGHT + DAY)
    counted = [sql for sql in seen if "COUNT(DISTINCT" in sql]
    assert len(counted) == 1 and "walldayauthor" in counted[0]
    assert "wallhourauthor" not in counted[0] and "wallminuteauthor" not in counted[0]


@pytest.mark.parametrize(("size", "rounds"), [(2, 2), (3, 100), (200, 5)])
def test_top_authors_read_in_rounds_or_whole_agree(busy: Wall, monkeypatch, size, rounds):
    # Small rounds: (2, 2) runs out of rounds and groups the whole range; (3, 100) stops when
    # no later candidate can get in, or when every candidate has been read.
    monkeypatch.setattr(authors, "ROUND", size)
    monkeypatch.setattr(authors, "ROUNDS", rounds)
    monkeypatch.setattr(authors, "SMALL", 0)  # the fixture's ranges are small: no shortcut
    for first, end in RANGES:
        check(busy, START + first, START + end)


def test_a_deleted_sources_rows_stay_nameless(busy: Wall):
    other = Source.objects.get(name="other")
    pk = other.pk
    counted = read(busy, START, START + 240)["sources"][(pk, "posts")]
    other.delete()  # its posts go too; the rollups keep them until a rebuild
    found = analytics(busy, Range("custom", START, START + 240)).sources
    gone = [row for row in found if row["source_id"] == pk]
    assert gone == [
        {**gone[0], "name": f"deleted source {pk}", "network": "unknown", "posts": counted}
    ]
    assert {row["name"] for row in found} == {"demo", f"deleted source {pk}"}
