"""crowdwall.live.catchup: a page that was away gets new posts AND the changes to older ones."""

from __future__ import annotations

import json

import pytest

from crowdwall.live import catchup
from crowdwall.models import BannedWord, ModerationState, PostWall
from crowdwall.moderation import actions
from tests.crowdwall.conftest import make_post


def frames(missed: catchup.Missed) -> list[tuple[str, int]]:
    return [(kind, post_id) for kind, post_id, _ in missed.frames]


@pytest.mark.django_db
def test_changes_to_older_posts_made_while_away_are_resent(wall, store):
    first, second, third = (make_post() for _ in range(3))
    ids = {e.post["external_id"]: e.post_id for e in store(first, second, third).events}
    a, b, c = ids[first["id"]], ids[second["id"]], ids[third["id"]]
    page = catchup.missed(wall.pk, 0, None, 100)  # what a page loaded now has
    assert frames(page) == [("post.new", a), ("post.new", b), ("post.new", c)]

    # While the page is away: one post hidden, one pinned, and one new post arrives.
    actions.set_state(PostWall.objects.filter(post_id=a), ModerationState.REJECTED)
    actions.set_pinned(PostWall.objects.filter(post_id=b), True)
    fourth = make_post()
    d = store(fourth).events[0].post_id

    back = catchup.missed(wall.pk, c, page.at, 100)
    assert frames(back) == [("post.delete", a), ("post.update", b), ("post.new", d)]
    update = json.loads(back.frames[1][2])
    assert update["pinned"] is True and update["post"]["id"] == b
    assert back.last_id == d and back.at >= page.at and not back.truncated


@pytest.mark.django_db
def test_without_changes_only_new_posts_are_sent(wall, store):
    ids = [e.post_id for e in store(make_post(), make_post()).events]
    actions.set_state(PostWall.objects.filter(post_id=ids[0]), ModerationState.REJECTED)
    assert frames(catchup.missed(wall.pk, ids[0], None, 100)) == [("post.new", ids[1])]


@pytest.mark.django_db
def test_a_ban_and_a_deletion_at_the_source_are_resent(wall, store):
    spam = make_post(html="<p>buy cheap watches #djangocon</p>")
    ham = make_post()
    ids = {e.post["external_id"]: e.post_id for e in store(spam, ham).events}
    at = catchup.missed(wall.pk, 0, None, 100).at
    BannedWord.objects.create(wall=wall, word="watches")
    actions.reapply_bans([wall])
    store({"id": ham["id"], "action": "delete"})
    back = catchup.missed(wall.pk, max(ids.values()), at, 100)
    assert sorted(frames(back)) == sorted(
        [("post.delete", ids[spam["id"]]), ("post.delete", ids[ham["id"]])]
    )


@pytest.mark.django_db
def test_new_posts_are_capped_to_the_newest_and_flagged(wall, store):
    ids = [e.post_id for e in store(*(make_post() for _ in range(5))).events]
    missed = catchup.missed(wall.pk, 0, None, 2)
    assert frames(missed) == [("post.new", ids[3]), ("post.new", ids[4])]
    assert missed.truncated
