"""The publisher hook: in-process subscribers, the settings registry, failures contained."""

from __future__ import annotations

import logging

import pytest

from crowdwall.exceptions import PublisherError
from crowdwall.ingest import publisher
from crowdwall.ingest.publisher import Event, EventKind, InProcessPublisher, Publisher

EVENT = Event(EventKind.NEW, 1, {"djangocon": "approved"})


class Collecting(Publisher):
    """A publisher the live side might plug in via CROWDWALL["PUBLISHER"]."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def publish(self, event: Event) -> None:
        self.events.append(event)


INSTANCE = Collecting()
NOT_A_PUBLISHER = object()


def make_collecting() -> Collecting:
    return Collecting()


@pytest.fixture
def configured(settings):
    """Use the CROWDWALL["PUBLISHER"] setting instead of the test recorder."""
    previous = publisher.set_publisher(None)
    yield settings
    publisher.set_publisher(previous)


def test_subscribers_get_each_event_in_order_and_can_unsubscribe():
    hub = InProcessPublisher()
    seen: list[tuple[str, int]] = []
    unsubscribe = hub.subscribe(lambda e: seen.append(("a", e.post_id)))
    hub.subscribe(lambda e: seen.append(("b", e.post_id)))
    hub.publish(EVENT)
    unsubscribe()
    hub.publish(Event(EventKind.DELETE, 2, {}))
    assert seen == [("a", 1), ("b", 1), ("b", 2)]


def test_a_failing_subscriber_is_logged_and_counted(caplog):
    hub = InProcessPublisher()
    seen = []
    hub.subscribe(lambda e: 1 / 0)
    hub.subscribe(seen.append)
    hub.publish(EVENT)
    assert seen == [EVENT]
    assert hub.errors == 1
    assert "Subscriber" in caplog.text


def test_default_publisher_is_in_process(configured):
    assert isinstance(publisher.get_publisher(), InProcessPublisher)
    seen = []
    unsubscribe = publisher.subscribe(seen.append)
    publisher.publish([EVENT])
    unsubscribe()
    assert seen == [EVENT]


@pytest.mark.parametrize(
    "path",
    [
        "tests.crowdwall.ingest.test_publisher.Collecting",
        "tests.crowdwall.ingest.test_publisher.INSTANCE",
        "tests.crowdwall.ingest.test_publisher.make_collecting",
    ],
)
def test_publisher_is_loaded_from_settings(configured, path):
    configured.CROWDWALL = {"PUBLISHER": path}
    loaded = publisher.get_publisher()
    assert isinstance(loaded, Collecting)
    assert publisher.get_publisher() is loaded  # created once
    publisher.publish([EVENT])
    assert loaded.events == [EVENT]


def test_changing_the_setting_changes_the_publisher(configured):
    first = publisher.get_publisher()
    configured.CROWDWALL = {"PUBLISHER": "tests.crowdwall.ingest.test_publisher.Collecting"}
    assert publisher.get_publisher() is not first


@pytest.mark.parametrize(
    "path", ["no.such.module.Publisher", "tests.crowdwall.ingest.test_publisher.NOT_A_PUBLISHER"]
)
def test_bad_publisher_settings_raise_our_error(configured, path):
    configured.CROWDWALL = {"PUBLISHER": path}
    with pytest.raises(PublisherError):
        publisher.get_publisher()


def test_publish_never_raises_into_the_caller(configured, caplog):
    configured.CROWDWALL = {"PUBLISHER": "no.such.module.Publisher"}
    with caplog.at_level(logging.ERROR, logger="crowdwall.publisher"):
        publisher.publish([EVENT])
    assert "Publishing 1 event(s) failed" in caplog.text


def test_subscribe_needs_the_in_process_publisher(configured):
    configured.CROWDWALL = {"PUBLISHER": "tests.crowdwall.ingest.test_publisher.Collecting"}
    with pytest.raises(PublisherError):
        publisher.subscribe(print)
