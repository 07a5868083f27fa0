"""Figures are refreshed at most once per interval per wall, and never left behind
(``crowdwall.ingest.announce.FiguresPacer``)."""

from __future__ import annotations

import threading

import pytest

from crowdwall.ingest import announce
from crowdwall.ingest.announce import FiguresPacer

WAIT = 10.0  # generous: the trailing refresh is due after 0.5 s


class Flushes:
    """A flush that records what it was given and lets a test await the next one."""

    def __init__(self) -> None:
        self.calls: list[set[str]] = []
        self.event = threading.Event()

    def __call__(self, slugs: set[str]) -> None:
        self.calls.append(set(slugs))
        self.event.set()

    def next(self) -> set[str]:
        assert self.event.wait(WAIT), "the trailing refresh never came"
        self.event.clear()
        return self.calls[-1]


def test_the_first_change_goes_at_once_the_rest_together_at_the_end():
    flushes = Flushes()
    pacer = FiguresPacer(flushes, lambda: 0.5)
    assert pacer.take({"a"}) == {"a"}  # leading edge: the caller refreshes now
    assert pacer.take({"a", "b"}) == {"b"}  # "a" just went out; "b" did not
    assert pacer.take({"a"}) == set()
    assert pacer.pending() == {"a"}
    assert flushes.next() == {"a"}  # once, for both held-back changes
    assert pacer.pending() == set()
    assert flushes.calls == [{"a"}]


def test_a_burst_costs_one_refresh_per_interval():
    flushes = Flushes()
    pacer = FiguresPacer(flushes, lambda: 0.5)
    now = [pacer.take({"a", "b"}) for _ in range(50)]
    assert now[0] == {"a", "b"} and all(not due for due in now[1:])
    assert flushes.next() == {"a", "b"}
    assert len(flushes.calls) == 1


def test_a_wall_due_again_after_the_interval_goes_at_once():
    flushes = Flushes()
    pacer = FiguresPacer(flushes, lambda: 0.5)
    assert pacer.take({"a"}) == {"a"}
    pacer.take({"a"})
    assert flushes.next() == {"a"}
    # The trailing refresh counts as the wall's turn: a change right after it waits again.
    assert pacer.take({"a"}) == set()
    assert flushes.next() == {"a"}


@pytest.mark.parametrize("interval", [0.0, -1.0])
def test_no_interval_refreshes_after_every_change(interval):
    flushes = Flushes()
    pacer = FiguresPacer(flushes, lambda: interval)
    assert [pacer.take({"a"}) for _ in range(3)] == [{"a"}] * 3
    assert pacer.pending() == set() and flushes.calls == []


def test_a_failing_refresh_is_logged_and_the_pacer_keeps_going(caplog):
    flushes = Flushes()
    failed = threading.Event()

    def flaky(slugs: set[str]) -> None:
        if not failed.is_set():
            failed.set()
            raise RuntimeError("cache down")
        flushes(slugs)

    pacer = FiguresPacer(flaky, lambda: 0.5)
    pacer.take({"a"})
    pacer.take({"a"})
    assert failed.wait(WAIT)
    assert pacer.take({"b"}) == {"b"}
    assert pacer.take({"b"}) == set()  # held back: refreshed at the end of its interval
    assert flushes.next() == {"b"}
    assert "Refreshing the figures of walls ['a'] failed" in caplog.text


def test_announce_refreshes_only_the_walls_let_through(monkeypatch):
    done: list[tuple[str, object]] = []
    monkeypatch.setattr(announce, "purge_figures", lambda s: done.append(("figures", set(s))))
    monkeypatch.setattr(announce, "purge_walls", lambda s: done.append(("pages", set(s))))
    monkeypatch.setattr(
        announce, "publish", lambda e, figures: done.append(("publish", set(figures)))
    )
    flushes = Flushes()
    previous = announce.set_pacer(FiguresPacer(flushes, lambda: 30.0))
    try:
        announce.announce([], {"a"}, figures={"b"})
        announce.announce([], {"a"})
    finally:
        announce.set_pacer(previous)
    assert done == [
        ("figures", {"a", "b"}),
        ("pages", {"a"}),
        ("publish", {"a", "b"}),
        ("figures", set()),  # "a" waits for the end of its interval
        ("pages", {"a"}),  # pages are purged with every change
        ("publish", set()),
    ]
