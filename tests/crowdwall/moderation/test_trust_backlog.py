"""Trusting an account approves its posts already waiting on the wall (``trust_backlog``), from
every place an account is trusted (``trusted.trust``, the API, the admin's inline): pushed live,
purged, logged with the reason. What the rule does not cover stays in the queue."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.contrib import admin as django_admin
from django.contrib.messages.storage.fallback import FallbackStorage
from django.test import RequestFactory

from crowdwall.ingest import announce as announce_module
from crowdwall.models import (
    ModerationAction,
    ModerationLog,
    ModerationMode,
    ModerationState,
    PostWall,
    TrustedAccount,
    Wall,
)
from crowdwall.moderation import actions, trusted
from tests.crowdwall.conftest import make_post
from tests.crowdwall.moderation.test_trusted import BO, CAROL, TRUSTED_ANN
from tests.crowdwall.test_admin import crowdwall_admin  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db

PENDING, APPROVED = ModerationState.PENDING, ModerationState.APPROVED


@pytest.fixture
def held(wall: Wall) -> Wall:
    wall.moderation = ModerationMode.PRE_APPROVE
    wall.save()
    return wall


@pytest.fixture
def purged(monkeypatch) -> list[list[str]]:
    calls: list[list[str]] = []
    real = announce_module.purge_walls

    def record(slugs, *args, **kwargs):
        calls.append(sorted(slugs))
        return real(slugs, *args, **kwargs)

    monkeypatch.setattr(announce_module, "purge_walls", record)
    return calls


def queue(store) -> dict[str, int]:
    """Ann's two posts, Bo's, a boost of Bo's by Carol, and Ann's third, sent back to the queue
    by a moderator: all waiting. Returns their post ids by name."""
    ids = {
        "ann1": store(make_post(1)).events[0].post_id,
        "ann2": store(make_post(2)).events[0].post_id,
        "bo": store(make_post(3, author=BO)).events[0].post_id,
        "boosted": store(make_post(4, author=BO, boost=True, boosted_by=CAROL)).events[0].post_id,
        "ann_held": store(make_post(5)).events[0].post_id,
    }
    held_back = PostWall.objects.filter(post_id=ids["ann_held"])
    actions.set_state(held_back, APPROVED)
    actions.set_state(held_back, PENDING)  # a moderator's decision: moderated_at, no reason
    assert set(PostWall.objects.values_list("state", flat=True)) == {PENDING}
    return ids


def states() -> dict[int, tuple[str, str]]:
    return {row[0]: row[1:] for row in PostWall.objects.values_list("post_id", "state", "reason")}


def test_trusting_approves_the_accounts_waiting_posts_live_and_logged(
    held, store, published, purged, django_user_model, django_capture_on_commit_callbacks
):
    ids = queue(store)
    published.events.clear()
    organiser = django_user_model.objects.create_user("org", is_staff=True)
    with django_capture_on_commit_callbacks(execute=True):
        trusted.trust(held, "@Ann@Social.Example", actor=organiser)
    now = states()
    assert now[ids["ann1"]] == now[ids["ann2"]] == (APPROVED, TRUSTED_ANN)
    # Not covered: someone else's post; a boost (its booster is not stored); a moderator's
    # own "back to the queue".
    assert now[ids["bo"]][0] == now[ids["boosted"]][0] == now[ids["ann_held"]][0] == PENDING
    # Pushed to open pages like any approval, and the wall's pages purged first.
    assert sorted(e.post_id for e in published.events if e.kind == "post.moderation") == sorted(
        [ids["ann1"], ids["ann2"]]
    )
    assert all(e.walls == {"djangocon": APPROVED} for e in published.events)
    assert ["djangocon"] in purged
    log = ModerationLog.objects.get(wall=held, action=ModerationAction.APPROVE)
    assert (log.actor_name, log.count) == ("org", 2)
    assert log.detail["posts"] == sorted([ids["ann1"], ids["ann2"]])
    assert "@ann@social.example" in log.detail["reason"]


def test_one_waiting_post_is_logged_with_its_reason_and_trusting_again_does_nothing(
    held, store, django_capture_on_commit_callbacks
):
    post_id = store(make_post(1)).events[0].post_id
    with django_capture_on_commit_callbacks(execute=True):
        trusted.trust(held, "https://social.example/users/ann")  # by stable id
    log = ModerationLog.objects.get(action=ModerationAction.APPROVE)
    assert (log.post_id, log.count, log.detail["reason"]) == (post_id, 1, TRUSTED_ANN)
    trusted.trust(held, "https://social.example/users/ann")
    assert ModerationLog.objects.filter(action=ModerationAction.APPROVE).count() == 1


def test_the_default_blocklist_still_holds_a_trusted_accounts_post(held, store):
    held.use_default_blocklist = True
    held.save()
    flagged = store(make_post(1, html="<p>#djangocon free crypto</p>")).events[0].post_id
    assert states()[flagged][0] == PENDING
    trusted.trust(held, "@ann@social.example")
    assert states()[flagged] == (PENDING, 'blocklist: "free crypto"')
    assert not ModerationLog.objects.filter(action=ModerationAction.APPROVE).exists()


def test_trusting_in_the_admins_inline_approves_the_queue(
    held,
    store,
    crowdwall_admin,  # noqa: F811
    django_user_model,
):
    post_id = store(make_post(1)).events[0].post_id
    request = RequestFactory().post("/admin/")
    request.user = django_user_model.objects.create_user("org", is_staff=True)
    request.session = {}
    request._messages = FallbackStorage(request)
    entry = TrustedAccount.objects.create(wall=held, account="@ann@social.example")
    inline = SimpleNamespace(
        model=TrustedAccount, new_objects=[entry], changed_objects=[], save=lambda: None
    )
    form = SimpleNamespace(instance=held, save_m2m=lambda: None)
    crowdwall_admin.WallAdmin(Wall, django_admin.site).save_related(request, form, [inline], True)
    assert states()[post_id] == (APPROVED, TRUSTED_ANN)
    assert ModerationLog.objects.get(action=ModerationAction.APPROVE).actor_name == "org"
    assert any("approved" in str(m) for m in request._messages)
