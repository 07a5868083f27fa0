"""A wall's figures (``crowdwall.aggregates``): correct, cached, purged by every change."""

from __future__ import annotations

import pytest

from crowdwall import aggregates
from crowdwall.models import ModerationState, PostWall, Wall
from crowdwall.moderation.actions import set_state
from herdcache.drivers import refresher
from tests.crowdwall.conftest import make_post

pytestmark = pytest.mark.django_db


def by(name: str) -> dict[str, str]:
    """An ``author=`` override for ``make_post``: another account."""
    return {
        "id": f"https://social.example/users/{name}",
        "handle": f"{name}@social.example",
        "display_name": name.title(),
    }


def counts(boosts: int | None, favourites: int | None) -> dict[str, int | None]:
    return {"boosts": boosts, "favourites": favourites, "replies": 0}


@pytest.fixture
def busy(store, wall):
    """Six posts: bob 3, ann 2, cy 1; post 6 (bob) is pending, so bob has 2 approved."""
    store(
        make_post(1, author=by("ann"), counts=counts(1, 1)),
        make_post(2, author=by("bob"), counts=counts(10, 0)),
        make_post(3, author=by("bob"), counts=counts(None, 4)),
        make_post(4, author=by("ann"), counts=counts(0, 0)),
        make_post(5, author=by("cy")),
        make_post(6, author=by("bob"), counts=counts(100, 100)),
    )
    set_state(PostWall.objects.filter(post__external_id="6"), ModerationState.PENDING)
    return wall


def handles(rows: list[aggregates.AuthorCount]) -> list[tuple[str, int]]:
    return [(row.author.handle.split("@")[0], row.posts) for row in rows]


def test_post_count_counts_approved_posts_only(busy):
    assert aggregates.post_count(busy) == 5


def test_a_slug_works_like_the_wall(busy):
    assert aggregates.post_count("djangocon") == 5
    assert handles(aggregates.top_authors("djangocon", 1)) == [("ann", 2)]


def test_unknown_slug_and_bad_arguments_raise(busy):
    with pytest.raises(Wall.DoesNotExist):
        aggregates.post_count("nope")
    with pytest.raises(TypeError):
        aggregates.post_count(42)  # type: ignore[arg-type]
    for bad in (0, -1, "3", True):
        with pytest.raises(ValueError):
            aggregates.top_authors(busy, bad)  # type: ignore[arg-type]


def test_top_authors_most_approved_posts_first(busy):
    # ann and bob tie at 2 approved posts: the older author (lower id) first.
    assert handles(aggregates.top_authors(busy, 5)) == [("ann", 2), ("bob", 2), ("cy", 1)]
    assert handles(aggregates.top_authors(busy, 2)) == [("ann", 2), ("bob", 2)]


def test_top_posts_by_boosts_plus_favourites(busy):
    top = aggregates.top_posts(busy, 10)
    # 6 is pending; 4 and 5 have no boosts or favourites; 3 counts a missing boost count as 0.
    assert [p.external_id for p in top] == ["2", "3", "1"]
    assert [p.external_id for p in aggregates.top_posts(busy, 1)] == ["2"]
    assert top[0].author.handle == "bob@social.example"  # loaded with the post


def test_figures_are_per_wall(busy, store):
    other = Wall.objects.create(name="Rust", slug="rust", hashtags=["rust"])
    source = other.sources.create(name="rust", kind="replay", config={"rate": 0})
    store(make_post(7, html="<p>#rust</p>", counts=counts(50, 50)), src=source)
    assert aggregates.post_count(other) == 1
    assert aggregates.post_count(busy) == 5
    assert [p.external_id for p in aggregates.top_posts(busy, 10)] == ["2", "3", "1"]


