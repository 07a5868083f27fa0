"""Moderation after ingest: decisions, pins, retroactive bans — each announced once after commit."""

from __future__ import annotations

import pytest

from crowdwall.models import BannedAuthor, BannedWord, ModerationState, PostWall, Wall
from crowdwall.moderation.actions import reapply_bans, set_pinned, set_state
from tests.crowdwall.conftest import make_post

pytestmark = pytest.mark.django_db

BOB = {"id": "https://x.example/users/bob", "handle": "bob@x.example", "display_name": "Bob"}


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def entries(*external_ids: str):
    return PostWall.objects.filter(post__external_id__in=external_ids)


def states(wall: Wall) -> dict[str, str]:
    return dict(PostWall.objects.filter(wall=wall).values_list("post__external_id", "state"))


def test_set_state_changes_rows_and_publishes_one_event_per_post(store, wall, published, committed):
    store(make_post(1), make_post(2), make_post(3))
    published.events.clear()
    with committed():
        changed = set_state(entries("1", "2"), ModerationState.REJECTED)
    assert changed == 2
    assert states(wall) == {"1": "rejected", "2": "rejected", "3": "approved"}
    assert [(e.kind, e.walls) for e in published.events] == [
        ("post.moderation", {"djangocon": "rejected"}),
        ("post.moderation", {"djangocon": "rejected"}),
    ]
    assert entries("1").get().moderated_at is not None


def test_set_state_skips_unchanged_and_deleted_rows(store, wall, published, committed):
    store(make_post(1), make_post(2))
    store({"id": "2", "action": "delete"})
    published.events.clear()
    with committed():
        assert set_state(entries("1", "2"), ModerationState.APPROVED) == 0
    assert published.events == []
    assert states(wall) == {"1": "approved", "2": "deleted"}


def test_moderators_cannot_set_deleted(store):
    store(make_post(1))
    with pytest.raises(ValueError):
        set_state(entries("1"), ModerationState.DELETED)


def test_only_approved_posts_can_be_pinned(store, wall, committed):
    Wall.objects.filter(pk=wall.pk).update(moderation="pre_approve")
    store(make_post(1))
    with committed():
        assert set_pinned(entries("1"), True) == 0
        set_state(entries("1"), ModerationState.APPROVED)
        assert set_pinned(entries("1"), True) == 1
    assert entries("1").get().pinned


def test_reapply_bans_rejects_existing_posts_of_banned_authors_and_words(
    store, wall, published, committed
):
    store(make_post(1), make_post(2, author=BOB), make_post(3, html="<p>#djangocon total scam</p>"))
    BannedAuthor.objects.create(wall=wall, account="@BOB@x.example")
    BannedWord.objects.create(wall=wall, word="scam")
    published.events.clear()
    with committed():
        assert reapply_bans([wall]) == 2
    assert states(wall) == {"1": "approved", "2": "rejected", "3": "rejected"}
    reasons = dict(PostWall.objects.values_list("post__external_id", "reason"))
    assert (reasons["2"], reasons["3"]) == ("banned author", "banned word: scam")
    assert sorted(e.post_id for e in published.events) == sorted(
        entries("2", "3").values_list("post_id", flat=True)
    )


def test_reapply_bans_leaves_other_walls_alone(store, wall, committed):
    other = Wall.objects.create(name="Other", slug="other", hashtags=["djangocon"])
    store(make_post(1, author=BOB))
    BannedAuthor.objects.create(wall=wall, account=BOB["id"])
    with committed():
        reapply_bans([wall])
    assert states(wall) == {"1": "rejected"}
    assert states(other) == {"1": "approved"}


def test_a_new_ban_checks_only_itself(store, wall, committed):
    """The wall's older bans covered their posts when they came; a new ban is checked alone
    (re-checking every ban for every new one made adding bans quadratic)."""
    store(
        make_post(1, html="<p>#djangocon total scam</p>"),
        make_post(2, html="<p>#djangocon spam</p>"),
    )
    BannedWord.objects.create(wall=wall, word="scam")  # stored without a re-check
    BannedWord.objects.create(wall=wall, word="spam")
    with committed():
        assert reapply_bans([wall], words=["spam"]) == 1
    assert states(wall) == {"1": "approved", "2": "rejected"}
    with committed():
        assert reapply_bans([wall]) == 1  # without arguments: every ban of the wall
    assert states(wall) == {"1": "rejected", "2": "rejected"}


def test_an_author_ban_reads_only_that_authors_entries(
    store, wall, committed, django_assert_max_num_queries
):
    carol = {
        "id": "https://y.example/users/carol",
        "handle": "ｃａｒｏｌ@y.example",
        "display_name": "C",
    }
    store(
        *(make_post(i) for i in range(1, 30)),
        make_post(30, author=BOB),
        make_post(31, author=carol),
    )
    # The wall's rules (four queries), authors by handle (one each), entries, the update.
    with committed(), django_assert_max_num_queries(12):
        assert reapply_bans([wall], authors=["@BOB@x.example", "@carol@y.example"]) == 2
    assert {k for k, v in states(wall).items() if v == "rejected"} == {"30", "31"}
    assert PostWall.objects.get(post__external_id="31").reason == "banned author"


def test_an_author_ban_by_stable_id(store, wall, committed):
    store(make_post(1), make_post(2, author=BOB))
    with committed():
        assert reapply_bans([wall], authors=[BOB["id"]]) == 1
    assert states(wall) == {"1": "approved", "2": "rejected"}
