"""``manage.py crowdwall rebuild-aggregates``: per-author and per-wall counts equal what a
``GROUP BY`` over ``PostWall`` says, whatever the chunking and slicing."""

from __future__ import annotations

import io
from collections import Counter

import pytest
from django.core.management import call_command
from django.utils import timezone

from crowdwall.models import (
    Author,
    AuthorWallCount,
    BannedWord,
    PostWall,
    Source,
    Wall,
    WallAggregate,
)
from tests.crowdwall.conftest import make_post

STATES = ("approved", "pending", "rejected", "deleted")


def rebuild(*args: str) -> str:
    out = io.StringIO()
    call_command(
        "crowdwall", "rebuild-aggregates", "--chunk-size", "2", "--no-progress", *args,
        stdout=out, stderr=io.StringIO(),
    )  # fmt: skip
    return out.getvalue()


def expected() -> tuple[dict, dict]:
    """(per (wall, author) counts, per wall totals) straight from PostWall."""
    per_author: dict[tuple[int, int], Counter] = {}
    last: dict[tuple[int, int], object] = {}
    for wall_id, author_id, state, created in PostWall.objects.values_list(
        "wall_id", "author_id", "state", "created_at"
    ):
        per_author.setdefault((wall_id, author_id), Counter())[state] += 1
        if state == "approved":
            last[(wall_id, author_id)] = max(created, last.get((wall_id, author_id), created))
    authors = {
        key: (*(count[s] for s in STATES), last.get(key)) for key, count in per_author.items()
    }
    walls = {}
    for wall_id in Wall.objects.values_list("pk", flat=True):
        mine = [v for (w, _), v in authors.items() if w == wall_id]
        walls[wall_id] = (
            *(sum(v[i] for v in mine) for i in range(4)),
            sum(1 for v in mine if v[0]),
            max((v[4] for v in mine if v[4] is not None), default=None),
        )
    return authors, walls


def stored() -> tuple[dict, dict]:
    authors = {
        (c.wall_id, c.author_id): (*(getattr(c, s) for s in STATES), c.last_post_at)
        for c in AuthorWallCount.objects.all()
    }
    walls = {
        a.wall_id: (*(getattr(a, s) for s in STATES), a.authors, a.last_post_at)
        for a in WallAggregate.objects.all()
    }
    return authors, walls


@pytest.fixture
def data(wall, source, store):
    """Two walls, seven authors, every state."""
    other = Wall.objects.create(name="Python", slug="python", hashtags=["python"])
    BannedWord.objects.create(wall=wall, word="spam")
    posts = []
    for i in range(1, 40):
        tags = "#DjangoCon #Python" if i % 3 == 0 else ("#Python" if i % 3 == 1 else "#DjangoCon")
        word = " spam" if i % 5 == 0 else (" airdrop" if i % 7 == 0 else "")
        posts.append(
            make_post(
                i,
                html=f"<p>Post {i}{word} {tags}</p>",
                author={"id": f"https://social.example/users/a{i % 7}", "handle": f"a{i % 7}"},
            )
        )
    store(*posts)
    store({"id": "3", "action": "delete"})
    return other


def test_counts_match_a_group_by(data):
    output = rebuild()
    assert "finished" in output
    authors, walls = expected()
    assert {s for (_, _, s) in PostWall.objects.values_list("wall", "post", "state")} == set(STATES)
    assert stored() == (authors, walls)
    assert len(walls) == 2 and Author.objects.count() == 7


def test_slices_and_processes_in_turn_give_the_same_counts(data):
    for k in (1, 2, 3):
        rebuild("--cluster", f"{k}/3")
    assert stored() == expected()


def test_a_rebuild_replaces_stale_rows(data, wall):
    rebuild()
    PostWall.objects.filter(wall=wall, author__key__endswith="/a1").delete()
    PostWall.objects.filter(wall=wall, state="pending").update(state="approved")
    rebuild()  # the same run: already finished, nothing changes
    assert stored() != expected()
    output = rebuild("--restart")
    assert "finished" in output
    assert stored() == expected()
    assert not AuthorWallCount.objects.filter(wall=wall, author__key__endswith="/a1").exists()


def test_wall_option_rebuilds_one_wall(data, wall):
    rebuild()
    AuthorWallCount.objects.all().update(approved=999)
    WallAggregate.objects.all().update(approved=999)
    rebuild("--wall", "python")
    authors, walls = stored()
    assert walls[data.pk] == expected()[1][data.pk]
    assert walls[wall.pk][0] == 999
    assert all(v[0] == 999 for (w, _), v in authors.items() if w == wall.pk)


def test_a_wall_without_entries_gets_zeros(db):
    wall = Wall.objects.create(name="Empty", slug="empty")
    Source.objects.create(wall=wall, name="s", kind="replay", config={})
    before = timezone.now()
    rebuild()
    aggregate = WallAggregate.objects.get()
    assert (aggregate.approved, aggregate.authors, aggregate.last_post_at) == (0, 0, None)
    assert aggregate.computed_at >= before