def test_second_call_is_served_from_the_cache(busy, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert aggregates.post_count(busy) == 5
    with django_assert_num_queries(2):  # GROUP BY, then the authors by id
        top = aggregates.top_authors(busy, 3)
    with django_assert_num_queries(1):
        posts = aggregates.top_posts(busy, 3)
    with django_assert_num_queries(0):
        assert aggregates.post_count(busy) == 5
        assert aggregates.top_authors(busy, 3) == top
        assert [p.pk for p in aggregates.top_posts(busy, 3)] == [p.pk for p in posts]
        assert aggregates.top_posts(busy, 3)[0].author.handle == "bob@social.example"


def test_lists_up_to_the_live_length_share_one_entry(busy, settings, django_assert_num_queries):
    settings.CROWDWALL = {"LIVE_FIGURES_TOP": 3}
    aggregates.top_authors(busy, 3)
    with django_assert_num_queries(0):  # cut from the live frame's list
        assert handles(aggregates.top_authors(busy, 1)) == [("ann", 2)]
    with django_assert_num_queries(2):  # longer than that: its own entry
        assert len(aggregates.top_authors(busy, 4)) == 3


def test_figures_read_together(busy):
    found = aggregates.figures(busy)
    assert found.count == 5
    assert handles(found.top_authors) == [("ann", 2), ("bob", 2), ("cy", 1)]
    assert [p.external_id for p in found.top_posts] == ["2", "3", "1"]


def test_ingest_refreshes_the_figures_at_once(busy, store):
    """Every stored approved post hard-purges them: the next read counts it."""
    assert aggregates.post_count(busy) == 5
    assert handles(aggregates.top_authors(busy, 1)) == [("ann", 2)]
    store(make_post(8, author=by("dee")), make_post(9, author=by("dee")))
    store(make_post(10, author=by("dee"), counts=counts(500, 0)))
    assert aggregates.post_count(busy) == 8
    assert handles(aggregates.top_authors(busy, 1)) == [("dee", 3)]
    assert aggregates.top_posts(busy, 1)[0].external_id == "10"


def test_deletion_at_the_source_and_moderation_refresh_the_figures(
    busy, store, django_capture_on_commit_callbacks
):
    def moderate(external_id: str, state: str) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            set_state(PostWall.objects.filter(post__external_id=external_id), state)

    assert aggregates.post_count(busy) == 5
    store({"id": "1", "action": "delete"})
    assert aggregates.post_count(busy) == 4
    assert [p.external_id for p in aggregates.top_posts(busy, 5)] == ["2", "3"]
    moderate("2", ModerationState.REJECTED)
    assert aggregates.post_count(busy) == 3
    assert handles(aggregates.top_authors(busy, 5)) == [("ann", 1), ("bob", 1), ("cy", 1)]
    moderate("2", ModerationState.APPROVED)
    assert aggregates.post_count(busy) == 4


@pytest.mark.django_db(transaction=True)  # the refresh thread must see the committed rows
def test_soft_purge_serves_stale_then_refreshes_in_the_background(busy):
    """For rows changed behind crowdwall's back (the admin, a shell): ``purge_aggregates``."""
    assert aggregates.post_count(busy) == 5
    assert handles(aggregates.top_authors(busy, 1)) == [("ann", 2)]
    PostWall.objects.filter(author__handle__startswith="ann").update(state=ModerationState.REJECTED)
    aggregates.purge_aggregates(busy)
    # The stale values come back at once; one refresh per entry runs in the pool.
    assert aggregates.post_count("djangocon") == 5
    assert handles(aggregates.top_authors(busy, 1)) == [("ann", 2)]
    refresher.wait()
    assert aggregates.post_count(busy) == 3
    assert handles(aggregates.top_authors(busy, 1)) == [("bob", 2)]


def test_settings_are_read_at_use_time(busy, settings):
    settings.CROWDWALL = {"AGGREGATES_CACHE_SECONDS": 5, "AGGREGATES_STALE_SECONDS": 10}
    assert aggregates.post_count(busy) == 5
    assert aggregates._functions() is aggregates._memoized(5, 10)
