"""The rollups (minutes, hours, the authors' days, totals) equal a brute-force count of the
entries, whatever happened to them."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crowdwall.analytics import rollup
from crowdwall.analytics.grains import AUTHORS as AUTHOR_ROWS
from crowdwall.analytics.grains import SHAPES, day_of, hour_of
from crowdwall.analytics.rollup import minute_of, refresh, wait_bucket
from crowdwall.ingest.write import ingest
from crowdwall.models import (
    ModerationState,
    PostWall,
    Source,
    Wall,
    WallAuthorTotal,
    WallMinute,
    WallMinuteAuthor,
    WallMinuteTag,
    WallMinuteWait,
    WallRollupMark,
    WallTagTotal,
)
from crowdwall.moderation.actions import set_state
from tests.crowdwall.conftest import T0, make_post

pytestmark = pytest.mark.django_db

AUTHORS = ["ann", "bob", "cy"]
TAGS = ["DjangoCon", "python", "Wagtail"]


def by(name: str) -> dict[str, str]:
    return {"id": f"https://social.example/users/{name}", "handle": f"{name}@social.example"}


def expected(wall: Wall) -> dict[str, Any]:
    """The rollups of ``wall`` computed the slow way, from every entry."""
    minutes: Counter[tuple[int, int, str]] = Counter()
    authors: Counter[tuple[int, int, str]] = Counter()
    tags: Counter[tuple[int, str]] = Counter()
    waits: Counter[tuple[int, int]] = Counter()
    for entry in PostWall.objects.filter(wall=wall).select_related("post"):
        minute = minute_of(entry.created_at)
        minutes[(minute, entry.post.source_id, "posts")] += 1
        minutes[(minute, entry.post.source_id, entry.state)] += 1
        authors[(minute, entry.author_id, "posts")] += 1
        if entry.state == ModerationState.APPROVED:
            authors[(minute, entry.author_id, "approved")] += 1
            for tag in {t.casefold() for t in entry.post.hashtags}:
                tags[(minute, tag)] += 1
            if entry.moderated_at:
                wait = (entry.moderated_at - entry.post.ingested_at).total_seconds()
                waits[(minute, wait_bucket(wait))] += 1
    author_totals: Counter[tuple[int, str]] = Counter()
    for (minute, author, kind), n in authors.items():
        author_totals[(author, kind)] += n
        # Each author's newest minute with an entry, as a count keyed by it.
        author_totals[(author, "last_minute")] = max(author_totals[(author, "last_minute")], minute)
    tag_totals: Counter[str] = Counter()
    for (_, tag), n in tags.items():
        tag_totals[tag] += n
    # Hours from the entries' minutes (not from the minute tables): (table, hour, key, count).
    hours: Counter[tuple[Any, ...]] = Counter()
    for name, counter in (("source", minutes), ("author", authors)):
        for (minute, key, kind), n in counter.items():
            hours[(name, hour_of(minute), key, kind)] += n
    for name, counter in (("tag", tags), ("wait", waits)):
        for (minute, key), n in counter.items():
            hours[(name, hour_of(minute), key, "posts" if name == "tag" else "approvals")] += n
    days: Counter[tuple[int, int, str]] = Counter()
    for (minute, key, kind), n in authors.items():
        days[(day_of(minute), key, kind)] += n
    return {
        "hours": +hours,
        "days": +days,
        "minutes": +minutes,
        "authors": +authors,
        "tags": +tags,
        "waits": +waits,
        "author_totals": +author_totals,
        "tag_totals": +tag_totals,
    }


def stored(wall: Wall) -> dict[str, Any]:
    """The rollups of ``wall`` as the tables hold them, in ``expected``'s shape."""
    minutes: Counter[tuple[int, int, str]] = Counter()
    for row in WallMinute.objects.filter(wall=wall):
        for kind in ("posts", *ModerationState.values):
            minutes[(row.minute, row.source_id, kind)] += getattr(row, kind)
    authors: Counter[tuple[int, int, str]] = Counter()
    for row in WallMinuteAuthor.objects.filter(wall=wall):
        authors[(row.minute, row.author_id, "posts")] += row.posts
        authors[(row.minute, row.author_id, "approved")] += row.approved
    hours: Counter[tuple[Any, ...]] = Counter()
    for shape, name in zip(SHAPES, ("source", "author", "tag", "wait"), strict=True):
        for row in shape.hour.objects.filter(wall=wall):
            assert row.minute % 60 == 0 and getattr(row, shape.counts[0]) > 0
            for kind in shape.counts:
                hours[(name, row.minute, getattr(row, shape.key), kind)] += getattr(row, kind)
    days: Counter[tuple[int, int, str]] = Counter()
    for row in AUTHOR_ROWS.day.objects.filter(wall=wall):  # type: ignore[union-attr]
        assert row.minute % (24 * 60) == 0 and row.posts > 0
        days[(row.minute, row.author_id, "posts")] += row.posts
        days[(row.minute, row.author_id, "approved")] += row.approved
    author_totals: Counter[tuple[int, str]] = Counter()
    for row in WallAuthorTotal.objects.filter(wall=wall):
        author_totals[(row.author_id, "posts")] += row.posts
        author_totals[(row.author_id, "approved")] += row.approved
        author_totals[(row.author_id, "last_minute")] = row.last_minute
    return {
        "hours": +hours,
        "days": +days,
        "minutes": +minutes,
        "authors": +authors,
        "tags": +Counter(
            {(r.minute, r.tag): r.posts for r in WallMinuteTag.objects.filter(wall=wall)}
        ),
        "waits": +Counter(
            {(r.minute, r.bucket): r.approvals for r in WallMinuteWait.objects.filter(wall=wall)}
        ),
        "author_totals": +author_totals,
        "tag_totals": +Counter({r.tag: r.posts for r in WallTagTotal.objects.filter(wall=wall)}),
    }


