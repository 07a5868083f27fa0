"""``manage.py crowdwall rebuild-analytics``: rollups of a wall with history equal a brute-force
count, stale rows go, and later refreshes start from the mark the rebuild set."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from crowdwall.analytics.rollup import refresh
from crowdwall.models import PostWall, Wall, WallMinute, WallRollupMark
from crowdwall.moderation.actions import set_state
from tests.crowdwall.analytics.test_rollup import by, expected, stored
from tests.crowdwall.conftest import make_post

pytestmark = pytest.mark.django_db


def rebuild(*args: str) -> str:
    out = io.StringIO()
    call_command(
        "crowdwall", "rebuild-analytics", "--chunk-size", "3", "--no-progress", *args,
        stdout=out, stderr=io.StringIO(),
    )  # fmt: skip
    return out.getvalue()


@pytest.fixture
def history(store, wall: Wall) -> Wall:
    """Ten posts by three authors stored before any rollup existed, two of them rejected."""
    store(*[make_post(n, author=by(["ann", "bob", "cy"][n % 3])) for n in range(1, 11)])
    set_state(PostWall.objects.filter(post__external_id__in=["2", "7"]), "rejected")
    return wall


def test_a_rebuild_counts_history_and_drops_stale_rows(history: Wall):
    WallMinute.objects.create(wall=history, minute=1, source_id=1, posts=99)  # nothing there
    rebuild()
    assert stored(history) == expected(history)
    assert not WallMinute.objects.filter(minute=1).exists()
    mark = WallRollupMark.objects.get(wall=history)
    assert mark.top == max(PostWall.objects.values_list("post_id", flat=True))
    assert refresh(history.pk) == 0  # nothing new since the rebuild


def test_a_rebuild_after_deleted_entries_and_then_refreshes(history: Wall, store):
    rebuild()
    PostWall.objects.filter(post__external_id="3").delete()  # invisible to a refresh
    store(make_post(11))
    refresh(history.pk)
    assert stored(history) != expected(history)
    rebuild("--restart")
    assert stored(history) == expected(history)
