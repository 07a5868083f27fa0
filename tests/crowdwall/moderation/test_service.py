"""crowdwall.moderation.service: every operation changes the wall, pushes, and is logged."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from crowdwall.models import ModerationLog, ModerationState, PostWall
from crowdwall.moderation import service
from tests.crowdwall.conftest import make_post


def states(*ids: int) -> list[str]:
    return [PostWall.objects.get(post_id=i).state for i in ids]


@pytest.fixture
def moderator(django_user_model):
    return django_user_model.objects.create_user("mo", is_staff=True)


@pytest.mark.django_db
def test_bulk_hide_then_approve_is_logged_once_per_call(
    wall, store, moderator, published, django_capture_on_commit_callbacks
):
    ids = [e.post_id for e in store(make_post(), make_post()).events]
    with django_capture_on_commit_callbacks(execute=True):
        assert service.moderate(wall, ids, "hide", actor=moderator) == 2
    assert states(*ids) == [ModerationState.REJECTED] * 2
    assert [e.kind for e in published.events[-2:]] == ["post.moderation"] * 2
    with django_capture_on_commit_callbacks(execute=True):
        assert service.moderate(wall, ids[:1], "approve", actor=moderator) == 1
    log = list(ModerationLog.objects.order_by("id").values_list("actor_name", "action", "count"))
    assert log == [("mo", "hide", 2), ("mo", "approve", 1)]
    assert ModerationLog.objects.order_by("id").last().post_id == ids[0]


@pytest.mark.django_db
def test_pin_sets_the_pin_in_the_event(
    wall, store, moderator, published, django_capture_on_commit_callbacks
):
    pid = store(make_post()).events[0].post_id
    with django_capture_on_commit_callbacks(execute=True):
        service.moderate(wall, [pid], "pin", actor=moderator)
    assert published.events[-1].pinned == {"djangocon": True}


@pytest.mark.django_db
def test_ban_author_rejects_their_posts_retroactively(
    wall, store, moderator, django_capture_on_commit_callbacks
):
    theirs = store(make_post()).events[0].post_id
    other = store(make_post(author={"id": "https://x.example/users/bo", "handle": "bo@x.example"}))
    account = service.author_of(wall, theirs)
    with django_capture_on_commit_callbacks(execute=True):
        ban, count = service.ban_author(wall, account, actor=moderator)
    assert count == 1 and states(theirs, other.events[0].post_id) == ["rejected", "approved"]
    assert ModerationLog.objects.get().detail == {"account": ban.account}
    assert service.unban_author(wall, ban.account, actor=moderator)
    assert ModerationLog.objects.count() == 2


@pytest.mark.django_db
def test_ban_word_and_bad_input(wall, store, moderator, django_capture_on_commit_callbacks):
    pid = store(make_post(html="<p>cheap watches #djangocon</p>")).events[0].post_id
    with django_capture_on_commit_callbacks(execute=True):
        _, count = service.ban_word(wall, "watches", actor=moderator)
    assert count == 1 and states(pid) == ["rejected"]
    with pytest.raises(ValidationError):
        service.ban_word(wall, '"unclosed', actor=moderator)
    with pytest.raises(ValidationError):
        service.moderate(wall, [pid], "explode", actor=moderator)
    with pytest.raises(ValidationError):
        service.moderate(wall, [], "approve", actor=moderator)
    with pytest.raises(ValidationError):
        service.author_of(wall, 999_999)
    assert ModerationLog.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_an_unknown_post_is_logged_without_a_dangling_reference(wall, moderator):
    assert service.moderate(wall, [987_654], "approve", actor=moderator) == 0
    entry = ModerationLog.objects.get()
    assert (entry.post_id, entry.count) == (None, 0)


def test_banning_again_changes_nothing(wall, store, moderator, django_capture_on_commit_callbacks):
    store(make_post(1, html="<p>#djangocon a scam</p>"))
    with django_capture_on_commit_callbacks(execute=True):
        assert service.ban_word(wall, "scam", actor=moderator)[1] == 1
    PostWall.objects.update(state="approved")  # a moderator approved it after all
    with django_capture_on_commit_callbacks(execute=True):
        assert service.ban_word(wall, "scam", actor=moderator)[1] == 0
    assert PostWall.objects.get().state == "approved"
