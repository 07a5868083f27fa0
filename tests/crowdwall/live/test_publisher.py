"""ChannelsPublisher in this process: one group_send per wall, the frame encoded once per event,
and what each wall's group is told for each kind of change."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import async_to_sync

from crowdwall.ingest.publisher import Event, EventKind, set_publisher
from crowdwall.live.frames import group_name, moderation_group_name
from crowdwall.live.publisher import ChannelsPublisher
from crowdwall.models import ModerationMode, PostWall, Wall
from crowdwall.moderation.actions import set_state
from tests.crowdwall.conftest import make_post


def posts_only(sends):
    """The sends minus the ``wall.figures`` ones (each wall's last)."""
    return [(group, m) for group, m in sends if m["kind"] != "wall.figures"]


@pytest.fixture
def second_wall(db) -> Wall:
    return Wall.objects.create(
        name="Held", slug="held", hashtags=["djangocon"], moderation=ModerationMode.PRE_APPROVE
    )


def test_one_message_per_wall_sharing_one_encoded_frame(wall, second_wall, store):
    open_wall = Wall.objects.create(name="Python", slug="python", hashtags=["djangocon"])
    result = store(make_post())
    messages = ChannelsPublisher().messages(result.events, figures={"python", "djangocon"})
    sends = [s for s in posts_only(messages) if s[1]["kind"] != "mod.update"]
    # The held wall hears nothing about a post it does not show.
    assert sorted(group for group, _ in sends) == ["wall.djangocon", group_name(open_wall.slug)]
    (_, first), (_, second) = sends
    assert first["text"] is second["text"]  # encoded once for the event
    frame = json.loads(first["text"])
    assert frame["type"] == "post.new" and frame["post"]["html"].startswith("<p>Post")
    # Then each wall showing it gets its new figures, once, last.
    figures = [(group, json.loads(m["text"])) for group, m in messages[-2:]]
    assert [group for group, _ in figures] == ["wall.djangocon", "wall.python"]
    assert all(f["type"] == "wall.figures" and f["count"] == 1 for _, f in figures)
    assert figures[0][1]["top_authors"][0]["posts"] == 1


def test_moderation_and_deletion_frames(wall, second_wall, store):
    post = make_post()
    pid = store(post).events[0].post_id
    publisher = ChannelsPublisher()
    approve = Event(EventKind.MODERATION, pid, {"held": "approved", "djangocon": "rejected"})
    sends = dict(posts_only(publisher.messages([approve])))
    assert set(sends) == {"wall.held", "wall.djangocon", "moderate.held", "moderate.djangocon"}
    assert json.loads(sends["wall.held"]["text"])["post"]["id"] == pid  # loaded from the DB
    gone = json.loads(sends["wall.djangocon"]["text"])
    assert gone.pop("at") > 0  # publish time: the page's ``changes`` position
    assert gone == {"type": "post.delete", "id": pid}
    deleted = store({"id": post["id"], "action": "delete"}).events
    kinds = [m["kind"] for _, m in publisher.messages(deleted)]
    assert kinds == ["post.delete", "post.delete", "mod.update", "mod.update"]


def test_moderators_hear_of_pending_posts_and_pins(wall, second_wall, store):
    """The held wall's page hears nothing of a pending post; its moderators' feed does."""
    result = store(make_post())
    pid = result.events[0].post_id
    sends = posts_only(ChannelsPublisher().messages(result.events))
    mod = {group: json.loads(m["text"]) for group, m in sends if m["kind"] == "mod.update"}
    assert moderation_group_name("held") == "moderate.held"
    held = mod["moderate.held"]
    assert held.pop("at") > 0 and held.pop("post")["id"] == pid
    assert held == {"type": "mod.update", "id": pid, "state": "pending", "pinned": None}
    assert mod["moderate.djangocon"]["state"] == "approved"
    assert all(m["group"] == group and m["at"] > 0 for group, m in sends)  # for the hub

    pin = Event(EventKind.MODERATION, pid, {"djangocon": "approved"}, pinned={"djangocon": True})
    sends = dict(posts_only(ChannelsPublisher().messages([pin])))
    shown = json.loads(sends["wall.djangocon"]["text"])
    assert (shown["type"], shown["pinned"]) == ("post.new", True)
    mod = json.loads(sends["moderate.djangocon"]["text"])
    assert (mod["state"], mod["pinned"], mod["post"]["id"]) == ("approved", True, pid)


def test_published_after_commit_to_the_groups(
    wall, store, layer, django_capture_on_commit_callbacks
):
    publisher = ChannelsPublisher()
    set_publisher(publisher)  # the autouse ``published`` fixture restores the previous one
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)("wall.djangocon", channel)
    pid = store(make_post()).events[0].post_id
    message = async_to_sync(layer.receive)(channel)
    assert (message["type"], message["kind"], message["id"]) == ("wall.event", "post.new", pid)
    figures = json.loads(async_to_sync(layer.receive)(channel)["text"])
    assert (figures["type"], figures["count"]) == ("wall.figures", 1)
    with django_capture_on_commit_callbacks(execute=True):
        set_state(PostWall.objects.filter(post_id=pid), "rejected")
    frame = json.loads(async_to_sync(layer.receive)(channel)["text"])
    assert (frame["type"], frame["id"]) == ("post.delete", pid)
    figures = json.loads(async_to_sync(layer.receive)(channel)["text"])
    assert (figures["type"], figures["count"], figures["top_authors"]) == ("wall.figures", 0, [])
    assert publisher.errors == 0
