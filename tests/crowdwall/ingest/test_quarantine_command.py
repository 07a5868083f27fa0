"""``manage.py crowdwall quarantine list|replay|discard`` and the admin's replay action."""

from __future__ import annotations

import io

import pytest
from django.contrib import messages
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import modify_settings

from crowdwall.models import Post, QuarantinedPost, Source, Wall
from tests.crowdwall.conftest import drop_poison, make_post

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("poisoned")]


def crowdwall(*args: str) -> str:
    out = io.StringIO()
    call_command("crowdwall", "quarantine", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def held(store, source) -> list[int]:
    """Two posts of the ``source`` in quarantine (and one stored); their quarantine ids."""
    store(make_post(1, id="poison-1"), make_post(2), make_post(3, id="poison-3"))
    return sorted(QuarantinedPost.objects.values_list("pk", flat=True))


def test_list_shows_each_post_with_its_wall_source_and_reason(held):
    out = crowdwall("list")
    assert "poison-1" in out and "poison-3" in out and "poisoned row" in out
    assert "djangocon" in out and "demo" in out


def test_list_by_wall(held):
    Wall.objects.create(name="Other", slug="other")
    assert "poison-1" not in crowdwall("list", "--wall", "other")
    assert "poison-1" in crowdwall("list", "--wall", "djangocon")
    with pytest.raises(CommandError, match="No wall 'nope'"):
        crowdwall("list", "--wall", "nope")


def test_replay_before_the_fix_fails_and_keeps_them_with_their_new_reason(held):
    with pytest.raises(CommandError, match="0 post\\(s\\) stored, 2 still failing"):
        crowdwall("replay")
    assert list(QuarantinedPost.objects.values_list("attempts", flat=True)) == [2, 2]


def test_replay_after_the_fix_stores_the_named_posts_and_empties_their_rows(held, source):
    drop_poison()
    assert "1 post(s) stored, 0 still failing" in crowdwall("replay", str(held[0]))
    assert sorted(Post.objects.values_list("external_id", flat=True)) == ["2", "poison-1"]
    assert list(QuarantinedPost.objects.values_list("pk", flat=True)) == [held[1]]


def test_discard_needs_ids_or_all(held):
    with pytest.raises(CommandError, match="--all"):
        crowdwall("discard")
    assert "1 quarantined post(s) discarded" in crowdwall("discard", str(held[1]))
    assert "1 quarantined post(s) discarded" in crowdwall("discard", "--all")
    assert not QuarantinedPost.objects.exists()


def test_unknown_ids_are_a_command_error(held):
    with pytest.raises(CommandError, match="Not in quarantine: 999"):
        crowdwall("replay", str(held[0]), "999")
    with pytest.raises(CommandError):
        crowdwall("discard", "x")  # not an id


def test_the_admin_lists_read_only_and_replays(held, rf):
    with modify_settings(INSTALLED_APPS={"append": "django.contrib.admin"}):
        from django.contrib.admin.sites import site

        from crowdwall.admin import QuarantinedPostAdmin, replay_quarantined

        model_admin = QuarantinedPostAdmin(QuarantinedPost, site)
        request = rf.get("/admin/")
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request)
        assert model_admin.list_filter == ["source__wall", "source"]
        said: list[tuple[str, int]] = []
        model_admin.message_user = lambda request, message, level: said.append((message, level))
        drop_poison()
        replay_quarantined(model_admin, request, QuarantinedPost.objects.filter(pk=held[0]))
    assert said == [("1 stored, 0 still failing (with their new reason).", messages.SUCCESS)]
    assert QuarantinedPost.objects.count() == 1
    assert Source.objects.count() == 1
