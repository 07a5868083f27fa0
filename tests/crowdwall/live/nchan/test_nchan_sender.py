"""CoalescingSender without a network: what goes out together, in which order, and what a full
queue drops."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from crowdwall.live.nchan_sender import CoalescingSender


class Recording:
    """A ``send`` that records each call and can be held (a slow or hung nchan)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[str]]] = []
        self.gate = threading.Event()
        self.gate.set()
        self.entered = threading.Event()

    def __call__(self, channel: str, texts: list[str]) -> None:
        self.entered.set()
        self.gate.wait(10)
        self.calls.append((channel, texts))


@pytest.fixture
def send() -> Recording:
    return Recording()


@pytest.fixture
def sender(send: Recording) -> Iterator[CoalescingSender]:
    sender = CoalescingSender(send, window=60.0, max_pending=10, max_batch=4)
    yield sender
    send.gate.set()
    sender.close()


def test_first_put_goes_out_at_once_then_the_window_collects(sender, send):
    assert sender.put([("a", ["1"])])
    assert send.entered.wait(5)  # idle: sent without waiting for the window
    # Within the (minute-long) window: held, then one call per channel, in arrival order.
    sender.put([("a", ["2"]), ("b", ["x"])])
    sender.put([("a", ["3", "4"])])
    assert sender.flush(timeout=5)
    assert send.calls == [("a", ["1"]), ("a", ["2", "3", "4"]), ("b", ["x"])]
    assert sender.flushes == 2


def test_long_bursts_are_split_into_batches(sender, send):
    send.gate.clear()
    sender.put([("a", ["0"])])
    send.entered.wait(5)  # the first flush is being sent (and held)
    sender.put([("a", [str(n) for n in range(1, 10)])])
    send.gate.set()
    assert sender.flush(timeout=5)
    assert [texts for _, texts in send.calls] == [
        ["0"],
        ["1", "2", "3", "4"],
        ["5", "6", "7", "8"],
        ["9"],
    ]


def test_a_full_queue_drops_the_oldest_and_counts(sender, send, caplog):
    send.gate.clear()  # nchan hangs
    sender.put([("a", ["0"])])
    send.entered.wait(5)
    for n in range(1, 16):
        sender.put([("a", [str(n)])])
    assert sender.dropped == 5
    assert "dropping the oldest" in caplog.text
    send.gate.set()
    assert sender.flush(timeout=5)
    sent = [t for _, texts in send.calls for t in texts]
    assert sent == ["0", *[str(n) for n in range(6, 16)]]


def test_close_sends_what_waits_then_refuses(send):
    sender = CoalescingSender(send, window=60.0)
    sender.put([("a", ["1"])])
    send.entered.wait(5)
    sender.put([("a", ["2"])])
    assert sender.close(timeout=5)
    assert send.calls == [("a", ["1"]), ("a", ["2"])]
    assert not sender.put([("a", ["3"])])  # the caller sends it itself


def test_a_failing_send_is_logged_and_the_rest_still_goes(caplog):
    calls: list[str] = []

    def send(channel: str, texts: list[str]) -> None:
        calls.append(channel)
        if channel == "bad":
            raise RuntimeError("boom")

    sender = CoalescingSender(send, window=0.0)
    sender.put([("bad", ["1"]), ("good", ["2"])])
    assert sender.close(timeout=5)
    assert calls == ["bad", "good"]
    assert "sending to bad failed" in caplog.text
