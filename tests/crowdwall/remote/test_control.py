"""Screen commands: validated, kept in the wall's control state (wall-wide ones), audited, and
delivered as ``screen.control`` frames over both transports (Channels group, nchan POST)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from channels.layers import InMemoryChannelLayer, channel_layers
from django.http import QueryDict

from crowdwall.ingest.publisher import set_publisher
from crowdwall.live.frames import group_name
from crowdwall.live.nchan import NchanPublisher
from crowdwall.live.publisher import ChannelsPublisher
from crowdwall.models import ModerationLog, PostWall
from crowdwall.moderation.actions import set_state
from crowdwall.remote import control
from crowdwall.remote.control import BadCommand, parse_command
from tests.crowdwall.conftest import make_post


def command(wall, **data: Any) -> control.Command:
    query = QueryDict(mutable=True)
    query.update(data)
    return parse_command(wall, query)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"command": "explode"}, "command"),
        ({"command": "pause", "screen": "bad id!"}, "screen"),
        ({"command": "banner", "text": "   "}, "text"),
        ({"command": "banner", "text": "x" * 201}, "text"),
        ({"command": "banner", "text": "Lunch", "seconds": "4"}, "seconds"),
        ({"command": "banner", "text": "Lunch", "seconds": "1e3"}, "seconds"),
        ({"command": "spotlight", "post": "abc"}, "post"),
        ({"command": "spotlight", "post": "999999"}, "post"),
        ({"command": "spotlight", "post": "9" * 30}, "post"),
        ({"command": "layout", "value": "carousel"}, "value"),
        ({"command": "theme", "value": "pink"}, "value"),
    ],
)
def test_a_bad_command_names_its_field(wall, data, field):
    with pytest.raises(BadCommand) as caught:
        command(wall, **data)
    assert list(caught.value.errors) == [field]


def test_only_approved_posts_of_the_wall_go_in_the_spotlight(wall, store):
    post_id = store(make_post()).events[0].post_id
    found = command(wall, command="spotlight", post=str(post_id))
    assert found.frame()["post"]["id"] == post_id and found.seconds == 15
    set_state(PostWall.objects.filter(post_id=post_id), "rejected")
    with pytest.raises(BadCommand):
        command(wall, command="spotlight", post=str(post_id))


def test_wall_wide_commands_make_the_state_a_reconnecting_screen_gets(wall, admin_user):
    control.send(wall, command(wall, command="pause"), actor=admin_user)
    control.send(
        wall, command(wall, command="banner", text="Lunch\nin Hall B", seconds="90"), actor=None
    )
    control.send(wall, command(wall, command="layout", value="spotlight"), actor=admin_user)
    # One screen only: that screen's override, the wall's state does not change.
    one = command(wall, command="resume", screen="abcdef0123456789")
    control.send(wall, one, actor=admin_user)
    frame = json.loads(control.state_frame(wall.pk))
    assert frame == {
        "type": "screen.state", "paused": True, "banner": {"text": "Lunch in Hall B", "seconds": 90},
        "layout": "spotlight", "theme": "", "spotlight": None,
    }  # fmt: skip
    assert json.loads(control.state_frame(wall.pk, "abcdef0123456789"))["paused"] is False
    log = list(ModerationLog.objects.filter(wall=wall).order_by("id"))
    assert [(e.action, e.detail["command"], e.detail["screen"]) for e in log] == [
        ("screen", "pause", None),
        ("screen", "banner", None),
        ("screen", "layout", None),
        ("screen", "resume", "abcdef0123456789"),
    ]
    assert log[0].actor_name == admin_user.username
    control.send(wall, command(wall, command="clear-banner"), actor=admin_user)
    assert control.state(wall.pk)["banner"] is None


def test_a_banner_ends_by_itself(wall, monkeypatch):
    now = [1_800_000_000_000]
    monkeypatch.setattr(control, "now_ms", lambda: now[0])
    control.send(wall, command(wall, command="banner", text="Doors", seconds="10"), actor=None)
    now[0] += 9_001
    assert json.loads(control.state_frame(wall.pk))["banner"] == {"text": "Doors", "seconds": 1}
    now[0] += 1_000
    assert control.state(wall.pk)["banner"] is None


def test_channels_delivers_the_frame_to_the_wall_group(wall, admin_user):
    layer = InMemoryChannelLayer()
    previous = channel_layers.set("default", layer)
    set_publisher(ChannelsPublisher())

    async def join() -> str:
        channel = await layer.new_channel()
        await layer.group_add(group_name(wall.slug), channel)
        return channel

    channel = asyncio.run(join())
    assert control.send(wall, command(wall, command="next"), actor=admin_user)
    try:
        message = asyncio.run(asyncio.wait_for(layer.receive(channel), 10))
    finally:
        if previous is not None:
            channel_layers.set("default", previous)
    assert (message["kind"], message["id"]) == ("frames", 0)
    assert "at" not in message  # no post: the pages' change position stays put
    assert json.loads(message["text"]) == {
        "type": "screen.control",
        "command": "next",
        "screen": None,
    }


def test_nchan_posts_the_frame_to_the_wall_channel(wall, admin_user):
    seen: list[httpx.Request] = []

    def nchan(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201)

    publisher = NchanPublisher(
        publish_url="http://nchan.test/pub/", transport=httpx.MockTransport(nchan), background=False
    )
    set_publisher(publisher)
    try:
        assert control.send(wall, command(wall, command="theme", value="light"), actor=admin_user)
    finally:
        publisher.close()
    assert [str(r.url) for r in seen] == [f"http://nchan.test/pub/{group_name(wall.slug)}"]
    assert json.loads(seen[0].content) == {
        "type": "screen.control", "command": "theme", "screen": None, "value": "light",
    }  # fmt: skip


def test_without_a_live_transport_the_command_is_kept_but_not_delivered(wall, admin_user):
    # The test suite's recording publisher reaches no pages.
    assert not control.send(wall, command(wall, command="pause"), actor=admin_user)
    assert control.state(wall.pk)["paused"] is True


SCREEN_A, SCREEN_B = "screen-a-0123456789", "screen-b-0123456789"


def test_commands_to_one_screen_are_kept_as_its_overrides(wall, store, monkeypatch):
    now = [1_800_000_000_000]
    monkeypatch.setattr(control, "now_ms", lambda: now[0])
    post_id = store(make_post()).events[0].post_id
    for data in (
        {"command": "pause"},
        {"command": "theme", "value": "contrast"},
        {"command": "layout", "value": "ticker"},
        {"command": "spotlight", "post": str(post_id), "seconds": "30"},
        {"command": "next"},  # a one-off: nothing kept
    ):
        control.send(wall, command(wall, screen=SCREEN_A, **data), actor=None)
    mine = json.loads(control.state_frame(wall.pk, SCREEN_A))
    assert (mine["paused"], mine["theme"], mine["layout"]) == (True, "contrast", "ticker")
    assert (mine["spotlight"]["id"], mine["spotlight"]["seconds"]) == (post_id, 30)
    assert mine["spotlight"]["post"]["id"] == post_id  # enough to draw it after a reload
    # Another screen, and the wall's own state, are untouched.
    for other in (json.loads(control.state_frame(wall.pk, SCREEN_B)), control.state(wall.pk)):
        assert (other["paused"], other["theme"], other["layout"], other["spotlight"]) == (
            False, "", "", None,
        )  # fmt: skip
    assert control.overrides(wall.pk) == {SCREEN_A: ["layout", "paused", "spotlight", "theme"]}
    now[0] += 30_000  # the spotlight is over
    assert control.state(wall.pk, SCREEN_A)["spotlight"] is None
    # The latest command wins: a wall-wide resume and theme clear the screen's own.
    control.send(wall, command(wall, command="resume"), actor=None)
    control.send(wall, command(wall, command="theme", value="light"), actor=None)
    mine = control.state(wall.pk, SCREEN_A)
    assert (mine["paused"], mine["theme"], mine["layout"]) == (False, "light", "ticker")
    assert control.overrides(wall.pk) == {SCREEN_A: ["layout", "spotlight"]}


def test_a_wall_wide_spotlight_is_in_the_state_until_it_ends(wall, store, monkeypatch):
    now = [1_800_000_000_000]
    monkeypatch.setattr(control, "now_ms", lambda: now[0])
    post_id = store(make_post()).events[0].post_id
    control.send(wall, command(wall, command="spotlight", post=str(post_id)), actor=None)
    now[0] += 10_500
    assert json.loads(control.state_frame(wall.pk))["spotlight"]["seconds"] == 5
    now[0] += 5_000
    assert control.state(wall.pk)["spotlight"] is None


def test_overrides_are_kept_for_a_bounded_number_of_screens(wall, settings):
    settings.CROWDWALL = {**getattr(settings, "CROWDWALL", {}), "SCREENS_PER_WALL": 2}
    for n in range(3):
        control.send(wall, command(wall, command="pause", screen=f"screen-{n}-0123456"), actor=None)
    assert sorted(control.overrides(wall.pk)) == ["screen-1-0123456", "screen-2-0123456"]
