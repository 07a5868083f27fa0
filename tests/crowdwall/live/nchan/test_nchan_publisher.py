"""NchanPublisher against real HTTP servers: one POST per channel and batch (the Channels
transport's frames, a JSON array for several), and an unreachable nchan never breaks ingest."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from crowdwall.ingest.publisher import set_publisher
from crowdwall.live.nchan import NchanPublisher, channel_messages
from crowdwall.models import ModerationMode, Wall
from tests.crowdwall.conftest import make_post
from tests.fixtures.nginx_generated import EchoUpstream, echo_upstream
from tests.fixtures.servers import free_port


@pytest.fixture
def upstream() -> Iterator[EchoUpstream]:
    yield from echo_upstream()


def test_one_post_per_channel_and_batch(wall, store, upstream):
    Wall.objects.create(
        name="Held", slug="held", hashtags=["djangocon"], moderation=ModerationMode.PRE_APPROVE
    )
    publisher = NchanPublisher(publish_url=f"http://{upstream.address}/_nchan/pub/")
    set_publisher(publisher)  # the autouse ``published`` fixture restores the previous one
    result = store(make_post(), make_post())  # publishes after commit
    assert [seen.method for seen in upstream.seen] == ["POST"] * 3
    bodies = {seen.path: json.loads(seen.body) for seen in upstream.seen}
    # The open wall shows both (one array); the held wall's page hears nothing, its moderators
    # hear about both pending posts.
    assert set(bodies) == {
        "/_nchan/pub/wall.djangocon",
        "/_nchan/pub/moderate.djangocon",
        "/_nchan/pub/moderate.held",
    }
    ids = [event.post_id for event in result.events]
    assert [(f["type"], f["id"]) for f in bodies["/_nchan/pub/wall.djangocon"]] == [
        ("post.new", pid) for pid in ids
    ]
    assert [(f["type"], f["state"]) for f in bodies["/_nchan/pub/moderate.held"]] == [
        ("mod.update", "pending")
    ] * 2
    assert upstream.seen[0].headers["content-type"] == "application/json"
    assert (publisher.sent, publisher.errors) == (3, 0)
    publisher.close()


def test_single_frame_is_sent_as_an_object(wall, store):
    result = store(make_post())
    message = json.loads(channel_messages(result.events)["wall.djangocon"])
    assert message["type"] == "post.new"


def test_unreachable_nchan_is_counted_never_raised(wall, store, caplog):
    publisher = NchanPublisher(publish_url=f"http://127.0.0.1:{free_port()}/_nchan/pub/")
    set_publisher(publisher)
    result = store(make_post())  # ingest succeeds, publishing after commit fails
    assert result.created == 1
    assert publisher.errors == 2 and publisher.sent == 0  # wall and moderators' channel
    assert "nchan publish to wall.djangocon failed" in caplog.text
    publisher.close()


def test_no_publish_url_is_counted(wall, store, settings):
    settings.CROWDWALL = {"NCHAN_PUBLISH_URL": ""}
    publisher = NchanPublisher()
    publisher.publish_many(store(make_post()).events)
    assert publisher.errors == 2