post_spec = st.tuples(
    st.sampled_from(AUTHORS),
    st.sampled_from([0, 1, 2, 59, 60, 61, 130, 899, 900]),  # 900: past midnight (UTC)
    st.sets(st.sampled_from(TAGS)),
)
step = st.one_of(
    st.tuples(st.just("ingest"), st.lists(post_spec, min_size=1, max_size=4)),
    st.tuples(
        st.just("moderate"),
        st.tuples(
            st.sampled_from(["approved", "rejected", "pending"]),
            st.lists(st.integers(0, 30), min_size=1, max_size=3),
        ),
    ),
    st.tuples(st.just("refresh"), st.none()),
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(step, min_size=1, max_size=8))
def test_rollups_match_a_brute_force_count(wall: Wall, source: Source, steps: list[Any]) -> None:
    with transaction.atomic():
        Wall.objects.filter(pk=wall.pk).update(moderation="pre_approve")
        other = Wall.objects.create(name="Other", slug="other", hashtags=["python"])
        number = 0
        for kind, arg in steps:
            if kind == "ingest":
                posts = []
                for author, minute, tags in arg:
                    number += 1
                    text = " ".join(f"#{tag}" for tag in sorted(tags | {"DjangoCon"}))
                    posts.append(
                        make_post(
                            number,
                            author=by(author),
                            html=f"<p>{number} {text}</p>",
                            created_at=(T0 + timedelta(minutes=minute, seconds=number)).isoformat(),
                        )
                    )
                ingest(source, posts)
            elif kind == "moderate":
                state, picks = arg
                ids = list(PostWall.objects.order_by("pk").values_list("pk", flat=True))
                if ids:
                    chosen = [ids[pick % len(ids)] for pick in picks]
                    set_state(PostWall.objects.filter(pk__in=chosen), state)
            else:
                refresh(wall.pk)
        refresh(wall.pk)
        refresh(other.pk)
        assert stored(wall) == expected(wall)
        assert stored(other) == expected(other)
        transaction.set_rollback(True)


def test_an_entry_committed_late_below_the_top_is_still_counted(wall: Wall, source: Source):
    ingest(source, [make_post(1), make_post(2), make_post(3)])
    late = PostWall.objects.get(post__external_id="2")
    PostWall.objects.filter(pk=late.pk).delete()
    refresh(wall.pk)
    assert sum(WallMinute.objects.values_list("posts", flat=True)) == 2
    # Post 2's entry commits now, below the top already read: found within the margin.
    late.save(force_insert=True)
    refresh(wall.pk)
    assert sum(WallMinute.objects.values_list("posts", flat=True)) == 3
    assert stored(wall) == expected(wall)


def test_refresh_twice_changes_nothing_and_a_rebuild_sets_the_mark(wall: Wall, source: Source):
    ingest(source, [make_post(n, author=by(AUTHORS[n % 3])) for n in range(1, 7)])
    assert refresh(wall.pk) == 6
    before = stored(wall)
    assert refresh(wall.pk) == 0  # the margin re-lists the same entries, all seen already
    assert stored(wall) == before
    rollup.set_mark(wall.pk)
    mark = WallRollupMark.objects.get(wall=wall)
    assert mark.top == PostWall.objects.order_by("-post_id").values_list("post_id").first()[0]
    assert refresh(wall.pk) == 0  # nothing new since the rebuild


def test_history_is_read_limit_by_limit_without_remembering_it(
    wall: Wall, source: Source, monkeypatch
):
    ingest(source, [make_post(n, author=by(AUTHORS[n % 3])) for n in range(1, 8)])
    monkeypatch.setattr(rollup, "LIMIT", 3)
    reads = [refresh(wall.pk) for _ in range(4)]
    assert reads[:3] == [3, 3, 1] and reads[3] == 0
    assert stored(wall) == expected(wall)
    # Two full reads were history (nothing kept as seen); the last, short one is remembered.
    assert len(WallRollupMark.objects.get(wall=wall).window["seen"]) == 1


def test_an_author_who_loses_their_newest_minute_gets_the_one_before(wall: Wall, source: Source):
    early, late = (T0 + timedelta(minutes=m) for m in (5, 130))
    ingest(source, [make_post(n, created_at=at.isoformat()) for n, at in ((1, early), (2, late))])
    refresh(wall.pk)
    assert WallAuthorTotal.objects.get().last_minute == minute_of(late)
    # Entry 2 deleted from the table (a refresh cannot see that); recomputing its minute moves
    # the author's newest minute back to the one before, found through the hour rows.
    PostWall.objects.filter(post__external_id="2").delete()
    with transaction.atomic():
        rollup.lock(wall.pk)
        rollup.rebuild_minutes(wall.pk, [minute_of(late)])
    assert WallAuthorTotal.objects.get().last_minute == minute_of(early)
    assert stored(wall) == expected(wall)
